"""Closed-form solution of the resonant star (physics.md M4) for any number of batteries.

Model (rotating frame at w_d = w_C = w_B, which leaves E_B and the ergotropy unchanged):

    H = F X_C + g (sigma_C^+ S^- + sigma_C^- S^+),   L = n_C at rate gamma_c,
    rho(0) = |g>_C |k = 0>_B,

batteries in the symmetric (Dicke) sector |k> (k excitations, S^+|k> = sqrt((k+1)(N-k))|k+1>).

Method.  Split the 2(N+1)-dimensional space by the dephased projector P = n_C: H is block
off-diagonal, H = [[0, V], [V^T, 0]] with V = <e,k|H|g,k'> = F 1 + g S^- (real bidiagonal).
With the SVD V = U diag(s) W^T, the basis {(u_k, 0), (0, w_k)} turns H into a direct sum of
2x2 blocks s_k X and keeps P diagonal, so the Lindblad equation decouples into 2x2 blocks
rho_kl.  Each block further splits by the symmetry X (x) X into two scalar pairs, giving, for the
all-ground initial state (only the (0, w)-(0, w) components are nonzero at t = 0),

    rho_ee[k, l](t) = w0_k w0_l (f(s_k - s_l, t) - f(s_k + s_l, t)) / 2     (charger excited)
    rho_gg[k, l](t) = w0_k w0_l (f(s_k - s_l, t) + f(s_k + s_l, t)) / 2     (charger ground)
    f(x, t) = exp(-gamma t/4) [cosh(q t) + (gamma/4) sinh(q t)/q],  q = sqrt(gamma^2/16 - x^2),

w0_k = W[0, k], and the battery state rho_B = U rho_ee U^T + W rho_gg W^T (real symmetric).
Cost: one SVD of an (N+1)-square matrix plus O(N^2) per time point for E_B; the ergotropy needs
rho_B's spectrum, O(N^3) per time point (about 0.3 s at N = 1000), hence ``ergotropy_every``.

Long-time limit: f(0, t) = 1 and f(x, t) -> 0 for x != 0 and gamma > 0, so (distinct s_k)
rho_B(inf) = sum_k (w0_k^2 / 2)(u_k u_k^T + w_k w_k^T): the projection onto the commutant of
{H, P} (``unital.py`` does it for any such model; both share its singular-pair basis).  The slowest decaying term relaxes at
rate(x) = gamma/4 - Re q(x) ~ 2 x^2 / gamma for x << gamma with x = 2 s_min or the smallest
gap between singular values; at large N and F/g = 10 this is astronomically slow (s_min is
exponentially small), so the limit is then a mathematical t -> inf (or infinite-time average)
statement.  ``LongTime.slowest_rate`` and ``LongTime.slow_weight`` say how much it matters.
Energies in units of omega_b (hbar = 1); rates and times in the units of g.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..metrics import passive_energy
from ..models import validate as check
from .unital import singular_pairs


@dataclass(frozen=True, eq=False)
class StarCurve:
    """Charging curve of the resonant star from all-ground.  ``battery_ergotropy`` is nan at
    the time points skipped by ``ergotropy_every``."""

    n_batteries: int
    times: np.ndarray
    battery_energy: np.ndarray
    battery_ergotropy: np.ndarray
    charger_excited: np.ndarray  # <n_C>(t)


@dataclass(frozen=True, eq=False)
class LongTime:
    """t -> inf limit from all-ground.  ``battery_state``: (N+1)x(N+1) in the Dicke basis |k>.
    ``slowest_rate``: smallest nonzero decay rate of the terms present in rho_B(t) (1/time);
    ``slow_weight``: population w0_k^2 of the pair(s) relaxing slower than 1e-6 * gamma_c, i.e.
    how far the state at any resolvable time can be from this limit (0 = irrelevant)."""

    n_batteries: int
    battery_energy: float
    battery_ergotropy: float
    battery_state: np.ndarray
    largest_eigenvalue: float  # r_1 of rho_B: delta = 1 - r_1 (physics.md R26)
    slowest_rate: float
    slow_weight: float


def _check(n_batteries, g, F, gamma_c, omega_b):
    n = check.integer("n_batteries", n_batteries, 1)
    g, F = check.coupling_and_drive(g, F)
    return n, g, F, check.nonnegative("gamma_c", gamma_c), check.positive("omega_b", omega_b)


def _pairs(n: int, g: float, F: float, cutoff: float = 1e-15):
    """Singular triplets (u_k, s_k, w_k) of V = F 1 + g S^- that the initial state touches
    (V is mirror symmetric: :func:`qbhw.reference.unital.singular_pairs` separates its nearly
    paired singular values).  Only pairs with |w_k[0]| > cutoff * max|w[0]| are returned:
    smaller components are below the eigenvectors' accuracy and contribute nothing the
    computation could resolve."""
    k = np.arange(n)
    u, s, w = singular_pairs(F * np.eye(n + 1) + g * np.diag(np.sqrt((k + 1.0) * (n - k)), 1))
    keep = np.abs(w[0]) > cutoff * np.abs(w[0]).max()
    return u[:, keep], s[keep], w[:, keep]


@np.errstate(over="ignore", invalid="ignore")
def _f(x: np.ndarray, t: float, gamma: float) -> np.ndarray:
    """exp(-gamma t/4)[cosh(qt) + (gamma/4) sinh(qt)/q], q^2 = gamma^2/16 - x^2 (real result)."""
    q2 = gamma * gamma / 16.0 - x * x
    q = np.sqrt(np.abs(q2))
    z = q * t
    small = z < 1e-4
    zs = np.where(small, 1.0, z)
    # sinh(qt)/q and cosh(qt) for real q (q2 >= 0) or q = i|q| (q2 < 0)
    sinh_over_q = np.where(q2 >= 0, np.sinh(zs), np.sin(zs)) / np.where(small, 1.0, q)
    sinh_over_q = np.where(small, t * (1.0 + np.sign(q2) * z * z / 6.0), sinh_over_q)
    cosh = np.where(q2 >= 0, np.cosh(np.minimum(z, 700.0)), np.cos(z))
    if gamma > 0:  # combine the growth e^{qt} with the decay e^{-gamma t/4} without overflow
        grow = q2 >= 0
        e = np.exp(-gamma * t / 4.0)
        out = e * (cosh + gamma / 4.0 * sinh_over_q)
        big = grow & (z > 30.0)
        if big.any():
            qb = q[big]
            out[big] = 0.5 * np.exp((qb - gamma / 4.0) * t) * (1.0 + gamma / (4.0 * qb))
        return out
    return cosh


def _levels(n: int, omega_b: float, n_pops: int):
    """The lowest levels of the full 2^N spectrum (energy omega_b k, multiplicity C(N, k))
    that can hold n_pops populations: enough for the passive energy."""
    k, held = 0, 0
    while held < n_pops and k <= n:
        held += comb(n, k)
        k += 1
    return omega_b * np.arange(k, dtype=float), [comb(n, j) for j in range(k)]


def _rate(x, gamma: float):
    """Decay rate of f(x, t): gamma/4 - Re q (0 for x = 0)."""
    return gamma / 4.0 - np.sqrt(np.maximum(gamma**2 / 16.0 - np.asarray(x) ** 2, 0.0))


class _Spectrum:
    """Nonzero spectrum of rho_B = Q M Q^T, Q = [U_S, W_S] fixed, M = diag(rho_ee, rho_gg):
    the eigenvalues of G^1/2 M G^1/2 with G = Q^T Q (2m x 2m instead of (N+1) x (N+1))."""

    def __init__(self, u, w):
        q = np.hstack([u, w])
        self.rank = min(q.shape)
        self.q, self.root = q, None
        if q.shape[1] < q.shape[0]:  # fewer kept pairs than levels: the small Gram form
            ev, vec = np.linalg.eigh(q.T @ q)
            self.root = (vec * np.sqrt(np.clip(ev, 0.0, None))) @ vec.T

    def __call__(self, rho_ee, rho_gg):
        m = rho_ee.shape[0]
        big = np.zeros((2 * m, 2 * m))
        big[:m, :m], big[m:, m:] = rho_ee, rho_gg
        ev = np.linalg.eigvalsh(self.root @ big @ self.root) if self.root is not None else \
            np.linalg.eigvalsh(self.q @ big @ self.q.T)
        return ev[-self.rank:]  # rank(rho_B) <= N + 1: the rest are rounding-level zeros


def _ergotropy(pops, e: float, levels) -> float:
    return max(0.0, e - passive_energy(pops, *levels))


def star_charging(n_batteries, g, F, gamma_c, times, *, omega_b=1.0, ergotropy_every=1) -> StarCurve:
    """E_B(t), ergotropy(t) (over the full 2^N battery spectrum) and <n_C>(t) of the resonant
    star from all-ground, exactly (module docstring).  times: strictly increasing, >= 0, in
    the inverse units of g.  ergotropy_every: compute the ergotropy at every k-th time point
    (nan elsewhere); 0 = never."""
    n, g, F, gamma, omega_b = _check(n_batteries, g, F, gamma_c, omega_b)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("times must be a non-empty, strictly increasing 1-D sequence of finite values >= 0")
    every = check.integer("ergotropy_every", ergotropy_every, 0)
    u, s, w = _pairs(n, g, F)
    w0 = w[0]
    kb = omega_b * np.arange(n + 1, dtype=float)
    a = (u.T * kb) @ u  # U^T H_B U on the kept pairs
    b = (w.T * kb) @ w
    ww = np.outer(w0, w0) / 2.0
    dx, sx = s[:, None] - s[None, :], s[:, None] + s[None, :]
    spectrum = _Spectrum(u, w) if every else None
    levels = _levels(n, omega_b, n + 1)
    energy, excited = np.empty(t.size), np.empty(t.size)
    erg = np.full(t.size, np.nan)
    for i, ti in enumerate(t):
        fd, fs = _f(dx, ti, gamma), _f(sx, ti, gamma)
        rho_ee, rho_gg = ww * (fd - fs), ww * (fd + fs)
        energy[i] = np.sum(rho_ee * a) + np.sum(rho_gg * b)
        excited[i] = np.trace(rho_ee)
        if every and i % every == 0:
            erg[i] = _ergotropy(spectrum(rho_ee, rho_gg), energy[i], levels)
    return StarCurve(n, t, energy, erg, excited)


def star_long_time(n_batteries, g, F, gamma_c, *, omega_b=1.0) -> LongTime:
    """t -> inf limit of the resonant star from all-ground (module docstring), any N (one
    (N+1)-square eigendecomposition: under a second at N = 1000).  Requires gamma_c > 0."""
    n, g, F, gamma, omega_b = _check(n_batteries, g, F, gamma_c, omega_b)
    if gamma == 0:
        raise ValueError("gamma_c must be > 0 for a long-time limit (at gamma_c = 0 the dynamics is unitary)")
    u, s, w = _pairs(n, g, F)
    c = w[0] ** 2 / 2.0
    rho_b = (u * c) @ u.T + (w * c) @ w.T
    e = float(omega_b * np.diag(rho_b) @ np.arange(n + 1))
    pops = _Spectrum(u, w)(np.diag(c), np.diag(c))
    # rates present from this initial state: 2 s_k (pair k's own imbalance), |s_k - s_l| (k != l)
    gaps = np.abs(s[:, None] - s[None, :])[~np.eye(s.size, dtype=bool)]
    rates = np.concatenate([_rate(2 * s, gamma), _rate(gaps, gamma)])
    slow = _rate(2 * s, gamma) < 1e-6 * gamma
    if s.size > 1:
        near = np.abs(s[:, None] - s[None, :])
        np.fill_diagonal(near, np.inf)
        slow |= (_rate(near, gamma) < 1e-6 * gamma).any(axis=1)
    return LongTime(n, e, _ergotropy(pops, e, _levels(n, omega_b, n + 1)), rho_b, float(pops.max()),
                    float(rates.min()), float(np.sum(w[0, slow] ** 2)))
