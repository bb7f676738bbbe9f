"""An experiment file's run as the results dict (the layout :mod:`qbhw.report` writes).

:func:`resolve_model` builds the spec's model, resolving ``n_max = "auto"`` from the requested
times with the exact reference before anything is compiled.  Target "reference" evaluates the
exact Lindblad solution only (no sampling, stderr 0).  Every other target runs
:func:`qbhw.run_experiment` and sets the measured curves beside the exact reference of the
model the circuits realise (``reference.model`` says which: with ``dephasing = "none"`` the
model without its jumps) and, on device targets, the device references (a) noise-exact and
(b) Lindblad + T1/T2.  The summary's exact figures (steady state, charging time, maximum
average power from a dense curve) are for that same model.  ``jobs`` is the job-manifest
folder that makes a run resumable.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from . import execute, report
from .compile.encoding import battery_energy_max
from .errors import InputError
from .execute.targets import DEVICE_TARGETS
from .experiment import device_program, run_experiment
from .experiment_file import ExperimentSpec
from .metrics import max_average_power
from .reference import evolve, exact_charging_time, steady_state
from .routing import CompileOptions, compile_model, realised_model

TRUNCATION_TOL = 1e-5  # top-level population allowed for an explicit n_max (qbhw.reference.evolve's default)
DENSE = 401  # points of the exact curve drawn and used for the exact maximum average power
COMPILE_KEYS = ("order", "accuracy", "max_step", "collective_encoding", "max_two_qubit_gates", "collision_time",
                "ancillas", "steps")
#: argument names of the layers below -> experiment-file keys, for errors found there
FILE_KEYS = {"times": "times", "n_max": "model.n_max", **{k: f"compile.{k}" for k in COMPILE_KEYS},
             **{k: f"run.{k}" for k in ("realizations", "dephasing", "shots", "bootstrap", "mitigation", "target",
                                         "qubits", "fractional", "backend", "tomography", "zne", "zne_fit",
                                         "zne_gates")}}


def file_key_error(err: InputError) -> InputError:
    """``err`` re-keyed to the experiment file's key when it names an argument of a lower layer."""
    key = FILE_KEYS.get(err.key)
    if key is None:
        return err
    out = type(err)(key, str(err).split(": ", 1)[1])
    return out


def resolve_model(spec: ExperimentSpec):
    """(model, cutoff) of ``spec``: ``cutoff`` is None, or the resolved ``n_max = "auto"``
    (:func:`qbhw.reference.cutoff.resolve_cutoff`) used for the circuits and the reference."""
    if spec.model_params.get("n_max") != "auto":
        return spec.build_model(), None
    from .reference.cutoff import resolve_cutoff

    tolerance = dict(spec.compile_options).get("cutoff_tolerance", 1e-3)
    cutoff = resolve_cutoff(lambda n_max: spec.build_model(n_max=n_max), spec.times, tolerance=tolerance)
    return spec.build_model(n_max=cutoff.n_max), cutoff


def _summary(model, times, n, truncation_tol):
    out = {"charging_n": n}
    try:
        ss = steady_state(model, truncation_tol=truncation_tol)
        out.update(steady_battery_energy=ss.battery_energy, steady_battery_ergotropy=ss.battery_ergotropy,
                   relaxation_rate=ss.relaxation_rate)
        ct = exact_charging_time(model, n)
        out.update(charging_time=ct.tau, energy_relaxation_rate=ct.energy_relaxation_rate)
    except (ValueError, RuntimeError) as err:  # no steady state (undamped, limit cycle, too large) or never settles: say why
        out["steady_state_note"] = str(err)
    dense = evolve(model, np.linspace(0.0, float(times[-1]), DENSE), truncation_tol=truncation_tol)
    p, tp = max_average_power(dense.times, dense.battery_energy)
    out.update(max_average_power=p, max_average_power_time=tp,
               max_average_power_note=f"exact model, {DENSE} points in [0, {float(times[-1]):g}]")
    return out, dense


def _exact_figures(summary: dict) -> dict:
    """The model's own figures of merit (dense curve, steady state), beside the measured ones;
    None where the model has none (no steady state)."""
    e, w = summary.get("steady_battery_energy"), summary.get("steady_battery_ergotropy")
    return {"charging_time": summary.get("charging_time"), "max_average_power": summary["max_average_power"],
            "max_average_power_time": summary["max_average_power_time"],
            "late_ergotropy_ratio": w / e if e else None}


