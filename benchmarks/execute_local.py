"""Fast noisy path vs qiskit-ibm-runtime's local mode on FakeFez (same ISA PUBs).

Both receive the same ISA PUBs (transpiled once with a fixed layout); the fast path's time
including its own transpilation is printed as well.  Peer: the runtime client's local mode
on ``FakeFez()`` (rebuilds the full 156-qubit noise
model on every call): ``--sampler legacy`` = ``qiskit_ibm_runtime.SamplerV2`` (all PUBs in one
Aer call; the default, since the client-side ``executor`` Sampler makes one full-noise Aer
call per PUB and needs > 25 min for the 60-PUB curve on 2 cores).  Printed: wall times,
speed ratios and chi-square p-values of the two output distributions, for one PUB, for a
60-PUB charging curve (2-qubit exchange circuit, one PUB per time point), and for the main
job's whole program (experiments/dephasing_fast_charging.toml: TLS pair g = 1, F = 0.5,
gamma_C = 1.41, 21 times in [0, 10], kicks, 100 realizations, 20 000 shots per (time, basis),
qubits [45, 37]: 63 PUBs, 6000 parameter rows), where the fast path is timed as the pipeline
runs it (``execute.run_prepared``: shots per PUB, chunks, per-PUB seeds) from a cold cache.
``--skip-small`` runs only the main program.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/execute_local.py [--shots 4000] [--skip-small]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit
from scipy.stats import chi2_contingency

from qbhw import execute
from qbhw.calibration import load
from qbhw.compile import compile_program
from qbhw.execute.noisy import prepare_pubs, run_noisy, sample_isa_pubs
from qbhw.execute.runtime import build_options, counts_from_result, submit
from qbhw.models import tls_pair

LAYOUT = [5, 6]
MAIN_LAYOUT = (45, 37)  # the main job's qubits (charger, battery) on fake_fez-2025-02-26


def charging_circuit(g_t: float) -> QuantumCircuit:
    """Charger (q0, excited) exchanging with the battery (q1): exp(-i g t (XX+YY)/2)."""
    qc = QuantumCircuit(2, 2, name=f"gt={g_t:.3f}")
    qc.x(0)
    qc.rxx(g_t, 0, 1)
    qc.ryy(g_t, 0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def p_value(a: np.ndarray, b: np.ndarray) -> float:
    table = np.array([a, b])
    return float(chi2_contingency(table[:, table.sum(axis=0) > 0]).pvalue)


def compare(label, pubs, backend, snapshot, shots, sampler):
    isa = prepare_pubs(pubs, backend, initial_layout=LAYOUT)
    t0 = time.perf_counter()
    job = submit(isa, backend, build_options(shots=shots, seed=1), sampler=sampler)
    slow = counts_from_result(job.result(), isa)
    t_slow = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = sample_isa_pubs(isa, snapshot, shots=shots, seed=1)  # the same ISA PUBs the peer ran
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_noisy(pubs, snapshot, shots=shots, seed=1, initial_layout=LAYOUT)
    t_whole = time.perf_counter() - t0
    pvals = [p_value(f[m], s[m]) for f, s in zip(fast, slow) for m in range(f.shape[0])]
    print(
        f"{label:>22}: runtime local {t_slow:7.2f} s | fast, same ISA PUBs {t_fast:6.3f} s, ratio "
        f"{t_slow / t_fast:5.0f}x | fast incl. its own transpile {t_whole:6.3f} s, ratio {t_slow / t_whole:5.0f}x | "
        f"chi2 p-values min {min(pvals):.3f} median {np.median(pvals):.3f} ({len(pvals)} distributions)"
    )
    return pvals


def main_program(snapshot, *, realizations=100, times=21, seed=1234):
    """The main job's program (kicks, TLS pair) and its placement on ``snapshot``."""
    program = compile_program(tls_pair(1.0, 0.5, 1.41), np.linspace(0, 10, times), dephasing="kicks",
                              realizations=realizations, seed=seed)
    prepared = execute.prepare(program, execute.device("aer-noisy", snapshot), MAIN_LAYOUT)
    return program, prepared


def compare_main_program(backend, snapshot, sampler):
    from dataclasses import replace

    from qbhw.execute.targets import shots_per_pub

    shots = 20_000
    program, prepared = main_program(snapshot)
    per = shots_per_pub(program, shots)
    t0 = time.perf_counter()
    fast = execute.run_prepared(program, prepared, shots=shots, seed=1).counts  # cold: nothing cached yet
    t_fast = time.perf_counter() - t0
    isa = [replace(p, shots=n) for p, n in zip(prepared.isa, per)]
    t0 = time.perf_counter()
    slow = counts_from_result(submit(isa, backend, build_options(shots=shots, seed=1), sampler=sampler).result(), isa)
    t_slow = time.perf_counter() - t0
    pvals = [p_value(f.sum(axis=0), s.sum(axis=0)) for f, s in zip(fast, slow)]  # pooled over realizations
    rows = sum(p.values.shape[0] for p in isa)
    print(f"{'main job program':>22}: {len(isa)} PUBs, {rows} rows, shots per (time, basis) {shots}: runtime local "
          f"{t_slow:7.2f} s | fast path (execute.run_prepared) {t_fast:6.3f} s, ratio {t_slow / t_fast:5.0f}x | "
          f"pooled chi2 p-values per PUB min {min(pvals):.3f} median {np.median(pvals):.3f}, "
          f"{np.sum(np.array(pvals) < 0.05)} of {len(pvals)} below 0.05")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--sampler", choices=("legacy", "executor"), default="legacy")
    parser.add_argument("--skip-small", action="store_true", help="only the main job's program")
    args = parser.parse_args()
    from qiskit_ibm_runtime.fake_provider import FakeFez

    backend = FakeFez()
    snapshot = load(Path(__file__).resolve().parents[1] / "calibrations" / "fake_fez-2025-02-26.json")
    run_noisy([charging_circuit(0.1)], snapshot, shots=10, seed=0, initial_layout=LAYOUT)  # warm imports
    print(f"peer: runtime local mode, {args.sampler} sampler, FakeFez; {args.shots} shots per PUB")
    if not args.skip_small:
        compare("1 PUB", [charging_circuit(1.0)], backend, snapshot, args.shots, args.sampler)
        curve = [charging_circuit(x) for x in np.linspace(0, np.pi, 60)]
        pvals = compare("60-PUB charging curve", curve, backend, snapshot, args.shots, args.sampler)
        print(f"fraction of p-values < 0.05: {np.mean(np.array(pvals) < 0.05):.2f} (expected ~0.05 if equal)")
    compare_main_program(backend, snapshot, args.sampler)


if __name__ == "__main__":
    main()
