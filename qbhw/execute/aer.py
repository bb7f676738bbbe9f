"""Ideal Aer execution of a Program's PUBs through Aer's SamplerV2 (parameter broadcasting)."""

from __future__ import annotations

import functools

import numpy as np
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

from .exact import forget_measurements
from .noisy import counts_from_pub_result


def sampler(seed: int | None, method: str = "automatic") -> SamplerV2:
    """Aer SamplerV2, one thread per circuit: faster than OpenMP on 2-5 qubit circuits.
    method "density_matrix" for circuits with channels (Kraus, reset): one simulation, then the
    shots are drawn from it, instead of one stochastic trajectory per shot."""
    return SamplerV2(seed=seed, options={"backend_options": {"max_parallel_threads": 1, "method": method}})


@functools.cache
def _pass_manager(method: str):
    """Level-1 preset pass manager for the Aer simulator (built once: ~0.1 s each)."""
    return generate_preset_pass_manager(optimization_level=1, backend=AerSimulator(method=method))


def run_pubs(pubs, seed: int | None) -> tuple[np.ndarray, ...]:
    """Sample every PUB ``(circuit, values or None, shots per parameter row)``.  Counts cover
    all classical bits, clbit 0 least significant, except in circuits with a "meas" register
    and other measurements (mid-circuit: "mcm"/"weak" dephasing): those are simulated as the
    measure-and-forget channel (:func:`qbhw.execute.exact.forget_measurements`), whose "meas"
    distribution is exactly the marginal, as one density matrix instead of shot by shot
    (about 100x faster), and their counts cover "meas" only."""
    logical = [forget_measurements(qc, "meas") for qc, _, _ in pubs]
    channels = any(qc.count_ops().keys() & {"kraus", "reset"} for qc in logical)
    method = "density_matrix" if channels else "automatic"
    circuits = _pass_manager(method).run(logical)
    for qc, (orig, _, _) in zip(circuits, pubs):
        if [p.name for p in qc.parameters] != [p.name for p in orig.parameters]:
            raise RuntimeError("transpilation changed the circuit parameters")
    normalised = [(qc, np.zeros((1, 0)) if values is None else values, int(shots))
                  for qc, (_, values, shots) in zip(circuits, pubs)]
    result = sampler(seed, method).run(normalised).result()
    return tuple(counts_from_pub_result(r, qc) for r, (qc, _, _) in zip(result, normalised))

