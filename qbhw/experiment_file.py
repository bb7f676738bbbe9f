"""Experiment files (TOML) parsed into a frozen ``ExperimentSpec``, strictly.

    [model]                  # kind + the keyword arguments of that model constructor
    kind = "tls_pair"        # any of qbhw.models.registry.KINDS, "custom" (qbhw.models.custom),
    g = 1.0                  # or "module:function" (a constructor in the user's module, looked
    F = 0.5                  # up beside the experiment file first)
    gamma_c = 1.41           # n_max = "auto" (the default here) for kinds with a cavity or
                             # oscillator cutoff: the smallest cutoff accurate over the times

    [times]                  # either start/stop/num or an explicit list `values`
    start = 0.0
    stop = 10.0
    num = 21

    [run]
    target = "aer-noisy"     # reference | aer-ideal | aer-noisy | fake-local | ibm
    backend = "fake_fez"     # calibration snapshot (aer-noisy) or backend name
    qubits = [45, 37]        # optional: device qubit per model qubit (default: chosen)
    shots = 20000            # per circuit, split over the dephasing realizations
    realizations = 100
    dephasing = "kicks"      # kicks | flips | mcm | weak | none
    fractional = false       # two-qubit terms as fractional RZZ gates (Heron devices); "auto":
                             # the gate set of least predicted total error (noise-aware steps)
    mitigation = "none"      # none | snapshot | measured (readout assignment inversion)
    tomography = "battery"   # battery | battery+charger (3x the bases; adds the energy balance) |
                             # permutation (star/Dicke: (N+1)(N+2)/2 settings instead of 3^N)
    zne = [1, 3, 5]          # optional: zero-noise extrapolation at these gate-folding factors
    zne_fit = "richardson"   # richardson | linear | exponential
    zne_gates = "all"        # all | two-qubit (gates folded)
    estimator = "pauli"      # pauli | adaptive (one-qubit battery: + the QCRB-optimal axis per time)
    precision = 0.02         # optional: 95 % half-width of the ergotropy per time point (omega_B);
                             # shots (and kick realizations) then chosen by qbhw.plan, `qbhw plan FILE`
    allocation = "neyman"    # neyman (fewest shots) | equal (every setting alike) with precision
    shot_budget = 200000     # optional, instead of shots or precision: the planner spends these for
                             # the smallest common half-width over the time points
    bootstrap = 200
    seed = 1234
    scheduler = "local"      # sweeps: local (Dask LocalCluster) | none (serial) | tcp://host:port

    [compile]                # product formula: order 1, 2 or 4; accuracy; max_step (1/omega_B)
    order = 2
    accuracy = 0.01
    max_step = 0.5
    steps = "noise-aware"            # device targets' default: steps of least predicted split + device
                                     # error; "splitting": fewest steps within accuracy (aer-ideal's)
    collective_encoding = "qubits"   # star/Dicke batteries: qubits | binary | auto (fewer 2q gates)
    max_two_qubit_gates = 20000      # refuse deeper circuits before synthesis
    collision_time = 0.05            # collision jumps (heat engines, collective decay): duration (1/omega_0)
    ancillas = "parallel"            # jump ancillas: parallel (one per jump block) | sequential (shared) | channel (simulator)
    cutoff_tolerance = 0.001         # n_max = "auto": largest truncation error allowed

    [options]                # runtime Sampler options (fake-local, ibm)
    dynamical_decoupling = "XY4"
    twirling = true

    [pulse]                  # target "pulse" only: transmon levels kept (3 shows leakage),
    levels = 2               # the outcome a leaked level reads as (IBM's discriminator: mostly 1)
    leaked_as = 1            # and the drive crosstalk between neighbouring transmons' lines
    crosstalk = 0.0          # (amplitude fraction; 0.02 is typical, snapshots publish none)

    [sweep]                  # optional: a grid of runs (qbhw.sweep.grid); each key is a model,
    gamma_c = [0.1, 1.41]    # run or compile parameter with its values, several keys form the
    F = [0.25, 0.5]          # Cartesian grid; [sweep.zip] holds lists of equal length taken
    [sweep.zip]              # together. run.target and run.seed are not sweepable (each point's
    backend = ["fake_fez-2025-02-26", "fake_marrakesh-2025-02-26"]   # seed derives from run.seed)
    qubits = [[5, 6], [12, 13]]
    # the older form `parameter = "gamma_c"` / `values = [...]` is one axis; on target "ibm"
    # the points run serially through the job manifest after one QPU estimate (qbhw.sweep.hardware)

Unknown sections or keys, wrong types and out-of-range values raise ``SpecError`` (a
ValueError) whose message starts with the offending key, e.g. ``model.gamma_c: ...``.
"""

