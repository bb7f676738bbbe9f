"""Closed-form resonant star for large N (qbhw.reference.star) against QuTiP models written here
from the lecture's equations (symmetric Dicke sector via qutip.jmat, and the full space), the
mirror-symmetry result E_B(inf) = N w_B / 2 (R21), the physics.md R22 numbers and the R26 bounds."""

from math import comb

import numpy as np
import pytest
import qutip as qt
from scipy.optimize import minimize_scalar

from qbhw.reference.star import star_charging, star_long_time

QOPTS = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}


def passive(pops, n):
    """Passive energy over the full 2^N spectrum of sum_i n_i (level k with C(N, k) states)."""
    slots = []
    for k in range(n + 1):
        slots += [k] * min(comb(n, k), len(pops))
        if len(slots) >= len(pops):
            break
    return np.sort(pops)[::-1] @ np.array(slots[: len(pops)], dtype=float)


def qutip_symmetric_star(n, g, F, gamma):
    """Charger (x) spin j = N/2; qutip.jmat orders m = j..-j, so k = j - m excitations; the
    all-ground battery state is m = -j, the last basis state."""
    j = n / 2
    sp, sz = qt.jmat(j, "+"), qt.jmat(j, "z")
    sm_c = qt.destroy(2)
    H = F * qt.tensor(sm_c + sm_c.dag(), qt.qeye(n + 1)) + g * (
        qt.tensor(sm_c.dag(), sp.dag()) + qt.tensor(sm_c, sp))
    hb = qt.tensor(qt.qeye(2), sz + j)  # k = m + j excitations
    rho0 = qt.tensor(qt.fock_dm(2, 0), qt.fock_dm(n + 1, n))
    return H, rho0, [np.sqrt(gamma) * qt.tensor(sm_c.dag() * sm_c, qt.qeye(n + 1))], hb


@pytest.mark.parametrize("n,F,gamma", [(20, 0.7, 0.8), (12, 10.0, 1.0), (7, 0.2, 3.0)])
def test_charging_curve_equals_qutip_symmetric_sector(n, F, gamma):
    times = np.linspace(0, 8, 17)
    H, rho0, c_ops, hb = qutip_symmetric_star(n, 1.0, F, gamma)
    states = qt.mesolve(H, rho0, times, c_ops, options=QOPTS).states
    e_ref = np.array([qt.expect(hb, s) for s in states])
    w_ref = np.array([e - passive(np.linalg.eigvalsh(s.ptrace(1).full()), n) for e, s in zip(e_ref, states)])
    nc_ref = np.array([qt.expect(qt.tensor(qt.num(2), qt.qeye(n + 1)), s) for s in states])
    ours = star_charging(n, 1.0, F, gamma, times)
    np.testing.assert_allclose(ours.battery_energy, e_ref, atol=1e-7)
    np.testing.assert_allclose(ours.battery_ergotropy, w_ref, atol=1e-7)
    np.testing.assert_allclose(ours.charger_excited, nc_ref, atol=1e-7)


def test_charging_curve_equals_full_space_qutip():
    n, F, gamma, times = 3, 0.6, 0.5, np.linspace(0, 5, 11)
    sm, eye = qt.destroy(2), qt.qeye(2)
    op = lambda o, i: qt.tensor([o if q == i else eye for q in range(n + 1)])  # noqa: E731
    H = F * (op(sm, 0) + op(sm, 0).dag()) + sum(op(sm, 0).dag() * op(sm, i) + op(sm, i).dag() * op(sm, 0)
                                                for i in range(1, n + 1))
    hb = sum(op(sm, i).dag() * op(sm, i) for i in range(1, n + 1))
    res = qt.mesolve(H, qt.tensor([qt.fock_dm(2, 0)] * (n + 1)), times,
                     [np.sqrt(gamma) * op(sm, 0).dag() * op(sm, 0)], options=QOPTS).states
    levels = np.sort([bin(b).count("1") for b in range(2**n)])  # explicit 2^N spectrum
    e = np.array([qt.expect(hb, s) for s in res])
    w = np.array([ei - np.sort(np.linalg.eigvalsh(s.ptrace(list(range(1, n + 1))).full()))[::-1] @ levels
                  for ei, s in zip(e, res)])
    ours = star_charging(n, 1.0, F, gamma, times, ergotropy_every=2)
    np.testing.assert_allclose(ours.battery_energy, e, atol=1e-8)
    np.testing.assert_allclose(ours.battery_ergotropy[::2], w[::2], atol=1e-8)
    assert np.all(np.isnan(ours.battery_ergotropy[1::2]))


