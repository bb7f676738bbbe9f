"""An experiment file's run: spec -> results dict (the layout ``report`` writes).

Target "reference" evaluates the exact Lindblad solution only (no sampling, stderr 0).
"""

from __future__ import annotations

import numpy as np

from . import report
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


def run_spec(spec: ExperimentSpec) -> dict:
    model = spec.build_model()
    times = np.asarray(spec.times)
    traj = evolve(model, times)
    zeros = np.zeros_like(times)
    fine = evolve(model, np.linspace(0.0, times[-1], 401))
    return {
        "title": f"{spec.model_kind}: exact charging curves",
        "times": times,
        "measured": spec.target != "reference",
        "battery_energy": {"value": traj.battery_energy, "stderr": zeros},
        "battery_ergotropy": {"value": traj.battery_ergotropy, "stderr": zeros},
        "reference": {"battery_energy": traj.battery_energy, "battery_ergotropy": traj.battery_ergotropy,
                      "charger_energy": traj.charger_energy, "method": traj.method},
        "reference_curve": {"times": fine.times, "battery_energy": fine.battery_energy,
                            "battery_ergotropy": fine.battery_ergotropy},
        "device_reference": None,
        "summary": _summary(model, times, traj.battery_energy, spec.charging_n),
        "backend": spec.target,
        "qubits": None,
        "seed": spec.seed,
        "spec": spec.to_dict(),
        "versions": report.versions(),
    }
