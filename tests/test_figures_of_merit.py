"""Figures of merit of measured curves through run_experiment (the path users run): their
intervals hold the exact curve's figure at the same times.  Full size:
benchmarks/acceptance_figures_coverage.py (200 seeds, 90-99 %)."""

import numpy as np
import pytest

from qbhw import run_experiment
from qbhw.metrics import FIGURES
from qbhw.models import tls_pair


@pytest.mark.slow
def test_figure_intervals_cover_the_exact_curves_figures():
    """30 runs x 4 figures: hits pooled (120, correlated within a run, counted as 30 independent
    trials); a true 0.95 gives >= 0.80 but with probability 0.06 % (binomial, 30 trials:
    P(X <= 23)); it guards large regressions, the benchmark small ones (the BCa interval of the maximum
    average power covered 0.89 there)."""
    model, times = tls_pair(1.0, 0.5, 1.41), np.linspace(0.0, 10.0, 11)
    hits = []
    for seed in range(30):
        r = run_experiment(model, times, realizations=10, shots=1000, seed=500 + seed, accuracy=1e-3, bootstrap=100)
        assert set(r.figures) == set(FIGURES)
        hits += [f["ci95"][0] - 1e-12 <= f["estimand"] <= f["ci95"][1] + 1e-12 for f in r.figures.values()]
    assert np.mean(hits) >= 0.80, np.mean(hits)