def test_long_time_equals_long_qutip_run():
    H, rho0, c_ops, hb = qutip_symmetric_star(3, 1.0, 0.9, 1.0)
    final = qt.mesolve(H, rho0, [0, 1000, 2000], c_ops, options=QOPTS).states[-1]
    lt = star_long_time(3, 1.0, 0.9, 1.0)
    assert lt.battery_energy == pytest.approx(qt.expect(hb, final), abs=1e-8)
    pops = np.linalg.eigvalsh(final.ptrace(1).full())
    assert lt.battery_ergotropy == pytest.approx(qt.expect(hb, final) - passive(pops, 3), abs=1e-8)
    assert lt.slow_weight == 0.0 and lt.slowest_rate > 1e-3


@pytest.mark.parametrize("n", [1, 2, 5, 64, 333, 1000])
@pytest.mark.parametrize("F", [0.2, 0.5, 10.0])
def test_long_time_energy_is_half_filling(n, F):
    """R21: E_B(inf) = N w_B / 2 (the chain is mirror symmetric under k -> N-k, e <-> g, which
    maps H_B to N - H_B and keeps the dephasing)."""
    lt = star_long_time(n, 1.0, F, 1.0, omega_b=0.7)
    assert lt.battery_energy == pytest.approx(0.7 * n / 2, rel=1e-11)
    assert np.trace(lt.battery_state) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("n,ratio,x_opt", [(1, 0.5000, 0.50), (2, 0.6244, 0.73), (3, 0.6927, 0.94)])
def test_r22_maximal_steady_ergotropy_fraction(n, ratio, x_opt):
    best = minimize_scalar(lambda x: -star_long_time(n, 1.0, x, 1.0).battery_ergotropy / (n / 2),
                           bounds=(0.2, 2.0), method="bounded", options={"xatol": 1e-5})
    assert -best.fun == pytest.approx(ratio, abs=5e-5)
    assert best.x == pytest.approx(x_opt, abs=0.01)


@pytest.mark.parametrize("F", [10.0, 0.5, 0.2])
def test_asymptotic_freedom_up_to_1000(F):
    """R25-R26: ergotropy/E_B = 1 - a/N with 2 delta <= a <= 4, E_B - ergotropy <= 2 w_B."""
    ns = np.array([10, 30, 100, 300, 1000])
    a, lts = [], [star_long_time(n, 1.0, F, 1.0) for n in ns]
    for n, lt in zip(ns, lts):
        a.append(n * (1 - lt.battery_ergotropy / lt.battery_energy))
        delta = 1 - lt.largest_eigenvalue
        assert lt.battery_energy - lt.battery_ergotropy <= 2.0
        assert 2 * delta - 1e-9 <= a[-1] <= 4.0
    a = np.array(a)
    fit = np.sum(a / ns**2) / np.sum(1 / ns**2)  # least squares of 1 - W/E = a / N
    assert 0 < fit <= 4
    assert np.all(1 - np.array([lt.battery_ergotropy / lt.battery_energy for lt in lts]) <= 4 / ns)


def test_n_1000_curve_and_long_time():
    """N = 1000 runs (its speed: benchmarks/reference_manybody.py part 2) and is physical."""
    curve = star_charging(1000, 1.0, 10.0, 1.0, np.linspace(0, 10, 500))
    lt = star_long_time(1000, 1.0, 10.0, 1.0)
    assert np.all(np.isfinite(curve.battery_ergotropy)) and lt.battery_energy == pytest.approx(500)
    assert np.all(curve.battery_ergotropy <= curve.battery_energy + 1e-9)


@pytest.mark.parametrize("kwargs,name", [
    (dict(n_batteries=0), "n_batteries"), (dict(g=0.0), "g"), (dict(gamma_c=-1.0), "gamma_c"),
    (dict(omega_b=0.0), "omega_b"), (dict(ergotropy_every=-1), "ergotropy_every"),
    (dict(times=[1.0, 0.5]), "times")])
def test_input_errors_name_the_argument(kwargs, name):
    args = dict(n_batteries=3, g=1.0, F=0.5, gamma_c=1.0, times=[0.0, 1.0]) | kwargs
    with pytest.raises(ValueError, match=name):
        star_charging(**args)


def test_long_time_needs_dephasing():
    with pytest.raises(ValueError, match="gamma_c"):
        star_long_time(3, 1.0, 0.5, 0.0)
