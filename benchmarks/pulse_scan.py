"""Pulse path speed beside QuTiP mesolve (CSR) on the same operators and envelopes, same run.

Problems (model units, g = 1 <-> 2 pi x 5 MHz):
  curve  2 transmons x 3 levels (alpha = -310 MHz, T1 = 100 us, T2 = 80 us), TLS-pair charging
         F = 0.5, gamma_C = 1.41, 200 time points in [0, 10]: one Lindblad solve (D = 9);
  scan   the same device, 100 drive amplitudes F in [0.05, 1.0] (one request, 100 rows; the
         worker compiles once), 50 time points in [0, 5].
  qutrit the qutrit battery's STIRAP protocol (qbhw.pulse.qutrit: 1 us, both drives sampled every
         0.25 ns with their carriers, so 4000 samples), ``--qutrit-rows`` amplitude scales in
         [0.8, 1.2] (the issue's scan: 100), closed (kets, the worker's jax.vmap in chunks of 32)
         and, with ``--qutrit-open``, with T1 = 100 us, T2 = 80 us (density matrices); the worker
         solves it exactly sample by sample (contract method "expm"); QuTiP gets the same samples
         as step coefficients (order 0), max step sigma / 25 = 5 ns, rtol 1e-11; both are also
         compared with a scipy product of one exponential per sample (closed rows).
Printed: worker start-up (paid once per run), cold (first request, includes jit) and warm seconds,
QuTiP seconds for the same work, the ratio warm / QuTiP, and the largest state difference.

Measured 2026-12-02 03:35 UTC (2 shared cores, load average 5.7-7 from other jobs): curve
warm/qutip 1.90 (medians of 7 timings each: single timings swung 1.55-5.5 with the load), scan
0.73 (the worker's jax_sparse Lindbladian for row-by-row scans of >= 100 rows, worker.py
SPARSE_SCAN_ROWS; dense it was 1.46-2.2, cold 16 s), max |drho| 6.5e-9; qutrit (03:31, load ~5)
100 rows cold 16.5 s (32 rows + jit), warm 17.5 s, QuTiP 247 s: warm/qutip 0.07, max |drho|
2.1e-7 (the worker 5.4e-14 off the exact product, QuTiP 2.1e-7; at rtol 1e-10 QuTiP was 1.1e-6
off).  Before (JAX odeint at rtol 1e-9 over the 4000 sample jumps): warm 189.9 s, warm/qutip 1.81,
max |drho| 4.5e-6.  Open qutrit (``--qutrit-rows 4 --qutrit-open``, load 7): warm 0.68 s vs
QuTiP 6.9 s, warm/qutip 0.10, max |drho| 1.6e-7 (odeint before: 3.6 s per row, ratio ~2).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pulse_scan.py [--qutrit-rows 100] [--qutrit-open]
(~1 min without the qutrit scan's rows; each closed qutrit row costs ~0.1 s in the worker and
~1.5-2.5 s in QuTiP; needs ./dev pulse-env)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import qutip
import scipy.linalg

from qbhw.models.charger_battery import tls_pair
from qbhw.pulse.client import PulseWorker
from qbhw.pulse.device import pair_device, typical_transmon
from qbhw.pulse.program import tls_pair_program
from qbhw.pulse.qutrit import qutrit_program


def program(times, amplitudes):
    pair = (typical_transmon(t1=100e-6, t2=80e-6),) * 2
    base = tls_pair_program(tls_pair(1.0, 0.5, 1.41), times, device=pair_device(1.0, levels=3, transmons=pair))
    rows = np.array([[[a, *base.envelopes[0, 0, 1:]]] for a in amplitudes])
    return replace(base, envelopes=rows)


def qutip_states(p, amplitude):
    """mesolve of the program's own matrices (CSR), drive constant (rise 0)."""
    h = qutip.Qobj(p.static_hamiltonian + amplitude * p.operators[0], dims=[[3, 3], [3, 3]]).to("csr")
    c_ops = [qutip.Qobj(c, dims=[[3, 3], [3, 3]]).to("csr") for c in p.dissipators]
    rho0 = qutip.Qobj(np.outer(p.y0[:, 0], p.y0[:, 0]) if p.y0.ndim == 2 else np.outer(p.y0, p.y0.conj()),
                      dims=[[3, 3], [3, 3]])
    res = qutip.mesolve(h, rho0, p.times, c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    return np.array([s.full() for s in res.states])


def compare(worker, name, p, repeats: int = 1):
    """Cold = the first request; warm and QuTiP = the median of ``repeats`` timings each."""
    start = time.perf_counter()
    out = worker.solve(p.request())
    first = time.perf_counter() - start
    warm_times, qutip_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out = worker.solve(p.request())
        warm_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ref = [qutip_states(p, row[0, 0]) for row in p.envelopes]
        qutip_times.append(time.perf_counter() - start)
    warm, qt = float(np.median(warm_times)), float(np.median(qutip_times))
    err = max(np.abs(s - r).max() for s, r in zip(out["states"], ref))
    print(f"{name:6s} rows {len(p.envelopes):4d}  cold {first:7.3f} s  warm {warm:7.3f} s  qutip {qt:7.3f} s  "
          f"warm/qutip {warm / qt:6.2f}  max |drho| {err:.1e}" + (f"  (medians of {repeats})" if repeats > 1 else ""))


def qutip_sampled(p, row, max_step):
    """mesolve of a sampled program row: H_0 + s_I(t) O_I + s_Q(t) O_Q, step coefficients; rtol
    1e-11 (at 1e-10 QuTiP itself was 1.1e-6 off the exact product of exponentials over the 100
    rows, at 1e-11 about 1e-7, for 7 % more time)."""
    grid = np.arange(p.envelopes.shape[2] + 1) * p.dt
    h = [qutip.Qobj(p.static_hamiltonian).to("csr")] + [
        [qutip.Qobj(op).to("csr"), qutip.coefficient(np.append(env, 0.0), tlist=grid, order=0)]
        for op, env in zip(p.operators, row)]
    rho0 = qutip.Qobj(p.y0 if p.y0.ndim == 2 else np.outer(p.y0, p.y0.conj()))
    res = qutip.mesolve(h, rho0, p.times, [qutip.Qobj(c).to("csr") for c in p.dissipators],
                        options={"atol": 1e-13, "rtol": 1e-11, "max_step": max_step, "nsteps": 10**7})
    return np.array([s.full() for s in res.states])


def exact_sampled(p, row):
    """The final state of a sampled row as the product of one scipy matrix exponential per
    sample (exact for piecewise-constant H; closed rows only)."""
    psi = np.asarray(p.y0, dtype=complex)
    for samples in row.T:
        psi = scipy.linalg.expm(-1j * p.dt * (p.static_hamiltonian + np.tensordot(samples, p.operators, 1))) @ psi
    return np.outer(psi, psi.conj())


def compare_qutrit(worker, rows: int, open_system: bool) -> None:
    transmon = typical_transmon(t1=100e-6, t2=80e-6) if open_system else typical_transmon()
    p = qutrit_program("stirap", transmon=transmon, amplitude_scales=np.linspace(0.8, 1.2, rows))
    start = time.perf_counter()
    worker.solve(replace(p, envelopes=p.envelopes[:min(rows, 32)]).request())  # compiles the chunk's shape
    cold = time.perf_counter() - start
    start = time.perf_counter()
    states = worker.solve(p.request())["states"]
    warm = time.perf_counter() - start
    if states.ndim == 3:
        states = np.einsum("bti,btj->btij", states, states.conj())
    start = time.perf_counter()
    ref = [qutip_sampled(p, row, max_step=p.parameters["sigma_ns"] / 25) for row in p.envelopes]
    qt = time.perf_counter() - start
    err = max(np.abs(s - r).max() for s, r in zip(states, ref))
    name = "qutrit open" if open_system else "qutrit"
    print(f"{name:11s} rows {rows:4d}  cold {cold:7.3f} s  warm {warm:7.3f} s  qutip {qt:7.3f} s  "
          f"warm/qutip {warm / qt:6.2f}  max |drho| {err:.1e}  (method {p.method})")
    if not open_system:
        exact = [exact_sampled(p, row) for row in p.envelopes]
        print(f"{'':11s} vs the product of exponentials: worker {max(np.abs(s[-1] - e).max() for s, e in zip(states, exact)):.1e}"
              f", qutip {max(np.abs(r[-1] - e).max() for r, e in zip(ref, exact)):.1e}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qutrit-rows", type=int, default=100, help="amplitude scales of the qutrit scan (0: skip)")
    parser.add_argument("--qutrit-open", action="store_true", help="also the qutrit scan with T1/T2 (density matrices)")
    args = parser.parse_args()
    start = time.perf_counter()
    with PulseWorker() as worker:
        print(f"worker start-up {time.perf_counter() - start:.2f} s ({worker.hello['qiskit_dynamics']}, "
              f"jax {worker.hello['jax']})")
        compare(worker, "curve", program(np.linspace(0, 10, 200), [0.5]), repeats=7)
        compare(worker, "scan", program(np.linspace(0, 5, 50), np.linspace(0.05, 1.0, 100)))
        if args.qutrit_rows:
            compare_qutrit(worker, args.qutrit_rows, open_system=False)
            if args.qutrit_open:
                compare_qutrit(worker, args.qutrit_rows, open_system=True)


if __name__ == "__main__":
    main()
