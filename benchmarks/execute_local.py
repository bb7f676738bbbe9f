"""Fast noisy path vs qiskit-ibm-runtime's local mode on FakeFez (same ISA PUBs).

Both receive the same ISA PUBs (transpiled once with a fixed layout); the fast path's time
including its own transpilation is printed as well.  Peer: the runtime client's local mode
on ``FakeFez()`` (rebuilds the full 156-qubit noise
model on every call): ``--sampler legacy`` = ``qiskit_ibm_runtime.SamplerV2`` (all PUBs in one
Aer call; the default, since the client-side ``executor`` Sampler makes one full-noise Aer
call per PUB and needs > 25 min for the 60-PUB curve on 2 cores).  Printed: wall times,
speed ratios and chi-square p-values of the two output distributions, for one PUB and for
a 60-PUB charging curve (2-qubit exchange circuit, one PUB per time point).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/execute_local.py [--shots 4000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit
from scipy.stats import chi2_contingency

from qbhw.calibration import load
from qbhw.execute.noisy import prepare_pubs, run_noisy, sample_isa_pubs
from qbhw.execute.runtime import build_options, counts_from_result, submit

LAYOUT = [5, 6]


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--sampler", choices=("legacy", "executor"), default="legacy")
    args = parser.parse_args()
    from qiskit_ibm_runtime.fake_provider import FakeFez

    backend = FakeFez()
    snapshot = load(Path(__file__).resolve().parents[1] / "calibrations" / "fake_fez-2025-02-26.json")
    run_noisy([charging_circuit(0.1)], snapshot, shots=10, seed=0, initial_layout=LAYOUT)  # warm imports
    print(f"peer: runtime local mode, {args.sampler} sampler, FakeFez; {args.shots} shots per PUB")
    compare("1 PUB", [charging_circuit(1.0)], backend, snapshot, args.shots, args.sampler)
    curve = [charging_circuit(x) for x in np.linspace(0, np.pi, 60)]
    pvals = compare("60-PUB charging curve", curve, backend, snapshot, args.shots, args.sampler)
    print(f"fraction of p-values < 0.05: {np.mean(np.array(pvals) < 0.05):.2f} (expected ~0.05 if equal)")


if __name__ == "__main__":
    main()
