"""Noise-exact outcome probabilities: the device reference without sampling, and the fast
sampler built on it.

A prepared PUB (compact ISA circuit on the physical qubits it uses) whose measurements are
all final (others forgotten, :func:`forget_measurements`) is propagated exactly under the
calibration snapshot's noise model of exactly those qubits, and the probabilities of its
classical bits are saved instead of sampled.  On up to :data:`BATCH_MAX_QUBITS` qubits the
circuit is cut into fixed segments and layers of diagonal parameterised gates (the RZ kicks):
every distinct instruction becomes a superoperator once (noisy ones from Aer's own
``superop`` simulation of that instruction under the noise model, noise-free gates from their
matrices), every distinct segment the product of its instructions', and the M parameter rows
of a PUB are propagated together, the diagonal layers as phases on the column-stacked
vec(rho) (:func:`_propagate`).  Wider circuits, and parameters in non-diagonal gates, are
simulated by Aer as one density matrix per row.  Both are exact; they agree to rounding
(tests/test_execute_independent.py).

Readout error is applied separately (:func:`with_readout`: the snapshot's asymmetric P(1|0),
P(0|1) per measured qubit, the same numbers the noise model's ``ReadoutError`` uses).
Sampling shots from these probabilities is the same distribution as Aer's shot-by-shot
sampling of the noisy circuit (readout errors act independently per shot) at a fraction of
the cost (benchmarks/execute_local.py).
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit.circuit import CircuitInstruction, ClassicalRegister, QuantumCircuit, QuantumRegister

#: Widest circuits propagated as superoperators (each distinct segment a 4**k x 4**k matrix,
#: built by 4**k-sized matrix products); wider ones run as one Aer density matrix per row.
BATCH_MAX_QUBITS = 3


def _final_split(circuit: QuantumCircuit):
    """([(instruction, qubit indices)] without the measurements, qubit measured into each
    clbit) under the conditions of :func:`final_measurements`, else None."""
    where = {q: i for i, q in enumerate(circuit.qubits)}
    measured: dict[int, int] = {}
    done: set[int] = set()
    body = []
    for inst in circuit.data:  # CircuitInstruction's name, params: no operation object built
        qubits = tuple(where[q] for q in inst.qubits)
        if inst.name == "measure":
            clbit = circuit.find_bit(inst.clbits[0]).index
            if clbit in measured or qubits[0] in done:
                return None
            measured[clbit] = qubits[0]
            done.add(qubits[0])
            continue
        if inst.clbits or done.intersection(qubits):
            return None
        body.append((inst, qubits))
    if sorted(measured) != list(range(circuit.num_clbits)):
        return None
    return body, [measured[c] for c in range(circuit.num_clbits)]


def final_measurements(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]] | None:
    """(circuit without its measurements, qubit measured into each clbit in clbit order) when
    every clbit is written by exactly one measurement that is the last operation on its qubit
    and nothing is classically controlled; None otherwise (mid-circuit measurements)."""
    split = _final_split(circuit)
    if split is None:
        return None
    out = circuit.copy_empty_like()
    for inst, _ in split[0]:
        out._append(inst)  # fast path: instructions of a circuit with the same bits
    return out, split[1]


def samplable(circuit: QuantumCircuit, keep: str | None = None) -> bool:
    """True when :func:`probabilities` can compute ``circuit``'s outcome distribution (of
    register ``keep`` alone, other measurements forgotten, when given)."""
    return _final_split(circuit if keep is None else forget_measurements(circuit, keep)) is not None


def forget_measurements(circuit: QuantumCircuit, keep: str) -> QuantumCircuit:
    """``circuit`` with every measurement into a clbit outside register ``keep`` replaced by
    the measure-and-forget channel rho -> P0 rho P0 + P1 rho P1 on that qubit, and only the
    ``keep`` register left: its outcome distribution is the marginal of the original's.
    Exact for the snapshot noise models, whose measurements flip only the classical record.
    Circuits with classically controlled operations are returned unchanged."""
    from qiskit.quantum_info import Kraus

    control_flow = ("if_else", "while_loop", "switch_case", "for_loop")
    if keep not in [c.name for c in circuit.cregs] or any(i.name in control_flow for i in circuit.data):
        return circuit
    reg = next(c for c in circuit.cregs if c.name == keep)
    if circuit.count_ops().get("measure", 0) <= reg.size:
        return circuit
    from qiskit.converters import circuit_to_dag, dag_to_circuit
    from qiskit.dagcircuit import DAGCircuit

    kept = set(reg)
    forget = Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]).to_instruction()
    channel = DAGCircuit()
    wire, record = QuantumRegister(1), ClassicalRegister(1)  # the measurement's wires; the record stays unwritten
    channel.add_qreg(wire)
    channel.add_creg(record)
    channel.apply_operation_back(forget, (wire[0],), ())
    dag = circuit_to_dag(circuit, copy_operations=False)  # node surgery: rebuilding the circuit op by op is ~5x slower
    for node in dag.named_nodes("measure"):
        if node.cargs[0] not in kept:
            dag.substitute_node_with_dag(node, channel, wires=[wire[0], record[0]])
    dag.remove_cregs(*[c for c in dag.cregs.values() if c.name != keep])
    dag.remove_clbits(*[c for c in dag.clbits if c not in kept])
    return dag_to_circuit(dag, copy_operations=False)


#: id(compact circuit) -> {(snapshot hash, keep, parameter values digest): (probabilities,
#: measured qubits)}, dropped with the circuit: sampling a PUB and predicting it (the device
#: reference) need the same simulation.  Keyed by the circuit, not the IsaPub, so that copies
#: of a PUB with other shots share it (circuits are unhashable, hence the id).
_CACHE: dict[int, dict] = {}
#: id(noise model) -> {instruction key: superoperator} of the instructions Aer computes (those
#: with noise, and channels: a few per qubit set), dropped with the noise model.
_SUPEROPS: dict[int, dict] = {}


_IDEAL_NOISE = None  # one empty NoiseModel: the superoperator cache is keyed by it


def _ideal_noise():
    from qiskit_aer.noise import NoiseModel

    return NoiseModel()


def _cached(store: dict, owner) -> dict:
    if id(owner) not in store:
        store[id(owner)] = {}
        weakref.finalize(owner, store.pop, id(owner), None)
    return store[id(owner)]


def _outcomes(isa_pubs: Sequence, snapshot, keep: str | None) -> list[tuple[np.ndarray, list[int]]]:
    """Per PUB, (probabilities (M, 2**num_clbits) before readout error, qubit measured into
    each clbit): see :func:`probabilities`."""
    from ..calibration import noise_model

    snapshot_hash = hash(snapshot)  # once: hashing a snapshot walks all its gates
    keys = [(snapshot_hash, keep, hashlib.blake2b(np.ascontiguousarray(p.values).tobytes(), digest_size=16).digest())
            for p in isa_pubs]
    out = [_CACHE.get(id(p.circuit), {}).get(key) for p, key in zip(isa_pubs, keys)]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, pub in enumerate(isa_pubs):
        if out[i] is None:
            groups.setdefault(pub.physical_qubits, []).append(i)
    for phys, idx in groups.items():
        noise = noise_model(snapshot, phys)
        splits = {i: _split(isa_pubs[i].circuit, keep) for i in idx}
        instructions: dict[tuple, CircuitInstruction] = {}
        plans = {i: _plan(splits[i][0], len(phys), isa_pubs[i].parameters, noise.noise_instructions, instructions)
                 for i in idx} if len(phys) <= BATCH_MAX_QUBITS else {}
        plans = {i: p for i, p in plans.items() if p is not None}
        found = dict(zip(plans, _propagate([isa_pubs[i] for i in plans], list(plans.values()),
                                           [splits[i][1] for i in plans], len(phys),
                                           _instruction_superops(instructions, len(phys), noise))))
        rest = [i for i in idx if i not in plans]
        found.update(zip(rest, _row_by_row([isa_pubs[i] for i in rest], [splits[i] for i in rest], noise)))
        for i in idx:
            found[i].setflags(write=False)
            out[i] = (found[i], splits[i][1])
            _cached(_CACHE, isa_pubs[i].circuit)[keys[i]] = out[i]
    return out


def _split(circuit: QuantumCircuit, keep: str | None):
    split = _final_split(circuit if keep is None else forget_measurements(circuit, keep))
    if split is None:
        raise ValueError(f"circuit {circuit.name!r} measures mid-circuit: its outcome "
                         "probabilities are not one density-matrix simulation")
    return split


def probabilities(isa_pubs: Sequence, snapshot, keep: str | None = None) -> list[np.ndarray]:
    """Per PUB, (M, 2**num_clbits) outcome probabilities (clbit 0 least significant) for each
    of its M parameter rows, under the snapshot's gate noise, BEFORE readout error.  With
    ``keep``, the probabilities of that classical register only: measurements into other
    registers are forgotten (:func:`forget_measurements`), so mid-circuit ones are allowed.
    Computed once per PUB and parameter values (cached with the circuit)."""
    return [p for p, _ in _outcomes(isa_pubs, snapshot, keep)]


def _row_by_row(pubs, splits, noise) -> list[np.ndarray]:
    """One Aer density-matrix simulation per parameter row, all PUBs in one call."""
    from qiskit_aer import AerSimulator

    if not pubs:
        return []
    circuits, binds = [], []
    for pub, (body, measured) in zip(pubs, splits):
        qc = QuantumCircuit(pub.circuit.num_qubits)
        for inst, qubits in body:
            qc._append(CircuitInstruction(inst.operation, tuple(qc.qubits[q] for q in qubits)))  # checked bits
        qc.save_probabilities(measured, label="p")
        circuits.append(qc)
        binds.append({p: pub.values[:, j] for j, p in enumerate(pub.parameters)} if pub.parameters else {})
    sim = AerSimulator(method="density_matrix", noise_model=noise, max_parallel_threads=1)
    result = sim.run(circuits, parameter_binds=binds if any(binds) else None, shots=1).result()
    out, k = [], 0
    for pub in pubs:
        rows = pub.values.shape[0] if pub.parameters else 1
        out.append(np.array([result.data(k + r)["p"] for r in range(rows)]))
        k += rows
    return out


@dataclass(frozen=True)
class _Layer:
    """Diagonal parameterised gates in a row: vec(rho) *= exp(i (values @ weights + offset)),
    values (M, P) the PUB's rows, weights (P, 4**k), offset (4**k,)."""

    weights: np.ndarray
    offset: np.ndarray


