"""Star configuration (one driven, dephased charger, N batteries; physics.md M4, R21-R26)
and the heat-engine chargers' effective collective equation (M5, R28-R29).

References: full 2^(N+1)-dimensional QuTiP models written here from the lecture's equations,
the numbers physics.md derived independently, and detailed-balance closed forms."""

from itertools import product
from math import comb

import numpy as np
import pytest
import qutip as qt
from scipy.optimize import minimize_scalar

from qbhw.models import heat_engine_chargers, star
from qbhw.reference import evolve, steady_state

QOPTS = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}


def qutip_star(n, g, F, gamma):
    """Rotating frame at resonance: g(sigma_C^+ S^- + h.c.) + F X_C, L = n_C; qutip order
    tensor(charger, battery_1..battery_N), |g> = basis 0."""
    sm, eye = qt.destroy(2), qt.qeye(2)
    op = lambda o, i: qt.tensor([o if j == i else eye for j in range(n + 1)])  # noqa: E731
    H = F * (op(sm, 0) + op(sm, 0).dag()) + g * sum(op(sm, 0).dag() * op(sm, i) + op(sm, i).dag() * op(sm, 0)
                                                    for i in range(1, n + 1))
    return H, qt.tensor([qt.fock_dm(2, 0)] * (n + 1)), [np.sqrt(gamma) * op(sm, 0).dag() * op(sm, 0)]


def energy_and_ergotropy_full(rho_b, n):
    """Battery energy and ergotropy by sorting over the explicit 2^N spectrum sum_i n_i."""
    levels = np.array(sorted(sum(bits) for bits in product((0, 1), repeat=n)), dtype=float)
    diag = np.array([sum(bits) for bits in product((0, 1), repeat=n)], dtype=float)
    e = float(np.real(np.trace(rho_b @ np.diag(diag))))
    return e, e - np.sort(np.linalg.eigvalsh(rho_b))[::-1] @ levels


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_symmetric_representation_equals_full_qutip(n):
    g, F, gamma = 1.0, 0.7, 0.8
    times = np.linspace(0, 6, 13)
    H, rho0, c_ops = qutip_star(n, g, F, gamma)
    states = qt.mesolve(H, rho0, times, c_ops, options=QOPTS).states
    ref = np.array([energy_and_ergotropy_full(s.ptrace(list(range(1, n + 1))).full(), n) for s in states])
    sym = evolve(star(n, g, F, gamma), times)
    np.testing.assert_allclose(sym.battery_energy, ref[:, 0], atol=1e-7)
    np.testing.assert_allclose(sym.battery_ergotropy, ref[:, 1], atol=1e-7)
    if n <= 3:  # the full qubit representation of qbhw agrees too
        full = evolve(star(n, g, F, gamma, representation="full"), times)
        np.testing.assert_allclose(full.battery_ergotropy, ref[:, 1], atol=1e-7)


def test_long_time_state_is_the_one_qutip_reaches_from_ground():
    H, rho0, c_ops = qutip_star(2, 1.0, 0.7, 1.0)
    final = qt.mesolve(H, rho0, np.linspace(0, 3000, 3001), c_ops, options=QOPTS).states[-1]
    e, w = energy_and_ergotropy_full(final.ptrace([1, 2]).full(), 2)
    ss = steady_state(star(2, 1.0, 0.7, 1.0))
    assert ss.battery_energy == pytest.approx(e, abs=1e-8)
    assert ss.battery_ergotropy == pytest.approx(w, abs=1e-8)
    assert ss.kernel_dimension == 3  # N + 1 in the symmetric sector (physics.md section 0 item 7)


@pytest.mark.parametrize("n,ratio,x_opt", [(1, 0.5000, 0.50), (2, 0.6244, 0.73), (3, 0.6927, 0.94)])
def test_max_steady_ergotropy_fraction(n, ratio, x_opt):
    """R21-R22: E_B(inf) = N/2 and max over F/g of ergotropy/E_B = 0.5000, 0.6244, 0.6927
    (physics.md; the lecture rounds to 0.5, 0.62, 0.69)."""
    def fraction(x):
        ss = steady_state(star(n, 1.0, x, 1.0))
        assert ss.battery_energy == pytest.approx(n / 2, abs=1e-9)
        return ss.battery_ergotropy / ss.battery_energy

    best = minimize_scalar(lambda x: -fraction(x), bounds=(0.2, 2.0), method="bounded", options={"xatol": 1e-4})
    assert -best.fun == pytest.approx(ratio, abs=1e-4)
    assert best.x == pytest.approx(x_opt, abs=0.01)


