"""Ideal Aer execution of a Program's PUBs through Aer's SamplerV2 (parameter broadcasting)."""

from __future__ import annotations

import numpy as np
from qiskit import transpile
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2


def sampler(seed: int | None, method: str = "automatic") -> SamplerV2:
    """Aer SamplerV2, one thread per circuit: faster than OpenMP on 2-5 qubit circuits.
    method "density_matrix" for circuits with channels (Kraus): one simulation, then the shots
    are drawn from it, instead of one stochastic trajectory per shot."""
    return SamplerV2(seed=seed, options={"backend_options": {"max_parallel_threads": 1, "method": method}})


def to_counts(bits, num_clbits: int) -> np.ndarray:
    """BitArray of shape (M,) -> counts (M, 2**num_clbits), index = register value."""
    values = bits.array.astype(np.int64)  # (M, shots, bytes), big-endian bytes
    ints = np.zeros(values.shape[:-1], dtype=np.int64)
    for b in range(values.shape[-1]):
        ints = (ints << 8) | values[..., b]
    m = ints.shape[0]
    counts = np.zeros((m, 2**num_clbits), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(m), ints.shape[1]), ints.reshape(-1)), 1)
    return counts


def run_pubs(pubs, shots_per_realization: int, seed: int | None) -> tuple[np.ndarray, ...]:
    """Sample every PUB; each parameter row gets ``shots_per_realization`` shots."""
    circuits = transpile([qc for qc, _ in pubs], AerSimulator(), optimization_level=1)
    for qc, (orig, _) in zip(circuits, pubs):
        if [p.name for p in qc.parameters] != [p.name for p in orig.parameters]:
            raise RuntimeError("transpilation changed the circuit parameters")
    normalised = [(qc, np.zeros((1, 0)) if values is None else values) for qc, (_, values) in zip(circuits, pubs)]
    channels = any(inst.operation.name == "kraus" for qc, _ in normalised for inst in qc.data)
    job = sampler(seed, "density_matrix" if channels else "automatic").run(normalised, shots=shots_per_realization)
    result = job.result()
    return tuple(to_counts(r.data.meas, qc.num_clbits) for r, (qc, _) in zip(result, normalised))