from __future__ import annotations

import math
import numbers
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from . import execute
from .compile.dephasing import DEPHASING
from .compile.program import TOMOGRAPHY
from .errors import InputError
from .execute.runtime import DD_SEQUENCES
from .execute.folding import FOLD_GATES, check_factors
from .execute.targets import DEVICE_TARGETS
from .experiment import ESTIMATORS, MITIGATION
from .plan import ALLOCATIONS
from .models import registry
from .models.custom import custom_model
from .routing import STEP_RULES

from .sweep.engine import check_scheduler
from .sweep.grid import ZIP_DIM, Axis, Point, SweepGrid, point_seed
from .zne import FITS

TARGETS = ("reference", *execute.TARGETS)
KIND_NAMES = (*registry.KINDS, registry.CUSTOM)


class SpecError(InputError):
    """An experiment file is malformed; the message starts with the key (``model.gamma_c: ...``)."""

    def __init__(self, message: str):
        ValueError.__init__(self, message)
        self.key = message.split(":", 1)[0]


@dataclass(frozen=True)
class ExperimentSpec:
    model_kind: str
    model_params: MappingProxyType
    times: tuple[float, ...]
    target: str = "aer-noisy"
    backend: str | None = None
    qubits: tuple[int, ...] | None = None
    shots: int = 20000
    realizations: int = 100
    dephasing: str = "kicks"
    fractional: bool | str = False
    mitigation: str = "none"
    tomography: str = "battery"
    zne: tuple[float, ...] | None = None
    zne_fit: str = "richardson"
    zne_gates: str = "all"
    bootstrap: int = 200
    seed: int = 1234
    charging_n: float = 1.0
    scheduler: str | None = None
    estimator: str = "pauli"
    precision: float | None = None
    allocation: str = "neyman"
    shot_budget: int | None = None
    compile_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    runtime_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    pulse_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    sweep: SweepGrid | None = None
    source: str = ""

    def inputs(self) -> tuple[Path, ...]:
        """Files besides the experiment file that the model reads (a user module, operator
        arrays), relative to :attr:`folder`; a run folder copies them so it resumes anywhere."""
        if self.model_kind == registry.CUSTOM:
            refs = [v for v in _strings(dict(self.model_params)) if v.split(":")[0].endswith((".npy", ".npz"))]
            return tuple(dict.fromkeys(Path(r.split(":")[0]) for r in refs))
        if ":" in self.model_kind:
            module = Path(*self.model_kind.split(":")[0].split("."))
            return tuple(p for p in (module.with_suffix(".py"), module) if (self.folder / p).exists())[:1]
        return ()

    @property
    def folder(self) -> Path:
        """The experiment file's folder (user modules and operator files are found there)."""
        return Path(self.source).parent if self.source and not self.source.startswith("<") else Path(".")

    def build_model(self, **overrides):
        """The model with these parameters; n_max = "auto" must be resolved first (``resolved``)."""
        params = {**self.model_params, **overrides}
        if self.model_kind == registry.CUSTOM:
            return custom_model(params, self.folder)
        if params.get("n_max") == "auto":
            raise ValueError("n_max = 'auto': resolve the cutoff first (qbhw.results.resolve_model)")
        return registry.build(self.model_kind, params, self.folder)

    def sweep_points(self) -> list[tuple[Point, ExperimentSpec]]:
        """(point, its spec) for every grid point, in C order; [] without sweep.  A point's spec
        has the swept values set, no sweep, and the seed :func:`qbhw.sweep.grid.point_seed`."""
        if self.sweep is None:
            return []
        return [(p, self.at(p)) for p in self.sweep.points()]

    def at(self, point: Point) -> ExperimentSpec:
        """This spec at one grid point (see :meth:`sweep_points`)."""
        section = {a.name: a.section for a in self.sweep.parameters}
        values = {s: {k: v for k, v in point.coords if section[k] == s} for s in ("model", "run", "compile")}
        return replace(self, model_params=MappingProxyType({**self.model_params, **values["model"]}),
                       compile_options=MappingProxyType({**self.compile_options, **values["compile"]}),
                       **values["run"], seed=point_seed(self.seed, point.coords), sweep=None)

    def to_dict(self) -> dict[str, Any]:
        run = {"target": self.target, "backend": self.backend, "qubits": self.qubits, "shots": self.shots,
               "realizations": self.realizations, "dephasing": self.dephasing, "fractional": self.fractional,
               "mitigation": self.mitigation, "tomography": self.tomography,
               "zne": None if self.zne is None else list(self.zne), "zne_fit": self.zne_fit, "zne_gates": self.zne_gates,
               "bootstrap": self.bootstrap, "seed": self.seed, "charging_n": self.charging_n,
               "scheduler": self.scheduler, "estimator": self.estimator, "precision": self.precision,
               "allocation": self.allocation, "shot_budget": self.shot_budget}
        return {"model": {"kind": self.model_kind, **self.model_params}, "times": list(self.times),
                "run": {k: v for k, v in run.items() if v is not None},
                "compile": dict(self.compile_options), "options": dict(self.runtime_options),
                **({"pulse": dict(self.pulse_options)} if self.pulse_options else {}),
                **({"sweep": self.sweep.to_dict()} if self.sweep is not None else {})}


