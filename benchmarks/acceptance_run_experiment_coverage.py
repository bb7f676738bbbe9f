"""Issue 12, the full run_experiment version of the interval-coverage check: repeat
qbhw.run_experiment on the TLS pair (F/g = 0.5, gamma_C = 1.41, kicks, 20 realizations, 2000
shots, aer-ideal) over many seeds and count how often the reported 95 % intervals hold the
exact model at t = 0.5, 2.5, 4.5 (the issue measured 92/91/94 % for E_B and 92/91/93 % for
ergotropy with the old percentile intervals).  Unlike benchmarks/acceptance_interval_coverage.py
the truth here is the exact Lindblad model, so the splitting error (<= the reported bound,
~1e-2 of trace norm; 4.5e-3 at t = 0.5, where the ergotropy is only 2.9e-3) enters too;
``--accuracy 1e-3`` makes it small.  Measured (1000 seeds, --accuracy 1e-3): E_B 0.928 / 0.944 /
0.947, ergotropy 0.926 / 0.936 / 0.951 (the ergotropy at t = 0.5 covered 0.890 before its interval
became the linear ergotropy's, qbhw.analysis).  Pass: every coverage in [0.92, 0.98]; with 300 seeds the
binomial standard error is 0.013, so a true 95 % fails with probability ~2 % per cell.

    .venv/bin/python benchmarks/acceptance_run_experiment_coverage.py [--seeds 300]
"""

import argparse
import sys
import time

import numpy as np

from qbhw import run_experiment
from qbhw.models import tls_pair

TIMES = [0.5, 2.5, 4.5]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--accuracy", type=float, default=1e-2, help="compile accuracy (splitting error bound)")
    args = parser.parse_args()
    model = tls_pair(1.0, 0.5, 1.41)
    hits = {k: np.zeros(len(TIMES)) for k in ("battery_energy", "battery_energy_linear", "battery_ergotropy")}
    start = time.perf_counter()
    for seed in range(args.seeds):
        r = run_experiment(model, TIMES, realizations=20, shots=2000, seed=seed, accuracy=args.accuracy)
        exact = {"battery_energy": r.reference.battery_energy, "battery_energy_linear": r.reference.battery_energy,
                 "battery_ergotropy": r.reference.battery_ergotropy}
        for k in hits:
            ci = getattr(r, f"{k}_ci")
            hits[k] += (ci[:, 0] <= exact[k]) & (exact[k] <= ci[:, 1])
    ok = True
    print(f"{args.seeds} seeds, accuracy {args.accuracy:g} (splitting bound at t = {TIMES}: "
          f"{', '.join(f'{b:.1e}' for b in r.program.error_bound)}), {time.perf_counter() - start:.0f} s; "
          "coverage of nominal 95 %")
    for k, h in hits.items():
        cov = h / args.seeds
        passed = bool(np.all((cov >= 0.92) & (cov <= 0.98)))
        ok &= passed
        print(f"  {k:24} " + " ".join(f"{c:.3f}" for c in cov) + f"   {'PASS' if passed else 'FAIL'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