def _within(values, ci) -> dict:
    inside = (np.asarray(values) >= ci[:, 0] - 1e-12) & (np.asarray(values) <= ci[:, 1] + 1e-12)
    return {"inside": int(inside.sum()), "points": int(inside.size), "fraction": float(inside.mean()),
            "outside_times_index": np.flatnonzero(~inside).tolist()}


def _compile_options(spec: ExperimentSpec) -> dict:
    return {k: v for k, v in dict(spec.compile_options).items() if k in COMPILE_KEYS}


def _measured(spec: ExperimentSpec, model, times, jobs, progress, confirm, backend, truncation_tol):
    """(results fields of the run, the exact reference run_experiment computed for it)."""
    r = run_experiment(model, times, dephasing=spec.dephasing, realizations=spec.realizations, shots=spec.shots,
                       target=spec.target, backend=spec.backend if backend is None else backend, qubits=spec.qubits,
                       seed=spec.seed, bootstrap=spec.bootstrap, mitigation=spec.mitigation,
                       fractional=spec.fractional, directory=jobs, options=dict(spec.runtime_options) or None,
                       progress=progress, confirm=confirm, truncation_tol=truncation_tol, charging_n=spec.charging_n,
                       pulse_options=dict(spec.pulse_options) or None, tomography=spec.tomography, zne=spec.zne,
                       zne_fit=spec.zne_fit, zne_gates=spec.zne_gates, estimator=spec.estimator,
                       precision=spec.precision, allocation=spec.allocation, shot_budget=spec.shot_budget,
                       **_compile_options(spec))
    m = r.metadata
    out = {
        "battery_energy": {"value": r.battery_energy, "stderr": r.battery_energy_err, "ci95": r.battery_energy_ci,
                           "estimator": "physical (projected) state, the same one as the ergotropy"},
        "battery_energy_linear": {"value": r.battery_energy_linear, "stderr": r.battery_energy_linear_err,
                                  "ci95": r.battery_energy_linear_ci,
                                  "estimator": "linear inversion (unbiased; may leave [0, E_max])"},
        "battery_ergotropy": {"value": r.battery_ergotropy, "stderr": r.battery_ergotropy_err,
                              "ci95": r.battery_ergotropy_ci, "bias": r.battery_ergotropy_bias,
                              "bias_corrected": r.battery_ergotropy_corrected,
                              "estimator": ("adaptive: Pauli bases + the QCRB-optimal axis, weighted least-squares "
                                            "Bloch fit" if spec.estimator == "adaptive" else
                                            "permutation-invariant settings, linear estimate of the battery state's "
                                            "permutation-invariant part" if spec.tomography == "permutation" else
                                            "Pauli bases, linear inversion")
                                           + "; physical state, the same one as E_B"},
        "plan": m.get("plan"),
        "interval": m["interval"],
        "figures_of_merit": {k: dict(v) for k, v in r.figures.items()},
        "battery_states": {"real": r.battery_states.real, "imag": r.battery_states.imag},
        "backend": m.get("backend"),
        "target": spec.target,
        "qubits": m.get("qubits"),
        "qubit_reason": m.get("qubit_reason"),
        "calibration_date": m.get("calibration_date"),
        "program": {"compiler": m["compiler"], "steps": list(r.program.steps), "trotter_error": list(r.program.error_bound),
                    "order": r.program.order, "dephasing": r.program.dephasing, "step_rule": m.get("step_rule"),
                    "tomography": spec.tomography, **tomography_settings_fields(r.program),
                    "realizations": r.program.realizations, "circuits": len(r.program.pubs),
                    "qubits": r.program.pubs[0][0].num_qubits,
                    "shots_per_realization": m.get("shots_per_realization"), "shots": m.get("shots"),
                    "encoding_costs": m.get("encoding_costs"), "dissipation": m.get("dissipation")},
        "pulse": (None if spec.target != "pulse" else
                  {"leakage": m.get("leakage"), "leaked_read_as": m.get("leaked_read_as"),
                   "readout_assignment": m.get("readout_assignment"), "parameters": m.get("pulse")}),
        "device_reference": None,
        "decoherence_reference": None,
        "resources": m.get("resources"),
        "estimated_qpu_seconds": m.get("estimated_qpu_seconds"),  # on the named IBM device (device targets)
        "qpu_usage": m.get("qpu_usage"),  # what the jobs reported (IBM), beside the estimate
        "rep_delay": m.get("rep_delay"),
        "gate_sets": m.get("gate_sets"),
        "warnings": m.get("warnings", []),
        "energy_balance": r.energy_balance,
        "zne": _zne_fields(r.zne),
    }
    d = r.device_reference
    if d is not None:
        out["device_reference"] = {
            "battery_energy": d.battery_energy, "battery_ergotropy": d.battery_ergotropy,
            "method": "same circuits and parameter values as density matrices under the snapshot noise model, "
                      "readout error " + ("mitigated" if spec.mitigation != "none" else "included") + ", no sampling"
                      + ("; the aer-noisy points are sampled from these same probabilities, so this agreement checks "
                         "sampling and the estimator only" if spec.target == "aer-noisy" else ""),
            "agreement": {"battery_energy": _within(d.battery_energy, r.battery_energy_ci),
                          "battery_ergotropy": _within(d.battery_ergotropy, r.battery_ergotropy_ci)}}
        if d.decoherence is not None:
            out["decoherence_reference"] = {
                "battery_energy": d.decoherence.battery_energy, "battery_ergotropy": d.decoherence.battery_ergotropy,
                "seconds_per_unit": d.seconds_per_unit,
                "method": "exact Lindblad model + T1/T2 channels of the chosen qubits"}
    return out, r.reference


