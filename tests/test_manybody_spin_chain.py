"""Spin-chain battery (Le et al.) against a QuTiP model written here from physics.md M10, the
closed forms of the non-interacting and XXX chains (R46), and global vs parallel charging
(M7, R6): completion times n pi/(2 E_max) vs pi/(2 E_max) and a power ratio of n."""

import numpy as np
import pytest
import qutip as qt

from qbhw.metrics import max_average_power
from qbhw.models.global_charging import global_vs_parallel
from qbhw.models.spin_chain import spin_chain
from qbhw.reference import evolve

QOPTS = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**6}
SZ = qt.Qobj(np.diag([-1.0, 1.0]))  # |e><e| - |g><g| with |0> = g


def local(op, i, n):
    return qt.tensor(*[op if k == i else qt.qeye(2) for k in reversed(range(n))])  # qubit 0 rightmost


def qutip_chain(n, J, alpha, coupling, B, omega, p, times):
    hg = 0
    for i in range(n):
        for j in range(i + 1, n):
            d = j - i
            gij = {"nearest": J if d == 1 else 0.0, "power_law": J / d**p, "uniform": J}[coupling]
            hg -= gij * (local(SZ, i, n) * local(SZ, j, n)
                         + alpha * (local(qt.sigmax(), i, n) * local(qt.sigmax(), j, n)
                                    + local(qt.sigmay(), i, n) * local(qt.sigmay(), j, n)))
    hb = B * sum(local(SZ, i, n) for i in range(n)) + hg
    e0, ground = hb.groundstate()
    states = qt.sesolve(hg + omega * sum(local(qt.sigmax(), i, n) for i in range(n)), ground, times,
                        options=QOPTS).states
    levels = np.sort(hb.eigenenergies() - e0)
    e = np.array([qt.expect(hb, s) - e0 for s in states])
    w = np.array([ei - np.sort(np.linalg.eigvalsh(qt.ket2dm(s).full()))[::-1] @ levels for ei, s in zip(e, states)])
    return e, w


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("coupling,alpha", [("nearest", 0.5), ("power_law", -1.0), ("uniform", 0.0)])
def test_chain_equals_qutip(n, coupling, alpha):
    times = np.linspace(0, 4, 9)
    kw = dict(B=0.5, omega=0.7, p=1.5)
    traj = evolve(spin_chain(n, 0.3, alpha, coupling, **kw), times)
    e, w = qutip_chain(n, 0.3, alpha, coupling, times=times, **kw)
    np.testing.assert_allclose(traj.battery_energy, e, atol=1e-7)
    np.testing.assert_allclose(traj.battery_ergotropy, w, atol=1e-7)


@pytest.mark.parametrize("J,alpha,coupling", [(0.0, 0.5, "nearest"), (0.4, 1.0, "nearest"), (0.4, 1.0, "uniform")])
def test_free_and_xxx_chains_charge_like_independent_spins(J, alpha, coupling):
    """No interactions, or XXX (R46: the symmetric sector keeps the interaction energy fixed):
    E_B(t) = n 2B sin^2(omega t), and the state stays pure, so ergotropy = E_B."""
    n, B, omega = 4, 0.5, 0.8
    times = np.linspace(0, 5, 21)
    traj = evolve(spin_chain(n, J, alpha, coupling, B=B, omega=omega), times)
    np.testing.assert_allclose(traj.battery_energy, n * 2 * B * np.sin(omega * times) ** 2, atol=1e-9)
    np.testing.assert_allclose(traj.battery_ergotropy, traj.battery_energy, atol=1e-9)


def test_chain_input_errors():
    with pytest.raises(ValueError, match="coupling"):
        spin_chain(3, 0.1, 0.5, "ring")
    with pytest.raises(ValueError, match="degenerate ground state"):
        spin_chain(2, 1.0, 0.0, B=0.0 + 1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_global_charging_is_n_times_more_powerful(n):
    e_max, omega = 0.7, 1.0
    glob, par = global_vs_parallel(n, e_max=e_max, omega=omega)
    times = np.linspace(0, n * np.pi / (2 * e_max), 4001)[1:]
    e_glob, e_par = evolve(glob, times).battery_energy, evolve(par, times).battery_energy
    np.testing.assert_allclose(e_glob, n * omega * np.sin(e_max * times) ** 2, atol=1e-9)
    np.testing.assert_allclose(e_par, n * omega * np.sin(e_max * times / n) ** 2, atol=1e-9)
    t_glob = times[np.argmax(e_glob > n * omega * (1 - 1e-6))]
    assert t_glob == pytest.approx(np.pi / (2 * e_max), rel=2e-3)
    assert e_par[-1] == pytest.approx(n * omega, abs=1e-9)  # parallel completes at n pi/(2 E_max)
    p_glob, _ = max_average_power(times, e_glob)
    p_par, _ = max_average_power(times, e_par)
    assert p_glob / p_par == pytest.approx(n, rel=2e-3)
    for h in (glob.h0, par.h0):
        assert np.abs(np.linalg.eigvalsh(np.asarray(h))).max() == pytest.approx(e_max, rel=1e-12)
