"""Explicit maser-engine chargers against a full-space QuTiP model written here from physics.md
M5, and their adiabatic-elimination limit: the effective collective equation (Gamma_e =
4 g^2 p0 / kappa, module doc of qbhw.models.heat_engine) with first-order convergence in
Gamma_e / kappa."""

import numpy as np
import pytest
import qutip as qt

from qbhw.models import heat_engine_chargers, heat_engine_explicit
from qbhw.reference import evolve

BETA, GAMMA_E = -0.8, 0.1


def qutip_explicit(n, kappa, times):
    """N engine qubits then N battery qubits (full 2^N battery space), lecture's coupling."""
    p1 = 1 / (1 + np.exp(BETA))
    p0 = 1 - p1
    g = np.sqrt(GAMMA_E * kappa / (4 * p0))
    dim = 2 * n
    op = lambda o, k: qt.tensor(*[o if j == k else qt.qeye(2) for j in range(dim)])
    sm_e = [op(qt.destroy(2), j) for j in range(n)]
    s_minus = sum(op(qt.destroy(2), n + k) for k in range(n))
    hb = sum(op(qt.num(2), n + k) for k in range(n))
    h = sum(e.dag() * e for e in sm_e) + hb
    h += sum(1j * g / np.sqrt(n) * (e.dag() * s_minus - e * s_minus.dag()) for e in sm_e)
    c_ops = [np.sqrt(kappa * p0) * e for e in sm_e] + [np.sqrt(kappa * p1) * e.dag() for e in sm_e]
    rho0 = qt.tensor(*([qt.Qobj(np.diag([p0, p1]))] * n + [qt.fock_dm(2, 0)] * n))
    states = qt.mesolve(h, rho0, times, c_ops, options={"atol": 1e-11, "rtol": 1e-9}).states
    levels = np.sort([bin(b).count("1") for b in range(2**n)])
    e, w = [], []
    for s in states:
        rho_b = s.ptrace(list(range(n, 2 * n))).full()
        ei = float(np.real(np.trace(rho_b @ np.diag([bin(b).count("1") for b in range(2**n)]))))
        e.append(ei)
        w.append(ei - np.sort(np.linalg.eigvalsh(rho_b))[::-1] @ levels)
    return np.array(e), np.array(w)


@pytest.mark.parametrize("n", [1, 2])
def test_explicit_engines_equal_full_qutip(n):
    times = np.linspace(0, 20, 6)
    traj = evolve(heat_engine_explicit(n, BETA, GAMMA_E, kappa=10.0), times)
    e, w = qutip_explicit(n, 10.0, times)
    np.testing.assert_allclose(traj.battery_energy, e, atol=1e-6)
    np.testing.assert_allclose(traj.battery_ergotropy, w, atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_fast_engines_reduce_to_the_effective_equation(n):
    """max_t |E_B^explicit - E_B^effective| falls like 1/kappa (first order in Gamma_e/kappa):
    measured 0.014 -> 0.0034 (N = 1) and 0.037 -> 0.0093 (N = 2) from kappa = 20 to 80."""
    times = np.linspace(0, 60, 61)
    eff = evolve(heat_engine_chargers(n, BETA, GAMMA_E), times).battery_energy
    err = [np.abs(evolve(heat_engine_explicit(n, BETA, GAMMA_E, kappa), times).battery_energy - eff).max()
           for kappa in (20.0, 80.0)]
    assert 3.0 < err[0] / err[1] < 5.0
    assert err[1] < 0.006 * n**1.5


def test_explicit_size_limit_says_what_to_use():
    with pytest.raises(ValueError, match="heat_engine_chargers"):
        heat_engine_explicit(5, BETA, GAMMA_E, 10.0)
