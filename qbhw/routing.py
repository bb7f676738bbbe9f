"""Routing, in one place: which compiler runs a model, and which model the circuits realise.

Every model compiles through :func:`qbhw.compile.compile_program`: Trotter steps of its
Hamiltonian with its jumps emulated in symmetric slots around each step,

    jump                                    emulated by                       order of the step
    diagonal dephasing (L = n, encoded n)   the ``dephasing`` method: kicks,  2 (symmetric slots)
                                            flips, mcm, weak, channel
    any other jump on ONE qubit (T1,        exact dilation of exp(tau D) on   2
    thermal pumping, engine baths)          ancillas + reset (compile.dissipation)
    a jump on several qubits (collective    plain collision with an ancilla   1 (step <= collision_time)
    S^- of star/Dicke encodings)            + reset

Protocol events (``Model.recharge_times``, e.g. the NMR star's re-inverted chargers) split the
step grid at the event and reset (+ X) the charger qubits there; a mixed initial state is a
mixture drawn per realization (diagonal) or purified on ancillas (compile.program).

So the heat-engine chargers (effective D[S^-], e^{-beta omega} D[S^+]) and the explicit
engine + battery model (``heat_engine_explicit``) run through the same mechanism as a TLS pair
with T1.  ``ancillas`` ("parallel", "sequential", "channel") says how the dissipation's ancillas
are used (compile.dissipation).

Which executor runs a target (Aer, the fast snapshot-noise path, runtime local mode, IBM) is
chosen in one place too: :func:`qbhw.execute.executors.executor_for` (its module doc has the
table), called by :func:`qbhw.execute.run` / :func:`qbhw.execute.run_prepared`.  Target "pulse"
simulates the model itself as transmon pulses (:mod:`qbhw.pulse`) and takes from the compiled
program only its tomography settings and realizations; ``metadata["compiler"]`` is then "pulse".

``dephasing = "none"`` drops the model's jumps from the circuits, so the circuits realise the
model WITHOUT its jumps: :func:`realised_model` is that model, and every reference of the run
(exact curve, steady state, charging time, device references) is computed for it.  A model
whose dynamics is its dissipation (CHARGED_BY_DISSIPATION) refuses "none".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .compile import Program, compile_program
from .errors import InputError
from .models import Model

# models that charge through their jumps: dropping them ("none") would remove the model itself
STEP_RULES = ("noise-aware", "splitting")
CHARGED_BY_DISSIPATION = ("heat_engine_chargers", "heat_engine_explicit", "dissipative_charging",
                          "dark_state_charging")


@dataclass(frozen=True)
class CompileOptions:
    """How to compile (units 1/omega_B): product-formula ``order``, ``accuracy`` (trace-norm
    error bound per time point), ``max_step``; ``dephasing`` method and ``realizations``;
    ``collective_encoding`` of star/Dicke batteries; ``max_two_qubit_gates`` (None: the
    compiler's default); ``collision_time``: largest step of programs with first-order
    collisions; ``ancillas``: "parallel", "sequential" or "channel" use of the dissipation's
    ancillas; ``seed`` of the random dephasing realizations; ``steps``: how the Trotter step
    count of each time point is chosen, "splitting" (fewest steps whose splitting error is <=
    accuracy) or "noise-aware" (least predicted total error on the device's qubits,
    :mod:`qbhw.compile.noise_aware`; needs a device's fault model, see
    :func:`qbhw.experiment.run_experiment`, where it is the default on device targets);
    ``tomography``: the measured subsystems and settings, "battery", "permutation" (the
    battery's permutation-invariant settings) or "battery+charger" (3^k bases of the
    k measured qubits)."""

    dephasing: str = "kicks"
    realizations: int = 100
    order: int = 2
    accuracy: float = 1e-2
    max_step: float | None = 0.5
    collective_encoding: str = "qubits"
    max_two_qubit_gates: int | None = None
    collision_time: float = 0.05
    ancillas: str = "parallel"
    seed: int | None = None
    steps: str = "splitting"
    tomography: str = "battery"


def _dissipative(model: Model) -> bool:
    """Has the model an active jump that is not diagonal (dephasing)?"""
    return any(j.rate > 0 and np.abs(j.operator - np.diag(np.diag(j.operator))).max() > 1e-12 for j in model.jumps)


def compiler_for(model: Model) -> str:
    """"trotter+collisions" for models with jumps other than dephasing, else "trotter"."""
    return "trotter+collisions" if _dissipative(model) else "trotter"


def realised_model(model: Model, dephasing: str) -> Model:
    """The model the circuits realise: ``model`` itself, or without its jumps for "none"."""
    active = [j for j in model.jumps if j.rate > 0]
    if dephasing != "none" or not active:
        return model
    if model.name in CHARGED_BY_DISSIPATION:
        raise InputError("run.dephasing", f"{model.name} charges through its dissipation; 'none' would remove the "
                                          "model itself (use kicks, flips or mcm: its jumps are emulated by ancilla "
                                          "collisions whatever the dephasing method)")
    return replace(model, jumps=())


def compile_model(model: Model, times, options: CompileOptions = CompileOptions(), *, fault_probability=None,
                  step_counts=None) -> Program:
    """Compile ``model`` (already :func:`realised_model`) at ``times`` (module doc).
    ``fault_probability(t, k)``: the device's predicted fault probability of the time-t circuit
    with k steps, required by ``options.steps == "noise-aware"`` (ignored by "splitting");
    ``step_counts``: explicit steps per time point (cost probes)."""
    o = options
    if o.steps not in STEP_RULES:
        raise InputError("compile.steps", f"must be one of {STEP_RULES}, got {o.steps!r}")
    if o.steps == "noise-aware" and fault_probability is None and step_counts is None:
        raise InputError("compile.steps", "'noise-aware' steps need a device to predict its errors: use a device "
                                          "target (aer-noisy, fake-local, ibm) or steps = 'splitting'")
    extra = {} if o.max_two_qubit_gates is None else {"max_two_qubit_gates": o.max_two_qubit_gates}
    return compile_program(model, times, order=o.order, accuracy=o.accuracy, max_step=o.max_step,
                           dephasing=o.dephasing, realizations=o.realizations, seed=o.seed, tomography=o.tomography,
                           collective_encoding=o.collective_encoding, ancillas=o.ancillas,
                           collision_time=o.collision_time, step_counts=step_counts,
                           fault_probability=fault_probability if o.steps == "noise-aware" else None, **extra)
