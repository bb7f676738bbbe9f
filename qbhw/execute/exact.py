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
from qiskit.circuit import Measure, QuantumCircuit


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


#: pub -> {snapshot: probabilities}: sampling a PUB and predicting it (the device reference)
#: need the same simulation; PUBs are immutable and compared by identity.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def probabilities(isa_pubs: Sequence, snapshot) -> list[np.ndarray]:
    """Per PUB, (M, 2**num_clbits) outcome probabilities (clbit 0 least significant) for each
    of its M parameter rows, under the snapshot's gate noise, BEFORE readout error."""
    from qiskit_aer import AerSimulator

    from ..calibration import noise_model

    out: list[np.ndarray | None] = [_CACHE.get(pub, {}).get(snapshot) for pub in isa_pubs]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, pub in enumerate(isa_pubs):
        if out[i] is None:
            groups.setdefault(pub.physical_qubits, []).append(i)
    for phys, idx in groups.items():
        sim = AerSimulator(method="density_matrix", noise_model=noise_model(snapshot, phys), max_parallel_threads=1)
        circuits, binds = [], []
        for i in idx:
            split = final_measurements(isa_pubs[i].circuit)
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
            _CACHE.setdefault(isa_pubs[i], {})[snapshot] = out[i]
            k += rows
    return out


def with_readout(probs: np.ndarray, snapshot, physical_qubits: Sequence[int]) -> np.ndarray:
    """(..., 2**k) probabilities after independent readout errors of ``physical_qubits[i]``
    (the qubit read into bit i), with the snapshot's assignment matrices."""
    from ..tomography.mitigation import apply_assignments, assignments_from_snapshot

    return apply_assignments(probs, assignments_from_snapshot(snapshot, physical_qubits))


def exact_probabilities(isa_pubs: Sequence, snapshot, *, readout: bool = False) -> list[np.ndarray]:
    """:func:`probabilities`, with the snapshot's readout error applied when ``readout``."""
    probs = probabilities(isa_pubs, snapshot)
    if not readout:
        return probs
    out = []
    for pub, p in zip(isa_pubs, probs):
        qubits = final_measurements(pub.circuit)[1]
        out.append(with_readout(p, snapshot, [pub.physical_qubits[q] for q in qubits]))
    return out


def sample(isa_pubs: Sequence, snapshot, *, shots: int, seed: int | None) -> list[np.ndarray]:
    """Counts (M, 2**num_clbits) drawn from the exact probabilities with readout error: each
    parameter row gets ``shots`` (or the PUB's own shots) multinomial samples."""
    rng = np.random.default_rng(seed)
    probs = exact_probabilities(isa_pubs, snapshot, readout=True)
    out = []
    for pub, p in zip(isa_pubs, probs):
        p = np.clip(p, 0.0, None)
        out.append(rng.multinomial(pub.shots or shots, p / p.sum(axis=1, keepdims=True)).astype(np.int64))
    return out
