"""Routing, in one place: which compiler runs a model, and which model the circuits realise.

    model                         compiler                              dephasing methods
    heat_engine_chargers          compile.compile_collisions: engines   mcm (engine measured), flips,
                                  reset, prepared, coupled per step     kicks (random engine phase)
    heat_engine_explicit          none yet: its engine baths are        (refused: the open-system
                                  amplitude damping/pumping jumps       collision compiler)
    every other model             compile.compile_program: Trotter      kicks, flips, mcm, weak,
                                  steps + emulated charger dephasing    channel, none

Which executor runs a target (Aer, the fast snapshot-noise path, runtime local mode, IBM) is
chosen in one place too: :func:`qbhw.execute.executors.executor_for` (its module doc has the
table), called by :func:`qbhw.execute.run` / :func:`qbhw.execute.run_prepared`.  The pulse path will plug in here as one more compiler.

``dephasing = "none"`` drops the model's jumps from the circuits, so the circuits realise the
model WITHOUT its jumps: :func:`realised_model` is that model, and every reference of the run
(exact curve, steady state, charging time, device references) is computed for it.  A model
whose dynamics is its dissipation (the heat-engine chargers) refuses "none".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .compile import Program, compile_collisions, compile_program
from .errors import InputError
from .models import Model

COLLISION_MODELS = ("heat_engine_chargers",)
COLLISION_PREPARATION = {"mcm": "measure", "flips": "flips", "kicks": "kicks"}
UNCOMPILED = {"heat_engine_explicit": "its engines' baths are amplitude damping and pumping jumps, which need "
                                      "ancilla collisions with reset (not compiled yet); run heat_engine_chargers "
                                      "(the effective equation, compiled as a collision model) or target 'reference'"}


@dataclass(frozen=True)
class CompileOptions:
    """How to compile (units 1/omega_B): product-formula ``order``, ``accuracy`` (trace-norm
    error bound per time point), ``max_step``; ``dephasing`` method and ``realizations``;
    ``collective_encoding`` of star/Dicke batteries; ``max_two_qubit_gates`` (None: the
    compiler's default); ``collision_time`` of collision models; ``seed`` of the random
    dephasing realizations."""

    dephasing: str = "kicks"
    realizations: int = 100
    order: int = 2
    accuracy: float = 1e-2
    max_step: float | None = 0.5
    collective_encoding: str = "qubits"
    max_two_qubit_gates: int | None = None
    collision_time: float = 0.05
    seed: int | None = None


def compiler_for(model: Model) -> str:
    """"collisions" or "trotter" (module doc); InputError for models no compiler takes."""
    if model.name in UNCOMPILED:
        raise InputError("model.kind", f"{model.name} cannot run as circuits: {UNCOMPILED[model.name]}")
    return "collisions" if model.name in COLLISION_MODELS else "trotter"


def realised_model(model: Model, dephasing: str) -> Model:
    """The model the circuits realise: ``model`` itself, or without its jumps for "none"."""
    active = [j for j in model.jumps if j.rate > 0]
    if dephasing != "none" or not active:
        return model
    if compiler_for(model) == "collisions":
        raise InputError("run.dephasing", f"{model.name} charges through its engines' dissipation; "
                                          f"'none' would remove the model itself (use one of {', '.join(COLLISION_PREPARATION)})")
    return replace(model, jumps=())


def compile_model(model: Model, times, options: CompileOptions = CompileOptions()) -> Program:
    """Compile ``model`` (already :func:`realised_model`) at ``times`` with the compiler its
    kind needs (module doc)."""
    o = options
    if compiler_for(model) == "collisions":
        if o.dephasing not in COLLISION_PREPARATION:
            raise InputError("run.dephasing", f"{o.dephasing!r} cannot remove the engines' coherence in the collision "
                                              f"model of {model.name}; use one of {', '.join(COLLISION_PREPARATION)}")
        return compile_collisions(model, times, collision_time=o.collision_time,
                                  preparation=COLLISION_PREPARATION[o.dephasing], realizations=o.realizations,
                                  seed=o.seed)
    extra = {} if o.max_two_qubit_gates is None else {"max_two_qubit_gates": o.max_two_qubit_gates}
    return compile_program(model, times, order=o.order, accuracy=o.accuracy, max_step=o.max_step,
                           dephasing=o.dephasing, realizations=o.realizations, seed=o.seed,
                           collective_encoding=o.collective_encoding, **extra)
