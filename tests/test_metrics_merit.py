"""Figures of merit of one charging curve (qbhw.metrics.merit) against closed forms and the
DESIGN.md charging time."""

import math

import numpy as np
import pytest

from qbhw.metrics import charging_time
from qbhw.metrics.merit import SIGNIFICANCE, curve_figures, late_count, peak_average_power, settling_time


def test_settling_time_of_an_exponential_charge_is_n_over_the_rate():
    # E = 1 - exp(-r t): d(t) = exp(-r t) crosses e^-n at t = n / r exactly
    t = np.linspace(0, 10, 2001)
    for n, r in ((1, 0.7), (2, 1.3)):
        assert settling_time(t, 1 - np.exp(-r * t), 1.0, n=n) == pytest.approx(n / r, abs=1e-4)


def test_without_errors_it_is_the_design_charging_time_of_an_oscillating_curve():
    # underdamped: d(t) = e^{-t/4} |cos 2t| re-crosses e^-1 several times; both take the last crossing
    t = np.linspace(0, 12, 600)
    e = 1 - np.exp(-t / 4) * np.cos(2 * t)
    assert settling_time(t, e, 1.0) == pytest.approx(charging_time(t, e, n=1, e_inf=1.0), abs=1e-12)


def test_only_a_significant_late_excursion_moves_the_charging_time():
    t = np.linspace(0, 10, 21)
    e = 1 - np.exp(-t)
    e_settled = settling_time(t, e, 1.0)
    bumped = e.copy()
    bumped[16] = 1 - 0.5  # d = 0.5 > e^-1 = 0.368 at t = 8
    err = np.full(t.size, 0.01)
    assert settling_time(t, bumped, 1.0, energy_err=err) > 8.0  # 13 standard errors out: counts
    err[16] = (0.5 - math.exp(-1)) / SIGNIFICANCE + 1e-3  # inside the band of 2 standard errors
    assert settling_time(t, bumped, 1.0, energy_err=err) == pytest.approx(e_settled)
    unsettled = e.copy()
    unsettled[-1] = 0.3
    assert settling_time(t, unsettled, 1.0) == math.inf


def test_curve_figures_closed_forms():
    t = np.linspace(0, 10, 21)
    e = 0.5 * (1 - np.exp(-t))
    w = 0.25 * (1 - np.exp(-t)) ** 2
    f = curve_figures(t, e, w, late=4)
    late = slice(-4, None)
    assert f["late_ergotropy_ratio"] == pytest.approx(w[late].sum() / e[late].sum(), rel=1e-12)
    assert f["charging_time"] == pytest.approx(settling_time(t, e, e[late].mean()))
    # (E(t) - E(0)) / t is largest at the first sample for a concave charge
    assert f["max_average_power"] == pytest.approx(e[1] / t[1], rel=1e-12) and f["max_average_power_time"] == t[1]
    assert late_count(21) == 5 and late_count(3) == 2 and late_count(1) == 1
    assert math.isnan(curve_figures(t, np.zeros_like(t), np.zeros_like(t))["charging_time"])


def test_peak_average_power_is_the_vertex_of_a_quadratic_power_curve():
    # E(t) = t (c - (t - t*)^2): <P>(t) = c - (t - t*)^2 exactly, peak c at t* between samples
    t = np.linspace(0, 10, 21)
    c, t_star = 0.3, 2.63
    power, when = peak_average_power(t, t * (c - (t - t_star) ** 2))
    assert power == pytest.approx(c, abs=1e-12) and when == pytest.approx(t_star, abs=1e-12)


def test_symmetric_figure_interval_of_a_shot_bootstrap_is_normal():
    """One realization (a deterministic program, bootstrap over shots): value +- 1.96 sigma, not
    the Student-t of zero degrees of freedom (12.7 sigma at 1 dof, as before)."""
    from qbhw.analysis import figure_interval

    samples = np.random.default_rng(0).normal(1.0, 0.1, 4000)
    low, high = figure_interval("max_average_power", 1.0, samples, 1, 10.0)["ci95"]
    sigma = samples.std(ddof=1)
    assert high - 1.0 == pytest.approx(1.959964 * sigma, rel=1e-6) and 1.0 - low == pytest.approx(1.959964 * sigma, rel=1e-6)
