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
    fractional = false       # two-qubit terms as fractional RZZ gates (Heron devices)
    mitigation = "none"      # none | snapshot | measured (readout assignment inversion)
    bootstrap = 200
    seed = 1234

    [compile]                # product formula: order 1, 2 or 4; accuracy; max_step (1/omega_B)
    order = 2
    accuracy = 0.01
    max_step = 0.5
    collective_encoding = "qubits"   # star/Dicke batteries: qubits | binary | auto (fewer 2q gates)
    max_two_qubit_gates = 20000      # refuse deeper circuits before synthesis
    collision_time = 0.05            # heat-engine chargers: collision duration (1/omega_0)
    cutoff_tolerance = 0.001         # n_max = "auto": largest truncation error allowed

    [options]                # runtime Sampler options (fake-local, ibm)
    dynamical_decoupling = "XY4"
    twirling = true

    [sweep]                  # optional: one run per value of a numeric model parameter
    parameter = "gamma_c"
    values = [0.1, 1.41, 10.0]

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
from .errors import InputError
from .models import registry
from .models.custom import custom_model
from .execute.runtime import DD_SEQUENCES
from .experiment import MITIGATION

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
    fractional: bool = False
    mitigation: str = "none"
    bootstrap: int = 200
    seed: int = 1234
    charging_n: float = 1.0
    compile_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    runtime_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    sweep_parameter: str | None = None
    sweep_values: tuple[float, ...] = ()
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

    def sweep_points(self) -> list["ExperimentSpec"]:
        """One spec per sweep value (the parameter set, the sweep removed); [] without sweep."""
        return [replace(self, model_params=MappingProxyType({**self.model_params, self.sweep_parameter: v}),
                        sweep_parameter=None, sweep_values=()) for v in self.sweep_values]

    def to_dict(self) -> dict[str, Any]:
        run = {"target": self.target, "backend": self.backend, "qubits": self.qubits, "shots": self.shots,
               "realizations": self.realizations, "dephasing": self.dephasing, "fractional": self.fractional,
               "mitigation": self.mitigation,
               "bootstrap": self.bootstrap, "seed": self.seed, "charging_n": self.charging_n}
        return {"model": {"kind": self.model_kind, **self.model_params}, "times": list(self.times),
                "run": {k: v for k, v in run.items() if v is not None},
                "compile": dict(self.compile_options), "options": dict(self.runtime_options),
                **({"sweep": {"parameter": self.sweep_parameter, "values": list(self.sweep_values)}}
                   if self.sweep_parameter else {})}


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
                          "mitigation", "bootstrap", "seed", "charging_n"])
    if not isinstance(run.get("fractional", False), bool):
        raise SpecError(f"run.fractional: expected true or false, got {run['fractional']!r}")
    out = {
        "target": _choice("run.target", run.get("target", "aer-noisy"), TARGETS),
        "shots": _number("run.shots", run.get("shots", 20000), integer=True, minimum=1),
        "realizations": _number("run.realizations", run.get("realizations", 100), integer=True, minimum=1),
        "dephasing": _choice("run.dephasing", run.get("dephasing", "kicks"), DEPHASING),
        "fractional": run.get("fractional", False),
        "mitigation": _choice("run.mitigation", run.get("mitigation", "none"), MITIGATION),
        "bootstrap": _number("run.bootstrap", run.get("bootstrap", 200), integer=True, minimum=2),
        "seed": _number("run.seed", run.get("seed", 1234), integer=True, minimum=0),
        "charging_n": _number("run.charging_n", run.get("charging_n", 1.0), minimum=0.0, strict_min=True),
    }
    if "backend" in run:
        if not isinstance(run["backend"], str) or not run["backend"]:
            raise SpecError(f"run.backend: expected a backend or calibration name, got {run['backend']!r}")
        out["backend"] = run["backend"]
    if out["target"] in ("fake-local", "ibm") and "backend" not in out:
        raise SpecError(f"run.backend: required for target {out['target']!r} (e.g. 'fake_fez' or 'ibm_fez')")
    if "qubits" in run:
        q = run["qubits"]
        if not isinstance(q, list) or not q:
            raise SpecError("run.qubits: expected a non-empty list of device qubit indices")
        out["qubits"] = tuple(_number(f"run.qubits[{i}]", v, integer=True, minimum=0) for i, v in enumerate(q))
    if out["mitigation"] != "none" and out["target"] in ("reference", "aer-ideal"):
        raise SpecError(f"run.mitigation: target {out['target']!r} has no readout error; use 'none'")
    return out


def _compile(table) -> dict:
    if not isinstance(table, dict):
        raise SpecError("compile: expected a table [compile]")
    _unknown("compile", table, ["order", "accuracy", "max_step", "collective_encoding", "max_two_qubit_gates",
                                "collision_time", "cutoff_tolerance"])
    out = {}
    if "collective_encoding" in table:
        out["collective_encoding"] = _choice("compile.collective_encoding", table["collective_encoding"],
                                             ("qubits", "binary", "auto"))
    if "max_two_qubit_gates" in table:
        out["max_two_qubit_gates"] = _number("compile.max_two_qubit_gates", table["max_two_qubit_gates"],
                                             integer=True, minimum=1)
    if "collision_time" in table:
        out["collision_time"] = _number("compile.collision_time", table["collision_time"], minimum=0.0, strict_min=True)
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


def _sweep(table, kind: str, params: dict, folder: Path) -> dict:
    if not isinstance(table, dict):
        raise SpecError("sweep: expected a table [sweep]")
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
    for i, v in enumerate(out):
        try:
            registry.build(kind, _concrete({**params, name: v}), folder)
        except ValueError as err:
            raise SpecError(f"sweep.values[{i}]: {err}") from None
    return {"sweep_parameter": name, "sweep_values": out}


def parse(text: str, source: str = "<string>") -> ExperimentSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source}: not valid TOML ({err})") from None
    _unknown("<top>", data, ["model", "times", "run", "compile", "options", "sweep"])
    if "model" not in data or "times" not in data:
        raise SpecError(f"{'model' if 'model' not in data else 'times'}: required section missing")
    folder = Path(source).parent if not source.startswith("<") else Path(".")
    kind, params = _model(data["model"], folder)
    times = _times(data["times"])
    return ExperimentSpec(
        model_kind=kind,
        model_params=MappingProxyType(params),
        times=times,
        **_run(data.get("run", {})),
        compile_options=MappingProxyType(_compile(data.get("compile", {}))),
        runtime_options=MappingProxyType(_options(data.get("options", {}))),
        **(_sweep(data["sweep"], kind, params, folder) if "sweep" in data else {}),
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
