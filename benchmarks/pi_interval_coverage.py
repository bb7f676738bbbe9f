"""Issue 17: coverage of the ergotropy's 95 % intervals through qbhw.analysis.analyse for
multi-qubit batteries: a star of N = 3 and 4 TLS batteries (F/g = 0.5, gamma_C = 1, no
dephasing: one circuit per setting), permutation-invariant tomography (and Pauli tomography at
N = 3 beside it), at t = 0.3 (next to the passive ground state), 1 and 2, counts sampled from
the circuits' exact probabilities (qbhw.execute.exact.ideal_probabilities) with --shots per
setting.  The truth is the ergotropy of the estimator's state at the exact probabilities (the
permutation-invariant part of the battery state for PI).  Printed, not asserted: coverage per
time point with its binomial standard error.

    .venv/bin/python benchmarks/pi_interval_coverage.py [--repetitions 150] [--shots 2000]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qbhw.analysis import analyse, battery_ergotropy, linear_estimate, per_time  # noqa: E402
from qbhw.compile import compile_program  # noqa: E402
from qbhw.execute.exact import ideal_probabilities  # noqa: E402
from qbhw.models import star  # noqa: E402

TIMES = (0.3, 1.0, 2.0)
CASES = ((3, "permutation"), (4, "permutation"), (3, "battery"))


def coverage(n: int, tomography: str, repetitions: int, shots: int, rng) -> tuple[np.ndarray, np.ndarray]:
    program = compile_program(star(n, 1.0, 0.5, 1.0), TIMES, dephasing="none", tomography=tomography)
    probs = ideal_probabilities(program.pubs, keep="meas")
    truth = np.array([battery_ergotropy(program, linear_estimate({s: p.mean(axis=0) for s, p in d.items()}, None))
                      for d in per_time(program, probs)])
    hits = np.zeros(len(TIMES))
    for _ in range(repetitions):
        counts = [rng.multinomial(shots, p / p.sum(axis=1, keepdims=True)) for p in probs]
        a = analyse(program, counts, bootstrap=200, rng=rng)
        hits += (a["w_ci"][:, 0] <= truth) & (truth <= a["w_ci"][:, 1])
    return hits / repetitions, truth


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repetitions", type=int, default=150)
    parser.add_argument("--shots", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(2)
    print(f"star battery, {args.shots} shots per setting, {args.repetitions} repetitions; ergotropy coverage at t = "
          f"{', '.join(map(str, TIMES))} (binomial standard error ~{np.sqrt(0.95 * 0.05 / args.repetitions):.3f})")
    for n, tomography in CASES:
        start = time.perf_counter()
        cov, truth = coverage(n, tomography, args.repetitions, args.shots, rng)
        print(f"N = {n} {tomography:12} W = {np.array2string(truth, precision=4)}  coverage "
              f"{np.array2string(cov, precision=3)}  ({time.perf_counter() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
