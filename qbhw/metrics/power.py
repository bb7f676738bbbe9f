"""Power and charging time from a sampled energy curve E(t) (hbar = 1).

``times`` must be a finite, strictly increasing 1-D array; ``energy`` a finite real
array of the same length.  Power is in units of energy / time.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as _v

__all__ = ["instantaneous_power", "average_power", "max_average_power", "charging_time"]


def instantaneous_power(times, energy) -> np.ndarray:
    """``P(t) = dE/dt`` (S3 Eq. 10) by second-order finite differences.

    ``numpy.gradient`` with the sample times (non-uniform grids allowed); second-order
    one-sided differences at the ends when there are >= 3 samples, first order for 2.
    """
    t, e = _v.time_series(times, energy)
    return np.gradient(e, t, edge_order=2 if t.size >= 3 else 1)


def average_power(times, energy) -> np.ndarray:
    """``<P>(t) = (E(t) - E(t0)) / (t - t0)`` (S3 Eq. 11); ``nan`` at ``t0``."""
    t, e = _v.time_series(times, energy)
    out = np.full(t.shape, np.nan)
    out[1:] = (e[1:] - e[0]) / (t[1:] - t[0])
    return out


def max_average_power(times, energy) -> tuple[float, float]:
    """Maximum over samples t > t0 of :func:`average_power` and the time it is reached.

    When the best sample is interior (both neighbours have t > t0) the maximum and its
    time are refined by the parabola through the three samples around it.  Returns
    ``(max_power, time)``.
    """
    t, e = _v.time_series(times, energy)
    p = average_power(t, e)
    j = int(np.argmax(p[1:])) + 1
    best_p, best_t = float(p[j]), float(t[j])
    if 2 <= j <= t.size - 2:
        h1, h2 = t[j] - t[j - 1], t[j + 1] - t[j]
        s1 = (p[j] - p[j - 1]) / h1
        s2 = (p[j + 1] - p[j]) / h2
        a = (s2 - s1) / (h1 + h2)  # p ~ p[j] + b x + a x^2, x = t - t[j]
        b = s2 - a * h2
        if a < 0:
            x = -b / (2 * a)
            if -h1 <= x <= h2:
                best_t = float(t[j] + x)
                best_p = float(p[j] - b * b / (4 * a))
    return best_p, best_t


def charging_time(times, energy, n: float = 1, e_inf=None) -> float:
    """Charging time tau_n (DESIGN.md): the time after which E stays close to E_inf.

    With ``d(t) = |(E(t) - E_inf) / (E(t0) - E_inf)|``, tau is the time after which d
    stays <= e^{-n}: the LAST downward crossing of e^{-n}, located by linear
    interpolation of d between the two samples around it.  ``e_inf`` defaults to the
    last sample.  Returns ``np.inf`` when the last sample still has d > e^{-n} (not
    settled within the data).  ``n`` (> 0) is the number of e-foldings, not a photon or
    cell number.

    Raises ``ValueError`` if ``E(t0) == E_inf`` (within 1e-12 relative).
    """
    t, e = _v.time_series(times, energy)
    n = _v.positive_real(n, "n")
    if e_inf is None:
        e_inf = float(e[-1])
    else:
        e_inf = _v.real_vector([e_inf], "e_inf")[0]
    span = e[0] - e_inf
    scale = max(float(np.max(np.abs(e))), abs(e_inf))
    if abs(span) <= 1e-12 * scale:
        raise ValueError(
            "energy at times[0] equals e_inf (within 1e-12 relative): the normalised "
            "deviation is undefined; e_inf must differ from energy[0]"
        )
    dev = np.abs((e - e_inf) / span)
    thr = math.exp(-n)
    if dev[-1] > thr:
        return math.inf
    i = int(np.flatnonzero(dev > thr)[-1])  # exists: dev[0] = 1 > e^{-n}
    frac = (dev[i] - thr) / (dev[i] - dev[i + 1])
    return float(t[i] + frac * (t[i + 1] - t[i]))
