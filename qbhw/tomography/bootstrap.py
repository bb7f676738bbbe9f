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

__all__ = ["BootstrapResult", "bootstrap", "resample", "projected_linear_inversion"]


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
