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


def _qutip_steady_battery(g, F, gamma_c, t1=None, t2=None, seconds_per_unit=None) -> np.ndarray:
    """Battery state of the resonant pair in the drive frame, H = g (s_C^+ s_B^- + h.c.) +
    F (s_C^+ + s_C^-), charger dephasing sqrt(gamma_c) n_C, and, with t1/t2, on each qubit
    amplitude damping at 1/T1 and pure dephasing at 2/T2 - 1/T1 (x seconds_per_unit), built in
    QuTiP.  With T1 the kernel is one-dimensional: qutip.steadystate.  Without it the kernel is
    degenerate (a generic null vector is wrong), so the state reached from |gg> at t = 80
    (slowest rate 1/4: e^-20 left) is taken instead."""
    import qutip as qt

    sm, n, eye = qt.destroy(2), qt.num(2), qt.qeye(2)  # |0> = ground, sigma^- = |0><1|
    sm_c, sm_b, n_c = qt.tensor(sm, eye), qt.tensor(eye, sm), qt.tensor(n, eye)
    H = g * (sm_c.dag() * sm_b + sm_b.dag() * sm_c) + F * (sm_c + sm_c.dag())
    c_ops = [np.sqrt(gamma_c) * n_c]
    if t1 is not None:
        for lower, number in ((sm_c, n_c), (sm_b, qt.tensor(eye, n))):
            c_ops += [np.sqrt(seconds_per_unit / t1) * lower,
                      np.sqrt(seconds_per_unit * (2 / t2 - 1 / t1)) * number]
        rho = qt.steadystate(H, c_ops)
    else:
        rho0 = qt.tensor(qt.fock_dm(2, 0), qt.fock_dm(2, 0))
        rho = qt.mesolve(H, rho0, [0.0, 80.0], c_ops, options={"atol": 1e-12, "rtol": 1e-10}).states[-1]
    return rho.ptrace(1).full()


def _qubit_ergotropy(rho_b: np.ndarray) -> float:
    """Closed form for H_B = n (omega_B = 1): E - lambda_min (the passive state puts the
    larger eigenvalue on the ground level)."""
    return float(rho_b[1, 1].real - np.linalg.eigvalsh(rho_b)[0])


def test_decoherence_lowers_the_steady_ergotropy_of_the_charged_pair():
    """Steady ergotropy with and without hardware T1/T2 against QuTiP's states and the
    closed-form qubit ergotropy: 1/4 without (x / (1 + 4 x^2) at x = F/g = 1/2, physics.md
    R14), nearly all of it lost with T1 = 100 us, T2 = 80 us at 1 us per unit of model time."""
    from qbhw.reference import steady_state

    t1, t2, spu = 1e-4, 8e-5, 1e-6
    ideal = steady_state(tls_pair(1.0, 0.5, 1.0))
    noisy = steady_state(with_qubit_decoherence(tls_pair(1.0, 0.5, 1.0), [t1] * 2, [t2] * 2, spu))
    w_ideal = _qubit_ergotropy(_qutip_steady_battery(1.0, 0.5, 1.0))
    w_noisy = _qubit_ergotropy(_qutip_steady_battery(1.0, 0.5, 1.0, t1, t2, spu))
    assert w_ideal == pytest.approx(0.25, abs=1e-7)
    assert ideal.battery_ergotropy == pytest.approx(w_ideal, abs=1e-7)
    assert noisy.battery_ergotropy == pytest.approx(w_noisy, abs=1e-7)
    assert noisy.battery_ergotropy < 0.1 * ideal.battery_ergotropy
    assert noisy.kernel_dimension == 1  # T1 breaks the conservation law behind the degenerate kernel