def tomography_settings_fields(program) -> dict:
    """The measurement settings of a program's tomography: their number per time point and,
    for permutation-invariant tomography, the directions and the condition number of the
    map they invert (:func:`qbhw.tomography.permutation.pi_conditioning`)."""
    first = [i for i in program.info if i.time_index == 0]
    out = {"settings_per_time": len({i.setting for i in first})}
    axes = [i.axis for i in first if i.axis is not None]
    if axes and len(first[0].measured_qubits) > 1:
        from .tomography.permutation import pi_conditioning

        out.update(tomography_settings=[list(a) for a in axes],
                   tomography_conditioning=pi_conditioning(np.array(axes), len(first[0].measured_qubits)))
    return out


def _zne_fields(z: dict | None) -> dict | None:
    """results.json "zne": the zero-noise extrapolated curves with errors and intervals, the
    factors' own values, the extrapolated device reference, amplification and shot cost
    (:mod:`qbhw.zne`); resamples and states left out."""
    if z is None:
        return None
    return {"factors": list(z["factors"]), "fit": z["fit"], "gates": z["gates"],
            "interval": "95 % BCa interval of the extrapolated linear quantities over a bootstrap that resamples the "
                        "realizations jointly across factors (each factor's shots independently); it carries the "
                        "extrapolation's variance, not its bias: the extrapolated device reference shows that",
            "battery_energy": {"value": z["e"], "stderr": z["e_err"], "ci95": z["e_ci"]},
            "battery_ergotropy": {"value": z["w"], "stderr": z["w_err"], "ci95": z["w_ci"]},
            "per_factor": {k: v for k, v in z["per_factor"].items()},
            "amplification": z["amplification"],
            "device_reference": {"battery_energy": z["device"]["e"], "battery_ergotropy": z["device"]["w"],
                                 "per_factor_energy": z["device"]["e_factors"],
                                 "per_factor_ergotropy": z["device"]["w_factors"]},
            "shots": z["shots"],
            "figures_of_merit": {k: {key: v for key, v in f.items() if key != "resamples"}
                                 for k, f in z["figures"].items()}}


def run_spec(spec: ExperimentSpec, *, jobs=None, progress=None, confirm: bool = False, backend=None) -> dict:
    """Run ``spec`` and return the results dict (``jobs``: manifest folder for device targets;
    ``confirm``: allow IBM runs above the QPU-time threshold; ``backend``: an already resolved
    snapshot or backend object instead of ``spec.backend``).  Errors of lower layers that name
    an argument are re-keyed to the experiment file's key."""
    try:
        return _run_spec(spec, jobs, progress, confirm, backend)
    except InputError as err:
        raise file_key_error(err) from None