@functools.cache
def _diagonal_generator(name: str) -> np.ndarray | None:
    """h with gate(theta) = diag(exp(i theta h)) (the gate's own qubit order, little endian)
    for a standard one-parameter gate diagonal in the computational basis; None otherwise."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    gate = get_standard_gate_name_mapping().get(name)
    if gate is None or len(gate.params) != 1:
        return None
    h = np.angle(np.diag(gate.base_class(1.0).to_matrix()))
    for theta in (2.9, -1.3):
        if not np.allclose(gate.base_class(theta).to_matrix(), np.diag(np.exp(1j * theta * h)), atol=1e-12):
            return None
    return h


def _affine(expr, column: dict) -> tuple[float, dict[int, float]] | None:
    """(c0, {column of p: c_p}) with expr = c0 + sum_p c_p p, or None if ``expr`` is not affine
    with real coefficients."""
    from qiskit.circuit import ParameterExpression

    if not isinstance(expr, ParameterExpression):
        return float(expr), {}
    slopes = {}
    for p in expr.parameters:
        slope = expr.gradient(p)
        if isinstance(slope, ParameterExpression) or complex(slope).imag != 0:
            return None
        slopes[column[p]] = float(complex(slope).real)
    constant = complex(expr.bind({p: 0.0 for p in expr.parameters}).numeric())
    return None if constant.imag != 0 else (constant.real, slopes)


def _instruction_key(inst: CircuitInstruction, qubits: tuple[int, ...]) -> tuple:
    """Hashable identity of a bound instruction on ``qubits`` (matrix parameters of Kraus or
    unitary operations by their bytes)."""
    params = inst.params
    if all(isinstance(x, (int, float)) for x in params):
        return inst.name, qubits, tuple(params)
    return inst.name, qubits, tuple(x if isinstance(x, (int, float)) else np.asarray(x).tobytes() for x in params)


def _plan(body, k: int, parameters: Sequence, noisy_gates, instructions: dict) -> list | None:
    """The instructions ``body`` of a k-qubit circuit as a list of steps: fixed segments (tuples
    of instruction keys, each key's instruction put into ``instructions``) and
    :class:`_Layer` objects; None when a parameter enters anything but an affine angle of a
    noise-free diagonal gate (``noisy_gates``: names with errors in the noise model).  Channels
    (reset, Kraus) are segments of their own, so that circuits that differ in where they sit
    (one per "mcm" realization) share the segments between them."""
    dim = 1 << k
    column = {p: j for j, p in enumerate(parameters)}
    basis = np.arange(dim)
    left, right = np.arange(dim * dim) % dim, np.arange(dim * dim) // dim  # vec index = a + dim * b
    steps: list = []
    segment: list = []
    for inst, qubits in body:
        if inst.name == "barrier":
            continue
        if not inst.is_standard_gate() and (inst.is_control_flow() or inst.is_parameterized()):
            return None
        if not inst.params or not inst.is_parameterized():
            key = _instruction_key(inst, qubits)
            instructions.setdefault(key, inst)
            if inst.is_standard_gate():
                segment.append(key)
            else:  # a channel: a segment of its own
                if segment:
                    steps.append(tuple(segment))
                    segment.clear()
                steps.append((key,))
            continue
        h = _diagonal_generator(inst.name) if inst.name not in noisy_gates else None
        angle = _affine(inst.params[0], column) if h is not None else None
        if angle is None:
            return None
        if segment:
            steps.append(tuple(segment))
            segment.clear()
        if not steps or not isinstance(steps[-1], _Layer):
            steps.append(_Layer(np.zeros((len(column), dim * dim)), np.zeros(dim * dim)))
        on_basis = h[sum(((basis >> q) & 1) << j for j, q in enumerate(qubits))]  # h of every basis state
        phase = on_basis[left] - on_basis[right]
        constant, slopes = angle
        steps[-1].offset[:] += constant * phase
        for j, c in slopes.items():
            steps[-1].weights[j] += c * phase
    if segment:
        steps.append(tuple(segment))
    return steps


def _embed(matrix: np.ndarray, qubits: tuple[int, ...], k: int) -> np.ndarray:
    """A gate's matrix (little endian over ``qubits``) as a k-qubit matrix."""
    a = np.arange(1 << k)
    local = sum(((a >> q) & 1) << j for j, q in enumerate(qubits))
    rest = a & ~sum(1 << q for q in qubits)
    return matrix[local[:, None], local[None, :]] * (rest[:, None] == rest[None, :])


def _instruction_superops(instructions: dict, k: int, noise) -> dict:
    """{key: S^T} for every instruction, S its noisy superoperator on column-stacked vec(rho)
    (transposed: rows are propagated as v -> v @ S^T).  Noise-free standard gates (names without
    errors in ``noise``) from their matrices, S = conj(U) (x) U; everything else from one Aer
    ``superop`` simulation of the instruction alone under ``noise`` (cached per noise model)."""
    from qiskit_aer import AerSimulator

    cache = _cached(_SUPEROPS, noise)
    noisy = set(noise.noise_instructions)
    out, by_aer = {}, []
    for key, inst in instructions.items():
        if inst.is_standard_gate() and inst.name not in noisy:
            u = _embed(inst.matrix, key[1], k)
            out[key] = (u.conj()[:, None, :, None] * u[None, :, None, :]).reshape(4**k, 4**k).T  # kron(conj U, U)
        elif key not in cache:
            by_aer.append(key)
    if by_aer:
        circuits = []
        for key in by_aer:
            qc = QuantumCircuit(k)
            qc._append(CircuitInstruction(instructions[key].operation, tuple(qc.qubits[q] for q in key[1])))
            qc.save_superop(label="s")
            circuits.append(qc)
        sim = AerSimulator(method="superop", noise_model=noise, max_parallel_threads=1)
        result = sim.run(circuits, shots=1).result()
        for i, key in enumerate(by_aer):
            cache[key] = np.asarray(result.data(i)["s"]).T
    return out | {key: cache[key] for key in instructions if key not in out}


def _propagate(pubs, plans, measured, k: int, superops: dict) -> list[np.ndarray]:
    """Per PUB, (M, 2**len(measured)) probabilities: its M rows, as column-stacked vec(rho)
    from |0...0><0...0|, through its plan's segments (each distinct one multiplied out once)
    and diagonal layers."""
    dim = 1 << k
    segments: dict[tuple, np.ndarray] = {}
    populations = np.arange(dim) * (dim + 1)  # vec index of rho_aa
    out = []
    for pub, plan, qubits in zip(pubs, plans, measured):
        v = np.zeros((pub.values.shape[0], dim * dim), dtype=complex)
        v[:, 0] = 1.0
        for step in plan:
            if isinstance(step, _Layer):
                v *= np.exp(1j * (pub.values @ step.weights + step.offset))
                continue
            if step not in segments:
                segments[step] = functools.reduce(np.matmul, [superops[key] for key in step])
            v = v @ segments[step]
        marginal = np.zeros((dim, 1 << len(qubits)))
        marginal[np.arange(dim), sum(((np.arange(dim) >> q) & 1) << j for j, q in enumerate(qubits))] = 1.0
        out.append(v[:, populations].real @ marginal)
    return out


def with_readout(probs: np.ndarray, snapshot, physical_qubits: Sequence[int]) -> np.ndarray:
    """(..., 2**k) probabilities after independent readout errors of ``physical_qubits[i]``
    (the qubit read into bit i), with the snapshot's assignment matrices."""
    from ..tomography.mitigation import apply_assignments, assignments_from_snapshot

    return apply_assignments(probs, assignments_from_snapshot(snapshot, physical_qubits))


def ideal_probabilities(pubs, keep: str | None = None) -> list[np.ndarray]:
    """Per logical PUB (circuit, values[, shots]) of a compiled program, (M, 2**num_clbits)
    outcome probabilities of its M parameter rows without noise (``keep`` as in
    :func:`probabilities`): what the ideal simulator samples from.  The same propagation as the
    noisy path (parameters in diagonal gates: all rows at once), row by row otherwise."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator
    from .noisy import IsaPub

    global _IDEAL_NOISE
    _IDEAL_NOISE = _IDEAL_NOISE or _ideal_noise()
    wrapped, splits = [], []
    for qc, values, *_ in pubs:
        qc = transpile(qc, AerSimulator(method="density_matrix"), optimization_level=0)
        values = np.zeros((1, 0)) if values is None else np.asarray(values, dtype=float).reshape(-1, qc.num_parameters)
        wrapped.append(IsaPub(qc, qc, tuple(range(qc.num_qubits)), tuple(qc.parameters), values, None))
        splits.append(_split(qc, keep))
    noise, instructions, found = _IDEAL_NOISE, {}, {}
    k = wrapped[0].circuit.num_qubits if wrapped else 0
    plans = ({i: _plan(body, k, pub.parameters, [], instructions) for i, (pub, (body, _)) in enumerate(zip(wrapped, splits))}
             if k <= BATCH_MAX_QUBITS else {})
    plans = {i: plan for i, plan in plans.items() if plan is not None}
    if plans:
        found.update(zip(plans, _propagate([wrapped[i] for i in plans], list(plans.values()), [splits[i][1] for i in plans],
                                           k, _instruction_superops(instructions, k, noise))))
    rest = [i for i in range(len(wrapped)) if i not in plans]
    found.update(zip(rest, _row_by_row([wrapped[i] for i in rest], [splits[i] for i in rest], noise)))
    return [found[i] for i in range(len(wrapped))]


def exact_probabilities(isa_pubs: Sequence, snapshot, *, readout: bool = False,
                        keep: str | None = None) -> list[np.ndarray]:
    """:func:`probabilities`, with the snapshot's readout error applied when ``readout``."""
    found = _outcomes(isa_pubs, snapshot, keep)
    if not readout:
        return [p for p, _ in found]
    return [with_readout(p, snapshot, [pub.physical_qubits[q] for q in qubits])
            for pub, (p, qubits) in zip(isa_pubs, found)]


def sample(isa_pubs: Sequence, snapshot, *, shots: int, seed: int | None, keep: str | None = None) -> list[np.ndarray]:
    """Counts (M, 2**num_clbits) drawn from the exact probabilities with readout error: each
    parameter row gets the PUB's own shots, or ``shots`` if it has none (multinomial).  With
    ``keep``, counts of that register only (other measurements forgotten, see
    :func:`probabilities`)."""
    rng = np.random.default_rng(seed)
    probs = exact_probabilities(isa_pubs, snapshot, readout=True, keep=keep)
    out = []
    for pub, p in zip(isa_pubs, probs):
        p = np.clip(p, 0.0, None)
        out.append(rng.multinomial(pub.shots or shots, p / p.sum(axis=1, keepdims=True)).astype(np.int64))
    return out
