"""One call from a model to measured battery figures of merit beside the exact references:

    result = run_experiment(tls_pair(1.0, 0.5, 1.0), np.linspace(0, 10, 20), seed=1)
    result.battery_energy, result.battery_energy_err, result.reference.battery_energy

The running half: the exact reference of the model the circuits realise
(:func:`qbhw.routing.realised_model`; computed FIRST, so a truncation error costs nothing) ->
the compiler the model needs (:func:`qbhw.routing.compile_model`) -> execute on any target of
:mod:`qbhw.execute` -> the analysing half, :func:`qbhw.analysis.analyse` (tomography, one
physical state per time for E_B and ergotropy, the unbiased linear energy beside them,
bootstrap errors and intervals).

On device targets the Trotter steps are noise-aware by default (``steps``): per time point the
step count of least predicted total error, splitting + device, on the qubits the run uses
(:func:`noise_aware_program`; :mod:`qbhw.compile.noise_aware`), and ``metadata["resources"]``
sets each time point's choice (steps, two-qubit gates, duration, split error, fault probability,
device error, total) beside the splitting-only choice and the trade-off the choice was made from.

On device targets the result also carries the device references: (a) ``noise_exact``, the same
circuits with the same parameter values simulated as density matrices under the snapshot's
noise model, no sampling, same estimator (it shares its probabilities with the fast "aer-noisy"
path: emulated points and (a) agree by construction up to sampling, a check of the estimator
only), and (b) ``decoherence``, the exact Lindblad model with the chosen qubits' T1/T2 added as
channels (independent of the circuits).  The gap between (a) and
(b) is what the gates themselves cost.  All references are in the frame the circuits run in
(battery energy and ergotropy equal the lab frame's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from qiskit.circuit import ClassicalRegister, QuantumCircuit

from . import execute
from .analysis import (CONFIDENCE, analyse, energy_balance_estimates, figures_of_merit, measured_assignments,
                       noise_exact_estimates)
from .compile import Program, noise_aware
from .compile.program import with_axes
from .estimation.adaptive import optimal_axis
from .errors import InputError
from .execute import folding
from .metrics import curve_figures
from .models import Model, with_qubit_decoherence
from .plan import ALLOCATIONS, CHECK_ROUNDS, Plan, apply_units, check_plan, plan_for_budget, plan_units
from .reference import Trajectory, evolve
from .routing import CompileOptions, compile_model, compiler_for, realised_model
from .tomography import assignments_from_snapshot
from .zne import zne_estimates

MITIGATION = ("none", "snapshot", "measured")
ESTIMATORS = ("pauli", "adaptive")
REALIZATION_HEADROOM = 1.3  # realizations compiled beyond a plan's, for its simulated check to raise units
#: predicted fraction of error-free shots below which a run warns that little signal is left
LOW_SIGNAL = 0.5


@dataclass(frozen=True, eq=False)
class DeviceReference:
    """Noise-exact prediction (a) of battery energy/ergotropy at the program's times, and the
    Lindblad model with the qubits' T1/T2 (b);
    ``seconds_per_unit`` maps model time (1/omega_B) to device seconds (estimated duration of
    the longest circuit / its model time)."""

    battery_energy: np.ndarray
    battery_ergotropy: np.ndarray
    decoherence: Trajectory | None
    seconds_per_unit: float


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Measured battery energy/ergotropy (arrays over ``times``, from one physical state per
    time) with standard errors, intervals (shape (T, 2), ``metadata["interval"]`` says which)
    and ergotropy bias; the unbiased linear-inversion energy with its own errors; the
    reconstructed battery states; the exact reference of the model the circuits realise
    (``metadata["reference_model"]`` says which); on device targets the device reference; the
    program that was run and the run's metadata (target, backend, qubits and why, seeds); the
    figures of merit of the measured curve with bootstrap intervals and the exact curve's value
    at the same times (``figures``, :func:`qbhw.analysis.figures_of_merit`; on device targets
    also ``device``, the same rule on the noise-exact device reference); with the charger measured
    the ``energy_balance`` (:func:`qbhw.analysis.energy_balance_estimates`), with ``zne`` factors
    the zero-noise extrapolation (:func:`zero_noise`)."""

    times: np.ndarray
    battery_energy: np.ndarray
    battery_energy_err: np.ndarray
    battery_energy_ci: np.ndarray
    battery_ergotropy: np.ndarray
    battery_ergotropy_err: np.ndarray
    battery_ergotropy_ci: np.ndarray
    battery_ergotropy_bias: np.ndarray
    battery_energy_linear: np.ndarray
    battery_energy_linear_err: np.ndarray
    battery_energy_linear_ci: np.ndarray
    battery_states: np.ndarray
    reference: Trajectory
    device_reference: DeviceReference | None
    program: Program
    metadata: dict
    figures: dict
    energy_balance: dict | None = None
    zne: dict | None = None
    battery_ergotropy_corrected: np.ndarray | None = None  # bootstrap bias-corrected (qbhw.analysis)


