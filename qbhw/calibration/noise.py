"""Aer noise models restricted to the physical qubits a program uses, and circuit compaction.

The full-device noise model of a 156-qubit backend costs seconds to build and to serialise
on every Aer call; a model of the k used qubits costs milliseconds and gives the same
output distribution, because Aer's device noise is local (per-qubit relaxation and readout,
per-gate depolarising on the gate's own qubits; no crosstalk).

Recipe (the one Aer's ``NoiseModel.from_backend`` and the fake backends' local mode
follow, applied to a sub-Target of the used qubits re-indexed 0..k-1): depolarising
composed with thermal relaxation on every calibrated gate
(``qiskit_aer.noise.device.models.basic_device_gate_errors``), an asymmetric
``ReadoutError`` from P(1|0) and P(0|1) per qubit, and a ``RelaxationNoisePass`` adding
T1/T2 decay to ``Delay`` instructions.  Times are seconds.  Not modelled (as in Aer):
relaxation during readout, ZZ crosstalk, leakage, coherent errors, drift.
"""

from __future__ import annotations

from functools import lru_cache

from qiskit.circuit import (
    Barrier,
    ControlFlowOp,
    Delay,
    IfElseOp,
    ForLoopOp,
    Parameter,
    QuantumCircuit,
    SwitchCaseOp,
    WhileLoopOp,
)
from qiskit.circuit.library import Measure, Reset, get_standard_gate_name_mapping
from qiskit.transpiler import InstructionProperties, QubitProperties, Target

from .snapshot import FRACTIONAL_RZZ_MAX, CalibrationSnapshot

__all__ = ["noise_model", "sub_target", "used_qubits", "compact_circuit", "full_target"]

_CONTROL_FLOW = {"if_else": IfElseOp, "for_loop": ForLoopOp, "switch_case": SwitchCaseOp, "while_loop": WhileLoopOp}


def _check_qubits(snapshot: CalibrationSnapshot, physical_qubits) -> tuple[int, ...]:
    qubits = tuple(int(q) for q in physical_qubits)
    if not qubits:
        raise ValueError("physical_qubits: need at least one qubit")
    if len(set(qubits)) != len(qubits):
        raise ValueError(f"physical_qubits: repeated qubits in {qubits}")
    bad = [q for q in qubits if not 0 <= q < snapshot.num_qubits]
    if bad:
        raise ValueError(
            f"physical_qubits: {bad} outside 0..{snapshot.num_qubits - 1} of {snapshot.backend_name}"
        )
    return qubits


def sub_target(snapshot: CalibrationSnapshot, physical_qubits) -> Target:
    """Transpiler ``Target`` of ``physical_qubits`` only, re-indexed so that
    ``physical_qubits[i]`` is qubit ``i`` (gates kept when all their qubits are in the set;
    durations in seconds).  Used to build the restricted noise model."""
    qubits = _check_qubits(snapshot, physical_qubits)
    return _target(snapshot, qubits)


@lru_cache(maxsize=64)
def noise_model(snapshot: CalibrationSnapshot, physical_qubits: tuple[int, ...]):
    """Aer ``NoiseModel`` of exactly ``physical_qubits`` (compact indices 0..k-1, in the given
    order): depolarising composed with thermal relaxation on every calibrated gate and
    relaxation on reset (``qiskit_aer.noise.device.models.basic_device_gate_errors``),
    asymmetric ``ReadoutError`` from P(1|0) and P(0|1), and T1/T2 decay on ``Delay``
    (``RelaxationNoisePass``, T2 capped at 2 T1 as Aer does, ``dt`` from the snapshot).
    Cached per (snapshot, qubits)."""
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from qiskit_aer.noise.device.models import basic_device_gate_errors
    from qiskit_aer.noise.passes import RelaxationNoisePass

    qubits = _check_qubits(snapshot, physical_qubits)
    target = _target(snapshot, qubits)
    model = NoiseModel(basis_gates=list(snapshot.basis_gates))
    for name, qargs, error in basic_device_gate_errors(target=target):
        model.add_quantum_error(error, name, qargs)
    for i, p in enumerate(qubits):
        q = snapshot.qubits[p]
        p10, p01 = q.prob_meas1_prep0, q.prob_meas0_prep1
        if p10 or p01:
            model.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [i])
    t1s = [snapshot.qubits[p].t1 for p in qubits]
    t2s = [snapshot.qubits[p].t2 for p in qubits]
    if all(t is not None for t in t1s + t2s):
        model._custom_noise_passes.append(  # Aer has no public hook; its from_backend does the same
            RelaxationNoisePass(
                t1s=t1s,
                t2s=[min(t2, 2 * t1) for t1, t2 in zip(t1s, t2s)],
                dt=snapshot.dt,
                op_types=Delay,
            )
        )
    return model


