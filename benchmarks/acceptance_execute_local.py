"""Issue 12's acceptance for the fast noisy path at the main job's full size: its output
distributions equal qiskit-ibm-runtime's local mode on the full FakeFez.

Program: experiments/dephasing_fast_charging.toml (TLS pair g = 1, F = 0.5, gamma_C = 1.41,
21 times in [0, 10], kicks, 100 realizations, 20 000 shots per (time, basis), seed 1234) on
qubits [45, 37] of fake_fez-2025-02-26: 63 PUBs, 6003 parameter rows, every PUB with the shots
:func:`qbhw.execute.targets.shots_per_pub` gives it.  The runtime client's local mode (legacy
SamplerV2: one Aer call with FakeFez's own 156-qubit noise model, shot by shot) runs the same
ISA PUBs; per PUB, the Monte Carlo p-value of Pearson's statistic summed over its rows against
the fast path's probabilities (tests/test_execute_independent.py ``pearson_p_values``, 1999
draws), combined over all 63 PUBs by Fisher's method: PASS when the combined p-value exceeds
alpha = 1e-3 (false-failure rate <= 0.1 % when the distributions agree).  The suite runs the
same test at reduced size (5 times, 10 realizations).  Exits non-zero on FAIL.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/acceptance_execute_local.py   (~1-3 min)
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qbhw import execute
from qbhw.calibration import find
from qbhw.compile import compile_program
from qbhw.execute.runtime import build_options, counts_from_result, submit
from qbhw.execute.targets import shots_per_pub
from qbhw.models import tls_pair

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_execute_independent import ALPHA, MAIN_QUBITS, fisher, pearson_p_values  # noqa: E402  (the suite's test)

SHOTS = 20_000


def main() -> int:
    from qiskit_ibm_runtime.fake_provider import FakeFez

    snapshot = find("fake_fez-2025-02-26")
    program = compile_program(tls_pair(1.0, 0.5, 1.41), np.linspace(0, 10, 21), dephasing="kicks", realizations=100,
                              seed=1234)
    prepared = execute.prepare(program, execute.device("aer-noisy", snapshot), MAIN_QUBITS)
    isa = [replace(p, shots=n) for p, n in zip(prepared.isa, shots_per_pub(program, SHOTS))]
    t0 = time.perf_counter()
    fast = execute.exact_probabilities(isa, snapshot, readout=True, keep="meas")
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    runtime = counts_from_result(submit(isa, FakeFez(), build_options(shots=SHOTS, seed=2026), sampler="legacy").result(),
                                 isa)
    t_runtime = time.perf_counter() - t0
    p = pearson_p_values(runtime, fast, np.random.default_rng(2026), draws=1999)
    combined = fisher(p)
    ok = combined > ALPHA
    print(f"{len(isa)} PUBs, {sum(q.values.shape[0] for q in isa)} rows: fast-path probabilities {t_fast:.2f} s, "
          f"runtime local mode (FakeFez) {t_runtime:.1f} s")
    print(f"per-PUB p-values: min {p.min():.4f}, median {np.median(p):.3f}, {np.sum(p < 0.05)} of {p.size} below 0.05")
    print(f"Fisher combined p-value {combined:.3g} vs alpha {ALPHA:g}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