def circuit_frame(model: Model) -> str:
    """The frame the circuits run in: the drive's rotating frame, or the lab frame of an
    undriven model (time independent already) or of a drive no frame removes."""
    return "rotating" if model.drives and model.rotating_frame() is not None else "lab"


def device_reference(program: Program, prepared, *, readout: bool) -> DeviceReference:
    """(a) and (b) of the module doc for a program placed on a device (``prepared``)."""
    snapshot = prepared.device.snapshot
    e, w = noise_exact_estimates(program, prepared, readout=readout)
    t_last = float(program.times[-1])
    seconds_per_unit = prepared.duration(-1) / t_last if t_last > 0 else 1e-9
    q = [snapshot.qubits[p] for p in prepared.qubits[:len(program.model.subsystems)]]  # model qubits, not ancillas
    noisy_model = with_qubit_decoherence(program.model, [c.t1 for c in q], [min(c.t2, 2 * c.t1) for c in q],
                                         seconds_per_unit)
    decoherence = evolve(noisy_model, program.times, frame=circuit_frame(noisy_model))
    return DeviceReference(e, w, decoherence, seconds_per_unit)


def with_assignment_circuits(program: Program, shots: int) -> Program:
    """``program`` plus two PUBs at the end, run in the same batch: every measured qubit
    prepared in |0>, then in |1>, measured into ``meas`` with ``shots`` shots each."""
    n, measured = program.pubs[0][0].num_qubits, program.info[0].measured_qubits
    extra = []
    for excited in (False, True):
        qc = QuantumCircuit(n, name=f"assignment_prep{int(excited)}")
        qc.add_register(ClassicalRegister(len(measured), "meas"))
        if excited:
            qc.x(list(measured))
        qc.measure(list(measured), range(len(measured)))
        extra.append((qc, None, int(shots)))
    return replace(program, pubs=program.pubs + tuple(extra))


def _gate_sets(program, prepared, fractional: bool):
    """The run's placement and the other gate set (CZ <-> fractional RZZ) on the same qubits of
    the Heron snapshot, CZ first (:func:`qbhw.execute.resources.gate_set_costs`)."""
    other = execute.prepare(program, execute.device("aer-noisy", prepared.device.snapshot, fractional=not fractional),
                            prepared.qubits)
    cz, rzz = (other, prepared) if fractional else (prepared, other)
    return execute.resources.gate_set_costs(program, cz) + execute.resources.gate_set_costs(program, rzz)


def _gate_set_offers(target: str, backend) -> list[bool]:
    """The gate sets ``fractional="auto"`` chooses from: CZ (False), and RZZ (True) where the
    device offers it (Heron snapshots on aer-noisy, Heron IBM backends; not fake-local)."""
    try:
        execute.device(target, backend, fractional=True)
    except (ValueError, InputError):
        return [False]
    return [False, True]


def signal_warnings(program, prepared, resources) -> list[str]:
    """A warning when the costliest circuit's predicted error-free fraction of shots (no gate
    error, times the T2 coherence left) is below LOW_SIGNAL."""
    last = execute.resources.gate_set_costs(program, prepared)[-1]
    left = (1 - last.gate_error) * resources[-1].coherence_left
    if left >= LOW_SIGNAL:
        return []
    return [f"little signal: on qubits {list(prepared.qubits)} of {prepared.device.name} the t = {last.time:g} circuits "
            f"are predicted to run error-free in only {left:.0%} of shots (gate error {last.gate_error:.2f}, "
            f"{last.two_qubit_gates} two-qubit gates, T2 coherence left {resources[-1].coherence_left:.2f}); "
            "late-time points mostly show the noise (fewer times, shallower steps, or better qubits)"]


