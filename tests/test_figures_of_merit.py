"""Figures of merit of measured curves through run_experiment (the path users run): their
intervals hold the exact curve's figure at the same times.  Full size:
benchmarks/acceptance_figures_coverage.py (200 seeds, 90-99 %)."""

import numpy as np
import pytest

from qbhw import run_experiment
from qbhw.analysis import figure_ratio
from qbhw.metrics import FIGURES
from qbhw.models import tls_pair


@pytest.mark.slow
def test_figure_intervals_cover_the_exact_curves_figures():
    """30 runs x 4 figures: hits pooled (120, correlated within a run, counted as 30 independent
    trials); a true 0.95 gives >= 0.80 but with probability 0.06 % (binomial, 30 trials:
    P(X <= 23)); it guards large regressions, the benchmark small ones (the BCa interval of the maximum
    average power covered 0.89 there).  The runs alternate between F/g = 0.5 and 1.0, and each
    pair gives the ratio of their maximum average powers (qbhw.analysis.figure_ratio, the
    collective-advantage rule): its interval holds the exact curves' ratio in >= 12 of 15 pairs
    (false failure 0.55 %: P(X <= 11), binomial 15, 0.95)."""
    times = np.linspace(0.0, 10.0, 11)
    models = tls_pair(1.0, 0.5, 1.41), tls_pair(1.0, 1.0, 1.41)
    hits, runs = [], []
    for seed in range(30):
        r = run_experiment(models[seed % 2], times, realizations=10, shots=1000, seed=500 + seed, accuracy=1e-3,
                           bootstrap=100)
        assert set(r.figures) == set(FIGURES)
        hits += [f["ci95"][0] - 1e-12 <= f["estimand"] <= f["ci95"][1] + 1e-12 for f in r.figures.values()]
        runs.append(r.figures["max_average_power"])
    assert np.mean(hits) >= 0.80, np.mean(hits)
    ratio_hits = []
    for a, b in zip(runs[0::2], runs[1::2]):
        g = figure_ratio(a, b, name="max_average_power", realizations=10)
        assert g["estimand"] == pytest.approx(a["estimand"] / b["estimand"])
        ratio_hits.append(g["ci95"][0] <= g["estimand"] <= g["ci95"][1])
    assert sum(ratio_hits) >= 12, ratio_hits
