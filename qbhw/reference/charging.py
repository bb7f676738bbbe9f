"""Exact charging time of a model: E_B(t) on a grid fine enough and long enough to find the
last time the normalised deviation |E_B(t) - E_B(inf)| / |E_B(0) - E_B(inf)| exceeds e^{-n}.

E_B(t) = c . vec(rho(t)) is linear in the state, so on a uniform grid
E_B(t_{mB+j}) = (c P^j) . (P^B)^m v0 with P = expm(L dt): two small matrix products per
block of B samples instead of one state per sample.  That makes the millions of samples that
weak dephasing needs (slow decay ~ gamma/4, fast oscillation ~ F, g) cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la

from ..metrics import charging_time
from ..models import Model
from .liouvillian import liouvillian
from .solve import DENSE_LIMIT, _jumps, _static_generator, steady_state

_BLOCK = 512


@dataclass(frozen=True, eq=False)
class ChargingTime:
    """tau (last crossing of e^{-n}), the long-time energy it was measured against, the
    Liouvillian rates, and the sampled curve it came from."""

    tau: float
    n: float
    e_inf: float
    relaxation_rate: float
    energy_relaxation_rate: float
    times: np.ndarray
    battery_energy: np.ndarray


def battery_energy_functional(model: Model) -> np.ndarray:
    """Row vector c with E_B = c . rho.reshape(-1) (frame independent: H_B commutes with N)."""
    d = model.dimension
    basis = np.eye(d * d, dtype=complex).reshape(d * d, d, d)
    rho_b = model.reduce(basis, "battery")
    return np.einsum("kij,ji->k", rho_b, np.asarray(model.h_battery))


def battery_energy_series(model: Model, dt: float, num: int) -> np.ndarray:
    """E_B at t = 0, dt, ..., (num-1) dt, for a model with a time-independent generator; with
    recharge events (Model.recharge_times), piecewise: the semigroup from the state after each."""
    h, _ = _static_generator(model)
    if h is None or model.dimension > DENSE_LIMIT:
        raise ValueError("battery_energy_series needs a time-independent model of Hilbert dimension "
                         f"<= {DENSE_LIMIT}")
    lv = liouvillian(h, _jumps(model))
    step = la.expm(lv * dt)
    c = battery_energy_functional(model)
    times = dt * np.arange(num)
    out = np.empty(num)
    v, begin, first = np.asarray(model.rho0).reshape(-1).astype(complex), 0.0, 0
    d = model.dimension
    for end in [*(e for e in model.recharge_times if e < times[-1]), np.inf]:
        last = int(np.searchsorted(times, end, side="right"))  # grid points up to the event (states before it)
        if last > first:
            out[first:last] = _series(c, step, la.expm(lv * (times[first] - begin)) @ v, last - first)
        if np.isfinite(end):
            v = model.recharged((la.expm(lv * (end - begin)) @ v).reshape(d, d)).reshape(-1)
            begin, first = end, last
    return out


def _series(c: np.ndarray, step: np.ndarray, v: np.ndarray, num: int) -> np.ndarray:
    """c . step^j v for j = 0..num-1, in blocks of _BLOCK samples."""
    rows = np.empty((_BLOCK, c.size), dtype=complex)  # rows[j] = c P^j
    rows[0] = c
    for j in range(1, _BLOCK):
        rows[j] = rows[j - 1] @ step
    jump = np.linalg.matrix_power(step, _BLOCK)
    n_blocks = -(-num // _BLOCK)
    starts = np.empty((c.size, n_blocks), dtype=complex)  # column m = (P^B)^m v0
    for m in range(n_blocks):
        starts[:, m] = v
        v = jump @ v
    return (rows @ starts).real.T.reshape(-1)[:num]


def exact_charging_time(model: Model, n: float = 1.0, *, max_points: int = 2_000_000) -> ChargingTime:
    """Charging time tau(n) of ``model`` from its initial state, against E_B(inf) from
    ``steady_state``.  The window is grown until E_B has settled; the step resolves the
    fastest Bohr frequency of the generator (16 samples per period) within ``max_points``."""
    ss = steady_state(model)
    rate = ss.energy_relaxation_rate if np.isfinite(ss.energy_relaxation_rate) else ss.relaxation_rate
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"model {model.name!r} does not relax: no charging time")
    h, _ = _static_generator(model)
    spread = float(np.ptp(np.linalg.eigvalsh(h))) or 1.0
    t_max = (n + 6.0) / rate
    for _ in range(6):
        dt = min(np.pi / (8.0 * spread), t_max / 2000.0)
        num = int(np.ceil(t_max / dt)) + 1
        if num > max_points:
            dt, num = t_max / (max_points - 1), max_points
        e = battery_energy_series(model, dt, num)
        times = dt * np.arange(num)
        tau = charging_time(times, e, n=n, e_inf=ss.battery_energy)
        if np.isfinite(tau) and tau < 0.8 * times[-1]:
            return ChargingTime(tau, n, ss.battery_energy, ss.relaxation_rate, ss.energy_relaxation_rate,
                                times, e)
        t_max *= 2.0
    raise RuntimeError(f"E_B did not settle within t = {t_max:g}; charging time not resolved")
