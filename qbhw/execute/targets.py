"""One entry point from a Program to counts, whatever executes it.

Targets (``backend`` names the device where one is needed):
    "aer-ideal"   Aer without noise (``backend`` unused);
    "aer-noisy"   Aer with the noise of a calibration snapshot restricted to the qubits the
                  program uses (:mod:`.noisy`); ``backend`` = snapshot name, file or object,
                  default :data:`DEFAULT_CALIBRATION` (the embedded Heron snapshot);
    "fake-local"  qiskit-ibm-runtime's Sampler in local mode on a fake backend
                  (``backend`` = e.g. "fake_fez"): the client's real code path, slow;
    "ibm"         IBM Quantum through ``QiskitRuntimeService`` in Batch mode
                  (``backend`` = e.g. "ibm_fez"; account from saved accounts or environment);
    "pulse"       (:data:`PULSE_TARGET`) the same model simulated at pulse level in the
                  qiskit-dynamics worker, measured in the program's tomography bases
                  (:func:`qbhw.pulse.target.run_pulse`; ``backend`` = optional calibration
                  snapshot for T1/T2/f01 and readout error).

Device targets place the program's qubits on physical qubits chosen from the calibration
(:func:`choose_qubits`, or ``qubits=`` given by the user).  With ``directory`` every
submission goes through a job manifest (:mod:`.manifest`): ``qbhw resume`` continues it and
no finished PUB runs twice; :mod:`.executors` says which executor runs which target.
``shots`` is the total of every (time, basis), split evenly over its dephasing realizations
(:func:`shots_per_pub`): a circuit without parameters (t = 0, or a deterministic method) gets
them all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ..errors import InputError
from .result import ExecutionResult

PULSE_TARGET = "pulse"
TARGETS = ("aer-ideal", "aer-noisy", "fake-local", "ibm", PULSE_TARGET)
DEVICE_TARGETS = ("aer-noisy", "fake-local", "ibm")
#: Embedded Heron r2 snapshot used when a noisy target names no backend.
DEFAULT_CALIBRATION = "fake_fez-2025-02-26"
#: Estimated QPU seconds above which an IBM run needs ``confirm=True`` (CLI: ``--yes``).
CONFIRM_QPU_SECONDS = 60.0

Progress = Callable[[int, int], None]


class CostError(RuntimeError):
    """An IBM run would cost more QPU time than allowed without confirmation."""


@dataclass(frozen=True, eq=False)
class Device:
    """A resolved device target: its calibration snapshot and, for runtime targets, the
    backend object (fake backend or ``IBMBackend``)."""

    target: str
    snapshot: object
    backend: object = None

    @property
    def name(self) -> str:
        return self.snapshot.backend_name


def fake_backend(name: str):
    """The qiskit-ibm-runtime fake backend called ``name`` (e.g. "fake_fez" -> ``FakeFez``)."""
    import warnings

    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, "Fake" + "".join(w.capitalize() for w in name.removeprefix("fake_").split("_")), None)
    if not name.startswith("fake_") or cls is None:
        known = sorted(n for n in dir(fake_provider) if n.startswith("Fake") and "Provider" not in n)
        close = [k for k in known if name.removeprefix("fake_")[:3].lower() in k.lower()][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (names look like fake_fez, fake_sherbrooke)"
        raise ValueError(f"backend: no fake backend {name!r}{hint}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return cls()


def device(target: str, backend=None, *, fractional: bool = False) -> Device:
    """Resolve ``target`` and ``backend`` (see module doc) into a :class:`Device`.
    fractional: compile with IBM's fractional gates (RZZ(theta) for 0 < theta <= pi/2 and RX,
    Heron only): the snapshot gains them on "aer-noisy" (and loses them without), the backend is opened with them on
    "ibm"; fake backends' local simulators have none."""
    from ..calibration import CalibrationSnapshot, find, snapshot_backend, with_fractional_gates, without_fractional_gates

    if target not in DEVICE_TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if target == "aer-noisy":
        snap = backend if isinstance(backend, CalibrationSnapshot) else find(backend or DEFAULT_CALIBRATION)
        return Device(target, with_fractional_gates(snap) if fractional else without_fractional_gates(snap))
    if backend is None:
        raise ValueError(f"backend: target {target!r} needs a backend name (e.g. 'fake_fez' or 'ibm_fez')")
    if isinstance(backend, str):
        if target == "fake-local":
            backend = fake_backend(backend)
        else:
            from .runtime import connect

            backend = connect(backend, fractional=fractional)
    if fractional and "rzz" not in backend.target.operation_names:
        raise InputError("fractional", f"{backend.name} has no RZZ gate (fake backends' local simulators have none); "
                         "use target='aer-noisy' with the same calibration, or an IBM Heron backend")
    return Device(target, snapshot_backend(backend), backend)


