"""Digital gate folding of placed (ISA) circuits for zero-noise extrapolation.

Local folding at noise factor c = 1 + 2 (k + f), k integer, 0 <= f < 1: every folded gate G
becomes G (G^-1 G)^k, and a fraction f of them, evenly spread along the circuit (separately
on every qubit and every coupler, so that each one's error scales alike), one more G^-1 G: the
same unitary, with k (+1) times more of G's noise (per-gate depolarising and relaxation during
the gate, the snapshot noise model's whole gate error).  Odd integers c fold every gate alike;
fractional c (e.g. 2: every other gate once) reach noise between them, for circuits too deep
to survive c = 3.  :func:`error_scale` gives the gate-error scale a folding achieves.

Folding acts AFTER transpilation, on the ISA circuits exactly as they run, with a barrier on
G's qubits between the copies so that no later pass (the runtime's, or anyone's
re-transpilation) may cancel G^-1 G.  Nothing downstream optimises them away: the exact path
(:mod:`.exact`) and Aer's shot sampling run each instruction with its own noise, and so does
the runtime's local mode on the fake backend (measured: P(00) of H H, 20 x CZ CZ, H H on fez
qubits 45, 37 is 0.886 at c = 1 and 0.747 at c = 3 in local mode, 0.888 and 0.747 exact).

What is folded (``gates``):
    "all"        every gate with an error: two-qubit (CZ, RZZ, ECR) and single-qubit (SX, X,
                 RX), so that the whole gate error scales by c (the default);
    "two-qubit"  two-qubit gates only.  On Heron a CZ's error (~3e-3) is ten times an SX's,
                 but the tomography circuits have about four SX per CZ: on the main job's
                 qubits the single-qubit gates hold ~20 % of the gate error, so folding CZ
                 alone at c = 3 scales it by 2.6 only (:func:`error_scale`).
RZ is virtual (no duration, no error): never folded; nor are measurements, resets and
control-flow blocks (their bodies run unfolded).
Not scaled by either: readout error (mitigate it, :mod:`qbhw.tomography.mitigation`) and
idle decoherence, which the snapshot noise model does not contain (no delays scheduled).

G^-1 must be a gate the device accepts on those qubits: CZ, ECR, X are their own inverses;
RZ(theta)^-1 = RZ(-theta); the fractional RZZ(theta) is calibrated for 0 < theta <= pi/2 only
(the Target's angle bounds), so RZZ(theta)^-1 = RZZ(-theta) is sent as X_a RZZ(theta) X_a
(X on one qubit anticommutes with ZZ); SX^-1, and RX(theta)^-1 where the device bounds RX's
angle, as RZ(pi) SX RZ(pi), RZ(pi) RX(theta) RZ(pi) (up to a global phase).
A gate with no accepted inverse raises InputError.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from qiskit.circuit import CircuitInstruction, QuantumCircuit
from qiskit.circuit.library import Barrier, RZGate, XGate

from ..errors import InputError
from .targets import device_target

FOLD_GATES = ("two-qubit", "all")
#: instructions that are not gates, or gates without error, never folded
NOT_FOLDED = frozenset({"barrier", "measure", "reset", "delay", "rz", "id", "store"})


def check_factors(factors) -> tuple[float, ...]:
    """``factors`` as a tuple of distinct noise factors >= 1 in increasing order (InputError
    naming "zne" otherwise); at least two are needed for an extrapolation."""
    try:
        out = tuple(float(f) for f in factors)
    except (TypeError, ValueError):
        raise InputError("zne", f"noise factors must be numbers >= 1, e.g. [1, 3, 5]; got {factors!r}") from None
    if any(isinstance(f, bool) or not np.isfinite(f) or f < 1 for f in out):
        raise InputError("zne", f"noise factors must be finite numbers >= 1 (1 = the circuit as compiled), got {factors!r}")
    if len(out) < 2 or len(set(out)) != len(out):
        raise InputError("zne", f"need at least two distinct noise factors to extrapolate, got {factors!r}")
    return tuple(sorted(out))


def _folded(inst: CircuitInstruction, gates: str) -> bool:
    op = inst.operation
    if op.name in NOT_FOLDED or inst.clbits or getattr(op, "condition", None) is not None or not hasattr(op, "to_matrix"):
        return False
    return op.num_qubits == 2 if gates == "two-qubit" else op.num_qubits in (1, 2)


def _accepted(target, name: str, qargs: tuple[int, ...], params) -> bool:
    if target is None:
        return True
    try:
        return target.instruction_supported(name, qargs, parameters=list(params) if params else None)
    except (TypeError, ValueError):
        return False


def inverse_sequence(inst: CircuitInstruction, physical: tuple[int, ...], target=None) -> list[tuple]:
    """[(operation, local qubit positions)] whose product is G^-1 for the gate of ``inst``,
    every operation accepted by ``target`` (a transpiler Target; None accepts any) on the
    device qubits ``physical`` (one per qubit of ``inst``); module doc for the rules."""
    op = inst.operation
    if op.is_parameterized():
        inverse = op.inverse()
        return [(inverse, tuple(range(op.num_qubits)))]
    matrix = op.to_matrix()
    if np.allclose(matrix @ matrix, np.eye(len(matrix)), atol=1e-10):  # G G = 1: CZ, ECR, X
        return [(op, tuple(range(op.num_qubits)))]
    inverse = op.inverse()
    if _accepted(target, inverse.name, physical, inverse.params):
        return [(inverse, tuple(range(op.num_qubits)))]
    if op.name == "rzz" and _accepted(target, "x", physical[:1], ()):
        return [(XGate(), (0,)), (op, (0, 1)), (XGate(), (0,))]
    if op.name in ("sx", "rx"):  # Z anticommutes with X: RZ(pi) RX(theta) RZ(pi) = RX(-theta) up to a phase
        return [(RZGate(np.pi), (0,)), (op, (0,)), (RZGate(np.pi), (0,))]
    raise InputError("zne", f"cannot fold {op.name}{tuple(float(p) for p in op.params)} on qubits {physical}: its "
                            f"inverse {inverse.name} is not accepted by the device target and no equivalent is known")


def fold_circuit(circuit: QuantumCircuit, factor: float, *, target=None, physical_qubits=None,
                 gates: str = "all") -> QuantumCircuit:
    """``circuit`` with every folded gate G (``gates``, module doc) replaced by
    G [barrier G^-1 barrier G]^n, n = k or k + 1 for factor = 1 + 2 (k + f) (module doc); the
    same unitary.  ``target``: the device Target whose accepted gates G^-1 is built from (None:
    any); ``physical_qubits``: the device qubit of each circuit qubit (a compact ISA circuit),
    default the identity."""
    if gates not in FOLD_GATES:
        raise InputError("zne_gates", f"must be one of {FOLD_GATES}, got {gates!r}")
    if isinstance(factor, bool) or not np.isfinite(float(factor)) or factor < 1:
        raise InputError("zne", f"a noise factor must be a finite number >= 1, got {factor!r}")
    k, f = divmod((float(factor) - 1) / 2, 1.0)
    where = {q: i for i, q in enumerate(circuit.qubits)}
    phys = tuple(range(circuit.num_qubits)) if physical_qubits is None else tuple(physical_qubits)
    out = circuit.copy_empty_like()
    inverses: dict[tuple, list[tuple]] = {}
    seen: dict[frozenset, int] = {}  # gates so far per qubit (pair): the fraction f is spread over each
    for inst in circuit.data:
        out._append(inst)
        if not _folded(inst, gates):
            continue
        qargs = tuple(phys[where[q]] for q in inst.qubits)
        j = seen.get(frozenset(qargs), 0)
        seen[frozenset(qargs)] = j + 1
        n = int(k) + int(np.floor((j + 1) * f + 0.5) - np.floor(j * f + 0.5))
        if n == 0:
            continue
        key = (inst.operation.name, qargs, tuple(inst.operation.params))
        if key not in inverses:
            inverses[key] = inverse_sequence(inst, qargs, target)
        barrier = CircuitInstruction(Barrier(len(inst.qubits)), inst.qubits)
        for _ in range(n):
            out._append(barrier)
            for op, local in inverses[key]:
                out._append(CircuitInstruction(op, tuple(inst.qubits[pos] for pos in local)))
            out._append(barrier)
            out._append(inst)
    return out


def fold_prepared(prepared, factor: float, *, gates: str = "all"):
    """A :class:`qbhw.execute.Prepared` whose ISA PUBs (compact and device-wide circuits alike)
    are folded at ``factor`` (:func:`fold_circuit`), parameters and shots unchanged."""
    target = device_target(prepared.device)
    isa = tuple(replace(pub, circuit=fold_circuit(pub.circuit, factor, target=target, physical_qubits=pub.physical_qubits,
                                                  gates=gates),
                        full_circuit=fold_circuit(pub.full_circuit, factor, target=target, gates=gates))
                for pub in prepared.isa)
    return replace(prepared, isa=isa)


def error_scale(prepared, folded) -> np.ndarray:
    """Per PUB, the predicted gate error of the folded circuit over the unfolded one's
    (-log of the snapshot fidelity product, :func:`qbhw.execute.resources.gate_error`): the
    noise factor the folding actually achieves; c itself when every erring gate is folded."""
    from .resources import gate_error

    snap = prepared.device.snapshot
    base = np.array([-np.log1p(-gate_error(p.circuit, p.physical_qubits, snap)) for p in prepared.isa])
    more = np.array([-np.log1p(-gate_error(p.circuit, p.physical_qubits, snap)) for p in folded.isa])
    return np.divide(more, base, out=np.ones_like(base), where=base > 0)
