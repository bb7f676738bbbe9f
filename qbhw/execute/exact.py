"""Noise-exact outcome probabilities: the device reference without sampling, and the fast
sampler built on it.

A prepared PUB (compact ISA circuit on the physical qubits it uses) whose measurements are
all final is simulated as a density matrix under the calibration snapshot's noise model of
exactly those qubits, once per parameter row, and the probabilities of its classical bits are
saved instead of sampled.  Readout error is applied separately (:func:`with_readout`: the
snapshot's asymmetric P(1|0), P(0|1) per measured qubit, the same numbers the noise model's
``ReadoutError`` uses).  Sampling shots from these probabilities is the same distribution as
Aer's shot-by-shot sampling of the noisy circuit (readout errors act independently per shot)
at a fraction of the cost (benchmarks/execute_local.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from qiskit.circuit import ClassicalRegister, Measure, QuantumCircuit, QuantumRegister


def final_measurements(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]] | None:
    """(circuit without its measurements, qubit measured into each clbit in clbit order) when
    every clbit is written by exactly one measurement that is the last operation on its qubit
    and nothing is classically controlled; None otherwise (mid-circuit measurements)."""
    out = circuit.copy_empty_like()
    measured: dict[int, int] = {}
    done: set[int] = set()
    for inst in circuit.data:
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if isinstance(inst.operation, Measure):
            clbit = circuit.find_bit(inst.clbits[0]).index
            if clbit in measured or qubits[0] in done:
                return None
            measured[clbit] = qubits[0]
            done.add(qubits[0])
            continue
        if inst.clbits or done.intersection(qubits):
            return None
        out.append(inst)
    if sorted(measured) != list(range(circuit.num_clbits)):
        return None
    return out, [measured[c] for c in range(circuit.num_clbits)]


def forget_measurements(circuit: QuantumCircuit, keep: str) -> QuantumCircuit:
    """``circuit`` with every measurement into a clbit outside register ``keep`` replaced by
    the measure-and-forget channel rho -> P0 rho P0 + P1 rho P1 on that qubit, and only the
    ``keep`` register left: its outcome distribution is the marginal of the original's.
    Exact for the snapshot noise models, whose measurements flip only the classical record.
    Circuits with classically controlled operations are returned unchanged."""
    from qiskit.quantum_info import Kraus

    if keep not in [c.name for c in circuit.cregs] or any(i.operation.name in ("if_else", "while_loop", "switch_case",
                                                                              "for_loop") for i in circuit.data):
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


#: pub -> {snapshot: probabilities}: sampling a PUB and predicting it (the device reference)
#: need the same simulation; PUBs are immutable and compared by identity.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def probabilities(isa_pubs: Sequence, snapshot, keep: str | None = None) -> list[np.ndarray]:
    """Per PUB, (M, 2**num_clbits) outcome probabilities (clbit 0 least significant) for each
    of its M parameter rows, under the snapshot's gate noise, BEFORE readout error.  With
    ``keep``, the probabilities of that classical register only: measurements into other
    registers are forgotten (:func:`forget_measurements`), so mid-circuit ones are allowed."""
    from qiskit_aer import AerSimulator

    from ..calibration import noise_model

    out: list[np.ndarray | None] = [_CACHE.get(pub, {}).get((snapshot, keep)) for pub in isa_pubs]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, pub in enumerate(isa_pubs):
        if out[i] is None:
            groups.setdefault(pub.physical_qubits, []).append(i)
    for phys, idx in groups.items():
        sim = AerSimulator(method="density_matrix", noise_model=noise_model(snapshot, phys), max_parallel_threads=1)
        circuits, binds = [], []
        for i in idx:
            circuit = isa_pubs[i].circuit
            split = final_measurements(circuit if keep is None else forget_measurements(circuit, keep))
            if split is None:
                raise ValueError(f"circuit {isa_pubs[i].circuit.name!r} measures mid-circuit: its outcome "
                                 "probabilities are not one density-matrix simulation")
            qc, qubits = split
            qc.save_probabilities(qubits, label="p")
            circuits.append(qc)
            pub = isa_pubs[i]
            binds.append({p: pub.values[:, j] for j, p in enumerate(pub.parameters)} if pub.parameters else {})
        result = sim.run(circuits, parameter_binds=binds if any(binds) else None, shots=1).result()
        k = 0
        for i in idx:
            rows = isa_pubs[i].values.shape[0] if isa_pubs[i].parameters else 1
            out[i] = np.array([result.data(k + r)["p"] for r in range(rows)])
            out[i].setflags(write=False)
            _CACHE.setdefault(isa_pubs[i], {})[(snapshot, keep)] = out[i]
            k += rows
    return out


def with_readout(probs: np.ndarray, snapshot, physical_qubits: Sequence[int]) -> np.ndarray:
    """(..., 2**k) probabilities after independent readout errors of ``physical_qubits[i]``
    (the qubit read into bit i), with the snapshot's assignment matrices."""
    from ..tomography.mitigation import apply_assignments, assignments_from_snapshot

    return apply_assignments(probs, assignments_from_snapshot(snapshot, physical_qubits))


def exact_probabilities(isa_pubs: Sequence, snapshot, *, readout: bool = False,
                        keep: str | None = None) -> list[np.ndarray]:
    """:func:`probabilities`, with the snapshot's readout error applied when ``readout``."""
    probs = probabilities(isa_pubs, snapshot, keep)
    if not readout:
        return probs
    out = []
    for pub, p in zip(isa_pubs, probs):
        qubits = final_measurements(pub.circuit if keep is None else forget_measurements(pub.circuit, keep))[1]
        out.append(with_readout(p, snapshot, [pub.physical_qubits[q] for q in qubits]))
    return out


def sample(isa_pubs: Sequence, snapshot, *, shots: int, seed: int | None, keep: str | None = None) -> list[np.ndarray]:
    """Counts (M, 2**num_clbits) drawn from the exact probabilities with readout error: each
    parameter row gets ``shots`` (or the PUB's own shots) multinomial samples.  With ``keep``,
    counts of that register only (other measurements forgotten, see :func:`probabilities`)."""
    rng = np.random.default_rng(seed)
    probs = exact_probabilities(isa_pubs, snapshot, readout=True, keep=keep)
    out = []
    for pub, p in zip(isa_pubs, probs):
        p = np.clip(p, 0.0, None)
        out.append(rng.multinomial(pub.shots or shots, p / p.sum(axis=1, keepdims=True)).astype(np.int64))
    return out