def coupling_graph(program) -> dict[int, set[int]]:
    """Logical qubit -> qubits it shares a Hamiltonian term (or, for an ancilla, a gate) with."""
    circuit = program.pubs[-1][0]
    graph: dict[int, set[int]] = {q: set() for q in range(circuit.num_qubits)}
    for label in program.model.pauli(np.asarray(program.model.h0)).paulis.to_labels():
        support = [len(label) - 1 - i for i, c in enumerate(label) if c != "I"]
        for a in support:
            graph[a].update(b for b in support if b != a)
    for inst in circuit.data:
        support = [circuit.find_bit(q).index for q in inst.qubits]
        if len(support) == 2 and set(support) & set(getattr(program, "ancillas", ())):
            graph[support[0]].add(support[1])
            graph[support[1]].add(support[0])
    return graph


def _path(graph) -> list[int] | None:
    ends = [q for q, n in graph.items() if len(n) == 1]
    if len(graph) < 2 or any(len(n) > 2 for n in graph.values()) or len(ends) != 2:
        return None
    path = [min(ends)]
    while len(path) < len(graph):
        nxt = [q for q in graph[path[-1]] if q not in path]
        if not nxt:
            return None
        path.append(nxt[0])
    return path


def estimated_duration(program, snapshot) -> tuple[float, int]:
    """(seconds, two-qubit gates per coupler) of the longest circuit, before placement: the
    circuit synthesised to the device's gates at OPTIMIZATION_LEVEL without a coupling map
    (so no SWAPs), its two-qubit gates and its depth at the device's median gate durations.
    (Counting the logical circuit's two-qubit rotations overestimated many-body encodings 2-3x:
    a binary-encoded Dicke cavity, 520 rotations, synthesises to 440 CZ.)"""
    from qiskit import transpile

    longest = max((pub[0] for pub in program.pubs), key=lambda qc: qc.size())
    synthesised = transpile(longest, basis_gates=[snapshot.two_qubit_gate, "sx", "x", "rz"],
                            optimization_level=OPTIMIZATION_LEVEL, seed_transpiler=0)
    two_q = sum(1 for inst in synthesised.data if inst.operation.num_qubits == 2)
    twoq = [g.duration for g in snapshot.gates if g.name == snapshot.two_qubit_gate and g.duration]
    oneq = [g.duration for g in snapshot.gates if g.name == "sx" and g.duration]
    edges = max(1, sum(len(n) for n in coupling_graph(program).values()) // 2)
    seconds = two_q * float(np.median(twoq)) + synthesised.depth() * float(np.median(oneq or [0.0]))
    return max(seconds, 1e-9), max(1, two_q // edges)


def choose_qubits(program, snapshot) -> tuple[tuple[int, ...], str]:
    """Physical qubit for each logical qubit of ``program`` (index = logical qubit) and why:
    the best pair, chain or degree-3 star of ``snapshot`` for the program's coupling graph."""
    from ..calibration import select_chain, select_pair, select_star

    graph = coupling_graph(program)
    duration, n2q = estimated_duration(program, snapshot)
    n = len(graph)
    if n == 2:
        choice = select_pair(snapshot, duration=duration, two_qubit_gates=n2q)
        charger = program.model.charger[0] if program.model.charger else 0
        layout = [0, 0]
        layout[charger], layout[1 - charger] = choice.qubits
        return tuple(layout), choice.reason
    path = _path(graph)
    if path is not None:
        choice = select_chain(snapshot, n, duration=duration, two_qubit_gates=n2q)
        layout = [0] * n
        for logical, physical in zip(path, choice.qubits):
            layout[logical] = physical
        return tuple(layout), choice.reason
    centres = [q for q, nb in graph.items() if len(nb) == n - 1]
    if n == 4 and centres and all(len(graph[q]) == 1 for q in graph if q != centres[0]):
        choice = select_star(snapshot, duration=duration, two_qubit_gates=n2q)
        leaves = [q for q in graph if q != centres[0]]
        layout = [0] * n
        layout[centres[0]] = choice.qubits[0]
        for logical, physical in zip(leaves, choice.qubits[1:]):
            layout[logical] = physical
        return tuple(layout), choice.reason
    # any other coupling graph: the best chain of n qubits, logical qubits along it in breadth-first
    # order of the program's graph (coupled qubits stay close); the transpiler routes the rest by SWAPs
    choice = select_chain(snapshot, n, duration=duration, two_qubit_gates=n2q)
    order = _breadth_first(graph)
    layout = [0] * n
    for logical, physical in zip(order, choice.qubits):
        layout[logical] = physical
    return tuple(layout), (f"{choice.reason}; the coupling graph of {program.model.name!r} is not a chain, pair or "
                           "star: logical qubits placed along the chain in breadth-first order, SWAPs routed by the "
                           "transpiler")


def _breadth_first(graph) -> list[int]:
    """Every node of ``graph``, breadth-first from a least-connected node, neighbours by index."""
    order: list[int] = []
    for start in sorted(graph, key=lambda q: (len(graph[q]), q)):
        if start in order:
            continue
        queue = [start]
        while queue:
            q = queue.pop(0)
            if q not in order:
                order.append(q)
                queue.extend(sorted(graph[q] - set(order)))
    return order


def shots_per_pub(program, shots: int) -> tuple[int, ...]:
    """Shots per parameter row of every PUB of ``program``: each (time, basis) gets ``shots``
    in total, split evenly (rounded up) over its M parameter rows (kicks, flips: one PUB with
    M rows) or its M circuits ("mcm": one per realization); a PUB with one row and no sibling
    (t = 0, deterministic methods) gets all of them.  PUBs that carry their own shots (the
    readout-assignment circuits) keep them."""
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1:
        raise InputError("shots", f"must be an integer >= 1, got {shots!r}")
    siblings = Counter((info.time_index, info.basis) for info in program.info)
    out = []
    for i, (qc, values, *own) in enumerate(program.pubs):
        if own and own[0] is not None:
            out.append(int(own[0]))
            continue
        rows = np.asarray(values).size // qc.num_parameters if values is not None and qc.num_parameters else 1
        circuits = siblings[(program.info[i].time_index, program.info[i].basis)] if i < len(program.info) else 1
        out.append(max(1, math.ceil(int(shots) / (rows * circuits))))
    return tuple(out)


def shots_metadata(program, shots: int, per_pub: tuple[int, ...]) -> dict:
    """The run metadata about shots every executor (and the pulse target) reports alike."""
    return {"shots": int(shots), "shots_per_realization": max(1, math.ceil(int(shots) / program.realizations)),
            "shots_per_pub": list(per_pub), "realizations": program.realizations}


AER_BOUND_OPERATIONS = 2_000_000  # per Aer call: Aer binds every parameter row into its own circuit copy


def _aer_chunks(pubs, size: int) -> list[list[int]]:
    """Consecutive PUB indices, at most ``size`` PUBs and about AER_BOUND_OPERATIONS operations
    (rows x circuit size) per Aer call: 4000 realizations x 21 two-qubit PUBs in one call took
    7 GB and 250 s, in calls of this size 1.3 GB and 83 s."""
    out, load = [[]], 0
    for i, (qc, values, *_) in enumerate(pubs):
        cost = (1 if values is None else len(values)) * max(1, len(qc.data))
        if out[-1] and (len(out[-1]) == size or load + cost > AER_BOUND_OPERATIONS):
            out.append([])
            load = 0
        out[-1].append(i)
        load += cost
    return out if out[-1] else []


def run(program, *, target: str = "aer-ideal", shots: int = 4000, seed: int | None = None, backend=None,
        qubits: Sequence[int] | None = None, directory=None, options: Mapping | None = None,
        dry_run: bool = False, confirm: bool = False, chunk_size: int = 21,
        progress: Progress | None = None, fractional: bool = False,
        pulse_options: Mapping | None = None) -> ExecutionResult:
    """Execute ``program.pubs`` on ``target`` (see module doc) and return counts per PUB.

    options: runtime Sampler options (:func:`qbhw.execute.runtime.build_options` keywords,
    e.g. ``dynamical_decoupling="XY4"``, ``twirling=True``); dry_run: validate on the device
    without running (IBM only); confirm: allow IBM runs above :data:`CONFIRM_QPU_SECONDS`;
    progress(done, total): called after each chunk of PUBs; fractional: see :func:`device`;
    pulse_options: keywords of :func:`qbhw.pulse.target.run_pulse` (``levels``, ``leaked_as``, ``crosstalk``)."""
    per = shots_per_pub(program, shots)
    if fractional and target in ("aer-ideal", PULSE_TARGET):
        raise InputError("fractional", "gate sets matter on devices only; use a device target (e.g. 'aer-noisy')")
    if target == PULSE_TARGET:
        from ..pulse.target import run_pulse

        return run_pulse(program, shots=shots, seed=seed, backend=backend, qubits=qubits, progress=progress,
                         **dict(pulse_options or {}))
    if target == "aer-ideal":
        from .aer import run_pubs

        counts = []
        for idx in _aer_chunks(program.pubs, chunk_size):
            counts.extend(run_pubs([(*program.pubs[i][:2], per[i]) for i in idx], None if seed is None else seed + idx[0]))
            if progress:
                progress(idx[-1] + 1, len(program.pubs))
        return ExecutionResult(counts, {"target": target, "backend": "aer_simulator", "seed": seed,
                                        **shots_metadata(program, shots, per)})
    dev = device(target, backend, fractional=fractional)
    return run_on_device(program, dev, shots=shots, seed=seed, qubits=qubits, directory=directory,
                         options=options, dry_run=dry_run, confirm=confirm, chunk_size=chunk_size, progress=progress)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A program placed on a device: ISA PUBs (:class:`qbhw.execute.noisy.IsaPub`), the
    physical qubit of each logical qubit and why it was chosen."""

    device: Device
    isa: tuple
    qubits: tuple[int, ...]
    reason: str

    @cached_property
    def durations(self) -> tuple[float, ...]:
        """Estimated duration in seconds of every PUB (longest path, device durations)."""
        target = device_target(self.device)
        return tuple(float((p.full_circuit.assign_parameters(p.values[0]) if p.parameters else p.full_circuit)
                           .estimate_duration(target, unit="s")) for p in self.isa)

    def duration(self, index: int = -1) -> float:
        """Estimated duration in seconds of PUB ``index``."""
        return self.durations[index]


def device_target(dev: Device):
    """The transpiler Target of ``dev``: the runtime backend's (fake or IBM), else the whole
    device of its calibration snapshot (aer-noisy)."""
    from ..calibration import full_target

    return dev.backend.target if dev.backend is not None else full_target(dev.snapshot)


def isa_problems(prepared: Prepared) -> list[str]:
    """What the device would refuse in ``prepared``'s device-wide ISA circuits, checked locally
    against :func:`device_target` (the runtime's dry run does this server-side for "ibm"): an
    instruction the Target lacks on those qubits, a circuit wider than the device, a parameter
    left unbound by the PUB's values.  Empty when every circuit is valid."""
    target = device_target(prepared.device)
    problems = []
    for i, pub in enumerate(prepared.isa):
        qc = pub.full_circuit
        if qc.num_qubits > target.num_qubits:
            problems.append(f"PUB {i}: {qc.num_qubits} qubits on a {target.num_qubits}-qubit device")
        bound = {getattr(p, "name", p) for p in pub.parameters}
        if {p.name for p in qc.parameters} != bound or pub.values.shape[1] != len(pub.parameters):
            problems.append(f"PUB {i}: {qc.num_parameters} circuit parameters, {pub.values.shape[1]} values per row")
        for inst in qc.data:
            name = inst.operation.name
            if name == "barrier":
                continue
            qargs = tuple(qc.find_bit(q).index for q in inst.qubits)
            if not target.instruction_supported(name, qargs):
                problems.append(f"PUB {i}: {name} on qubits {list(qargs)} is not in {prepared.device.name}'s target")
                break
    return problems


def qpu_seconds(prepared: Prepared, isa, shots: int, *, rep_delay: float | None = None, chunk_size: int = 21) -> float:
    """Estimated QPU seconds of the ``isa`` PUBs (their own shots) on ``prepared``'s device in
    jobs of ``chunk_size`` PUBs (:func:`qbhw.execute.runtime.estimate_qpu_seconds`; the rep delay
    defaults to the snapshot's, else 250 us): what the same program would cost on the IBM device,
    whatever target runs it."""
    from .runtime import estimate_qpu_seconds

    dev = prepared.device
    rep = (dev.snapshot.default_rep_delay or 250e-6) if rep_delay is None else rep_delay
    return float(estimate_qpu_seconds(isa, device_target(dev), shots=shots, rep_delay=rep,
                                      jobs=math.ceil(len(isa) / chunk_size)))


OPTIMIZATION_LEVEL = 2  # preset pass manager level for programs placed on devices


def prepare(program, dev: Device, qubits: Sequence[int] | None = None) -> Prepared:
    """Choose (or check) the physical qubits and transpile ``program`` for ``dev``."""
    from ..calibration import check_coherence
    from .noisy import prepare_pubs

    from ..compile.dephasing import SIMULATOR_ONLY
    from ..compile.dissipation import SIMULATOR_ONLY as DISSIPATION_SIMULATOR_ONLY

    if getattr(program, "dephasing", None) in SIMULATOR_ONLY:
        raise InputError("dephasing", f"{program.dephasing!r} is an exact Kraus channel, an ideal-simulator check: device "
                                      f"targets (also aer-noisy, which emulates {dev.name}) transpile to the device's "
                                      "gates, which a Kraus channel is not; use target 'aer-ideal' for it, or "
                                      "dephasing 'kicks', 'flips', 'mcm' or 'weak'")
    if getattr(program, "ancilla_use", None) in DISSIPATION_SIMULATOR_ONLY:
        raise InputError("compile.ancillas", "'channel' applies the jumps as a Kraus instruction, an ideal-simulator "
                                             "check; use 'parallel' or 'sequential' ancillas on device targets")
    width = program.pubs[0][0].num_qubits
    if qubits is None:
        layout, reason = choose_qubits(program, dev.snapshot)
    else:
        layout = tuple(int(q) for q in qubits)
        if len(layout) != width or len(set(layout)) != len(layout):
            raise InputError("qubits", f"need {width} distinct device qubits, got {list(qubits)}")
        check_coherence(dev.snapshot, layout, estimated_duration(program, dev.snapshot)[0])
        reason = f"qubits {layout} given by the user"
    # level 2 resynthesises each Trotter step's two-qubit block: 2 CZ per exchange step instead
    # of level 1's 6 (RXX, RYY, RXX of the second-order formula, 2 CZ each; measured on Fez)
    isa = prepare_pubs(program, dev.backend if dev.backend is not None else dev.snapshot, initial_layout=layout,
                       optimization_level=OPTIMIZATION_LEVEL)
    return Prepared(dev, isa, layout, reason)


def run_on_device(program, dev: Device, *, shots: int, seed: int | None, qubits=None, directory=None,
                  options=None, dry_run=False, confirm=False, chunk_size=21, progress=None) -> ExecutionResult:
    """:func:`run` on a resolved :class:`Device`."""
    return run_prepared(program, prepare(program, dev, qubits), shots=shots, seed=seed, directory=directory,
                        options=options, dry_run=dry_run, confirm=confirm, chunk_size=chunk_size, progress=progress)


def run_prepared(program, prepared: Prepared, *, shots: int, seed: int | None, directory=None, options=None,
                 dry_run=False, confirm=False, chunk_size=21, progress=None) -> ExecutionResult:
    """Execute a :class:`Prepared` program (see :func:`run` for the options): every PUB with
    its :func:`shots_per_pub`, which the manifest records.  ``meta["qpu_usage"]`` holds the QPU
    seconds the jobs reported beside ``meta["estimated_qpu_seconds"]``
    (:func:`qbhw.execute.budget.run_usage`); an IBM run is checked against the account's budget
    before submission and its usage recorded after (:class:`qbhw.execute.budget.Ledger`)."""
    from . import budget, executors
    from .runtime import build_options, is_local

    dev = prepared.device
    per = shots_per_pub(program, shots)
    isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, per, strict=True))
    meta = {"target": dev.target, "backend": dev.name, "calibration_date": dev.snapshot.date,
            "processor_family": dev.snapshot.processor_family, "qubits": list(prepared.qubits),
            "qubit_reason": prepared.reason, "seed": seed, **shots_metadata(program, shots, per)}
    # default_shots serves no PUB (each carries its own); the total is what one row would get
    runtime_options = build_options(shots=shots, seed=seed, **dict(options or {})) if dev.backend is not None else {}
    rep_delay = runtime_options.get("execution", {}).get("rep_delay")
    cost = qpu_seconds(prepared, isa, shots, chunk_size=chunk_size, rep_delay=rep_delay)
    meta["estimated_qpu_seconds"] = cost  # on the IBM device, whatever target runs it
    init = runtime_options.get("execution", {}).get("init_qubits", True)
    chosen, why = budget.choose_rep_delay(dev.snapshot, prepared.qubits, init_qubits=init)
    run_delay = rep_delay if rep_delay is not None else dev.snapshot.default_rep_delay or budget.DEFAULT_REP_DELAY
    meta["rep_delay"] = {"seconds": run_delay, "given": rep_delay is not None, "init_qubits": init,
                         "chosen_seconds": chosen, "reason": why}  # chosen: budget.choose_rep_delay, for the planner
    local = dev.backend is not None and is_local(dev.backend)
    ledger = None  # the usage ledger of a run on IBM hardware (a local-mode backend spends no QPU time)
    if dev.target == "ibm":
        total = sum(n * pub.values.shape[0] for n, pub in zip(per, isa))
        print(f"qbhw: estimated QPU time on {dev.name}: {cost:.0f} s ({len(isa)} PUBs, {total} shots in all, "
              f"{math.ceil(len(isa) / chunk_size)} jobs)")
        if not dry_run and not local:
            from .manifest import unfinished_pubs

            ledger, (account, label) = budget.Ledger(), budget.backend_account(dev.backend)
            todo = range(len(isa)) if directory is None else unfinished_pubs(directory, len(isa))
            ledger.check(account, qpu_seconds(prepared, [isa[i] for i in todo], shots, rep_delay=rep_delay,
                                              chunk_size=chunk_size) if todo else 0.0)  # a resumed run: what is left
        if cost > CONFIRM_QPU_SECONDS and not confirm and not dry_run:
            raise CostError(f"estimated {cost:.0f} QPU seconds on {dev.name} exceeds {CONFIRM_QPU_SECONDS:.0f} s; "
                            "rerun with --yes (confirm=True) to spend it, or --dry-run to validate only")
    if dry_run:  # IBM: the runtime validates server-side; elsewhere the ISA circuits against the Target
        meta["dry_run"] = "runtime" if dev.target == "ibm" else "local check of the ISA circuits against the Target"
        meta["qpu_usage"] = {"reported_seconds": None, "jobs": [], "source": "dry run: nothing executed"}
        if dev.target == "ibm":
            from .runtime import submit

            submit(isa, dev.backend, runtime_options, dry_run=True)
        elif problems := isa_problems(prepared):
            raise InputError("run.target", f"{len(problems)} problem(s) against {dev.name}'s target: "
                                           + "; ".join(problems[:5]))
        return ExecutionResult([], meta)
    batch = executors.open_batch(dev)
    executor = executors.executor_for(dev, isa, shots, runtime_options, batch)
    try:
        if directory is not None:
            from .manifest import finished_jobs, run_with_manifest

            counts = run_with_manifest(directory, isa, executor, shots=shots, seed=seed, options=runtime_options,
                                       chunk_size=chunk_size, progress=progress)
        else:
            counts = _run_in_memory(executor, isa, seed, chunk_size, progress)
    finally:
        if batch is not None:
            batch.close()  # no new jobs; submitted ones finish and stay retrievable by id
    if dev.backend is None:
        meta["qpu_usage"] = {"reported_seconds": None, "jobs": [],
                             "source": f"not run on a QPU ({dev.target} emulation)"}
        return ExecutionResult(counts, meta)
    # a run folder's manifest also holds the jobs an earlier, interrupted process finished
    jobs = finished_jobs(directory) if directory is not None else executor.fetched_jobs()
    estimates = [qpu_seconds(prepared, [isa[i] for i in job["pub_indices"]], shots, rep_delay=rep_delay,
                             chunk_size=len(job["pub_indices"])) for job in jobs]
    meta["qpu_usage"] = budget.run_usage(jobs, estimates, local=local)
    if ledger is not None:
        budget.record_usage(ledger, account, meta["qpu_usage"], backend=dev.name, label=label)
        print(f"qbhw: {ledger.summary(account)}")
    return ExecutionResult(counts, meta)


def _run_in_memory(executor, isa, seed, chunk_size, progress) -> list[np.ndarray]:
    from .executors import job_chunks
    from .manifest import pub_seeds

    seeds = pub_seeds(seed, len(isa))
    counts: list[np.ndarray] = []
    for idx in job_chunks(range(len(isa)), [p.shots for p in isa], chunk_size, executor.equal_shots):
        job = executor.submit(idx, [seeds[i] for i in idx])
        counts.extend(executor.fetch(job, idx))
        if progress:
            progress(idx[-1] + 1, len(isa))
    return counts