def test_asymptotic_freedom_and_its_bounds():
    """R25-R26 at F/g = 10: ergotropy/E_B = 1 - a/N with a within the lecture's bounds
    2 delta <= a <= 4 (delta = 1 - largest eigenvalue of rho_B), and E_B - ergotropy <= 2 w_B."""
    ns = [4, 8, 16, 32]
    a = []
    for n in ns:
        ss = steady_state(star(n, 1.0, 10.0, 1.0))
        assert ss.battery_energy - ss.battery_ergotropy <= 2.0
        a.append(n * (1 - ss.battery_ergotropy / ss.battery_energy))
        delta = 1 - np.linalg.eigvalsh(ss.battery_states).max()
        assert 2 * delta <= a[-1] + 1e-9 and a[-1] <= 4
        # a = 2 x passive energy, and rank(rho_B) <= N+1 puts all but the largest eigenvalue on
        # the N-fold level w_B (one more on 2 w_B): the lower bound is nearly attained
        assert a[-1] - 2 * delta < 1e-3
    assert np.all(np.diff(a) > 0) and a[-1] - a[-2] < a[1] - a[0]  # a(N) converging from below


def test_unresolvable_relaxation_is_refused():
    with pytest.raises(ValueError, match="not reached on any resolvable time scale"):
        steady_state(star(8, 1.0, 0.5, 1.0))


def test_full_representation_limit():
    with pytest.raises(ValueError, match="n_batteries = 11 is too large"):
        star(11, 1.0, 0.5, 1.0, representation="full")


def detailed_balance(n, beta_w):
    """Effective QHE equation on the Dicke ladder from ground: the rates k -> k+1 and k+1 -> k
    are Gamma e^{-beta w} c_k and Gamma c_k with the same c_k = (k+1)(N-k), so the stationary
    populations are p_k ~ e^{-beta w k} (unique: the ladder is connected)."""
    p = np.exp(-beta_w * np.arange(n + 1))
    p /= p.sum()
    e = p @ np.arange(n + 1)
    sigma = np.sqrt(p @ np.arange(n + 1) ** 2 - e**2)
    levels = np.concatenate([np.full(min(comb(n, k), n + 1), k) for k in range(n + 1)])[: n + 1]
    return e / n, sigma, (e - np.sort(p)[::-1] @ levels) / e


def test_heat_engine_chargers_against_detailed_balance():
    e_n, sigma, frac = detailed_balance(10, -0.8)
    # physics.md R28, printed to 4, 4 and 3 significant digits
    assert e_n == pytest.approx(0.9186, abs=1e-4) and frac == pytest.approx(0.9511, abs=1e-4)
    assert sigma == pytest.approx(1.210, abs=5e-4)
    ss = steady_state(heat_engine_chargers(10, -0.8, 0.1))
    assert ss.battery_energy / 10 == pytest.approx(e_n, abs=1e-9)
    assert ss.battery_ergotropy / ss.battery_energy == pytest.approx(frac, abs=1e-9)
    p = np.real(np.diag(ss.battery_states))
    assert np.sqrt(p @ np.arange(11) ** 2 - (p @ np.arange(11)) ** 2) == pytest.approx(sigma, abs=1e-9)


def test_heat_engine_asymptote():
    """R29: ergotropy/(N e_N) ~ 1 - e^{-0.8}/N: 0.9766 vs 0.9775 at N = 20 (physics.md)."""
    traj = evolve(heat_engine_chargers(20, -0.8, 0.1), [0.0, 400.0])
    e_n, _, frac = detailed_balance(20, -0.8)
    assert traj.battery_ergotropy[-1] / traj.battery_energy[-1] == pytest.approx(frac, abs=1e-8)
    assert frac == pytest.approx(0.9766, abs=1e-4)
    assert abs(frac - (1 - np.exp(-0.8) / 20)) < 1e-3


def test_heat_engine_dynamics_equals_full_qutip():
    n, times = 3, np.linspace(0, 20, 11)
    sm, eye = qt.destroy(2), qt.qeye(2)
    s_minus = sum(qt.tensor([sm if j == i else eye for j in range(n)]) for i in range(n))
    hb = s_minus.dag() * 0
    hb = sum(qt.tensor([sm.dag() * sm if j == i else eye for j in range(n)]) for i in range(n))
    c_ops = [np.sqrt(0.1) * s_minus, np.sqrt(0.1 * np.exp(0.8)) * s_minus.dag()]
    res = qt.mesolve(hb, qt.tensor([qt.fock_dm(2, 0)] * n), times, c_ops, options=QOPTS).states
    ref = np.array([energy_and_ergotropy_full(s.full(), n) for s in res])
    ours = evolve(heat_engine_chargers(n, -0.8, 0.1), times)
    np.testing.assert_allclose(ours.battery_energy, ref[:, 0], atol=1e-7)
    np.testing.assert_allclose(ours.battery_ergotropy, ref[:, 1], atol=1e-7)


def test_local_dissipation_falls_back_and_says_how_large_n_may_be():
    """Per-qubit T1/T2 breaks the collective structure: the full representation is needed and
    the dense steady-state solver names its limit in qubits."""
    from qbhw.models import with_qubit_decoherence
    from qbhw.reference import steady_state

    model = with_qubit_decoherence(star(5, 1.0, 0.5, 1.0, representation="full"), [1e-4] * 6, [1e-4] * 6, 1e-6)
    with pytest.raises(ValueError, match=r"at most 5 qubits"):
        steady_state(model)
