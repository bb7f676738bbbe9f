"""Power and charging time on closed-form curves (independent references: the
analytic curves, their derivatives and roots found with scipy brentq)."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from qbhw.metrics import average_power, charging_time, instantaneous_power, max_average_power


# ---------------------------------------------------------------- instantaneous / average


def nonuniform_grid(t_end, n, rng):
    steps = rng.uniform(0.5, 1.5, size=n - 1)
    return np.concatenate([[0.0], np.cumsum(steps)]) * t_end / steps.sum()


def test_instantaneous_power_second_order_on_nonuniform_grid():
    # E = sin t, P = cos t. Second-order differences (also at the ends): halving the
    # step cuts the maximum error by ~4.
    rng = np.random.default_rng(0)
    errs = []
    for n in (201, 401, 801):
        # same relative structure refined: a fixed random pattern repeated
        t = np.linspace(0, 3, n) + 0.2 * (3 / (n - 1)) * np.tile([0, 1], n)[:n] * (np.arange(n) % (n - 1) != 0)
        p = instantaneous_power(t, np.sin(t))
        errs.append(np.max(np.abs(p - np.cos(t))))
    assert errs[-1] < 2e-5
    assert 3.0 < errs[0] / errs[1] < 5.0 and 3.0 < errs[1] / errs[2] < 5.0
    t = nonuniform_grid(2.0, 2000, rng)
    np.testing.assert_allclose(instantaneous_power(t, np.sin(t)), np.cos(t), atol=1e-5)
    # exact for a quadratic, ends included
    np.testing.assert_allclose(instantaneous_power(t, 3 * t**2 - t), 6 * t - 1, atol=1e-9)


def test_instantaneous_power_two_samples():
    np.testing.assert_allclose(instantaneous_power([0.0, 2.0], [1.0, 2.0]), [0.5, 0.5])


def test_average_power_closed_form():
    # E = t^2 + 5: (E(t) - E(0))/t = t, nan at t0
    t = np.array([0.0, 0.1, 0.7, 1.5, 4.0])
    p = average_power(t, t**2 + 5)
    assert np.isnan(p[0])
    np.testing.assert_allclose(p[1:], t[1:], rtol=1e-12)
    # t0 != 0
    t = np.linspace(2.0, 5.0, 7)
    np.testing.assert_allclose(average_power(t, 3 * t)[1:], 3.0, rtol=1e-12)


def test_max_average_power_sin_squared():
    # E = sin^2 t: <P>(t) = sin^2(t)/t, maximal where 2 t cos t = sin t, i.e. tan t = 2t.
    t_star = brentq(lambda t: math.tan(t) - 2 * t, 0.5, 1.4, xtol=1e-15)
    p_star = math.sin(t_star) ** 2 / t_star
    t = np.linspace(0, 3, 3001)
    p, tm = max_average_power(t, np.sin(t) ** 2)
    assert tm == pytest.approx(t_star, abs=1e-6)
    assert p == pytest.approx(p_star, abs=1e-9)
    # coarse grid: the parabola refinement beats the best sample by far
    t = np.linspace(0, 3, 61)
    p, tm = max_average_power(t, np.sin(t) ** 2)
    best_sample = np.max(np.sin(t[1:]) ** 2 / t[1:])
    assert abs(p - p_star) < 0.1 * abs(best_sample - p_star)
    assert tm == pytest.approx(t_star, abs=2e-3)
    # non-uniform grid
    t = nonuniform_grid(3.0, 3000, np.random.default_rng(1))
    p, tm = max_average_power(t, np.sin(t) ** 2)
    assert tm == pytest.approx(t_star, abs=1e-5)
    assert p == pytest.approx(p_star, abs=1e-9)


def test_max_average_power_at_boundaries_is_not_refined():
    t = np.array([0.0, 0.5, 1.0, 2.0])
    # E = t^2: <P> = t grows, maximum at the last sample
    assert max_average_power(t, t**2) == (2.0, 2.0)
    # E = t - t^2: <P> = 1 - t, maximum at the first sample after t0
    p, tm = max_average_power(t, t - t**2)
    assert (p, tm) == (pytest.approx(0.5), 0.5)


# ---------------------------------------------------------------- charging time


@pytest.mark.parametrize("n", [1, 2])
def test_charging_time_exponential(n):
    # E = 1 - exp(-t/T): d(t) = exp(-t/T) (e_inf = 1), so tau_n = n T.
    T = 0.7
    t = np.arange(0, 40 * T, 0.01 * T)
    e = 1 - np.exp(-t / T)  # last sample = 1 - e^{-40}: default e_inf
    assert charging_time(t, e, n=n) == pytest.approx(n * T, rel=1e-4)
    assert charging_time(t, e, n=n, e_inf=1.0) == pytest.approx(n * T, rel=1e-4)
    # reversed sign (discharging) and offset: same tau
    assert charging_time(t, 3 + 2 * np.exp(-t / T), n=n, e_inf=3.0) == pytest.approx(n * T, rel=1e-4)


def test_charging_time_non_integer_n_and_t0():
    T = 1.3
    t = np.arange(2.0, 2.0 + 30 * T, 0.005 * T)
    e = 1 - np.exp(-(t - 2.0) / T)
    assert charging_time(t, e, n=0.5, e_inf=1.0) == pytest.approx(2.0 + 0.5 * T, rel=1e-5)


def test_charging_time_e_inf_argument_and_unsettled():
    T = 1.0
    t = np.arange(0, 3 * T + 1e-12, 0.01)
    e = 1 - np.exp(-t / T)
    # with the true asymptote d(3T) = e^{-3} < e^{-2}: tau_2 = 2T
    assert charging_time(t, e, n=2, e_inf=1.0) == pytest.approx(2 * T, rel=1e-4)
    # the default e_inf = E(3T) changes the answer: d = (e^{-t} - e^{-3})/(1 - e^{-3})
    ref = -math.log(math.exp(-2) * (1 - math.exp(-3)) + math.exp(-3))
    assert charging_time(t, e, n=2) == pytest.approx(ref, rel=1e-4)
    # not settled inside the data: d(3T) = e^{-3} > e^{-4}
    assert charging_time(t, e, n=4, e_inf=1.0) == math.inf
    # exactly on the threshold at the last sample counts as settled
    assert charging_time([0.0, 1.0], [0.0, 1 - math.exp(-1)], n=1, e_inf=1.0) == 1.0


def test_charging_time_damped_oscillation_uses_last_crossing():
    # E = 1 - exp(-g t) cos(w t), e_inf = 1: d(t) = exp(-g t)|cos(w t)|.
    g, w, n = 0.1, 2.0, 1
    thr = math.exp(-n)
    # Lobe maxima of exp(-g t) cos(w t): tan(w t) = -g/w  ->  w t_k = k pi - atan(g/w).
    ks = np.arange(1, 100)
    tk = (ks * math.pi - math.atan(g / w)) / w
    peaks = np.exp(-g * tk) * np.abs(np.cos(w * tk))
    k_last = ks[np.flatnonzero(peaks > thr)[-1]]
    t_peak = (k_last * math.pi - math.atan(g / w)) / w
    t_zero = (k_last + 0.5) * math.pi / w
    sign = np.sign(math.cos(w * t_peak))
    last = brentq(lambda s: math.exp(-g * s) * sign * math.cos(w * s) - thr, t_peak, t_zero, xtol=1e-14)
    first = brentq(lambda s: math.exp(-g * s) * math.cos(w * s) - thr, 0, math.pi / (2 * w), xtol=1e-14)
    assert last > 5 * first  # the two definitions really differ here
    t = np.arange(0, 80, 1e-3)
    e = 1 - np.exp(-g * t) * np.cos(w * t)
    assert charging_time(t, e, n=n, e_inf=1.0) == pytest.approx(last, rel=1e-6)
