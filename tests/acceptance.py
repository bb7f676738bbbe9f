"""Issue 4's per-point acceptance for a run_experiment result, shared by the tests of the
deterministic dephasing methods (channel, weak) and of lab-frame steps, and by
benchmarks/acceptance_tls_dephasing.py for the random methods."""

import numpy as np

ABSOLUTE = 0.02  # every point within 0.02 of the reference, whatever its standard error


def per_point_deviations(r) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(quantity, |value - reference|, standard error, tolerance) per time for E_B and
    ergotropy; tolerance = 3 standard errors plus the program's reported splitting error
    (trace norm; ||H_B|| = 1) plus 1e-3."""
    bound = np.asarray(r.program.error_bound)
    return [(name, np.abs(value - ref), err, 3 * err + bound + 1e-3)
            for name, value, err, ref in (
                ("E_B", r.battery_energy, r.battery_energy_err, r.reference.battery_energy),
                ("ergotropy", r.battery_ergotropy, r.battery_ergotropy_err, r.reference.battery_ergotropy))]


def assert_per_point_acceptance(r) -> None:
    """Every point within its tolerance (:func:`per_point_deviations`) and within ABSOLUTE."""
    for name, dev, _, tolerance in per_point_deviations(r):
        assert np.all(dev < tolerance), (name, dev - tolerance)
        assert np.all(dev < ABSOLUTE), (name, dev.max())
