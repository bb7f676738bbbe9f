"""Noise-exact outcome probabilities: the device reference without sampling.

Each prepared PUB (compact ISA circuit on the physical qubits it uses) is simulated as a
density matrix under the calibration snapshot's noise model of exactly those qubits, for
every parameter row, and the probabilities of its ``meas`` register are saved instead of
sampled.  Readout error is NOT included (Aer applies it only to sampled measurements): apply
the snapshot's assignment matrices (:mod:`qbhw.tomography.mitigation`) to compare with raw
counts.  What a device should give if the noise model were the whole truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import Measure, QuantumCircuit

REGISTER = "meas"


def without_final_measurements(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]]:
    """(circuit without the measurements into register ``meas``, qubit measured into each of
    its clbits in clbit order); those measurements must be the last operation on their qubit."""
    creg = next((c for c in circuit.cregs if c.name == REGISTER), None)
    if creg is None:
        raise ValueError(f"circuit {circuit.name!r} has no classical register {REGISTER!r}")
    target = {bit: i for i, bit in enumerate(creg)}
    out = circuit.copy_empty_like()
    measured: dict[int, int] = {}
    for inst in circuit.data:
        if isinstance(inst.operation, Measure) and inst.clbits[0] in target:
            measured[target[inst.clbits[0]]] = circuit.find_bit(inst.qubits[0]).index
            continue
        if any(circuit.find_bit(q).index in measured.values() for q in inst.qubits):
            raise ValueError(f"circuit {circuit.name!r}: operation {inst.operation.name} after the final measurement")
        out.append(inst)
    if sorted(measured) != list(range(len(creg))):
        raise ValueError(f"circuit {circuit.name!r}: not every clbit of {REGISTER!r} is measured")
    return out, [measured[i] for i in range(len(creg))]


def exact_probabilities(isa_pubs: Sequence, snapshot) -> list[np.ndarray]:
    """Per PUB, (M, 2**k) probabilities of the ``meas`` register value (clbit 0 least
    significant) for each of its M parameter rows, before readout error (see module doc)."""
    from qiskit_aer import AerSimulator

    from ..calibration import noise_model

    out: list[np.ndarray | None] = [None] * len(isa_pubs)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, pub in enumerate(isa_pubs):
        groups.setdefault(pub.physical_qubits, []).append(i)
    for phys, idx in groups.items():
        sim = AerSimulator(method="density_matrix", noise_model=noise_model(snapshot, phys), max_parallel_threads=1)
        circuits, binds = [], []
        for i in idx:
            qc, qubits = without_final_measurements(isa_pubs[i].circuit)
            qc.save_probabilities(qubits, label="p")
            circuits.append(qc)
            pub = isa_pubs[i]
            binds.append({p: pub.values[:, j] for j, p in enumerate(pub.parameters)} if pub.parameters else {})
        result = sim.run(circuits, parameter_binds=binds if any(binds) else None, shots=1).result()
        k = 0
        for i in idx:
            rows = max(1, isa_pubs[i].values.shape[0]) if isa_pubs[i].parameters else 1
            out[i] = np.array([result.data(k + r)["p"] for r in range(rows)])
            k += rows
    return out
