"""Pulse path speed beside QuTiP mesolve (CSR) on the same operators and envelopes, same run.

Problems (model units, g = 1 <-> 2 pi x 5 MHz):
  curve  2 transmons x 3 levels (alpha = -310 MHz, T1 = 100 us, T2 = 80 us), TLS-pair charging
         F = 0.5, gamma_C = 1.41, 200 time points in [0, 10]: one Lindblad solve (D = 9);
  scan   the same device, 100 drive amplitudes F in [0.05, 1.0] (one request, 100 rows; the
         worker compiles once), 50 time points in [0, 5].
  qutrit the qutrit battery's STIRAP protocol (qbhw.pulse.qutrit: 1 us, both drives sampled every
         0.25 ns with their carriers, so 4000 samples), ``--qutrit-rows`` amplitude scales in
         [0.8, 1.2] (the issue's scan: 100), closed (kets, the worker's jax.vmap in chunks of 32)
         and, with ``--qutrit-open``, with T1 = 100 us, T2 = 80 us (density matrices, row by row);
         QuTiP gets the same samples as step coefficients (order 0) and the same max step.
Printed: worker start-up (paid once per run), cold (first request, includes jit) and warm seconds,
QuTiP seconds for the same work, the ratio warm / QuTiP, and the largest state difference.

Measured 2026-12-02 (2 shared cores, load ~6): curve warm/qutip 1.55, scan 1.46 (max |drho| 6.5e-9);
qutrit 100 rows cold 46.7 s (32 rows + jit), warm 189.9 s (4 vmap chunks of 32, the last padded:
128 solves), QuTiP 105.2 s: warm/qutip 1.81, max |drho| 4.5e-6 (the worker's rtol 1e-9 against
600-4000 sample jumps; see program.SAMPLED_TOLERANCES).  Open qutrit (4 rows): 3.6 s per row
through vmap vs QuTiP 1.8 s (ratio ~2; row by row it was 5.6 s).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pulse_scan.py [--qutrit-rows 100] [--qutrit-open]
(~1 min without the qutrit scan's rows; each closed qutrit row costs ~2 s in the worker and ~2 s
in QuTiP, each open one ~5 s in the worker; needs ./dev pulse-env)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import qutip

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


def compare(worker, name, p):
    start = time.perf_counter()
    out = worker.solve(p.request())
    first = time.perf_counter() - start
    start = time.perf_counter()
    out = worker.solve(p.request())
    warm = time.perf_counter() - start
    start = time.perf_counter()
    ref = [qutip_states(p, row[0, 0]) for row in p.envelopes]
    qt = time.perf_counter() - start
    err = max(np.abs(s - r).max() for s, r in zip(out["states"], ref))
    print(f"{name:6s} rows {len(p.envelopes):4d}  cold {first:7.3f} s  warm {warm:7.3f} s  qutip {qt:7.3f} s  "
          f"warm/qutip {warm / qt:6.2f}  max |drho| {err:.1e}")


def qutip_sampled(p, row):
    """mesolve of a sampled program row: H_0 + s_I(t) O_I + s_Q(t) O_Q, step coefficients."""
    grid = np.arange(p.envelopes.shape[2] + 1) * p.dt
    h = [qutip.Qobj(p.static_hamiltonian).to("csr")] + [
        [qutip.Qobj(op).to("csr"), qutip.coefficient(np.append(env, 0.0), tlist=grid, order=0)]
        for op, env in zip(p.operators, row)]
    rho0 = qutip.Qobj(p.y0 if p.y0.ndim == 2 else np.outer(p.y0, p.y0.conj()))
    res = qutip.mesolve(h, rho0, p.times, [qutip.Qobj(c).to("csr") for c in p.dissipators],
                        options={"atol": 1e-12, "rtol": 1e-10, "max_step": p.max_dt, "nsteps": 10**7})
    return np.array([s.full() for s in res.states])


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
    ref = [qutip_sampled(p, row) for row in p.envelopes]
    qt = time.perf_counter() - start
    err = max(np.abs(s - r).max() for s, r in zip(states, ref))
    name = "qutrit open" if open_system else "qutrit"
    print(f"{name:11s} rows {rows:4d}  cold {cold:7.3f} s  warm {warm:7.3f} s  qutip {qt:7.3f} s  "
          f"warm/qutip {warm / qt:6.2f}  max |drho| {err:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qutrit-rows", type=int, default=100, help="amplitude scales of the qutrit scan (0: skip)")
    parser.add_argument("--qutrit-open", action="store_true", help="also the qutrit scan with T1/T2 (density matrices)")
    args = parser.parse_args()
    start = time.perf_counter()
    with PulseWorker() as worker:
        print(f"worker start-up {time.perf_counter() - start:.2f} s ({worker.hello['qiskit_dynamics']}, "
              f"jax {worker.hello['jax']})")
        compare(worker, "curve", program(np.linspace(0, 10, 200), [0.5]))
        compare(worker, "scan", program(np.linspace(0, 5, 50), np.linspace(0.05, 1.0, 100)))
        if args.qutrit_rows:
            compare_qutrit(worker, args.qutrit_rows, open_system=False)
            if args.qutrit_open:
                compare_qutrit(worker, args.qutrit_rows, open_system=True)


if __name__ == "__main__":
    main()
