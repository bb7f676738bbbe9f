"""Coverage of the pipeline's own intervals at reduced size (full size:
benchmarks/acceptance_interval_coverage.py): qbhw.analysis.analyse on counts sampled from the
exact output distribution of the compiled protocol (tests/interval_coverage.py), for the Pauli
estimator and the adaptive one (one more setting along the QCRB-optimal axis).

Pooled cells: the hits of several cells and fields are averaged.  The fields of one repetition
are correlated, and the average of correlated Bernoulli(p) variables has at most the variance
of one, so the pooled coverage is counted as (repetitions summed over cells) independent trials
for its threshold: a false-failure rate from the binomial tail of that many trials is an upper
bound (normal approximation).  Each test states it at true coverage 0.95 and at the pooled
coverage the acceptance benchmark measured for its cells (1000 repetitions each), both < 1 %.
The bootstrap's 200 resamples alone cost about 1.2 % of coverage (0.938 instead of 0.95 for a
mean of i.i.d. rows, 0.949 with 2000 resamples), so the benchmark's cells sit near 0.935-0.945.
These guard against large regressions only, the benchmark against small ones.  t = 0: the
counts are deterministic and every interval must start at the boundary 0.
"""

import numpy as np
import pytest
from interval_coverage import CASE, coverage, pool_probabilities

from qbhw.analysis import analyse


def pooled(cells: list[dict[str, float]], fields) -> float:
    return float(np.mean([c[k] for c in cells for k in fields]))


def cells_of(labels, *, estimator: str, m: int, repetitions: int, seed: int) -> list[dict[str, float]]:
    cells = []
    for label in labels:
        program, pool = pool_probabilities(*CASE[label], 1000, seed=1, estimator=estimator)
        cells.append(coverage(program, pool, m=m, shots=2000, repetitions=repetitions, bootstrap=200, seed=seed))
    return cells


def test_active_state_intervals_cover_about_95_percent():
    """Pauli, active state, m = 20 and 100, 150 repetitions each, e, e_linear and w: pooled over
    300 trials in [0.90, 0.99]: false failure 0.02 % at 0.95, 0.09 % at the benchmark's 0.944."""
    program, pool = pool_probabilities(*CASE["active"], 1000, seed=1)
    cells = [coverage(program, pool, m=m, shots=2000, repetitions=150, bootstrap=200, seed=m) for m in (20, 100)]
    assert 0.90 <= pooled(cells, ("e", "e_linear", "w")) <= 0.99, cells


def test_adaptive_active_state_intervals_cover_about_95_percent():
    """As above for the adaptive estimator (the axis PUB's counts fitted with X, Y, Z by
    weighted least squares), 200 repetitions per cell: pooled over 400 trials in [0.90, 0.99]:
    false failure 0.002 % at 0.95, 0.3 % at the benchmark's 0.935."""
    program, pool = pool_probabilities(*CASE["active"], 1000, seed=1, estimator="adaptive")
    cells = [coverage(program, pool, m=m, shots=2000, repetitions=200, bootstrap=200, seed=m) for m in (20, 100)]
    assert 0.90 <= pooled(cells, ("e", "e_linear", "w")) <= 0.99, cells


@pytest.mark.parametrize("estimator", ["pauli", "adaptive"])
def test_passive_mixed_state_ergotropy_interval_reaches_zero(estimator):
    """An exactly passive MIXED battery (the qubit charged by ancillas at beta omega = 1 before
    inversion: diagonal, ground population 0.54, W = 0).  Near a passive state W_lin's bootstrap
    sits above 0, so an interval from it alone misses W = 0 nearly always; the passive
    extension (qbhw.tomography.bootstrap.passive_compatible) must bring the ergotropy's
    coverage to about 95 %.  m = 20, 300 repetitions in [0.90, 0.99]: false failure 0.02 % at
    0.95, 0.03 % at the benchmark's 0.959 (Pauli; adaptive 0.950)."""
    (c,) = cells_of(["passive mixed"], estimator=estimator, m=20, repetitions=300, seed=11)
    assert 0.90 <= c["w"] <= 0.99, c