def _strings(value):
    """Every string inside nested dicts and lists (operator file references of a custom model)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _number(key: str, value, *, integer=False, minimum=None, strict_min=False) -> float | int:
    ok = isinstance(value, numbers.Integral if integer else numbers.Real) and not isinstance(value, bool)
    if not ok or (not integer and not math.isfinite(value)):
        raise SpecError(f"{key}: expected {'an integer' if integer else 'a finite number'}, got {value!r}")
    if minimum is not None and (value <= minimum if strict_min else value < minimum):
        raise SpecError(f"{key}: must be {'>' if strict_min else '>='} {minimum}, got {value!r}")
    return int(value) if integer else float(value)


def _unknown(section: str, table: dict, allowed) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise SpecError(f"{section}.{extra[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _param(key: str, value, p: registry.Parameter):
    """``value`` checked against the constructor argument ``p`` (type from its default)."""
    if p.type is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{key}: expected true or false, got {value!r}")
        return value
    if p.type is str:
        if not isinstance(value, str):
            raise SpecError(f"{key}: expected a string, got {value!r}")
        return value
    if p.type == registry.CUTOFF:
        return value if value == "auto" else _number(key, value, integer=True, minimum=1)
    return _number(key, value, integer=p.type is int)


def _model(table, folder: Path) -> tuple[str, dict]:
    if not isinstance(table, dict):
        raise SpecError("model: expected a table [model]")
    kind = table.get("kind")
    if not isinstance(kind, str):
        raise SpecError(f"model.kind: expected one of {', '.join(KIND_NAMES)} or 'module:function', got {kind!r}")
    if kind == registry.CUSTOM:
        custom_model(table, folder)  # every check, once, at parse time
        return kind, {k: v for k, v in table.items() if k != "kind"}
    if kind not in registry.KINDS and ":" not in kind:
        raise SpecError(f"model.kind: expected one of {', '.join(KIND_NAMES)} or 'module:function', got {kind!r}")
    sig = registry.parameters(registry.constructor(kind, folder))
    params = {k: v for k, v in table.items() if k != "kind"}
    _unknown("model", params, sig)
    missing = [p.name for p in sig.values() if p.required and p.name not in params]
    if missing:
        raise SpecError(f"model.{missing[0]}: required for kind {kind!r}")
    params = {k: _param(f"model.{k}", v, sig[k]) for k, v in params.items()}
    if sig.get("n_max") is not None and sig["n_max"].type == registry.CUTOFF:
        params.setdefault("n_max", "auto")  # file default: resolved from the requested times
    registry.build(kind, _concrete(params), folder)
    return kind, params


def _concrete(params: dict) -> dict:
    """``params`` with n_max = "auto" left to the constructor's own default (for range checks)."""
    return {k: v for k, v in params.items() if not (k == "n_max" and v == "auto")}


