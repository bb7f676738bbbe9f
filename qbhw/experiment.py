"""One call from a model to measured battery figures of merit beside the exact references:

    result = run_experiment(tls_pair(1.0, 0.5, 1.0), np.linspace(0, 10, 20), seed=1)
    result.battery_energy, result.battery_energy_err, result.reference.battery_energy

The running half: the exact reference of the model the circuits realise
(:func:`qbhw.routing.realised_model`; computed FIRST, so a truncation error costs nothing) ->
the compiler the model needs (:func:`qbhw.routing.compile_model`) -> execute on any target of
:mod:`qbhw.execute` -> the analysing half, :func:`qbhw.analysis.analyse` (tomography, one
physical state per time for E_B and ergotropy, the unbiased linear energy beside them,
bootstrap errors and intervals).

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

import numpy as np
from qiskit.circuit import ClassicalRegister, QuantumCircuit

from . import execute
from .analysis import CONFIDENCE, analyse, figures_of_merit, measured_assignments, noise_exact_estimates
from .compile import Program
from .errors import InputError
from .metrics import curve_figures
from .models import Model, with_qubit_decoherence
from .reference import Trajectory, evolve
from .routing import CompileOptions, compile_model, compiler_for, realised_model
from .tomography import assignments_from_snapshot

MITIGATION = ("none", "snapshot", "measured")
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
    also ``device``, the same rule on the noise-exact device reference)."""

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


def _gate_sets(program, prepared, backend, fractional: bool):
    """The run's placement and the other gate set (CZ <-> fractional RZZ) on the same qubits of
    the Heron snapshot, CZ first (:func:`qbhw.execute.resources.gate_set_costs`)."""
    other = execute.prepare(program, execute.device("aer-noisy", backend, fractional=not fractional), prepared.qubits)
    cz, rzz = (other, prepared) if fractional else (prepared, other)
    return execute.resources.gate_set_costs(program, cz) + execute.resources.gate_set_costs(program, rzz)


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


def run_experiment(model: Model, times, *, dephasing: str = "kicks", realizations: int = 100,
                   shots: int = 4000, target: str = "aer-ideal", backend=None, qubits=None,
                   seed: int | None = None, order: int = 2, accuracy: float = 1e-2,
                   max_step: float | None = 0.5, bootstrap: int = 200, mitigation: str = "none",
                   fractional: bool = False, directory=None, options=None, confirm: bool = False,
                   progress=None, collective_encoding: str = "qubits", max_two_qubit_gates: int | None = None,
                   collision_time: float = 0.05, ancillas: str = "parallel", truncation_tol: float = 1e-5, charging_n: float = 1.0,
                   late: int | None = None, pulse_options=None) -> ExperimentResult:
    """Run ``model`` at ``times`` (units 1/omega_B) on ``target`` and analyse it (module doc).

    shots: total per (time, basis), split over ``realizations``; backend, qubits, directory,
    options, confirm, progress: see :func:`qbhw.execute.run`; mitigation: "snapshot" inverts
    the calibration's readout assignment matrices, "measured" those measured by two extra
    circuits (all |0>, all |1>) run in the same batch with ``shots`` shots each (device
    targets only); fractional: two-qubit terms as IBM's fractional RZZ gates (Heron devices,
    see :func:`qbhw.execute.device`); order, accuracy, max_step, collective_encoding,
    max_two_qubit_gates, collision_time, ancillas: see :class:`qbhw.routing.CompileOptions`; truncation_tol:
    population allowed in the top kept level of a truncated oscillator (:func:`qbhw.reference.evolve`;
    ``np.inf`` for a cutoff already resolved with its own error, :func:`qbhw.reference.cutoff.resolve_cutoff`).
    pulse_options: target "pulse" only, e.g. {"levels": 3, "leaked_as": 1}
    (:func:`qbhw.pulse.target.run_pulse`).
    charging_n, late: e-foldings of the charging time and number of late points of the figures of
    merit (:mod:`qbhw.metrics.merit`).
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
    seeds = np.random.SeedSequence(seed).generate_state(3)
    realised = realised_model(model, dephasing)
    # before any circuit: a truncation error costs nothing
    reference = evolve(realised, times, frame=circuit_frame(realised), truncation_tol=truncation_tol)
    options_ = CompileOptions(dephasing=dephasing, realizations=realizations, order=order, accuracy=accuracy,
                              max_step=max_step, collective_encoding=collective_encoding,
                              max_two_qubit_gates=max_two_qubit_gates, collision_time=collision_time,
                              ancillas=ancillas, seed=int(seeds[0]))
    program = compile_model(realised, times, options_)
    run_seed = int(seeds[1])
    prepared = assignments = dev_ref = resources = gate_sets = None
    warnings: list[str] = []
    if target in ("aer-ideal", execute.PULSE_TARGET):  # no placement on a device's qubits
        run = execute.run(program, target=target, shots=shots, seed=run_seed, progress=progress, fractional=fractional,
                          backend=backend, qubits=qubits, pulse_options=pulse_options)
    else:
        runnable = with_assignment_circuits(program, shots) if mitigation == "measured" else program
        prepared = execute.prepare(runnable, execute.device(target, backend, fractional=fractional), qubits)
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
        resources = [asdict(r) for r in placed]
        warnings = signal_warnings(program, prepared, placed)
        if target == "aer-noisy" and prepared.device.snapshot.processor_family.startswith("Heron"):
            gate_sets = [asdict(r) for r in _gate_sets(program, prepared, backend, fractional)]
    a = analyse(program, run.counts[:len(program.pubs)], bootstrap=bootstrap, rng=np.random.default_rng(seeds[2]),
                assignments=assignments)
    dropped = realised is not model
    meta = {**run.metadata, "steps": program.steps, "trotter_error": program.error_bound, "dephasing": dephasing,
            "compiler": "pulse" if target == execute.PULSE_TARGET else compiler_for(realised), "bootstrap": bootstrap, "confidence": CONFIDENCE,
            "interval": f"{CONFIDENCE:.0%} BCa bootstrap interval, Student-t widened for the realization count, "
                        "clipped to the physical range; for E_B and ergotropy that of the linear-inversion estimate "
                        "(smooth in the counts), holding the physical-state value (qbhw.analysis)",
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
    return ExperimentResult(program.times, a["e"], a["e_err"], a["e_ci"], a["w"], a["w_err"], a["w_ci"], a["w_bias"],
                            a["e_linear"], a["e_linear_err"], a["e_linear_ci"], a["states"], reference, dev_ref,
                            program, meta, figures)