def noise_aware_program(model: Model, times, options: CompileOptions, dev, qubits=None):
    """(program, qubits, reason, splitting-only costs) of ``options.steps == "noise-aware"`` on
    device ``dev``.  Chicken and egg: qubits are chosen for a program, and the program's steps
    depend on the qubits' errors.  So: compile with the splitting-only steps and choose qubits
    for it (or take ``qubits``); where no qubits keep coherence that long, for the deepest of
    its halvings (steps / 2, / 4, ...) that some do.  On them, measure the fault probability of
    that program's costliest circuits and of one with half its steps
    (:func:`qbhw.execute.resources.fault_model`) and recompile with the step count of least
    predicted total error per time point (:mod:`qbhw.compile.noise_aware`).  Where the qubits
    chosen for that shallower program differ, measure and recompile once more on them and keep
    them (no further round).  The splitting-only costs on the final qubits (steps, two-qubit
    gates, duration, fault probability, split error per time point; predicted from the fault
    model, gates and duration None, where the device refuses that program) come back too."""
    splitting = replace(options, steps="splitting")
    program = compile_model(model, times, splitting)
    probe = lambda costs, rule: execute.resources.cost_circuits(compile_model(
        model, times, splitting, step_counts=[rule(k) for k in execute.resources.steps_per_time(costs)]))
    deep = splitting_costs = execute.resources.cost_circuits(program)
    while True:
        try:
            first = execute.prepare(deep, dev, qubits)
            break
        except InputError as refused:  # no qubits keep coherence that long: choose for fewer steps
            if refused.key != "times" or max(execute.resources.steps_per_time(deep)) <= 1:
                raise  # (the latter: even one step per time point is refused)
            deep = probe(deep, _halved)
    shallow = probe(deep, _probe_steps)

    def recompiled(placed):
        fault = execute.resources.fault_model(deep, placed, shallow, execute.prepare(shallow, dev, placed.qubits))
        return compile_model(model, times, options, fault_probability=fault), fault

    (chosen, fault), placed = recompiled(first), first
    depth = f"{max(execute.resources.steps_per_time(deep))} steps at t = {float(program.times[-1]):g}"
    which = ("splitting-only program" if deep is splitting_costs else
             "deepest halving of the splitting-only steps it allows")
    reason = f"{first.reason}; chosen for the {which} ({depth}), kept for the noise-aware one"
    if qubits is None:
        better, why = execute.choose_qubits(chosen, dev.snapshot)
        if tuple(better) != tuple(first.qubits):
            placed = execute.prepare(deep, dev, better)
            chosen, fault = recompiled(placed)
            reason = (f"{why}; chosen for the noise-aware program, compiled first for the {which}'s qubits "
                      f"{list(first.qubits)} ({depth}), then recompiled for these")
    return chosen, placed.qubits, reason, _baseline(program, deep if deep is splitting_costs else None, placed, fault)


def device_program(model: Model, times, options: CompileOptions, target: str, backend, qubits, fractional):
    """(program, qubits, reason, splitting-only costs, fractional) of noise-aware steps on a
    device target (:func:`noise_aware_program`); ``fractional="auto"`` compiles both gate sets
    the device offers and keeps the one of least predicted total error summed over the times
    (the reason says so), otherwise the given one."""
    offers = _gate_set_offers(target, backend) if fractional == "auto" else [bool(fractional)]
    compiled = {f: noise_aware_program(model, times, options, execute.device(target, backend, fractional=f), qubits)
                for f in offers}
    predicted = {f: sum(c.total_error for c in p.step_choices or ()) for f, (p, *_) in compiled.items()}
    chosen = min(offers, key=predicted.get)
    program, placed_qubits, reason, baseline = compiled[chosen]
    if len(offers) > 1:
        reason += (f"; gate set {'RZZ' if chosen else 'CZ'} of least predicted total error (summed over the "
                   f"times: CZ {predicted[False]:.3f}, RZZ {predicted[True]:.3f})")
    return program, placed_qubits, reason, baseline, chosen


def optimal_axes(reference: Trajectory) -> list[np.ndarray]:
    """Per time point, the adaptive estimator's extra axis (:func:`qbhw.estimation.adaptive.optimal_axis`)
    for the one-qubit battery state the exact reference predicts (in the circuits' frame): the
    stage-1 estimate taken from the model, so that the axis PUBs go in the same batch."""
    rho = np.asarray(reference.battery_states)
    bloch = np.stack([2 * rho[:, 0, 1].real, -2 * rho[:, 0, 1].imag, (rho[:, 0, 0] - rho[:, 1, 1]).real], axis=1)
    return [optimal_axis(r) for r in bloch]


def outcome_probabilities(program: Program, prepared) -> list[np.ndarray]:
    """Per PUB, (rows, K) probabilities of the "meas" register the run samples from: the
    device's noise-exact ones with readout error on a device (``prepared``), else ideal."""
    if prepared is None:
        return execute.exact.ideal_probabilities(program.pubs, keep="meas")
    return execute.exact_probabilities(prepared.isa, prepared.device.snapshot, readout=True, keep="meas")


