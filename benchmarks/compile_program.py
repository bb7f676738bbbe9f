"""Benchmark: parameterised Program vs one bound circuit per dephasing realization.

TLS pair (g = 1, F = 0.5, gamma_c = 1), 50 times in [0, 10] x 3 bases x R realizations
(default 1000).  Measures
  * qbhw: compile_program + transpile its 150 parameterised circuits to FakeFez;
  * peer: plain qiskit, one circuit per (time, basis, realization) with the kick angles
    written in, transpiled to FakeFez.  It is timed on ``--peer-sample`` realizations per
    (time, basis) and scaled linearly to R (its cost is per circuit);
  * wall time of the ideal-Aer execution of the Program (``--shots`` per PUB in total).
Run:  python benchmarks/compile_program.py [--realizations 1000] [--peer-sample 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.synthesis import SuzukiTrotter
from qiskit_ibm_runtime.fake_provider import FakeFez

from qbhw.compile import compile_program
from qbhw.execute import run
from qbhw.models.charger_battery import tls_pair

LAYOUT = [5, 6]


def peer_circuit(h, info, angles):
    """Plain-qiskit circuit of one realization: kick, Trotter step, kick, ..., measure."""
    qc = QuantumCircuit(2, 1)
    dt = info.time / info.steps if info.steps else 0.0
    gate = PauliEvolutionGate(h, time=dt, synthesis=SuzukiTrotter(order=2, reps=1))
    for s, phi in enumerate(angles):
        qc.rz(phi, 0)
        if s < info.steps:
            qc.append(gate, [0, 1])
    if info.basis == "X":
        qc.h(1)
    elif info.basis == "Y":
        qc.sdg(1)
        qc.h(1)
    qc.measure(1, 0)
    return qc


def _kick_order(qc, values):
    """Value columns (in qc.parameters order, phi_<qubit>_<kick>) sorted by kick index."""
    kick = [int(p.name.rsplit("_", 1)[1]) for p in qc.parameters]
    return values[:, np.argsort(kick)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realizations", type=int, default=1000)
    parser.add_argument("--peer-sample", type=int, default=3)
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--skip-aer", action="store_true")
    args = parser.parse_args()
    model, times, backend = tls_pair(1.0, 0.5, 1.0), np.linspace(0.0, 10.0, 50), FakeFez()

    t0 = time.perf_counter()
    program = compile_program(model, times, realizations=args.realizations, seed=1)
    t_compile = time.perf_counter() - t0
    isa = transpile([qc for qc, _ in program.pubs], backend, initial_layout=LAYOUT, optimization_level=1)
    t_qbhw = time.perf_counter() - t0
    assert all(a.num_parameters == qc.num_parameters for a, (qc, _) in zip(isa, program.pubs))

    t0 = time.perf_counter()
    h = model.pauli_rotating_hamiltonian()
    peer = [peer_circuit(h, info, _kick_order(qc, values)[r] if values is not None else [])
            for (qc, values), info in zip(program.pubs, program.info) for r in range(args.peer_sample)]
    transpile(peer, backend, initial_layout=LAYOUT, optimization_level=1)
    t_peer = (time.perf_counter() - t0) * args.realizations / args.peer_sample

    print(f"program: {len(program.pubs)} PUBs, steps up to {max(program.steps)}, "
          f"{args.realizations} realizations, max 2q gates/circuit "
          f"{max(c.count_ops().get('cz', 0) for c in isa)}")
    print(f"qbhw compile {t_compile:.2f} s + transpile to FakeFez = {t_qbhw:.2f} s")
    print(f"peer (bound circuit per realization, {args.peer_sample} timed, scaled to "
          f"{args.realizations}): {t_peer:.1f} s")
    print(f"ratio peer / qbhw = {t_peer / t_qbhw:.0f}x")
    if not args.skip_aer:
        t0 = time.perf_counter()
        run(program, shots=args.shots, seed=2)
        print(f"ideal Aer execution ({args.shots} shots per PUB): {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
