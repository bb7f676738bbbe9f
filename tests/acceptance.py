"""Issue 4's per-point acceptance for a run_experiment result, shared by the tests of the
deterministic dephasing methods (channel, weak) and of lab-frame steps."""

import numpy as np


def assert_per_point_acceptance(r) -> None:
    """E_B and ergotropy at every time within 3 standard errors plus the program's reported
    splitting error (trace norm; ||H_B|| = 1), and within 0.02 absolute, of r.reference."""
    bound = np.asarray(r.program.error_bound)
    for value, err, ref in ((r.battery_energy, r.battery_energy_err, r.reference.battery_energy),
                            (r.battery_ergotropy, r.battery_ergotropy_err, r.reference.battery_ergotropy)):
        assert np.all(np.abs(value - ref) < 3 * err + bound + 1e-3), np.abs(value - ref) - 3 * err - bound
        assert np.all(np.abs(value - ref) < 0.02), np.abs(value - ref).max()
