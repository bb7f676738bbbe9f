"""Issue 16: the independent check of the fast noisy path, for every experiment of the library.

aer-noisy runs a program through qbhw's fast path (the snapshot's noise model restricted to the
placed qubits, :func:`qbhw.execute.exact_probabilities`), and the device reference of each run is
computed from the SAME probabilities: their agreement checks sampling and the estimator, never the
noise emulation.  This script checks the emulation itself, independently: every experiment file
(experiments/lib_*.toml; the first point of a sweep, --all-points for all) is compiled at reduced size, placed on its device as
aer-noisy would place it, and run through qiskit-ibm-runtime's own client in local mode on the
full fake backend (legacy SamplerV2: Aer with the fake backend's whole-device noise model, shot
by shot); per PUB, the Monte Carlo p-value of Pearson's statistic summed over its rows against the
fast path's probabilities (tests/test_execute_independent.py ``pearson_p_values``), combined over
all PUBs of all runs by Fisher's method: PASS when the combined p-value exceeds alpha = 1e-3
(false failure <= 0.1 % when the distributions agree).  Per-run combined p-values are printed too
(not thresholded: with 15 runs one of them falls below 0.05 by chance in 54 % of passes).  Runs
the device refuses (coherence, gate limits) are listed with their reason.
Measured 2026-12-02 (3 times, 4 realizations, 4000 shots, first point of each file, loaded 2-core
machine, 1604 s): 13 runs, 405 PUBs, Fisher-combined p = 0.707, 17 of 405 PUB p-values below 0.05
(20 expected): PASS; lib_14 (DFS ring, 5 qubits) refused on fake_fez's T2.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/acceptance_library_independent.py [--only lib_06] [--times 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_execute_independent import ALPHA, fisher, pearson_p_values  # noqa: E402  (the suite's test)

sys.path.insert(0, str(ROOT / "benchmarks"))
from experiment_library import reduced_times  # noqa: E402

DEVICE_TARGETS = ("aer-noisy", "fake-local", "ibm")


def reduced(spec, times: int, realizations: int, shots: int):
    """``spec`` with ``times`` of its time points (the library's choice: first and last kept), fewer
    realizations and shots."""
    return replace(spec, times=reduced_times(spec.times, times), realizations=min(spec.realizations, realizations),
                   shots=min(spec.shots, shots))


def runs(only: str | None, all_points: bool):
    """(label, spec) of every device-target library file: its first sweep point (the points of a
    sweep share the program's shape, only parameter values differ), or every point."""
    from qbhw.experiment_file import load

    for path in sorted((ROOT / "experiments").glob("lib_*.toml")):
        if only and only not in path.stem:
            continue
        spec = load(path)
        if spec.target not in DEVICE_TARGETS:
            continue
        points = [("", spec)] if spec.sweep is None else [(p.label, s) for p, s in spec.sweep_points()]
        for label, s in points if all_points else points[:1]:
            yield f"{path.stem} {label}".strip(), s


def check(spec, seed: int) -> np.ndarray:
    """Per-PUB p-values of the runtime local mode's counts against the fast path's probabilities."""
    from qbhw import execute
    from qbhw.execute.runtime import build_options, counts_from_result, submit
    from qbhw.execute.targets import fake_backend, shots_per_pub
    from qbhw.results import compile_spec

    program = compile_spec(spec)
    dev = execute.device("aer-noisy", spec.backend)
    prepared = execute.prepare(program, dev, spec.qubits)
    isa = [replace(p, shots=n) for p, n in zip(prepared.isa, shots_per_pub(program, spec.shots))]
    fast = execute.exact_probabilities(isa, dev.snapshot, readout=True, keep="meas")
    backend = fake_backend(dev.snapshot.backend_name)
    result = submit(isa, backend, build_options(shots=spec.shots, seed=seed), sampler="legacy").result()
    return pearson_p_values(counts_from_result(result, isa), fast, np.random.default_rng(seed), draws=999)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=None, help="files whose name contains this")
    ap.add_argument("--times", type=int, default=3)
    ap.add_argument("--realizations", type=int, default=4)
    ap.add_argument("--shots", type=int, default=4000)
    ap.add_argument("--all-points", action="store_true", help="every sweep point, not the first of each file")
    args = ap.parse_args()
    from qbhw.errors import InputError

    all_p, start = [], time.perf_counter()
    for i, (label, spec) in enumerate(runs(args.only, args.all_points)):
        t0 = time.perf_counter()
        try:
            p = check(reduced(spec, args.times, args.realizations, args.shots), seed=2026 + i)
        except InputError as refused:  # a device limit: the run is refused before any circuit runs
            print(f"  {label:55} refused: {str(refused).splitlines()[0][:110]}")
            continue
        all_p.append(p)
        print(f"  {label:55} {p.size:3d} PUBs  combined p {fisher(p):.3f}  min p {p.min():.3f}  "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    if not all_p:
        print("FAIL: no run to check")
        return 1
    p = np.concatenate(all_p)
    combined = fisher(p)
    ok = combined > ALPHA
    print(f"{len(all_p)} runs, {p.size} PUBs in {time.perf_counter() - start:.0f} s: Fisher-combined p = {combined:.3f} "
          f"(alpha {ALPHA:g}), {np.sum(p < 0.05)} of {p.size} PUB p-values below 0.05   {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