def test_ergotropy_intervals_cover_where_it_is_below_its_own_error():
    """Strong charger dephasing (gamma_c = 10) at t = 0.5 and 0.25: W / sd(W) ~ 1.9 and 0.8,
    the regime where the ergotropy's distribution has its boundary at 0 within its spread.
    Pauli and adaptive, m = 20, 200 repetitions per cell, ergotropy only: pooled over 800
    trials in [0.915, 0.99]: false failure 0.001 % at 0.95.  With the BCa upper end in the
    passive branch the benchmark measured 0.882, 0.895 (Pauli), 0.900, 0.860 (adaptive),
    pooled 0.884: the test failed then with probability > 99.9 %; the widened percentile upper
    end (qbhw.analysis) measured 0.939, 0.991, 0.936, 0.914."""
    cells = [c for estimator in ("pauli", "adaptive")
             for c in cells_of(["dephased t=0.5", "dephased t=0.25"], estimator=estimator, m=20, repetitions=200, seed=5)]
    assert 0.915 <= pooled(cells, ("w",)) <= 0.99, cells


@pytest.mark.parametrize("estimator", ["pauli", "adaptive"])
def test_ground_state_intervals_start_at_the_physical_boundary(estimator):
    program, pool = pool_probabilities(*CASE["t = 0"], 20, seed=1, estimator=estimator)
    rng = np.random.default_rng(3)
    counts = [rng.multinomial(100, p / p.sum(axis=1, keepdims=True)) for p in pool]
    a = analyse(program, counts, bootstrap=100, rng=rng)
    # no 1 in the Z basis's 2000 shots: the intervals start at the boundary 0 and end above it,
    # inside the exact Clopper-Pearson 97.5 % upper bound of a proportion seen 0 times in 2000
    # (the battery's energy is P(1) here; the adaptive axis is X at the ground state, which
    # tells nothing about the energy), not at a point [0, 0] that calls the outcome impossible
    upper = 1 - 0.025 ** (1 / 2000)
    assert a["w"][0] == 0 and a["w_ci"][0][0] == 0 and a["e_ci"][0][0] == 0
    assert 0 < a["e_ci"][0][1] <= upper and a["w_ci"][0][1] <= a["e_ci"][0][1]


def test_nearly_pure_state_ergotropy_intervals_cover():
    """Just off the ground state (the TLS pair at t = 0.5) the physical state's ergotropy is
    clipped by W <= E_B; the interval of the physical W itself covered 0.862 at m = 100
    (acceptance benchmark, 1000 repetitions).  500 repetitions, threshold 0.89: false failure
    2e-6 % at 0.95, 0.6 % at the benchmark's 0.921 (the W_lin interval it reports now), while
    0.862 fails it with probability 96 %."""
    (c,) = cells_of(["nearly pure"], estimator="pauli", m=100, repetitions=500, seed=7)
    assert c["w"] >= 0.89, c


@pytest.mark.slow
def test_adaptive_near_passive_and_nearly_pure_intervals_cover():
    """Adaptive estimator at m = 100 (the main job's realizations) where W is small but the
    intervals work: gamma_c = 10 at t = 1 (W/sd 4), the passive mixed state and the nearly pure
    state, 200 repetitions per cell, e, e_linear and w: pooled over 600 trials in [0.90, 0.99]:
    false failure 2e-5 % at 0.95, 0.1 % at the benchmark's 0.933 (its nearly pure cell alone
    covers 0.910-0.922 for w at m = 100, below the acceptance window: see the benchmark)."""
    cells = cells_of(["nearly passive", "passive mixed", "nearly pure"], estimator="adaptive", m=100, repetitions=200,
                     seed=13)
    assert 0.90 <= pooled(cells, ("e", "e_linear", "w")) <= 0.99, cells
