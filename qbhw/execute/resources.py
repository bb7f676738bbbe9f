"""Resource report of a program placed on a device: per time point, two-qubit gate count,
depth and estimated duration of the transpiled circuits, and the decoherence budget of the
chosen qubits (duration / T1, duration / T2, and the coherence left exp(-duration / T2)).
Times in seconds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .targets import Prepared, device, prepare


@dataclass(frozen=True)
class Resources:
    """One time point (the costliest basis circuit of it)."""

    time: float
    steps: int
    two_qubit_gates: int
    depth: int
    duration: float
    duration_over_t1: float
    duration_over_t2: float
    coherence_left: float


def _two_qubit(circuit) -> int:
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")


def report(program, prepared: Prepared) -> tuple[Resources, ...]:
    """:class:`Resources` per time point of ``program`` as placed by ``prepared``."""
    snap = prepared.device.snapshot
    t1 = min(snap.qubits[q].t1 for q in prepared.qubits)
    t2 = min(snap.qubits[q].t2 for q in prepared.qubits)
    out = []
    for ti, t in enumerate(program.times):
        idx = [i for i, info in enumerate(program.info) if info.time_index == ti]
        worst = max(idx, key=lambda i: prepared.duration(i))
        circuit, duration = prepared.isa[worst].circuit, prepared.duration(worst)
        out.append(Resources(float(t), program.info[worst].steps, _two_qubit(circuit), circuit.depth(), duration,
                             duration / t1, duration / t2, float(np.exp(-duration / t2))))
    return tuple(out)


def resources(program, *, target: str = "aer-noisy", backend=None, qubits=None) -> tuple[Resources, ...]:
    """Place ``program`` on the device of ``target``/``backend`` (as :func:`qbhw.execute.run`
    would) and report its resources per time point."""
    return report(program, prepare(program, device(target, backend), qubits))


def table(rows: tuple[Resources, ...]) -> str:
    head = f"{'t':>7} {'steps':>5} {'2q gates':>8} {'depth':>6} {'duration':>10} {'dur/T1':>7} {'dur/T2':>7} {'coh. left':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.time:7.3f} {r.steps:5d} {r.two_qubit_gates:8d} {r.depth:6d} {r.duration * 1e6:8.2f}us "
                     f"{r.duration_over_t1:7.3f} {r.duration_over_t2:7.3f} {r.coherence_left:9.3f}")
    return "\n".join(lines)
