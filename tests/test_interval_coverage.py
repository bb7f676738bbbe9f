"""Coverage of the pipeline's own intervals at reduced size (full size:
benchmarks/acceptance_interval_coverage.py): qbhw.analysis.analyse on counts sampled from the
exact output distribution of the compiled TLS-pair protocol (tests/interval_coverage.py).

Active state, m = 20 and 100 realizations, 150 repetitions each, e_linear and ergotropy: the
four cells' hits are pooled (600 Bernoulli trials, correlated within a repetition, so counted
as 300 independent ones for the threshold) and must lie in [0.905, 0.985]: with true coverage
0.95 that window is 3.5 binomial standard errors of 300 trials wide on each side (false-failure
rate < 0.1 %); the old percentile intervals (0.929 at m = 20) would pass too, so this guards
against large regressions only, the benchmark against small ones.  t = 0: the counts are
deterministic and every interval must be exactly the point 0 (it reaches the boundary).
"""

import numpy as np
from interval_coverage import CASES, coverage, pool_probabilities

from qbhw.analysis import analyse


def test_active_state_intervals_cover_about_95_percent():
    label, model, t = CASES[0]
    program, pool = pool_probabilities(model, t, 1000, seed=1)
    cells = [coverage(program, pool, m=m, shots=2000, repetitions=150, bootstrap=200, seed=m) for m in (20, 100)]
    pooled = np.mean([v for c in cells for v in c.values()])
    assert 0.905 <= pooled <= 0.985, cells


def test_ground_state_intervals_start_at_the_physical_boundary():
    label, model, t = CASES[2]
    program, pool = pool_probabilities(model, t, 20, seed=1)
    rng = np.random.default_rng(3)
    counts = [rng.multinomial(100, p / p.sum(axis=1, keepdims=True)) for p in pool]
    a = analyse(program, counts, bootstrap=100, rng=rng)
    # no 1 in the Z basis's 2000 shots: the intervals start at the boundary 0 and end above it,
    # inside the exact Clopper-Pearson 97.5 % upper bound of a proportion seen 0 times in 2000
    # (the battery's energy is P(1) here), not at a point [0, 0] that calls the outcome impossible
    upper = 1 - 0.025 ** (1 / 2000)
    assert a["w"][0] == 0 and a["w_ci"][0][0] == 0 and a["e_ci"][0][0] == 0
    assert 0 < a["e_ci"][0][1] <= upper and a["w_ci"][0][1] <= a["e_ci"][0][1]


def test_nearly_pure_state_ergotropy_intervals_cover():
    """Just off the ground state (CASES[3]) the physical state's ergotropy is clipped by W <= E_B;
    the interval of the physical W itself covered 0.862 at m = 100 (acceptance benchmark, 1000
    repetitions).  300 repetitions, threshold 0.905: 3.6 binomial standard errors below a true
    0.95 (false failure < 0.02 %), while 0.862 passes it with probability ~2 %."""
    label, model, t = CASES[3]
    program, pool = pool_probabilities(model, t, 1000, seed=1)
    c = coverage(program, pool, m=100, shots=2000, repetitions=300, bootstrap=200, seed=7)
    assert c["w"] >= 0.905, c