def _run_spec(spec, jobs, progress, confirm, backend) -> dict:
    model, cutoff = resolve_model(spec)
    # a resolved cutoff carries its own truncation error (results "cutoff"); an explicit n_max
    # keeps the reference's check of the top level's population
    tol = np.inf if cutoff is not None else TRUNCATION_TOL
    times = np.asarray(spec.times)
    measured = spec.target != "reference"
    realised = realised_model(model, spec.dephasing) if measured else model
    summary, fine = _summary(realised, times, spec.charging_n, tol)  # before any circuit, like the reference
    results = {
        "times": times,
        "measured": measured,
        "reference_curve": {"times": fine.times, "battery_energy": fine.battery_energy,
                            "battery_ergotropy": fine.battery_ergotropy},
        "summary": summary,
        "battery_energy_max": battery_energy_max(model),
        "cutoff": None if cutoff is None else asdict(cutoff),
        "seed": spec.seed,
        "spec": spec.to_dict(),
        "versions": report.versions(),
    }
    if measured:
        out, traj = _measured(spec, model, times, jobs, progress, confirm, backend, tol)
        results.update(out)
        for name, exact in _exact_figures(summary).items():
            results["figures_of_merit"][name]["exact"] = exact
    else:
        traj = evolve(realised, times, truncation_tol=tol)
    results["reference"] = {"battery_energy": traj.battery_energy, "battery_ergotropy": traj.battery_ergotropy,
                            "charger_energy": traj.charger_energy, "method": traj.method,
                            "model": (f"{model.name} WITHOUT its jumps (dephasing = 'none' removes them from the "
                                      "circuits)" if realised is not model else model.name)}
    if not measured:
        zeros = np.zeros_like(times)
        results.update(battery_energy={"value": traj.battery_energy, "stderr": zeros},
                       battery_ergotropy={"value": traj.battery_ergotropy, "stderr": zeros},
                       backend="reference", target="reference", qubits=None, device_reference=None,
                       decoherence_reference=None, warnings=[])
    return results


def compile_spec(spec: ExperimentSpec, *, backend=None):
    """The program ``spec`` runs (its model realised for its dephasing, compiled with its compile
    options; on a device target with noise-aware steps, the default there, for the device and
    qubits the run would use: :func:`qbhw.experiment.device_program`), without running it;
    errors re-keyed to the experiment file's keys."""
    return _program(spec, backend)[0]


def _program(spec: ExperimentSpec, backend):
    """(:func:`compile_spec`'s program, the gate set it was compiled for: fractional True/False)."""
    try:
        model, _ = resolve_model(spec)
        realised = realised_model(model, spec.dephasing)
        compile_options = _compile_options(spec)
        steps = compile_options.pop("steps", None) or (
            "noise-aware" if spec.target in DEVICE_TARGETS and not realised.recharge_times else "splitting")
        options = CompileOptions(dephasing=spec.dephasing, realizations=spec.realizations, seed=spec.seed,
                                 tomography=spec.tomography, steps=steps, **compile_options)
        if steps == "noise-aware" and spec.target in DEVICE_TARGETS:
            program, *_, fractional = device_program(realised, spec.times, options, spec.target,
                                                     spec.backend if backend is None else backend, spec.qubits,
                                                     spec.fractional)
            return program, fractional
        return compile_model(realised, spec.times, options), spec.fractional is True
    except InputError as err:
        raise file_key_error(err) from None