def planned_program(program: Program, precision: float | None, *, recompile, place, allocation: str, assignments,
                    bootstrap: int, seed: int, shot_budget: int | None = None) -> tuple[Program, Plan]:
    """(``program`` cut to the shots of its :class:`qbhw.plan.Plan` for ``precision``, or for
    the best common precision within ``shot_budget`` shots, the plan): planned on the
    probabilities its circuits give (:func:`outcome_probabilities` of ``place(program)``),
    recompiled by ``recompile(realizations)`` when the plan needs more realizations than it has
    (REALIZATION_HEADROOM more), then checked by simulation (:func:`qbhw.plan.check_plan`;
    with a budget the check only reports, it does not add shots)."""
    probabilities = outcome_probabilities(program, place(program))
    plan = (plan_for_budget(program, probabilities, shot_budget, allocation=allocation, assignments=assignments)
            if shot_budget is not None else
            plan_units(program, probabilities, precision, allocation=allocation, assignments=assignments))
    for _ in range(2):  # twice: when the check's units reach the compiled realizations, more are compiled
        if plan.randomized and plan.realizations >= program.realizations:
            program = recompile(int(np.ceil(REALIZATION_HEADROOM * plan.realizations)))
            probabilities = outcome_probabilities(program, place(program))
        plan = check_plan(program, probabilities, plan, bootstrap=bootstrap, seed=seed, assignments=assignments,
                          max_units=program.realizations if plan.randomized else None,
                          rounds=0 if shot_budget is not None else CHECK_ROUNDS)
        if (shot_budget is not None or not plan.randomized or np.all(plan.simulated <= plan.precision)
                or plan.realizations < program.realizations):
            break
    return apply_units(program, plan), plan


def _baseline(program, cost, placed, fault) -> list[dict]:
    """Per time point the splitting-only choice of ``program``: steps, split error and, from its
    costliest circuits ``cost`` as ``placed``, two-qubit gates, duration and fault probability;
    without ``cost`` (the device refused it) the fault predicted by ``fault``."""
    if cost is not None:
        costs = execute.resources.gate_set_costs(cost, placed)
        faults = execute.resources.fault_probabilities(cost, placed)
        return [{"steps": k, "two_qubit_gates": c.two_qubit_gates, "duration": c.duration, "fault_probability": f,
                 "split_error": e} for k, c, f, e in zip(program.steps, costs, faults, program.error_bound)]
    return [{"steps": k, "two_qubit_gates": None, "duration": None, "split_error": e,
             "fault_probability": fault(float(t), k), "refused": True}
            for t, k, e in zip(program.times, program.steps, program.error_bound)]


