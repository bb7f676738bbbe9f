"""Fast local noisy execution: device noise of exactly the physical qubits a program uses.

Path: each PUB's circuit is transpiled with a fixed initial layout against the FULL device
target (so gates, directions and durations are the device's), the qubits it touches are
found, and the circuit is compacted to those k qubits.  Its outcome probabilities under the
noise model of those k qubits only (:func:`qbhw.calibration.noise.noise_model`) are computed
exactly, all parameter rows of a PUB together (:mod:`.exact`), and the shots are drawn from
them with the snapshot's readout error; circuits whose mid-circuit measurements cannot be
forgotten (classical control) are simulated shot by shot by Aer's ``SamplerV2``
(``sampling="aer"`` does so for every circuit), single-threaded.  Output distributions equal
those of the fake backend's own full-device local mode, and Aer's shot-by-shot sampling
(tests/test_execute_independent.py), at a small fraction of the cost
(benchmarks/execute_local.py).

Results follow the execution contract of :mod:`qbhw.execute`: ``counts[i]`` has shape
(M_i, 2**num_clbits_i), M_i = number of parameter sets of PUB i (1 without parameters),
column index = integer value of the circuit's classical bits with clbit 0 least significant.
Times are in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .result import ExecutionResult

__all__ = [
    "IsaPub",
    "coerce_pubs",
    "prepare_pubs",
    "run_noisy",
    "sample_isa_pubs",
    "counts_from_pub_result",
    "MAX_CLBITS",
]

#: Largest number of classical bits per circuit for dense counts arrays (2**MAX_CLBITS columns).
MAX_CLBITS = 20


@dataclass(frozen=True, eq=False)
class IsaPub:
    """One PUB after transpilation: ``circuit`` is compacted to ``physical_qubits`` (compact
    qubit i = device qubit ``physical_qubits[i]``), ``full_circuit`` is the device-wide ISA
    circuit (what a device or the runtime local mode runs); ``values`` has shape
    (M, num_parameters) keyed by ``parameters`` (names), or shape (1, 0)."""

    circuit: object
    full_circuit: object
    physical_qubits: tuple[int, ...]
    parameters: tuple
    values: np.ndarray
    shots: int | None

    def sampler_pub(self, full: bool = False):
        """``(circuit, {parameters: values}[, shots])`` for a SamplerV2 (compact or full width)."""
        circ = self.full_circuit if full else self.circuit
        binds = {self.parameters: self.values} if self.parameters else None
        return (circ, binds, self.shots) if self.shots is not None else (circ, binds)


def coerce_pubs(pubs) -> list[tuple]:
    """Normalise a Program (anything with ``.pubs``), a circuit, or a sequence of PUB-likes
    (circuit | (circuit,) | (circuit, values) | (circuit, values, shots)) to a list of
    ``(circuit, values (M, P) float array, shots or None)``."""
    from qiskit import QuantumCircuit

    if hasattr(pubs, "pubs"):
        pubs = pubs.pubs
    if isinstance(pubs, QuantumCircuit):
        pubs = [pubs]
    if not isinstance(pubs, Sequence) or isinstance(pubs, (str, bytes)) or not pubs:
        raise ValueError("pubs must be a non-empty sequence of circuits or (circuit, values[, shots]) tuples")
    out = []
    for i, pub in enumerate(pubs):
        items = (pub,) if isinstance(pub, QuantumCircuit) else tuple(pub)
        if not items or not isinstance(items[0], QuantumCircuit) or len(items) > 3:
            raise ValueError(f"pubs[{i}] must be a circuit or (circuit, values[, shots])")
        circ = items[0]
        values = items[1] if len(items) > 1 else None
        shots = items[2] if len(items) > 2 else None
        p = circ.num_parameters
        if values is None:
            if p:
                raise ValueError(f"pubs[{i}]: circuit has {p} parameters but no values were given")
            arr = np.zeros((1, 0))
        else:
            arr = np.asarray(values, dtype=float)
            if arr.ndim == 1 and p:
                arr = arr.reshape(1, -1) if arr.size == p else arr.reshape(-1, 1)
            if arr.ndim < 1 or arr.shape[-1] != p:
                raise ValueError(f"pubs[{i}]: values must have last axis {p} (circuit.parameters), got {arr.shape}")
            arr = arr.reshape(-1, p)
        if shots is not None and (int(shots) != shots or shots < 1):
            raise ValueError(f"pubs[{i}]: shots must be a positive integer, got {shots!r}")
        if circ.num_clbits == 0:
            raise ValueError(f"pubs[{i}]: circuit has no classical bits to sample")
        if len(_counted_bits(circ)) > MAX_CLBITS:
            raise ValueError(f"pubs[{i}]: {circ.num_clbits} classical bits, at most {MAX_CLBITS} supported")
        out.append((circ, arr, None if shots is None else int(shots)))
    return out


def _device(calibration):
    """(snapshot, transpile target) from a CalibrationSnapshot or a backend."""
    from qbhw.calibration import CalibrationSnapshot, snapshot_backend
    from qbhw.calibration.noise import full_target

    if isinstance(calibration, CalibrationSnapshot):
        return calibration, full_target(calibration)
    if hasattr(calibration, "target") and hasattr(calibration, "properties"):
        return snapshot_backend(calibration), calibration.target
    raise ValueError("calibration must be a CalibrationSnapshot or a backend (fake or IBMBackend)")


def _is_physical(circuit, num_qubits: int, initial_layout) -> bool:
    return circuit.layout is not None or (initial_layout is None and circuit.num_qubits == num_qubits)


def prepare_pubs(
    pubs,
    calibration,
    *,
    initial_layout: Sequence[int] | None = None,
    optimization_level: int = 1,
    seed_transpiler: int = 0,
) -> tuple[IsaPub, ...]:
    """Transpile logical PUBs with the fixed ``initial_layout`` (logical qubit i -> device
    qubit ``initial_layout[i]``; narrower circuits use its first qubits) against the full device target of ``calibration`` (snapshot or
    backend); circuits that are already device-wide ISA circuits are taken as they are.
    Returns :class:`IsaPub` objects compacted to the device qubits each circuit touches."""
    snapshot, target = _device(calibration)
    return _prepare(pubs, snapshot, target, initial_layout, optimization_level, seed_transpiler)


def _prepare(pubs, snapshot, target, initial_layout, optimization_level, seed_transpiler):
    from qiskit import transpile

    from qbhw.calibration.noise import compact_circuit, used_qubits

    items = coerce_pubs(pubs)
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3, got {optimization_level!r}")
    logical = [i for i, (c, _, _) in enumerate(items) if not _is_physical(c, snapshot.num_qubits, initial_layout)]
    if logical and initial_layout is None:
        raise ValueError(
            "initial_layout: required for logical circuits (choose one with "
            "qbhw.calibration.select_pair / select_star / select_chain)"
        )
    full = [c for c, _, _ in items]
    if logical:
        layout = [int(q) for q in initial_layout]
        by_width: dict[int, list[int]] = {}
        for i in logical:
            by_width.setdefault(items[i][0].num_qubits, []).append(i)
        if max(by_width) > len(layout):
            raise ValueError(f"initial_layout: {len(layout)} qubits for a circuit of width {max(by_width)}")
        for width, idx in by_width.items():
            done = transpile(
                [items[i][0] for i in idx],
                target=target,
                initial_layout=layout[:width],
                optimization_level=optimization_level,
                seed_transpiler=seed_transpiler,
            )
            for i, c in zip(idx, done):
                full[i] = c
    out = []
    for (orig, values, shots), isa in zip(items, full):
        phys = used_qubits(isa)
        if not phys:
            raise ValueError(f"circuit {orig.name!r} acts on no qubit")
        missing = set(isa.parameters) - set(orig.parameters)
        if missing:
            raise ValueError(f"circuit {orig.name!r}: transpiled circuit has unknown parameters {missing}")
        # the transpiler may drop a parameter without effect (a kick RZ just before a Z
        # measurement): its column goes too, so every row binds exactly the ISA circuit's parameters
        kept = [k for k, q in enumerate(orig.parameters) if q in set(isa.parameters)]
        params = tuple(orig.parameters[k] for k in kept)
        out.append(IsaPub(compact_circuit(isa, phys), isa, phys, params, values[:, kept], shots))
    return tuple(out)


def _counted_bits(circuit) -> list:
    """The classical registers whose outcomes dense counts keep: all of them, or only "meas"
    when all of them would need more than 2**MAX_CLBITS columns (a collision program's engine
    records: those mid-circuit outcomes are summed out; the analysis reads "meas" only)."""
    if circuit.num_clbits > MAX_CLBITS and any(c.name == "meas" for c in circuit.cregs):
        return [c for c in circuit.cregs if c.name == "meas"]
    return list(circuit.cregs)


def counts_from_pub_result(pub_result, circuit) -> np.ndarray:
    """Dense counts (M, 2**num_clbits) from a SamplerV2 pub result of ``circuit``: bit j of the
    column index is the circuit's clbit j (registers placed at their clbit offsets); for
    circuits with more than MAX_CLBITS clbits, (M, 2**k) of the k-bit "meas" register only
    ("meas" is always the first register: clbits 0..k-1)."""
    registers = _counted_bits(circuit)
    nclbits = sum(len(c) for c in registers)
    ints = None
    covered = 0
    for creg in registers:
        offset = circuit.find_bit(creg[0]).index
        if [circuit.find_bit(b).index for b in creg] != list(range(offset, offset + len(creg))):
            raise ValueError(f"circuit: classical register {creg.name!r} is not contiguous")
        arr = np.asarray(getattr(pub_result.data, creg.name).array)
        nbytes = arr.shape[-1]
        arr = arr.reshape(-1, arr.shape[-2], nbytes).astype(np.int64)
        value = np.zeros(arr.shape[:2], dtype=np.int64)
        for b in range(nbytes):
            value = (value << 8) | arr[..., b]
        ints = (value << offset) if ints is None else ints | (value << offset)
        covered += len(creg)
    if ints is None or covered != nclbits:
        raise ValueError("circuit: every classical bit must belong to exactly one register")
    m = ints.shape[0]
    flat = ints + (np.arange(m, dtype=np.int64)[:, None] << nclbits)
    return np.bincount(flat.ravel(), minlength=m << nclbits).reshape(m, 1 << nclbits)


def _check_run_args(shots, seed):
    if isinstance(shots, bool) or int(shots) != shots or shots < 1:
        raise ValueError(f"shots must be a positive integer, got {shots!r}")
    if seed is not None and (isinstance(seed, bool) or int(seed) != seed or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")


def sample_isa_pubs(isa_pubs: Sequence[IsaPub], snapshot, *, shots: int, seed,
                    sampling: str = "auto") -> list[np.ndarray]:
    """Sample compacted :class:`IsaPub` objects with their restricted noise; every parameter row
    gets the PUB's own shots, or ``shots`` if it carries none.

    sampling: "exact" draws shots from the exact probabilities with readout error
    (:func:`qbhw.execute.exact.sample`; requires final measurements only, except in circuits
    with a "meas" register, whose other measurements are forgotten and whose counts then
    cover "meas" only); "aer" lets Aer's ``SamplerV2`` simulate shot by shot, one Aer call per
    distinct set of physical qubits; "auto" takes "exact" for every PUB that allows it and
    "aer" for the rest.  seed: None, one seed for the call, or one seed per PUB (each PUB's
    counts then depend on its own seed only, however PUBs are grouped into calls: the
    manifest's per-PUB seeds); the PUBs are simulated together either way."""
    from . import exact

    if sampling not in ("auto", "exact", "aer"):
        raise ValueError(f"sampling must be 'auto', 'exact' or 'aer', got {sampling!r}")
    by_exact = [sampling != "aer" and exact.samplable(p.circuit, "meas") for p in isa_pubs]
    if sampling == "exact" and not all(by_exact):
        raise ValueError("sampling='exact': some circuits measure mid-circuit; use 'auto' or 'aer'")
    if seed is None or isinstance(seed, (int, np.integer)):
        return _sample(isa_pubs, by_exact, snapshot, shots, seed)
    seeds = list(seed)
    if len(seeds) != len(isa_pubs):
        raise ValueError(f"seed: {len(seeds)} seeds for {len(isa_pubs)} PUBs")
    exact.probabilities([p for p, e in zip(isa_pubs, by_exact) if e], snapshot, "meas")  # one simulation, cached
    return [_sample([p], [e], snapshot, shots, s)[0] for p, e, s in zip(isa_pubs, by_exact, seeds)]


def _sample(isa_pubs, by_exact, snapshot, shots, seed) -> list[np.ndarray]:
    from qiskit_aer.primitives import SamplerV2

    from qbhw.calibration.noise import noise_model

    from . import exact

    _check_run_args(shots, seed)
    counts: list[np.ndarray | None] = [None] * len(isa_pubs)
    chosen = [i for i, e in enumerate(by_exact) if e]
    if chosen:
        drawn = exact.sample([isa_pubs[i] for i in chosen], snapshot, shots=shots, keep="meas",
                             seed=None if seed is None else int(np.random.SeedSequence([seed, 1 << 20]).generate_state(1)[0]))
        for i, c in zip(chosen, drawn):
            counts[i] = c
    # one Aer call per set of physical qubits and classical-register layout: Aer's SamplerV2
    # returns wrong counts for a circuit with final measurements only when it follows one with
    # mid-circuit measurements and other registers in the same call (qiskit-aer 0.18.2, measured)
    groups: dict[tuple, list[int]] = {}
    for i, pub in enumerate(isa_pubs):
        if not by_exact[i]:
            layout = tuple((c.name, c.size) for c in pub.circuit.cregs)
            groups.setdefault((pub.physical_qubits, layout), []).append(i)
    for g, ((phys, _), idx) in enumerate(groups.items()):
        sampler = SamplerV2(
            default_shots=int(shots),
            seed=None if seed is None else int(np.random.SeedSequence([seed, g]).generate_state(1)[0]),
            options={"backend_options": {"noise_model": noise_model(snapshot, phys), "max_parallel_threads": 1}},
        )
        result = sampler.run([isa_pubs[i].sampler_pub() for i in idx]).result()
        for i, res in zip(idx, result):
            counts[i] = counts_from_pub_result(res, isa_pubs[i].circuit)
    return counts


def run_noisy(
    pubs,
    calibration,
    *,
    shots: int,
    seed: int | None = None,
    initial_layout: Sequence[int] | None = None,
    optimization_level: int = 1,
) -> ExecutionResult:
    """Sample ``pubs`` (a Program, circuits or SamplerV2-style PUB tuples; logical or ISA)
    with the device noise of ``calibration`` (a :class:`CalibrationSnapshot` or a fake/real
    backend) restricted to the qubits each circuit uses.  ``shots`` per parameter set (a PUB's
    own shots win); ``seed`` makes the run reproducible.  See the module doc for the format."""
    _check_run_args(shots, seed)
    snapshot, target = _device(calibration)
    isa = _prepare(pubs, snapshot, target, initial_layout, optimization_level, 0)
    counts = sample_isa_pubs(isa, snapshot, shots=shots, seed=seed)
    return ExecutionResult(
        counts=tuple(counts),
        metadata={
            "target": "aer-noisy",
            "backend": snapshot.backend_name,
            "calibration_date": snapshot.date,
            "physical_qubits": tuple(p.physical_qubits for p in isa),
            "shots": int(shots),
            "seed": seed,
        },
    )