def plan_spec(spec: ExperimentSpec, *, backend=None, devices=()) -> dict:
    """What ``spec`` would spend, before anything runs (``qbhw plan``): compiled exactly as a
    run compiles it (:func:`qbhw.experiment.compile_run`, shots planned for ``run.precision``
    when given), placed on its device (aer-ideal: on DEFAULT_CALIBRATION, for the cost only) and
    on each of ``devices`` (calibration names), with the QPU seconds of each
    (:func:`qbhw.execute.targets.qpu_seconds`); ``plan``: the :class:`qbhw.plan.Plan` summary."""
    from .execute.budget import choose_rep_delay
    from .experiment import compile_run

    if spec.sweep is not None:
        raise InputError("sweep", "qbhw plan takes a single experiment; plan a sweep's points as files of their own")
    if spec.target in ("reference", execute.PULSE_TARGET):
        raise InputError("run.target", f"target {spec.target!r} runs no device circuits: there is no QPU time to plan")
    try:
        model, _ = resolve_model(spec)
        options = _compile_options(spec)
        c = compile_run(model, np.asarray(spec.times), dephasing=spec.dephasing, realizations=spec.realizations,
                        target=spec.target, backend=spec.backend if backend is None else backend, qubits=spec.qubits,
                        seed=spec.seed, bootstrap=spec.bootstrap, mitigation=spec.mitigation, fractional=spec.fractional,
                        truncation_tol=TRUNCATION_TOL, tomography=spec.tomography, estimator=spec.estimator,
                        precision=spec.precision, allocation=spec.allocation, shot_budget=spec.shot_budget, **options)
    except InputError as err:
        raise file_key_error(err) from None
    program = c.program
    shots = max(n for _, _, n in program.pubs) if c.plan is not None else spec.shots
    per_pub = execute.targets.shots_per_pub(program, shots)
    rows = [np.asarray(v).size // qc.num_parameters if v is not None and qc.num_parameters else 1
            for qc, v, *_ in program.pubs]
    names = [spec.backend if spec.target in DEVICE_TARGETS else execute.DEFAULT_CALIBRATION, *devices]
    costs = []
    for i, name in enumerate(dict.fromkeys(names)):
        dev = execute.device("aer-noisy" if spec.target == "aer-ideal" or i else spec.target,
                             (backend if backend is not None and i == 0 else name), fractional=c.fractional)
        prepared = execute.prepare(program, dev, c.qubits if i == 0 and spec.target in DEVICE_TARGETS else None)
        isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, per_pub))
        rep_delay, why = choose_rep_delay(dev.snapshot, prepared.qubits)
        costs.append({"device": dev.name, "qubits": list(prepared.qubits), "rep_delay": rep_delay,
                      "rep_delay_reason": why, "qpu_seconds": execute.targets.qpu_seconds(prepared, isa, shots, rep_delay=rep_delay),
                      "qpu_seconds_default_rep_delay": execute.targets.qpu_seconds(prepared, isa, shots)})
    return {"target": spec.target, "estimator": spec.estimator, "circuits": len(program.pubs),
            "total_shots": int(sum(n * r for n, r in zip(per_pub, rows))), "realizations": program.realizations,
            "plan": None if c.plan is None else c.plan.summary(), "times": list(program.times), "devices": costs}


def dry_run_spec(spec: ExperimentSpec, *, backend=None) -> list[dict]:
    """Validate ``spec`` without running or writing anything: one dict per run (each point of
    a sweep, ``"point"`` its label) with what was checked (``dry_run``), circuits, qubits and
    the estimated QPU seconds on the named device.  "ibm": the runtime's dry-run mode (nothing
    is charged); "aer-noisy"/"fake-local": every ISA circuit checked locally against the
    device's Target (:func:`qbhw.execute.targets.isa_problems`); "aer-ideal"/"pulse": there is
    no device, so only compilation is checked; "reference" runs no circuits (InputError).  Errors as InputError/RuntimeError as a run's."""
    runs = [("", spec)] if spec.sweep is None else [(p.label, s) for p, s in spec.sweep_points()]
    out = []
    for label, s in runs:
        if s.target == "reference":
            raise InputError("run.target", "target 'reference' runs no circuits: there is nothing to validate")
        program, fractional = _program(s, backend)
        base = {"point": label, "target": s.target, "circuits": len(program.pubs),
                "qubits_needed": program.pubs[0][0].num_qubits}
        if s.target in ("aer-ideal", execute.PULSE_TARGET):
            out.append({**base, "dry_run": "compiled only (no device to validate against)", "backend": None,
                        "qubits": None, "estimated_qpu_seconds": None})
            continue
        result = execute.run(program, target=s.target, backend=s.backend if backend is None else backend,
                             shots=s.shots, qubits=s.qubits, options=dict(s.runtime_options) or None,
                             dry_run=True, fractional=fractional)
        out.append({**base, **result.metadata})
    return out
