"""Bootstrap confidence intervals for scalar functions of a reconstructed state.

Non-parametric resampling of Pauli-basis counts (format of :mod:`.mle`): every basis'
counts are redrawn from a multinomial with the observed frequencies and the same total,
the state is re-estimated and the statistic (energy, ergotropy, ...) recomputed.  The
result reports the point estimate, the bootstrap mean and their difference (the bias,
which is positive for ergotropy near passive states because ergotropy is convex and
clipped at zero), and a percentile interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .linear import linear_inversion, project_physical

__all__ = ["BootstrapResult", "bootstrap", "resample", "resample_rows", "realization_weights", "projected_linear_inversion",
           "interval"]


def projected_linear_inversion(data: Mapping[str, np.ndarray]) -> np.ndarray:
    """Linear inversion projected to the nearest physical state (fast default estimator)."""
    return project_physical(linear_inversion(dict(data)))


@dataclass(frozen=True)
class BootstrapResult:
    """``point`` = statistic of the estimate from the data; ``mean``/``std`` over resamples;
    ``bias`` = mean - point; [``low``, ``high``] the percentile interval at ``confidence``."""

    point: float
    mean: float
    std: float
    bias: float
    low: float
    high: float
    confidence: float
    samples: np.ndarray


def resample(data: Mapping[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One multinomial resample of every basis' counts (same totals)."""
    out = {}
    for label, c in data.items():
        c = np.asarray(c)
        if c.dtype.kind not in "iu" and not np.allclose(c, np.round(c)):
            raise ValueError(f"data[{label!r}] must hold integer counts to resample")
        n = int(round(c.sum()))
        out[label] = rng.multinomial(n, c / c.sum())
    return out


def interval(samples: np.ndarray, point: float, *, realizations: int, jackknife: np.ndarray | None = None,
             confidence: float = 0.95, bounds: tuple[float, float] = (-np.inf, np.inf),
             bias_correction: bool = True) -> np.ndarray:
    """(low, high) BCa interval (Efron 1987) of a statistic estimated as ``point`` from bootstrap
    ``samples``: percentiles Phi(z0 + (z0 + z) / (1 - a (z0 + z))) of the samples, with the bias
    correction z0 = Phi^-1(fraction of samples below the point, ties counted half) and the
    acceleration a from the ``jackknife`` (leave-one-realization-out) values (a = 0 without).
    z0 follows the estimator's bias (ergotropy near passive states), a its skew (few counts,
    heavy-tailed realizations).  Then, when the resampled units are m realizations, the
    interval is widened about the point by t_{m-1}/z * sqrt(m/(m-1)) (a bootstrap over m units
    estimates the variance with factor (m-1)/m and the pivot is Student-t with m-1 degrees of
    freedom: without it nominal 95 % covers 92.9 % at m = 20) and clipped to the physically
    allowed ``bounds``.  ``bias_correction=False``: z0 = a = 0 (the widened percentile interval).
    Quantiles of the resamples: the median-unbiased estimator (Hyndman-Fan type 8); the plain
    linear one undercovered by about 1 % with 200 resamples (a mean of 20 binomial rows: 0.938,
    median-unbiased 0.947, 2000 resamples 0.948)."""
    from scipy.stats import norm, t

    samples = np.asarray(samples, dtype=float)
    n = samples.size
    below = ((samples < point).sum() + 0.5 * (samples == point).sum()) / n
    z0 = norm.ppf(np.clip(below, 0.5 / n, 1 - 0.5 / n)) if bias_correction else 0.0
    a = 0.0
    if bias_correction and jackknife is not None and len(jackknife) > 2:
        d = np.mean(jackknife) - np.asarray(jackknife, dtype=float)
        ss = (d**2).sum()
        a = (d**3).sum() / (6 * ss**1.5) if ss > 0 else 0.0
    alpha = (1 - confidence) / 2
    z = norm.ppf([alpha, 1 - alpha])
    q = norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    low, high = np.quantile(samples, q, method="median_unbiased")
    m = int(realizations)
    widen = t.ppf(1 - alpha, m - 1) / norm.ppf(1 - alpha) * np.sqrt(m / (m - 1)) if m > 1 else 1.0
    low, high = point - widen * (point - low), point + widen * (high - point)
    return np.clip([min(low, point), max(high, point)], *bounds)


