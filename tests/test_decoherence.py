"""Hardware T1/T2 channels added to a model (device reference, interpretation face)."""

from dataclasses import replace

import numpy as np
import pytest

from qbhw.models import tls_pair, with_qubit_decoherence
from qbhw.reference import evolve


def test_free_qubits_decay_with_t1_and_t2():
    """With g and F ~ 0 the battery's excited population decays as exp(-t/T1) and a
    coherence as exp(-t/T2) (closed forms), in device seconds = seconds_per_unit * t."""
    base = tls_pair(1e-9, 0.0, 0.0)
    t1, t2, spu = 100e-6, 60e-6, 2e-6
    model = with_qubit_decoherence(base, [80e-6, t1], [50e-6, t2], spu)
    times = np.linspace(0, 40, 9)
    plus = np.array([[0.5, 0.5], [0.5, 0.5]])  # (|g>+|e>)/sqrt2 on the battery
    excited = np.diag([0.0, 1.0])
    for rho_b, check in ((excited, lambda r, s: (r[:, 1, 1].real, np.exp(-s / t1))),
                         (plus, lambda r, s: (np.abs(r[:, 0, 1]), 0.5 * np.exp(-s / t2)))):
        rho0 = np.kron(rho_b, np.diag([1.0, 0.0]))  # battery = subsystem 1 = left factor
        traj = evolve(replace(model, rho0=rho0), times, frame="lab")
        got, want = check(traj.battery_states, spu * times)
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_rejects_unphysical_and_mismatched_input():
    base = tls_pair(1.0, 0.5, 1.0)
    with pytest.raises(ValueError, match=r"t2\[1\] .* exceeds 2 t1\[1\]"):
        with_qubit_decoherence(base, [1e-4, 1e-4], [1e-4, 3e-4], 1e-6)
    with pytest.raises(ValueError, match="one entry per subsystem"):
        with_qubit_decoherence(base, [1e-4], [1e-4], 1e-6)
    with pytest.raises(ValueError, match=r"seconds_per_unit must be > 0"):
        with_qubit_decoherence(base, [1e-4] * 2, [1e-4] * 2, 0.0)
    with pytest.raises(ValueError, match=r"t1\[0\] must be > 0"):
        with_qubit_decoherence(base, [-1.0, 1e-4], [1e-4] * 2, 1e-6)


def test_decoherence_lowers_the_steady_ergotropy_of_the_charged_pair():
    from qbhw.reference import steady_state

    ideal = steady_state(tls_pair(1.0, 0.5, 1.0))
    noisy = steady_state(with_qubit_decoherence(tls_pair(1.0, 0.5, 1.0), [1e-4] * 2, [8e-5] * 2, 1e-6))
    assert noisy.battery_energy < ideal.battery_energy - 1e-3
    assert noisy.kernel_dimension == 1  # T1 breaks the conservation law behind the degenerate kernel