def _halved(k: int) -> int:
    """Steps of the next, shallower candidate placement: half of k, at least 1 (0 at t = 0)."""
    return 0 if k == 0 else max(1, k // 2)


def _probe_steps(k: int) -> int:
    """Steps of the cost probe beside k splitting-only steps: half of them, 2 beside 1, 0 at t = 0."""
    return 0 if k == 0 else 2 if k == 1 else k // 2


def step_rows(program, prepared, placed, baseline) -> list[dict]:
    """Per time point: the resources of the program run (``placed``,
    :func:`qbhw.execute.resources.report`) with its split error, the fault probability of its
    placed circuits and the predicted total, beside the splitting-only choice (``baseline``)
    and, with noise-aware steps, the candidates the choice was made from (the trade-off)."""
    faults = execute.resources.fault_probabilities(program, prepared)
    choices = {c.time: c for c in program.step_choices or ()}
    rows = []
    for r, f, split in zip(placed, faults, program.error_bound):
        row = {**asdict(r), "split_error": split, "fault_probability": f,
               "device_error": noise_aware.FAULT_COST * f, "total_error": split + noise_aware.FAULT_COST * f,
               "step_rule": "noise-aware" if program.step_choices else "splitting"}
        if baseline is not None:
            b = baseline[len(rows)]
            row["splitting"] = {**b, "device_error": noise_aware.FAULT_COST * b["fault_probability"],
                                "total_error": b["split_error"] + noise_aware.FAULT_COST * b["fault_probability"]}
        c = choices.get(r.time)
        if c is not None:
            row["predicted"] = {"fault_probability": c.fault_probability, "total_error": c.total_error}
            row["tradeoff"] = [{"steps": k, "split_error": e, "fault_probability": p,
                                "device_error": noise_aware.FAULT_COST * p, "total_error": e + noise_aware.FAULT_COST * p}
                               for k, e, p in c.candidates]
        rows.append(row)
    return rows


@dataclass(frozen=True, eq=False)
class CompiledRun:
    """What :func:`run_experiment` submits, before anything runs (:func:`compile_run`): the
    program (with its planned shots when a precision was asked), the exact reference of the
    realised model, the device qubits and why, the splitting-only step baseline, the gate set,
    the :class:`qbhw.plan.Plan` (or None), the run's seeds and step rule."""

    program: Program
    reference: Trajectory
    realised: Model
    qubits: tuple | None
    reason: str | None
    baseline: list | None
    fractional: bool
    plan: Plan | None
    seeds: np.ndarray
    steps: str


def compile_run(model: Model, times, *, dephasing: str = "kicks", realizations: int = 100, target: str = "aer-ideal",
                backend=None, qubits=None, seed: int | None = None, order: int = 2, accuracy: float = 1e-2,
                max_step: float | None = 0.5, bootstrap: int = 200, mitigation: str = "none", fractional: bool | str = False,
                collective_encoding: str = "qubits", max_two_qubit_gates: int | None = None, collision_time: float = 0.05,
                ancillas: str = "parallel", truncation_tol: float = 1e-5, steps: str | None = None,
                tomography: str = "battery", estimator: str = "pauli", precision: float | None = None,
                allocation: str = "neyman", shot_budget: int | None = None) -> CompiledRun:
    """The compiling half of :func:`run_experiment` (its arguments; see there): reference,
    program (noise-aware steps on a device, the adaptive axes, the planned shots), placement
    choices.  ``qbhw plan`` stops here."""
    if estimator not in ESTIMATORS:
        raise InputError("estimator", f"must be one of {ESTIMATORS}, got {estimator!r}")
    if allocation not in ALLOCATIONS:
        raise InputError("allocation", f"must be one of {ALLOCATIONS}, got {allocation!r}")
    if estimator == "adaptive" and (tomography != "battery" or len(model.battery) != 1 or model.dims[model.battery[0]] != 2):
        raise InputError("estimator", "the adaptive estimator measures a one-qubit battery (tomography 'battery'); "
                                      "use estimator='pauli'")
    planned = precision is not None or shot_budget is not None
    if precision is not None and shot_budget is not None:
        raise InputError("shot_budget", "give a precision or a shot budget, not both")
    if (estimator != "pauli" or planned) and target == execute.PULSE_TARGET:
        raise InputError("estimator" if estimator != "pauli" else "precision",
                         "the pulse target answers the Pauli bases at given shots; use estimator='pauli' and shots")
    if planned and dephasing == "mcm":
        raise InputError("precision", "planned shots need the realizations as parameter rows; 'mcm' compiles one "
                                      "circuit per realization: give shots")
    seeds = np.random.SeedSequence(seed).generate_state(6)  # the first five as before the planner
    realised = realised_model(model, dephasing)
    # before any circuit: a truncation error costs nothing
    # the full states only for the energy balance of a measured charger
    reference = evolve(realised, times, frame=circuit_frame(realised), truncation_tol=truncation_tol,
                       full_state=tomography == "battery+charger")
    on_device = target not in ("aer-ideal", execute.PULSE_TARGET)
    if steps is None:
        steps = "noise-aware" if on_device and not realised.recharge_times else "splitting"
    options_ = CompileOptions(dephasing=dephasing, realizations=realizations, order=order, accuracy=accuracy,
                              max_step=max_step, collective_encoding=collective_encoding,
                              max_two_qubit_gates=max_two_qubit_gates, collision_time=collision_time,
                              ancillas=ancillas, seed=int(seeds[0]), steps=steps, tomography=tomography)
    baseline = reason = None
    if fractional == "auto" and not (on_device and steps == "noise-aware"):
        raise InputError("fractional", "'auto' chooses the gate set of least predicted total error: it needs a device "
                                       "target and noise-aware steps (or give true / false)")
    if steps == "noise-aware" and on_device:
        program, qubits, reason, baseline, fractional = device_program(realised, times, options_, target, backend,
                                                                       qubits, fractional)
    else:
        program = compile_model(realised, times, options_)
    measured_by = (lambda p: with_axes(p, optimal_axes(reference))) if estimator == "adaptive" else (lambda p: p)
    program = measured_by(program)
    plan = None
    if precision is not None or shot_budget is not None:
        dev = execute.device(target, backend, fractional=fractional) if on_device else None
        place = (lambda p: execute.prepare(p, dev, qubits)) if on_device else (lambda p: None)
        steps_used, choices = list(program.steps), program.step_choices
        recompile = lambda r: replace(measured_by(compile_model(realised, times, replace(options_, realizations=r),
                                                                step_counts=steps_used)), step_choices=choices)
        snapshot_assignments = (assignments_from_snapshot(dev.snapshot, [place(program).qubits[q] for q in
                                                                         program.info[0].measured_qubits])
                                if on_device and mitigation != "none" else None)
        program, plan = planned_program(program, precision, recompile=recompile, place=place, allocation=allocation,
                                        assignments=snapshot_assignments, bootstrap=bootstrap, seed=int(seeds[5]),
                                        shot_budget=shot_budget)
    return CompiledRun(program, reference, realised, qubits, reason, baseline, fractional, plan, seeds, steps)


def run_experiment(model: Model, times, *, dephasing: str = "kicks", realizations: int = 100,
                   shots: int = 4000, target: str = "aer-ideal", backend=None, qubits=None,
                   seed: int | None = None, order: int = 2, accuracy: float = 1e-2,
                   max_step: float | None = 0.5, bootstrap: int = 200, mitigation: str = "none",
                   fractional: bool | str = False, directory=None, options=None, confirm: bool = False,
                   progress=None, collective_encoding: str = "qubits", max_two_qubit_gates: int | None = None,
                   collision_time: float = 0.05, ancillas: str = "parallel", truncation_tol: float = 1e-5, charging_n: float = 1.0,
                   late: int | None = None, pulse_options=None, steps: str | None = None,
                   tomography: str = "battery", zne=None, zne_fit: str = "richardson",
                   zne_gates: str = "all", estimator: str = "pauli", precision: float | None = None,
                   allocation: str = "neyman", shot_budget: int | None = None) -> ExperimentResult:
    """Run ``model`` at ``times`` (units 1/omega_B) on ``target`` and analyse it (module doc).

    shots: total per (time, basis), split over ``realizations``; backend, qubits, directory,
    options, confirm, progress: see :func:`qbhw.execute.run`; mitigation: "snapshot" inverts
    the calibration's readout assignment matrices, "measured" those measured by two extra
    circuits (all |0>, all |1>) run in the same batch with ``shots`` shots each (device
    targets only); fractional: two-qubit terms as IBM's fractional RZZ gates (Heron devices,
    see :func:`qbhw.execute.device`), or "auto" (noise-aware steps on a device): the gate set
    of least predicted total error, each with its own noise-aware steps (the qubit reason says);
    order, accuracy, max_step, collective_encoding, max_two_qubit_gates, collision_time,
    ancillas: see :class:`qbhw.routing.CompileOptions`; truncation_tol:
    population allowed in the top kept level of a truncated oscillator (:func:`qbhw.reference.evolve`;
    ``np.inf`` for a cutoff already resolved with its own error, :func:`qbhw.reference.cutoff.resolve_cutoff`).
    pulse_options: target "pulse" only, e.g. {"levels": 3, "leaked_as": 1}
    (:func:`qbhw.pulse.target.run_pulse`).
    charging_n, late: e-foldings of the charging time and number of late points of the figures of
    merit (:mod:`qbhw.metrics.merit`).
    steps: "noise-aware" (the default on device targets: per time point the Trotter step count of
    least predicted total error, splitting + device, on the chosen qubits, :func:`noise_aware_program`)
    or "splitting" (the default elsewhere: fewest steps whose splitting error is <= accuracy);
    ``metadata["resources"]`` has both per time point.
    tomography: "battery" (default), "permutation" (a battery of several qubits, star or Dicke:
    (N+1)(N+2)/2 settings of one direction on every battery qubit instead of 3^N, the
    permutation-invariant part of the battery state, :mod:`qbhw.tomography.permutation`) or
    "battery+charger": the charger is measured too (3x the
    bases per charger qubit), E_B and ergotropy come from the joint state's battery marginal,
    and ``energy_balance`` holds the charger-battery energy balance
    (:func:`qbhw.analysis.energy_balance_estimates`).
    zne: noise factors, e.g. (1, 3, 5) (device targets): the tomography circuits also run folded
    at each factor in one more submission and ``zne`` holds the zero-noise extrapolated E_B and
    ergotropy with intervals, the extrapolated device reference and the shot cost
    (:mod:`qbhw.zne`; ``zne_fit`` "richardson" | "linear" | "exponential", ``zne_gates`` "all" |
    "two-qubit" folded).
    estimator: "pauli" (the 3^k Pauli bases) or "adaptive" (one-qubit battery: one more setting
    per time point along the axis the quantum Cramer-Rao bound says is optimal for the
    ergotropy, for the state the exact reference predicts, in the same batch; the Bloch vector
    is fitted to all four settings, :mod:`qbhw.tomography.settings`).
    precision: the 95 % half-width wanted for the ergotropy at every time point (units of
    omega_B): ``shots`` is then ignored and the shots, and the realizations of a stochastic
    emulation, are chosen by :mod:`qbhw.plan` (``allocation`` "neyman" | "equal" over the
    settings), checked by simulating the run, and ``plan`` holds the plan.  shot_budget: instead
    of a precision, the total shots; the plan spends them for the smallest common half-width.
    ``dephasing="none"`` runs and compares the model without its jumps (``qbhw.routing``)."""
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 2:
        raise InputError("bootstrap", f"must be an integer >= 2, got {bootstrap!r}")
    if mitigation not in MITIGATION:
        raise InputError("mitigation", f"must be one of {MITIGATION}, got {mitigation!r}")
    if target not in execute.TARGETS:
        raise InputError("target", f"must be one of {execute.TARGETS}, got {target!r}")
    if pulse_options and target != execute.PULSE_TARGET:
        raise InputError("pulse_options", f"set the pulse target's device; target is {target!r}")
    if mitigation != "none" and target in ("aer-ideal", execute.PULSE_TARGET):
        raise InputError("mitigation", f"target {target!r} is not mitigated (the ideal simulator has no readout error, "
                                       "the pulse target applies the snapshot's); use mitigation='none'")
    if zne is not None:
        zne = folding.check_factors(zne)
        if target in ("aer-ideal", execute.PULSE_TARGET):
            raise InputError("zne", f"zero-noise extrapolation folds a device's gates; target {target!r} has no gate "
                                    "noise (use a device target, e.g. 'aer-noisy')")
    if tomography != "battery" and target == execute.PULSE_TARGET:
        raise InputError("tomography", "the pulse target measures the battery only; use tomography='battery'")
    if (precision is not None or shot_budget is not None) and zne is not None:
        raise InputError("precision", "planned shots are not combined with zne yet; give shots")
    c = compile_run(model, times, dephasing=dephasing, realizations=realizations, target=target, backend=backend,
                    qubits=qubits, seed=seed, order=order, accuracy=accuracy, max_step=max_step, bootstrap=bootstrap,
                    mitigation=mitigation, fractional=fractional, collective_encoding=collective_encoding,
                    max_two_qubit_gates=max_two_qubit_gates, collision_time=collision_time, ancillas=ancillas,
                    truncation_tol=truncation_tol, steps=steps, tomography=tomography, estimator=estimator,
                    precision=precision, allocation=allocation, shot_budget=shot_budget)
    program, reference, qubits, reason, baseline, fractional, plan, seeds = (
        c.program, c.reference, c.qubits, c.reason, c.baseline, c.fractional, c.plan, c.seeds)
    realised, steps = c.realised, c.steps
    if plan is not None:
        shots = max(n for _, _, n in program.pubs)
    run_seed = int(seeds[1])
    prepared = assignments = dev_ref = resources = gate_sets = None
    warnings: list[str] = []
    if target in ("aer-ideal", execute.PULSE_TARGET):  # no placement on a device's qubits
        run = execute.run(program, target=target, shots=shots, seed=run_seed, progress=progress, fractional=fractional,
                          backend=backend, qubits=qubits, pulse_options=pulse_options)
    else:
        runnable = with_assignment_circuits(program, shots) if mitigation == "measured" else program
        prepared = execute.prepare(runnable, execute.device(target, backend, fractional=fractional), qubits)
        if reason is not None:
            prepared = replace(prepared, reason=reason)
        run = execute.run_prepared(runnable, prepared, shots=shots, seed=run_seed, directory=directory,
                                   options=options, confirm=confirm, progress=progress)
        k = len(program.info[0].measured_qubits)
        if mitigation == "snapshot":
            measured = [prepared.qubits[q] for q in program.info[0].measured_qubits]
            assignments = assignments_from_snapshot(prepared.device.snapshot, measured)
        elif mitigation == "measured":
            assignments = measured_assignments(run.counts[-2], run.counts[-1], k)
            prepared = replace(prepared, isa=prepared.isa[:-2])
        dev_ref = device_reference(program, prepared, readout=mitigation == "none")
        placed = execute.resources.report(program, prepared)
        resources = step_rows(program, prepared, placed, baseline)
        warnings = signal_warnings(program, prepared, placed)
        if target == "aer-noisy" and prepared.device.snapshot.processor_family.startswith("Heron"):
            gate_sets = [asdict(r) for r in _gate_sets(program, prepared, fractional)]
    a = analyse(program, run.counts[:len(program.pubs)], bootstrap=bootstrap, rng=np.random.default_rng(seeds[2]),
                assignments=assignments)
    if zne is not None:
        zne = zero_noise(program, prepared, run, zne, shots=shots, seed=int(seeds[3]), bootstrap=bootstrap,
                         rng=np.random.default_rng(seeds[4]), fit=zne_fit, gates=zne_gates, assignments=assignments,
                         directory=directory, options=options, confirm=confirm, progress=progress)
        warnings += zne.pop("warnings")
    balance = None
    if tomography == "battery+charger":
        balance = energy_balance_estimates(program, a, reference.states)
    dropped = realised is not model
    meta = {**run.metadata, "steps": program.steps, "step_rule": steps, "trotter_error": program.error_bound, "dephasing": dephasing,
            "compiler": "pulse" if target == execute.PULSE_TARGET else compiler_for(realised), "bootstrap": bootstrap, "confidence": CONFIDENCE,
            "interval": f"{CONFIDENCE:.0%} BCa bootstrap interval, Student-t widened for the realization count, "
                        "clipped to the physical range; for E_B and a qubit battery's ergotropy that of the linear "
                        "estimate (smooth in the counts), holding the physical-state value, the ergotropy's extended to 0 "
                        "where the state is compatible with a passive one; a multi-qubit battery's ergotropy the "
                        "physical state's own (qbhw.analysis)",
            "mitigation": mitigation, "fractional": fractional, "seed": seed,
            "reference_model": (f"{model.name} without its jumps ({', '.join(j.label for j in model.jumps if j.rate)}): "
                                "dephasing = 'none' removes them from the circuits" if dropped else model.name),
            "assignments": None if assignments is None else [x.tolist() for x in assignments],
            "resources": resources, "gate_sets": gate_sets, "warnings": warnings,
            "encoding_costs": getattr(program, "encoding_costs", None),
            "dissipation": execute.resources.dissipation(program)}
    figures = figures_of_merit(program.times, a, reference.battery_energy, reference.battery_ergotropy,
                               n=charging_n, late=late)
    if dev_ref is not None:  # the same rule on the noise-exact device reference (a)
        device = curve_figures(program.times, dev_ref.battery_energy, dev_ref.battery_ergotropy, n=charging_n,
                               late=late, energy_err=a["e_err"])
        figures = {k: {**v, "device": device[k]} for k, v in figures.items()}
    if zne is not None:
        zne["figures"] = figures_of_merit(program.times, zne, reference.battery_energy, reference.battery_ergotropy,
                                          n=charging_n, late=late)
        device = curve_figures(program.times, zne["device"]["e"], zne["device"]["w"], n=charging_n, late=late,
                               energy_err=zne["e_err"])
        zne["figures"] = {k: {**v, "device": device[k]} for k, v in zne["figures"].items()}
    if plan is not None:
        meta["plan"] = plan.summary()
        meta["shots"] = plan.total_shots  # over all time points and settings
        meta["shots_per_realization"] = 1 if plan.randomized else None
    meta["estimator"] = estimator
    return ExperimentResult(program.times, a["e"], a["e_err"], a["e_ci"], a["w"], a["w_err"], a["w_ci"], a["w_bias"],
                            a["e_linear"], a["e_linear_err"], a["e_linear_ci"], a["states"], reference, dev_ref,
                            program, meta, figures, balance, zne, a["w_corrected"])


def zero_noise(program: Program, prepared, run, factors, *, shots: int, seed: int, bootstrap: int,
               rng: np.random.Generator, fit: str, gates: str, assignments, directory, options, confirm,
               progress) -> dict:
    """:func:`qbhw.zne.zne_estimates` of the run's placed program, its factor-1 counts reused
    (the other factors: one more submission, in ``directory``/zne when given), without the raw
    counts and resamples (kept out of results), plus ``warnings``: readout error is not folded,
    so without readout mitigation it stays in the extrapolated values."""
    out = zne_estimates(program, prepared, factors=factors, shots=shots, seed=seed, bootstrap=bootstrap,
                        rng=rng, fit=fit, gates=gates, assignments=assignments, base_counts=run.counts[:len(program.pubs)],
                        directory=None if directory is None else Path(directory) / "zne", options=options,
                        confirm=confirm, progress=progress)
    out.pop("counts")
    out.pop("metadata")
    out["warnings"] = ([] if assignments is not None else
                       ["zne: readout error is not folded and stays in the extrapolated values; combine zne with "
                        "mitigation = 'snapshot' or 'measured'"])
    return out