def used_qubits(circuit: QuantumCircuit) -> tuple[int, ...]:
    """Sorted indices of the qubits touched by anything but ``barrier`` or ``delay``."""
    where = {q: i for i, q in enumerate(circuit.qubits)}
    used = set()
    for inst in circuit.data:
        if isinstance(inst.operation, (Barrier, Delay)):
            continue
        used.update(where[q] for q in inst.qubits)
    return tuple(sorted(used))


def compact_circuit(circuit: QuantumCircuit, physical_qubits) -> QuantumCircuit:
    """The same circuit on ``len(physical_qubits)`` qubits: qubit ``physical_qubits[i]`` becomes
    qubit ``i``; barriers and delays on other qubits are dropped (other operations on them are
    an error).  Classical registers, parameters, global phase and metadata are kept."""
    qubits = tuple(int(q) for q in physical_qubits)
    index = {p: i for i, p in enumerate(qubits)}
    out = QuantumCircuit(len(qubits), name=circuit.name, global_phase=circuit.global_phase)
    out.metadata = dict(circuit.metadata or {})
    for creg in circuit.cregs:
        out.add_register(creg)
    loose = [c for c in circuit.clbits if not circuit.find_bit(c).registers]
    if loose:
        out.add_bits(loose)
    where = {q: i for i, q in enumerate(circuit.qubits)}
    for inst in circuit.data:
        src = [where[q] for q in inst.qubits]
        kept = [index[q] for q in src if q in index]
        if isinstance(inst.operation, Barrier):
            if kept:
                out.barrier(*kept)
            continue
        if len(kept) != len(src):
            if isinstance(inst.operation, Delay) and not kept:
                continue
            missing = sorted(set(src) - set(index))
            raise ValueError(
                f"physical_qubits: {inst.operation.name} acts on qubits {missing} outside {qubits}"
            )
        if isinstance(inst.operation, ControlFlowOp) and any(
            b.num_qubits != len(src) for b in inst.operation.blocks
        ):
            raise ValueError(f"circuit: control-flow block width mismatch in {inst.operation.name}")
        out.append(inst.operation, kept, inst.clbits, copy=False)
    return out


def full_target(snapshot: CalibrationSnapshot) -> Target:
    """A transpiler ``Target`` for the whole device described by ``snapshot`` (durations in
    seconds), for transpiling when only a snapshot file is at hand."""
    return _target(snapshot, tuple(range(snapshot.num_qubits)))


def _target(snapshot: CalibrationSnapshot, qubits: tuple[int, ...]) -> Target:
    """Target on ``qubits`` re-indexed 0..k-1 (operational gates and qubits only)."""
    index = {p: i for i, p in enumerate(qubits)}
    target = Target(
        description=snapshot.backend_name,
        num_qubits=len(qubits),
        dt=snapshot.dt,
        qubit_properties=[
            QubitProperties(t1=snapshot.qubits[p].t1, t2=snapshot.qubits[p].t2, frequency=snapshot.qubits[p].frequency)
            for p in qubits
        ],
    )
    standard = get_standard_gate_name_mapping()
    by_name: dict[str, dict] = {}
    for g in snapshot.gates:
        if g.operational and all(q in index for q in g.qubits):
            local = tuple(index[q] for q in g.qubits)
            by_name.setdefault(g.name, {})[local] = InstructionProperties(duration=g.duration, error=g.error)
    for name in snapshot.basis_gates:
        if name not in standard:
            raise ValueError(f"basis_gates: {name!r} is not a standard gate name")
        if name in by_name:
            bounds = {"angle_bounds": [(0.0, FRACTIONAL_RZZ_MAX)]} if name == "rzz" else {}
            target.add_instruction(standard[name], by_name[name], name=name, **bounds)
    live = [i for i, p in enumerate(qubits) if snapshot.qubits[p].operational]
    if "reset" in snapshot.instructions:
        target.add_instruction(Reset(), by_name.get("reset") or {(q,): None for q in live})
    target.add_instruction(
        Measure(),
        {
            (i,): InstructionProperties(
                duration=snapshot.qubits[qubits[i]].readout_length, error=snapshot.qubits[qubits[i]].readout_error
            )
            for i in live
        },
    )
    target.add_instruction(Delay(Parameter("t")), {(q,): None for q in live})
    for name, cls in _CONTROL_FLOW.items():
        if name in snapshot.instructions:
            target.add_instruction(cls, name=name)
    return target
