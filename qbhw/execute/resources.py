"""Resource report of a program placed on a device: per time point, two-qubit gate count,
depth and estimated duration of the transpiled circuits, and the decoherence budget of the
chosen qubits (duration / T1, duration / T2, and the coherence left exp(-duration / T2)), and the
ancilla qubits and mid-circuit resets the circuit spends on emulated dissipation and recharges.
``dissipation`` summarises a program's emulated dissipation independently of any device (blocks
of jumps, ancillas, resets per slot and per time point, the splitting order), ``describe`` says
it in report lines.
``two_qubit_comparison`` places a program twice on the same qubits of a Heron snapshot, with
the CZ decomposition and with fractional RZZ gates, and compares their cost and gate error.
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
    ancillas: int = 0  # circuit qubits beyond the model's (dissipation collisions, weak measurement)
    resets: int = 0  # mid-circuit resets of the placed circuit (ancilla reuse, charger recharges)


def _two_qubit(circuit) -> int:
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")


def _costliest(program, prepared: Prepared):
    """(time, index of the longest placed circuit) for each time point of ``program``."""
    for ti, t in enumerate(program.times):
        idx = [i for i, info in enumerate(program.info) if info.time_index == ti]
        yield float(t), max(idx, key=prepared.duration)


def report(program, prepared: Prepared) -> tuple[Resources, ...]:
    """:class:`Resources` per time point of ``program`` as placed by ``prepared``."""
    snap = prepared.device.snapshot
    t1 = min(snap.qubits[q].t1 for q in prepared.qubits)
    t2 = min(snap.qubits[q].t2 for q in prepared.qubits)
    out = []
    for t, worst in _costliest(program, prepared):
        circuit, duration = prepared.isa[worst].circuit, prepared.duration(worst)
        out.append(Resources(t, program.info[worst].steps, _two_qubit(circuit), circuit.depth(), duration,
                             duration / t1, duration / t2, float(np.exp(-duration / t2)), len(program.ancillas),
                             circuit.count_ops().get("reset", 0)))
    return tuple(out)


def dissipation(program) -> dict:
    """The program's emulated dissipation (qbhw.compile.dissipation), JSON-ready: ``blocks``
    (kind "exact" dilation or first-order "collision", qubits, jumps, ancilla qubits, order),
    ``ancilla_use`` ("parallel", "sequential", "channel"), ``ancillas`` (circuit qubits beyond
    the model's), ``resets_per_slot`` (each inner slot resets every ancilla it reuses),
    ``splitting_order`` of the averaged step, ``recharge_times`` with ``resets_per_recharge``
    (the chargers' reset + X), and ``resets`` per time point (in its circuits, all bases alike)."""
    blocks = [{**b, "qubits": list(b["qubits"]), "ancillas": list(b["ancillas"])} for b in program.dissipation]
    first = {}
    for (circuit, _), info in zip(program.pubs, program.info):
        first.setdefault(info.time_index, circuit)
    events = list(program.model.recharge_times)
    return {"blocks": blocks, "ancilla_use": program.ancilla_use, "ancillas": len(program.ancillas),
            "resets_per_slot": sum(len(b["ancillas"]) for b in blocks), "splitting_order": program.splitting_order,
            "recharge_times": events, "resets_per_recharge": len(program.model.charger) if events else 0,
            "resets": [first[ti].count_ops().get("reset", 0) for ti in range(program.times.size)]}


def resources(program, *, target: str = "aer-noisy", backend=None, qubits=None) -> tuple[Resources, ...]:
    """Place ``program`` on the device of ``target``/``backend`` (as :func:`qbhw.execute.run`
    would) and report its resources per time point."""
    return report(program, prepare(program, device(target, backend), qubits))


@dataclass(frozen=True)
class GateSetCost:
    """One time point (costliest basis circuit) compiled to one gate set: two- and one-qubit
    gate counts (RZ excluded: virtual), estimated duration, and the expected gate error
    1 - prod_g (1 - e_g) over the circuit's gates with the snapshot's reported errors."""

    time: float
    gate_set: str
    two_qubit_gates: int
    one_qubit_gates: int
    duration: float
    gate_error: float


def gate_error(circuit, physical_qubits, snapshot) -> float:
    """1 - prod (1 - e_g) over the gates of a compact ISA ``circuit`` (qubit i = device qubit
    ``physical_qubits[i]``), e_g the snapshot's error of that gate on those qubits (either
    orientation for two-qubit gates; measurements and resets excluded)."""
    errors = {(g.name, g.qubits): g.error or 0.0 for g in snapshot.gates}
    log_fidelity = 0.0
    for inst in circuit.data:
        qubits = tuple(physical_qubits[circuit.find_bit(q).index] for q in inst.qubits)
        e = errors.get((inst.operation.name, qubits), errors.get((inst.operation.name, qubits[::-1]), 0.0))
        log_fidelity += np.log1p(-e)
    return float(-np.expm1(log_fidelity))


def gate_set_costs(program, prepared: Prepared) -> tuple[GateSetCost, ...]:
    """:class:`GateSetCost` per time point of ``program`` as placed by ``prepared``; the gate
    set is "rzz" when the placement's device offers fractional RZZ gates, else "cz"."""
    snap = prepared.device.snapshot
    name = "rzz" if "rzz" in snap.basis_gates else "cz"
    out = []
    for t, worst in _costliest(program, prepared):
        pub = prepared.isa[worst]
        ops = pub.circuit.count_ops()
        one_q = sum(ops.get(g, 0) for g in ("sx", "x", "rx"))
        out.append(GateSetCost(t, name, _two_qubit(pub.circuit), one_q, prepared.duration(worst),
                               gate_error(pub.circuit, pub.physical_qubits, snap)))
    return tuple(out)


def two_qubit_comparison(program, *, backend=None, qubits=None) -> tuple[GateSetCost, ...]:
    """Per time point, the CZ decomposition and the fractional-RZZ compilation of ``program``
    on the same qubits of the Heron snapshot ``backend`` (default: the embedded one)."""
    plain = prepare(program, device("aer-noisy", backend), qubits)
    fractional = prepare(program, device("aer-noisy", backend, fractional=True), plain.qubits)
    return gate_set_costs(program, plain) + gate_set_costs(program, fractional)


def table(rows: tuple[Resources, ...]) -> str:
    head = f"{'t':>7} {'steps':>5} {'2q gates':>8} {'depth':>6} {'duration':>10} {'dur/T1':>7} {'dur/T2':>7} {'coh. left':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.time:7.3f} {r.steps:5d} {r.two_qubit_gates:8d} {r.depth:6d} {r.duration * 1e6:8.2f}us "
                     f"{r.duration_over_t1:7.3f} {r.duration_over_t2:7.3f} {r.coherence_left:9.3f}")
    return "\n".join(lines)
