"""Resource report of a program placed on a device: per time point, two-qubit gate count,
depth and estimated duration of the transpiled circuits, and the decoherence budget of the
chosen qubits (duration / T1, duration / T2, and the coherence left exp(-duration / T2)), and the
ancilla qubits and mid-circuit resets the circuit spends on emulated dissipation and recharges.
``dissipation`` summarises a program's emulated dissipation independently of any device (blocks
of jumps, ancillas, resets per slot and per time point, the splitting order), ``describe`` says
it in report lines.
``fault_probabilities`` predicts the probability of a device fault per time point (gate errors
and decoherence), ``fault_model`` extrapolates it to other step counts (the noise-aware step
choice, :mod:`qbhw.compile.noise_aware`).
``two_qubit_comparison`` places a program twice on the same qubits of a Heron snapshot, with
the CZ decomposition and with fractional RZZ gates, and compares their cost and gate error.
Times in seconds."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    for (circuit, *_), info in zip(program.pubs, program.info):
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


def fault_probabilities(program, prepared: Prepared) -> tuple[float, ...]:
    """Per time point of ``program`` as placed by ``prepared`` (its costliest circuit): the
    probability of a device fault, 1 - (1 - gate error) prod_q exp(-duration / T2_q) over the
    placement's qubits (T2 capped at 2 T1).  The gate errors already hold the relaxation during
    each gate; the product adds every qubit's decay over the whole duration, so on aer-noisy
    (whose idle qubits do not decay) it overestimates, on a device it is what idling costs."""
    snap = prepared.device.snapshot
    rate = sum(1.0 / min(snap.qubits[q].t2, 2 * snap.qubits[q].t1) for q in prepared.qubits)
    return tuple(1.0 - (1.0 - c.gate_error) * float(np.exp(-c.duration * rate)) for c in gate_set_costs(program, prepared))


def cost_circuits(program):
    """``program`` with one PUB per time point, the basis with the most rotations (Y, then X,
    per measured qubit): the costliest tomography circuit, cheap to place for cost models."""
    keep = {}
    for i, info in enumerate(program.info):
        j = keep.get(info.time_index)
        score = (info.basis.count("Y"), info.basis.count("X"))
        if j is None or score > (program.info[j].basis.count("Y"), program.info[j].basis.count("X")):
            keep[info.time_index] = i
    idx = sorted(keep.values())
    return replace(program, pubs=tuple(program.pubs[i] for i in idx), info=tuple(program.info[i] for i in idx))


def fault_model(program, prepared: Prepared, probe, probe_prepared: Prepared):
    """(t, k) -> predicted fault probability (:func:`fault_probabilities`) of the time-t circuit
    with k Trotter steps on the same qubits, from two placements of the same times with
    different step counts (``program`` and ``probe``): log(1 - P) and the duration are linear
    in k (every step is the same circuit), their per-step slopes measured per time point
    (where both counts agree, the slope of the deepest time point that has one)."""
    snap = prepared.device.snapshot
    rate = sum(1.0 / min(snap.qubits[q].t2, 2 * snap.qubits[q].t1) for q in prepared.qubits)
    a, b = gate_set_costs(program, prepared), gate_set_costs(probe, probe_prepared)
    lines = {}
    for c1, c2, k1, k2 in zip(a, b, steps_per_time(program), steps_per_time(probe)):
        log1, log2 = np.log1p(-c1.gate_error), np.log1p(-c2.gate_error)
        slope = ((log1 - log2) / (k1 - k2), (c1.duration - c2.duration) / (k1 - k2)) if k1 != k2 else None
        lines[c1.time] = (k1, log1, c1.duration, slope)
    sloped = [v for v in lines.values() if v[3] is not None]
    default = max(sloped, key=lambda v: v[0])[3] if sloped else (0.0, 0.0)

    def fault(t: float, k: int) -> float:
        k1, log1, duration, slope = lines[float(t)]
        s_log, s_duration = slope or default
        log_survival = log1 + s_log * (k - k1) - max(duration + s_duration * (k - k1), 0.0) * rate
        return float(-np.expm1(min(log_survival, 0.0)))
    return fault


def steps_per_time(program) -> list[int]:
    """Trotter steps per time point of ``program``."""
    steps = {}
    for info in program.info:
        steps.setdefault(info.time_index, info.steps)
    return [steps[i] for i in range(program.times.size)]


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
