"""An experiment file's run: spec -> results dict (the layout :mod:`qbhw.report` writes).

Target "reference" evaluates the exact Lindblad solution only (no sampling, stderr 0).
Every other target runs :func:`qbhw.run_experiment` and sets the measured curves beside the
ideal reference and, on device targets, the device references (a) noise-exact and (b)
Lindblad + T1/T2.  ``jobs`` is the job-manifest folder that makes a run resumable.
"""

from __future__ import annotations

import numpy as np

from . import execute, report
from .compile import compile_program
from .experiment import run_experiment
from .experiment_file import ExperimentSpec
from .metrics import max_average_power
from .reference import evolve, exact_charging_time, steady_state


def _summary(model, times, energy, n):
    out = {"charging_n": n}
    try:
        ss = steady_state(model)
        out.update(steady_battery_energy=ss.battery_energy, steady_battery_ergotropy=ss.battery_ergotropy,
                   relaxation_rate=ss.relaxation_rate)
        ct = exact_charging_time(model, n)
        out.update(charging_time=ct.tau, energy_relaxation_rate=ct.energy_relaxation_rate)
    except ValueError as err:  # no steady state (undamped, limit cycle, too large): say why
        out["steady_state_note"] = str(err)
    p, tp = max_average_power(times, energy)
    out.update(max_average_power=p, max_average_power_time=tp)
    return out


def _within(values, ci) -> dict:
    inside = (np.asarray(values) >= ci[:, 0] - 1e-12) & (np.asarray(values) <= ci[:, 1] + 1e-12)
    return {"inside": int(inside.sum()), "points": int(inside.size), "fraction": float(inside.mean()),
            "outside_times_index": np.flatnonzero(~inside).tolist()}


def _measured(spec: ExperimentSpec, model, times, jobs, progress, confirm, backend) -> dict:
    r = run_experiment(model, times, dephasing=spec.dephasing, realizations=spec.realizations, shots=spec.shots,
                       target=spec.target, backend=spec.backend if backend is None else backend, qubits=spec.qubits, seed=spec.seed,
                       bootstrap=spec.bootstrap, mitigation=spec.mitigation, fractional=spec.fractional, directory=jobs,
                       options=dict(spec.runtime_options) or None, progress=progress, confirm=confirm,
                       **dict(spec.compile_options))
    m = r.metadata
    out = {
        "battery_energy": {"value": r.battery_energy, "stderr": r.battery_energy_err, "ci95": r.battery_energy_ci},
        "battery_ergotropy": {"value": r.battery_ergotropy, "stderr": r.battery_ergotropy_err,
                              "ci95": r.battery_ergotropy_ci, "bias": r.battery_ergotropy_bias},
        "battery_states": {"real": r.battery_states.real, "imag": r.battery_states.imag},
        "backend": m.get("backend"),
        "target": spec.target,
        "qubits": m.get("qubits"),
        "qubit_reason": m.get("qubit_reason"),
        "calibration_date": m.get("calibration_date"),
        "program": {"steps": list(r.program.steps), "trotter_error": list(r.program.error_bound),
                    "order": r.program.order, "dephasing": r.program.dephasing,
                    "realizations": r.program.realizations, "circuits": len(r.program.pubs),
                    "shots_per_realization": m.get("shots_per_realization")},
        "device_reference": None,
        "decoherence_reference": None,
        "resources": m.get("resources"),
        "gate_sets": m.get("gate_sets"),
    }
    d = r.device_reference
    if d is not None:
        out["device_reference"] = {
            "battery_energy": d.battery_energy, "battery_ergotropy": d.battery_ergotropy,
            "method": "same circuits and parameter values as density matrices under the snapshot noise model, "
                      "readout error " + ("mitigated" if spec.mitigation != "none" else "included") + ", no sampling",
            "agreement": {"battery_energy": _within(d.battery_energy, r.battery_energy_ci),
                          "battery_ergotropy": _within(d.battery_ergotropy, r.battery_ergotropy_ci)}}
        out["decoherence_reference"] = {
            "battery_energy": d.decoherence.battery_energy, "battery_ergotropy": d.decoherence.battery_ergotropy,
            "seconds_per_unit": d.seconds_per_unit,
            "method": "exact Lindblad model + T1/T2 channels of the chosen qubits"}
    return out


def run_spec(spec: ExperimentSpec, *, jobs=None, progress=None, confirm: bool = False, backend=None) -> dict:
    """Run ``spec`` and return the results dict (``jobs``: manifest folder for device targets;
    ``confirm``: allow IBM runs above the QPU-time threshold; ``backend``: an already resolved
    snapshot or backend object instead of ``spec.backend``)."""
    model = spec.build_model()
    times = np.asarray(spec.times)
    traj = evolve(model, times)
    fine = evolve(model, np.linspace(0.0, times[-1], 401))
    measured = spec.target != "reference"
    results = {
        "title": f"{spec.model_kind}: " + ("measured vs exact charging curves" if measured else "exact charging curves"),
        "times": times,
        "measured": measured,
        "reference": {"battery_energy": traj.battery_energy, "battery_ergotropy": traj.battery_ergotropy,
                      "charger_energy": traj.charger_energy, "method": traj.method},
        "reference_curve": {"times": fine.times, "battery_energy": fine.battery_energy,
                            "battery_ergotropy": fine.battery_ergotropy},
        "summary": _summary(model, times, traj.battery_energy, spec.charging_n),
        "seed": spec.seed,
        "spec": spec.to_dict(),
        "versions": report.versions(),
    }
    if measured:
        results.update(_measured(spec, model, times, jobs, progress, confirm, backend))
    else:
        zeros = np.zeros_like(times)
        results.update(battery_energy={"value": traj.battery_energy, "stderr": zeros},
                       battery_ergotropy={"value": traj.battery_ergotropy, "stderr": zeros},
                       backend="reference", target="reference", qubits=None, device_reference=None,
                       decoherence_reference=None)
    return results


def dry_run_spec(spec: ExperimentSpec, *, backend=None) -> dict:
    """Compile ``spec`` and validate it on its IBM device with the runtime's dry-run mode
    (nothing runs, nothing is charged); returns the run metadata with the QPU-time estimate."""
    if spec.target != "ibm":
        raise ValueError(f"run.target: --dry-run validates against an IBM device; {spec.target!r} runs locally")
    program = compile_program(spec.build_model(), spec.times, dephasing=spec.dephasing,
                              realizations=spec.realizations, seed=spec.seed, **dict(spec.compile_options))
    result = execute.run(program, target="ibm", backend=spec.backend if backend is None else backend,
                         shots=spec.shots, qubits=spec.qubits, options=dict(spec.runtime_options) or None,
                         dry_run=True, fractional=spec.fractional)
    return dict(result.metadata)
