"""Benchmark: open-system circuits by ancilla collisions with reset vs the exact-channel peer.

Programs: the T1/T2-damped TLS pair (tls_pair(1, 0.5, 1) with T1 = 2, T2 = (2, 3) in model
units, dephasing "channel") at t = 3, and the heat-engine chargers N = 2 (beta_e omega_0 = -1,
Gamma_e = 0.5) at t = 1.5, each compiled with ancillas "parallel", "sequential" and "channel"
(the named peer: the same slots as Kraus instructions, no ancilla, density-matrix simulation
only).  Printed per variant: qubits, two-qubit gates and depth of the last time's Z-basis
circuit transpiled to (cz, rz, sx, x) at optimization level 2 (Kraus instructions left out),
ideal-Aer wall time of the whole program (3 bases, ``--shots``, after one warm-up run), and its
ratio to the peer.

Splitting error at equal depth (equal step count n): trace-norm error at the last time of the
circuits' averaged evolution (Program.error_bound) against the same splitting with each slot
replaced by the EXACT channel exp(tau D) of all the model's jumps (``exact_slot``).  For the
TLS pair the dilations are exact, so the two agree; for the heat engine the first-order
collisions cost a factor that grows like 1/dt.
Run:  python benchmarks/open_system_circuits.py [--shots 4000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import transpile
from qiskit.circuit.library import PauliEvolutionGate
from scipy.linalg import expm

from qbhw.compile import compile_program
from qbhw.compile.encoding import encode_qubits
from qbhw.compile.trotter import exact_split_error, synthesis
from qbhw.execute import run
from qbhw.models import heat_engine_chargers, tls_pair, with_qubit_decoherence
from qbhw.reference import evolve
from qbhw.reference.liouvillian import liouvillian

BASIS = ["cz", "rz", "sx", "x"]


def programs():
    pair = with_qubit_decoherence(tls_pair(1.0, 0.5, 1.0), [2.0, 2.0], [2.0, 3.0], 1.0)
    engines = heat_engine_chargers(2, -1.0, 0.5)
    return {"damped TLS pair, t = 3": (pair, [0.0, 3.0], dict(dephasing="channel")),
            "heat engine N = 2, t = 1.5": (engines, [0.0, 1.5], dict(collision_time=0.05))}


def cost(program):
    """(qubits, two-qubit gates, depth) of the last time's first circuit, each Kraus instruction
    replaced by a barrier (so the transpiler cannot merge the unitaries around it)."""
    qc = next(pub[0] for pub, info in zip(program.pubs, program.info) if info.time_index == program.times.size - 1)
    unitary = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name == "kraus":
            unitary.barrier(*inst.qubits)
        else:
            unitary.append(inst)
    isa = transpile(unitary, basis_gates=BASIS, optimization_level=2, seed_transpiler=0)
    return qc.num_qubits, isa.count_ops().get("cz", 0), isa.depth()


def exact_slot(model):
    """(rho, tau, index) -> exp(tau D) rho for all of the encoded model's jumps (no Hamiltonian)."""
    d = model.dimension
    generator = liouvillian(np.zeros((d, d)), [(np.asarray(j.operator), j.rate) for j in model.jumps])
    cache = {}

    def slot(rho, tau, index):
        if tau not in cache:
            cache[tau] = expm(generator * tau)
        return (cache[tau] @ rho.reshape(-1)).reshape(d, d)
    return slot


def exact_channel_error(model, times, steps):
    """Trace-norm error at times[-1] of the splitting with exact slot channels (same n)."""
    enc = encode_qubits(model)
    h_rot = enc.rotating_frame()
    frame = "lab" if h_rot is None else "rotating"
    h = np.asarray(enc.h0) if h_rot is None else h_rot
    gate = lambda hh, dt: PauliEvolutionGate(enc.pauli(hh), time=dt, synthesis=synthesis(2))
    state = np.asarray(evolve(model, times, frame=frame, full_state=True).states[-1])
    if not model.is_qubits:
        from qbhw.compile.encoding import encoding_isometry
        w = encoding_isometry(model)
        state = w @ state @ w.T
    return exact_split_error(enc, h, gate, 2, times[-1], steps, exact=state, slot=exact_slot(enc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=4000)
    args = parser.parse_args()
    for name, (model, times, extra) in programs().items():
        print(f"\n{name}")
        print(f"{'ancillas':<11} {'qubits':>6} {'2q gates':>8} {'depth':>6} {'steps':>5} {'Aer s':>7} {'/peer':>6} "
              f"{'split err':>9} {'exact-channel err':>17}")
        run(compile_program(model, times, ancillas="channel", **extra), target="aer-ideal", shots=10, seed=1)  # warm-up
        rows = {}
        for mode in ("channel", "parallel", "sequential"):
            program = compile_program(model, times, ancillas=mode, **extra)
            start = time.perf_counter()
            run(program, target="aer-ideal", shots=args.shots, seed=1)
            rows[mode] = (program, time.perf_counter() - start)
        peer = rows["channel"][1]
        for mode, (program, wall) in rows.items():
            q, g, depth = cost(program)
            n = program.steps[-1]
            print(f"{mode:<11} {q:>6} {g:>8} {depth:>6} {n:>5} {wall:>7.2f} {wall / peer:>6.2f} "
                  f"{program.error_bound[-1]:>9.2e} {exact_channel_error(model, times, n):>17.2e}")


if __name__ == "__main__":
    main()
