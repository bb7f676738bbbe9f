"""Figures of merit of one charging curve, measured or exact (hbar = 1; energies in the units of
H_B, times in 1/omega_B).  One pure function, applied alike to the measured curve, to each of
its bootstrap resamples (which gives the intervals, :func:`qbhw.analysis.figures_of_merit`) and
to the exact curve at the same times (the value the measurement estimates):

    charging_time            tau_n (DESIGN.md) of E_B(t) against E_inf (the mean of E_B over the
                             late points, or a stated value such as a model's steady state): the
                             time after which d(t) = |E_B(t) - E_inf| / |E_B(t0) - E_inf| stays
                             <= e^-n, where a later excursion of d above e^-n counts only when it
                             exceeds e^-n by more than SIGNIFICANCE standard errors of d (from
                             ``energy_err``; without errors this is exactly DESIGN.md's tau,
                             :func:`.power.charging_time`).  Shot noise on the settled part of a
                             measured curve would otherwise push tau to the last noisy excursion;
                             inf when the curve has not settled within the data
    max_average_power        max over t > t0 of <P>(t) = (E_B(t) - E_B(t0)) / (t - t0): the vertex
                             of the least-squares parabola through the 2 PEAK_HALF_WIDTH + 1
                             samples of <P> around the best one (the best sample where that
                             parabola has no maximum among them), and its time.  On a measured
                             curve the maximum of noisy samples (or a parabola through three)
                             is biased upwards: TLS pair, 20 realizations x 100 shots, mean
                             0.147 against the exact curve's 0.1409 on the same 21 times; the
                             5-point fit gives 0.1408
    late_ergotropy_ratio     sum W / sum E_B over the late points (the steady-state ratio of a
                             curve that has settled)

The late points are the last ``late`` samples (default: the last fifth of the curve, at least 2).
"""

from __future__ import annotations

import math

import numpy as np

from .power import average_power

__all__ = ["FIGURES", "SIGNIFICANCE", "PEAK_HALF_WIDTH", "late_count", "settling_time", "peak_average_power",
           "curve_figures"]

#: samples on each side of the best one in the fit of the maximum average power
PEAK_HALF_WIDTH = 2

#: standard errors by which a late excursion must leave the band to move the charging time
SIGNIFICANCE = 2.0

FIGURES = ("charging_time", "max_average_power", "max_average_power_time", "late_ergotropy_ratio")


def late_count(n_times: int) -> int:
    """Default number of late points: the last fifth of ``n_times`` samples, at least 2 (or all)."""
    return min(n_times, max(2, math.ceil(n_times / 5)))


def settling_time(times, energy, e_inf: float, *, n: float = 1.0, energy_err=None) -> float:
    """The charging time of the module doc: the first downward crossing of e^-n by d(t) after the
    last sample whose d exceeds e^-n by more than SIGNIFICANCE * (its standard error), linearly
    interpolated; nan if E_B(t0) == E_inf, inf if d does not come back below e^-n."""
    t, e = np.asarray(times, dtype=float), np.asarray(energy, dtype=float)
    span = e[0] - e_inf
    if abs(span) <= 1e-12 * max(float(np.abs(e).max()), abs(e_inf)):
        return math.nan
    dev = np.abs((e - e_inf) / span)
    err = np.zeros_like(dev) if energy_err is None else np.asarray(energy_err, dtype=float) / abs(span)
    thr = math.exp(-n)
    outside = dev > thr + SIGNIFICANCE * err
    outside[0] = True  # d(t0) = 1 by definition
    last = int(np.flatnonzero(outside)[-1])
    back = np.flatnonzero(dev[last + 1:] <= thr)
    if back.size == 0:
        return math.inf
    k = last + 1 + int(back[0])
    frac = (dev[k - 1] - thr) / (dev[k - 1] - dev[k])
    return float(t[k - 1] + frac * (t[k] - t[k - 1]))


def peak_average_power(times, energy, half_width: int = PEAK_HALF_WIDTH) -> tuple[float, float]:
    """(maximum average power, its time) of the module doc."""
    t = np.asarray(times, dtype=float)
    p = average_power(t, energy)
    j = int(np.argmax(p[1:])) + 1
    lo, hi = max(1, j - half_width), min(t.size, j + half_width + 1)
    if hi - lo >= 3:
        x = t[lo:hi] - t[j]
        a, b, c = np.polyfit(x, p[lo:hi], 2)
        if a < 0 and x[0] <= -b / (2 * a) <= x[-1]:
            return float(c - b * b / (4 * a)), float(t[j] - b / (2 * a))
    return float(p[j]), float(t[j])


def curve_figures(times, energy, ergotropy, *, n: float = 1.0, e_inf: float | None = None,
                  late: int | None = None, energy_err=None) -> dict[str, float]:
    """{name: value} for FIGURES (module doc) of the curve E_B(``times``), W(``times``), with the
    standard errors ``energy_err`` of E_B (None: exact curve); nan where a figure is undefined
    (E_inf equal to E_B(t0): no charging to time; no late energy)."""
    t, e, w = (np.asarray(x, dtype=float) for x in (times, energy, ergotropy))
    k = late_count(t.size) if late is None else int(late)
    target = float(e[-k:].mean()) if e_inf is None else float(e_inf)
    tau = settling_time(t, e, target, n=n, energy_err=energy_err)
    power, power_time = peak_average_power(t, e)
    late_energy = e[-k:].sum()
    ratio = float(w[-k:].sum() / late_energy) if late_energy > 0 else math.nan
    return {"charging_time": tau, "max_average_power": power, "max_average_power_time": power_time,
            "late_ergotropy_ratio": ratio}
