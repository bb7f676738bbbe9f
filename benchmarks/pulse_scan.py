"""Pulse path speed beside QuTiP mesolve (CSR) on the same operators and envelopes, same run.

Problems (model units, g = 1 <-> 2 pi x 5 MHz):
  curve  2 transmons x 3 levels (alpha = -310 MHz, T1 = 100 us, T2 = 80 us), TLS-pair charging
         F = 0.5, gamma_C = 1.41, 200 time points in [0, 10]: one Lindblad solve (D = 9);
  scan   the same device, 100 drive amplitudes F in [0.05, 1.0] (one request, 100 rows; the
         worker compiles once), 50 time points in [0, 5].
(The issue's scan is of the qutrit STIRAP protocol, not built yet; this scans the pair's drive.)
Printed: worker start-up (paid once per run), cold (first row, includes jit) and warm seconds,
QuTiP seconds for the same work, the ratio warm / QuTiP, and the largest state difference.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pulse_scan.py   (~1 min; needs ./dev pulse-env)
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import qutip

from qbhw.models.charger_battery import tls_pair
from qbhw.pulse.client import PulseWorker
from qbhw.pulse.device import pair_device, typical_transmon
from qbhw.pulse.program import tls_pair_program


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


def main() -> None:
    start = time.perf_counter()
    with PulseWorker() as worker:
        print(f"worker start-up {time.perf_counter() - start:.2f} s ({worker.hello['qiskit_dynamics']}, "
              f"jax {worker.hello['jax']})")
        compare(worker, "curve", program(np.linspace(0, 10, 200), [0.5]))
        compare(worker, "scan", program(np.linspace(0, 5, 50), np.linspace(0.05, 1.0, 100)))


if __name__ == "__main__":
    main()