def _times(table) -> tuple[float, ...]:
    if not isinstance(table, dict):
        raise SpecError("times: expected a table [times]")
    if "values" in table:
        _unknown("times", table, ["values"])
        vals = table["values"]
        if not isinstance(vals, list) or not vals:
            raise SpecError("times.values: expected a non-empty list of numbers")
        t = [_number(f"times.values[{i}]", v, minimum=0.0) for i, v in enumerate(vals)]
    else:
        _unknown("times", table, ["start", "stop", "num"])
        for k in ("stop", "num"):
            if k not in table:
                raise SpecError(f"times.{k}: required (or give times.values)")
        start = _number("times.start", table.get("start", 0.0), minimum=0.0)
        stop = _number("times.stop", table["stop"], minimum=start, strict_min=True)
        num = _number("times.num", table["num"], integer=True, minimum=2)
        t = list(np.linspace(start, stop, num))
    if any(b <= a for a, b in zip(t, t[1:])):
        raise SpecError("times.values: must be strictly increasing")
    return tuple(float(x) for x in t)


def _choice(key: str, value, allowed) -> str:
    if value not in allowed:
        raise SpecError(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _run(run) -> dict:
    if not isinstance(run, dict):
        raise SpecError("run: expected a table [run]")
    _unknown("run", run, ["target", "backend", "qubits", "shots", "realizations", "dephasing", "fractional",
                          "mitigation", "tomography", "zne", "zne_fit", "zne_gates", "bootstrap", "seed", "charging_n",
                          "scheduler", "estimator", "precision", "allocation", "shot_budget"])
    if not isinstance(run.get("fractional", False), bool) and run.get("fractional") != "auto":
        raise SpecError(f"run.fractional: expected true, false or \"auto\", got {run['fractional']!r}")
    out = {
        "target": _choice("run.target", run.get("target", "aer-noisy"), TARGETS),
        "shots": _number("run.shots", run.get("shots", 20000), integer=True, minimum=1),
        "realizations": _number("run.realizations", run.get("realizations", 100), integer=True, minimum=1),
        "dephasing": _choice("run.dephasing", run.get("dephasing", "kicks"), DEPHASING),
        "fractional": run.get("fractional", False),
        "mitigation": _choice("run.mitigation", run.get("mitigation", "none"), MITIGATION),
        "tomography": _choice("run.tomography", run.get("tomography", "battery"), TOMOGRAPHY),
        "zne_fit": _choice("run.zne_fit", run.get("zne_fit", "richardson"), FITS),
        "zne_gates": _choice("run.zne_gates", run.get("zne_gates", "all"), FOLD_GATES),
        "bootstrap": _number("run.bootstrap", run.get("bootstrap", 200), integer=True, minimum=2),
        "seed": _number("run.seed", run.get("seed", 1234), integer=True, minimum=0),
        "charging_n": _number("run.charging_n", run.get("charging_n", 1.0), minimum=0.0, strict_min=True),
        "estimator": _choice("run.estimator", run.get("estimator", "pauli"), ESTIMATORS),
        "allocation": _choice("run.allocation", run.get("allocation", "neyman"), ALLOCATIONS),
    }
    if "precision" in run:
        out["precision"] = _number("run.precision", run["precision"], minimum=0.0, strict_min=True)
    if "shot_budget" in run:
        out["shot_budget"] = _number("run.shot_budget", run["shot_budget"], integer=True, minimum=1)
    if sum(k in run for k in ("shots", "precision", "shot_budget")) > 1:
        raise SpecError("run.precision: give one of run.shots, run.precision (the planner chooses the shots) and "
                        "run.shot_budget (the planner spends them), not several")
        if out["target"] in ("reference", "pulse"):
            raise SpecError(f"run.precision: target {out['target']!r} takes no planned shots; give run.shots")
    if "backend" in run:
        if not isinstance(run["backend"], str) or not run["backend"]:
            raise SpecError(f"run.backend: expected a backend or calibration name, got {run['backend']!r}")
        out["backend"] = run["backend"]
    if out["target"] in ("fake-local", "ibm") and "backend" not in out:
        raise SpecError(f"run.backend: required for target {out['target']!r} (e.g. 'fake_fez' or 'ibm_fez')")
    if "scheduler" in run:
        try:
            out["scheduler"] = check_scheduler(run["scheduler"])
        except InputError as err:
            raise SpecError(f"run.scheduler: {str(err).split(': ', 1)[1]}") from None
    if "qubits" in run:
        q = run["qubits"]
        if not isinstance(q, list) or not q:
            raise SpecError("run.qubits: expected a non-empty list of device qubit indices")
        out["qubits"] = tuple(_number(f"run.qubits[{i}]", v, integer=True, minimum=0) for i, v in enumerate(q))
    if out["mitigation"] != "none" and out["target"] in ("reference", "aer-ideal"):
        raise SpecError(f"run.mitigation: target {out['target']!r} has no readout error; use 'none'")
    if "zne" in run:
        if out["target"] not in DEVICE_TARGETS:
            raise SpecError(f"run.zne: zero-noise extrapolation folds a device's gates; target {out['target']!r} has "
                            "no gate noise")
        if not isinstance(run["zne"], list) or any(isinstance(c, bool) for c in run["zne"]):
            raise SpecError(f"run.zne: expected a list of noise factors, e.g. [1, 3, 5], got {run['zne']!r}")
        try:
            out["zne"] = check_factors(run["zne"])
        except InputError as err:
            raise SpecError(f"run.zne: {str(err).split(': ', 1)[-1]}") from None
    return out


def _compile(table) -> dict:
    if not isinstance(table, dict):
        raise SpecError("compile: expected a table [compile]")
    _unknown("compile", table, ["order", "accuracy", "max_step", "collective_encoding", "max_two_qubit_gates",
                                "collision_time", "cutoff_tolerance", "ancillas", "steps"])
    out = {}
    if "steps" in table:
        out["steps"] = _choice("compile.steps", table["steps"], STEP_RULES)
    if "collective_encoding" in table:
        out["collective_encoding"] = _choice("compile.collective_encoding", table["collective_encoding"],
                                             ("qubits", "binary", "auto"))
    if "max_two_qubit_gates" in table:
        out["max_two_qubit_gates"] = _number("compile.max_two_qubit_gates", table["max_two_qubit_gates"],
                                             integer=True, minimum=1)
    if "collision_time" in table:
        out["collision_time"] = _number("compile.collision_time", table["collision_time"], minimum=0.0, strict_min=True)
    if "ancillas" in table:
        out["ancillas"] = _choice("compile.ancillas", table["ancillas"], ("parallel", "sequential", "channel"))
    if "cutoff_tolerance" in table:
        out["cutoff_tolerance"] = _number("compile.cutoff_tolerance", table["cutoff_tolerance"], minimum=0.0,
                                          strict_min=True)
    if "order" in table:
        out["order"] = _choice("compile.order", _number("compile.order", table["order"], integer=True), (1, 2, 4))
    if "accuracy" in table:
        out["accuracy"] = _number("compile.accuracy", table["accuracy"], minimum=0.0, strict_min=True)
    if "max_step" in table:
        out["max_step"] = _number("compile.max_step", table["max_step"], minimum=0.0, strict_min=True)
    return out


def _options(table) -> dict:
    if not isinstance(table, dict):
        raise SpecError("options: expected a table [options]")
    _unknown("options", table, ["dynamical_decoupling", "twirling"])
    out = {}
    if "dynamical_decoupling" in table:
        out["dynamical_decoupling"] = _choice("options.dynamical_decoupling", table["dynamical_decoupling"], DD_SEQUENCES)
    if "twirling" in table:
        if not isinstance(table["twirling"], bool):
            raise SpecError(f"options.twirling: expected true or false, got {table['twirling']!r}")
        out["twirling"] = table["twirling"]
    return out


def _pulse(table, target: str) -> dict:
    if not isinstance(table, dict):
        raise SpecError("pulse: expected a table [pulse]")
    if target != "pulse":
        raise SpecError(f"pulse: the [pulse] table sets the pulse target's device; run.target is {target!r}")
    _unknown("pulse", table, ["levels", "leaked_as", "crosstalk"])
    out = {}
    if "levels" in table:
        out["levels"] = _number("pulse.levels", table["levels"], integer=True, minimum=2)
    if "leaked_as" in table:
        if table["leaked_as"] not in (0, 1) or isinstance(table["leaked_as"], bool):
            raise SpecError(f"pulse.leaked_as: expected 0 or 1 (the outcome a leaked level reads as), got {table['leaked_as']!r}")
        out["leaked_as"] = int(table["leaked_as"])
    if "crosstalk" in table:
        x = _number("pulse.crosstalk", table["crosstalk"], minimum=0)
        if x >= 1:
            raise SpecError(f"pulse.crosstalk: expected a nearest-neighbour drive crosstalk amplitude in [0, 1) "
                            f"(a fraction of the line's own; typical 0.02), got {x!r}")
        out["crosstalk"] = x
    return out


RUN_SWEEPABLE = ("backend", "qubits", "shots", "realizations", "dephasing", "fractional", "mitigation", "tomography",
                 "bootstrap", "charging_n")
COMPILE_SWEEPABLE = ("order", "accuracy", "max_step", "collective_encoding", "max_two_qubit_gates", "collision_time",
                     "ancillas", "cutoff_tolerance", "steps")
NOT_SWEEPABLE = {"target": "run one sweep per target", "scheduler": "one scheduler runs the whole sweep",
                 "seed": "each point's seed derives from run.seed and the point's coordinates",
                 "kind": "run one sweep per model kind", "times": "time is a dimension of every point already"}


def _sweep(table, data: dict, kind: str, params: dict, folder: Path) -> dict:
    """The [sweep] table as a :class:`SweepGrid`; every value checked like the key it sweeps."""
    if not isinstance(table, dict):
        raise SpecError("sweep: expected a table [sweep]")
    if "parameter" in table or "values" in table:
        return {"sweep": SweepGrid((_legacy_axis(table, kind, params, folder),))}
    grid = {k: v for k, v in table.items() if k != ZIP_DIM}
    zipped = table.get(ZIP_DIM, {})
    if not isinstance(zipped, dict):
        raise SpecError(f"sweep.{ZIP_DIM}: expected a table [sweep.{ZIP_DIM}] of equal-length lists")
    if not grid and not zipped:
        raise SpecError("sweep: no parameter to sweep (give e.g. gamma_c = [0.1, 1.0])")
    axes = tuple(_axis(f"sweep.{k}", k, v, data, kind, params, folder) for k, v in grid.items())
    rows = tuple(_axis(f"sweep.{ZIP_DIM}.{k}", k, v, data, kind, params, folder, unique=False)
                 for k, v in zipped.items())
    for a in rows:
        if a.name in grid:
            raise SpecError(f"sweep.{ZIP_DIM}.{a.name}: already swept in [sweep] (sweep it in one place)")
        if len(a.values) != len(rows[0].values):
            raise SpecError(f"sweep.{ZIP_DIM}.{a.name}: {len(a.values)} values, but sweep.{ZIP_DIM}.{rows[0].name} "
                            f"has {len(rows[0].values)} (zipped lists must have equal length)")
    if rows and len(set(zip(*(a.values for a in rows)))) != len(rows[0].values):
        raise SpecError(f"sweep.{ZIP_DIM}: repeated combination of values")
    return {"sweep": SweepGrid(axes, rows)}


def _legacy_axis(table: dict, kind: str, params: dict, folder: Path) -> Axis:
    """``parameter = "gamma_c"`` / ``values = [...]``: one axis over a numeric model parameter."""
    _unknown("sweep", table, ["parameter", "values"])
    name = table.get("parameter")
    if kind == registry.CUSTOM:
        raise SpecError("sweep.parameter: a custom model has no named parameters to sweep")
    sig = registry.parameters(registry.constructor(kind, folder))
    numeric = [k for k, p in sig.items() if p.type in (int, float)]
    if name not in numeric:
        raise SpecError(f"sweep.parameter: expected a numeric parameter of {kind!r} ({', '.join(numeric)}), got {name!r}")
    values = table.get("values")
    if not isinstance(values, list) or not values:
        raise SpecError("sweep.values: expected a non-empty list of numbers")
    out = tuple(_number(f"sweep.values[{i}]", v, integer=sig[name].type is int) for i, v in enumerate(values))
    if len(set(out)) != len(out):
        raise SpecError("sweep.values: repeated value")
    _check_models(kind, params, name, out, "sweep.values", folder)
    return Axis(name, "model", out)


def _check_models(kind: str, params: dict, name: str, values, key: str, folder: Path) -> None:
    for i, v in enumerate(values):
        try:
            registry.build(kind, _concrete({**params, name: v}), folder)
        except ValueError as err:
            raise SpecError(f"{key}[{i}]: {str(err).split(': ', 1)[-1]}") from None


def _section(kind: str, name: str, folder: Path) -> str:
    if kind != registry.CUSTOM and name in registry.parameters(registry.constructor(kind, folder)):
        return "model"
    if name in RUN_SWEEPABLE:
        return "run"
    if name in COMPILE_SWEEPABLE:
        return "compile"
    return ""


def _axis(key: str, name: str, values, data: dict, kind: str, params: dict, folder: Path, *,
          unique: bool = True) -> Axis:
    """One swept key: each value parsed by its own section's rules, errors keyed ``key[i]``
    (``unique``: no value twice; zipped lists need only distinct combinations)."""
    section = _section(kind, name, folder)
    if not section:
        if name in NOT_SWEEPABLE or name in ("parameter", "values"):
            raise SpecError(f"{key}: not sweepable ({NOT_SWEEPABLE.get(name, 'mixes the two sweep forms')})")
        model = "" if kind == registry.CUSTOM else ", ".join(registry.parameters(registry.constructor(kind, folder)))
        raise SpecError(f"{key}: unknown key (not a parameter of model {kind!r}"
                        f"{' (' + model + ')' if model else ''}, nor a sweepable run or compile key: "
                        f"{', '.join(RUN_SWEEPABLE + COMPILE_SWEEPABLE)})")
    if not isinstance(values, list) or not values:
        raise SpecError(f"{key}: expected a non-empty list of values (one run per value)")
    out = tuple(_value(f"{key}[{i}]", section, name, v, data, kind, params, folder) for i, v in enumerate(values))
    if unique and len(set(out)) != len(out):
        raise SpecError(f"{key}: repeated value")
    if section == "model":
        _check_models(kind, params, name, out, key, folder)
    return Axis(name, section, out)


def _value(key: str, section: str, name: str, value, data: dict, kind: str, params: dict, folder: Path):
    """``value`` of ``section.name`` as the section's parser reads it (lists become tuples)."""
    try:
        if section == "model":
            return _param(key, value, registry.parameters(registry.constructor(kind, folder))[name])
        if section == "run":
            return _run({**data.get("run", {}), name: value})[name]
        return _compile({**data.get("compile", {}), name: value})[name]
    except SpecError as err:
        raise SpecError(f"{key}: {str(err).split(': ', 1)[-1]}") from None


def parse(text: str, source: str = "<string>") -> ExperimentSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source}: not valid TOML ({err})") from None
    _unknown("<top>", data, ["model", "times", "run", "compile", "options", "pulse", "sweep"])
    if "model" not in data or "times" not in data:
        raise SpecError(f"{'model' if 'model' not in data else 'times'}: required section missing")
    folder = Path(source).parent if not source.startswith("<") else Path(".")
    kind, params = _model(data["model"], folder)
    times = _times(data["times"])
    run = _run(data.get("run", {}))
    return ExperimentSpec(
        model_kind=kind,
        model_params=MappingProxyType(params),
        times=times,
        **run,
        compile_options=MappingProxyType(_compile(data.get("compile", {}))),
        runtime_options=MappingProxyType(_options(data.get("options", {}))),
        pulse_options=MappingProxyType(_pulse(data["pulse"], run.get("target", "aer-noisy")) if "pulse" in data else {}),
        **(_sweep(data["sweep"], data, kind, params, folder) if "sweep" in data else {}),
        source=source,
    )


def load(path: str | Path) -> ExperimentSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: no such experiment file") from None
    except UnicodeDecodeError:
        raise SpecError(f"{p}: not a text file (an experiment file is TOML text)") from None
    except OSError as err:
        raise SpecError(f"{p}: cannot read ({err.strerror})") from None
    return parse(text, str(p))