def passive_compatible(point: np.ndarray, resamples: np.ndarray, h: np.ndarray, *, realizations: int,
                       confidence: float = 0.95) -> bool:
    """Whether a QUBIT state, estimated as ``point`` (2, 2) with bootstrap ``resamples``
    (B, 2, 2), is compatible at ``confidence`` with a passive state of ``h`` (ergotropy 0: no
    coherence in h's eigenbasis and the ground level at least as populated): Hotelling's T^2 of
    the coherence (x, y) = (2 Re rho_01, 2 Im rho_01) against 0 with the resamples' covariance
    (critical value 2 (m-1)/(m-2) F_{2, m-2} for m resampled realizations, chi^2_2 for a bootstrap
    over shots), and the population difference rho_00 - rho_11 >= -3 of its bootstrap errors.
    Near a passive state the ergotropy is quadratic in the coherence, so its bootstrap sits
    above 0 and an interval from it alone misses W = 0; where this test holds the ergotropy's
    interval is extended down to 0 (:mod:`qbhw.analysis`)."""
    from scipy.stats import chi2, f

    _, v = np.linalg.eigh(np.asarray(h))
    to_h = lambda rho: v.conj().T @ rho @ v  # ascending energy: level 0 = ground
    p, b = to_h(np.asarray(point)), to_h(np.asarray(resamples))
    coherence = lambda r: np.stack([2 * r[..., 0, 1].real, 2 * r[..., 0, 1].imag], axis=-1)
    c, cb = coherence(p), coherence(b)
    cov = np.cov(cb, rowvar=False)
    if not np.all(np.isfinite(cov)) or np.linalg.det(cov) <= 0:
        return bool(np.allclose(c, 0.0))  # deterministic coherence: compatible only if it is 0
    t2 = float(c @ np.linalg.solve(cov, c))
    m = int(realizations)
    critical = 2 * (m - 1) / (m - 2) * f.ppf(confidence, 2, m - 2) if m > 2 else chi2.ppf(confidence, 2)
    gap, gap_b = (p[0, 0] - p[1, 1]).real, (b[:, 0, 0] - b[:, 1, 1]).real
    return t2 <= critical and gap >= -3.0 * float(gap_b.std(ddof=1))


def realization_weights(m: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(n_resamples, m) multiplicities of m realizations drawn with replacement.  Draw them ONCE
    per time point and apply them to every basis: the bases share their realizations (the same
    parameter rows), and resampling each basis on its own would hide the realization-to-
    realization spread of any quantity read from several bases (by sqrt(bases) for E_B of
    k battery qubits)."""
    picks = rng.integers(0, m, size=(n_resamples, m))
    return np.stack([np.bincount(p, minlength=m) for p in picks])


def resample_rows(counts: np.ndarray, weights: np.ndarray | None, n_resamples: int,
                  rng: np.random.Generator) -> np.ndarray:
    """(M, K) counts of M dephasing realizations -> (n_resamples, K): ``weights @ counts`` with
    :func:`realization_weights` (each row carries its own shot noise, so both sources are
    resampled); with one row (weights None), a multinomial resample of its shots.  An outcome
    never seen in N shots would be 0 in every resample, and an interval from them would claim it
    impossible (a ground state read with 100 shots and readout error 1.5e-3 shows no 1 in 86 % of
    runs; its E_B interval was [0, 0] around E = 1.5e-3): each resample gets Poisson(N p) counts
    of it, taken from the most frequent outcome, p = (1/K) / (N + 1) its probability under the
    Perks prior (1/K per outcome of K; Jeffreys' 1/2 for K = 2)."""
    c = np.asarray(counts)
    pooled = c.sum(axis=0)
    total = int(pooled.sum())
    if c.shape[0] == 1:
        out = rng.multinomial(total, pooled / total, size=n_resamples)
    else:
        out = weights @ c
    unseen = pooled == 0
    if unseen.any():
        extra = rng.poisson(total / (pooled.size * (total + 1.0)), size=(n_resamples, int(unseen.sum())))
        out = out.copy()
        out[:, unseen] += extra
        out[:, int(np.argmax(pooled))] -= extra.sum(axis=1)
    return out


def bootstrap(
    data: Mapping[str, np.ndarray],
    statistic: Callable[[np.ndarray], float],
    *,
    n_resamples: int = 200,
    seed: int | None = None,
    estimator: Callable[[Mapping[str, np.ndarray]], np.ndarray] = projected_linear_inversion,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Percentile bootstrap of ``statistic(estimator(data))`` with ``n_resamples`` multinomial
    resamples from a generator seeded by ``seed``."""
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = np.random.default_rng(seed)
    point = float(statistic(estimator(data)))
    samples = np.array([float(statistic(estimator(resample(data, rng)))) for _ in range(int(n_resamples))])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    mean = float(samples.mean())
    return BootstrapResult(point, mean, float(samples.std(ddof=1)), mean - point, float(low), float(high), confidence, samples)
