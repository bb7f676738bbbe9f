"""Issue 16, the coverage check of the measured figures of merit (charging time, maximal average
power and its time, late-time ergotropy ratio; qbhw.analysis.figures_of_merit): repeat
qbhw.run_experiment on the TLS pair (F/g = 0.5, gamma_C = 1.41, kicks, aer-ideal, 21 times in
[0, 10]) over many seeds at reduced size (20 realizations, 2000 shots per (time, basis)) and
count how often each nominal 95 % interval holds the figure of the exact curve at the same times
(the ``estimand``; --accuracy 1e-3 keeps the splitting error out).  Pass: every coverage in
[0.90, 0.99] (200 seeds: a true 0.95 lies 2.8 binomial standard errors inside each end, false
failure ~1 % per figure).  Measured (200 seeds, 487 s): charging time 0.945, max average power 0.945,
its time 0.975, late W/E_B 0.945 (BCa for the power figures gave 0.885 / 0.91).
With --pairs K (default 200) each of the first K runs is paired with a run of F/g = 1.0 and the
ratio of their maximum average powers (the collective-advantage rule, qbhw.analysis.figure_ratio:
paired bootstrap resamples of two independent runs) is checked the same way against the exact
curves' ratio.  Measured (200 pairs, 2026-12-02, 1599 s for the 200 seeds + the pairs): ratio
coverage 0.960, median width 0.161 around the exact 0.505: PASS; the single figures as above.

    .venv/bin/python benchmarks/acceptance_figures_coverage.py [--seeds 200]
"""

import argparse
import sys
import time

import numpy as np

from qbhw import run_experiment
from qbhw.analysis import figure_ratio
from qbhw.metrics import FIGURES
from qbhw.models import tls_pair


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--accuracy", type=float, default=1e-3)
    parser.add_argument("--pairs", type=int, default=200, help="runs paired with an F/g = 1.0 run for the ratio")
    args = parser.parse_args()
    model, times = tls_pair(1.0, 0.5, 1.41), np.linspace(0.0, 10.0, 21)
    hits = {k: 0 for k in FIGURES}
    widths = {k: [] for k in FIGURES}
    start = time.perf_counter()
    powers = []
    for seed in range(args.seeds):
        r = run_experiment(model, times, realizations=20, shots=2000, seed=seed, accuracy=args.accuracy)
        powers.append(r.figures["max_average_power"])
        for k, f in r.figures.items():
            lo, hi = f["ci95"]
            hits[k] += bool(lo - 1e-12 <= f["estimand"] <= hi + 1e-12)
            widths[k].append(hi - lo)
    print(f"{args.seeds} seeds in {time.perf_counter() - start:.0f} s; estimand of the exact curve: "
          + ", ".join(f"{k} {v['estimand']:.4g}" for k, v in r.figures.items()))
    ok = True
    for k in FIGURES:
        cov = hits[k] / args.seeds
        passed = 0.90 <= cov <= 0.99
        ok &= passed
        print(f"  {k:24} coverage {cov:.3f}  median width {np.median(widths[k]):.4g}   {'PASS' if passed else 'FAIL'}")
    pairs = min(args.pairs, args.seeds)
    if pairs:
        other, ratio_hits, ratio_widths = tls_pair(1.0, 1.0, 1.41), 0, []
        for seed in range(pairs):
            b = run_experiment(other, times, realizations=20, shots=2000, seed=100_000 + seed, accuracy=args.accuracy)
            g = figure_ratio(powers[seed], b.figures["max_average_power"], name="max_average_power", realizations=20)
            ratio_hits += bool(g["ci95"][0] <= g["estimand"] <= g["ci95"][1])
            ratio_widths.append(g["ci95"][1] - g["ci95"][0])
        cov = ratio_hits / pairs
        passed = 0.90 <= cov <= 0.99
        ok &= passed
        print(f"  {'P_max ratio (F/g 0.5 / 1.0)':24} coverage {cov:.3f}  median width {np.median(ratio_widths):.4g}"
              f"   exact ratio {g['estimand']:.4g}   {'PASS' if passed else 'FAIL'}  ({pairs} pairs)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
