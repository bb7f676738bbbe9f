"""Experiment files (TOML) parsed into a frozen ``ExperimentSpec``, strictly.

    [model]                  # kind + the keyword arguments of that model constructor
    kind = "tls_pair"
    g = 1.0
    F = 0.5
    gamma_c = 1.41

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

import inspect
import math
import numbers
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from . import execute, models
from .compile.dephasing import DEPHASING
from .execute.runtime import DD_SEQUENCES
from .experiment import MITIGATION

MODEL_KINDS = {
    "tls_pair": models.tls_pair,
    "tls_oscillator": models.tls_oscillator,
    "oscillator_pair": models.oscillator_pair,
}
TARGETS = ("reference", *execute.TARGETS)


class SpecError(ValueError):
    """An experiment file is malformed; the message names the key."""


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

    def build_model(self):
        return MODEL_KINDS[self.model_kind](**self.model_params)

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


def _model(table) -> tuple[str, dict]:
    if not isinstance(table, dict):
        raise SpecError("model: expected a table [model]")
    kind = table.get("kind")
    if kind not in MODEL_KINDS:
        raise SpecError(f"model.kind: expected one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    sig = inspect.signature(MODEL_KINDS[kind])
    params = {k: v for k, v in table.items() if k != "kind"}
    _unknown("model", params, sig.parameters)
    missing = [p.name for p in sig.parameters.values() if p.default is inspect.Parameter.empty and p.name not in params]
    if missing:
        raise SpecError(f"model.{missing[0]}: required for kind {kind!r}")
    for k, v in params.items():
        default = sig.parameters[k].default
        if isinstance(default, bool):
            if not isinstance(v, bool):
                raise SpecError(f"model.{k}: expected true or false, got {v!r}")
        else:
            params[k] = _number(f"model.{k}", v, integer=isinstance(default, int))
    try:
        MODEL_KINDS[kind](**params)
    except ValueError as err:  # constructor range checks name the argument already
        raise SpecError(f"model.{err}") from None
    return kind, params


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
    _unknown("compile", table, ["order", "accuracy", "max_step"])
    out = {}
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


def _sweep(table, kind: str, params: dict) -> dict:
    if not isinstance(table, dict):
        raise SpecError("sweep: expected a table [sweep]")
    _unknown("sweep", table, ["parameter", "values"])
    name = table.get("parameter")
    sig = inspect.signature(MODEL_KINDS[kind]).parameters
    numeric = [k for k, p in sig.items() if isinstance(p.default, (int, float)) and not isinstance(p.default, bool)
               or p.default is inspect.Parameter.empty]
    if name not in numeric:
        raise SpecError(f"sweep.parameter: expected a numeric parameter of {kind!r} ({', '.join(numeric)}), got {name!r}")
    values = table.get("values")
    if not isinstance(values, list) or not values:
        raise SpecError("sweep.values: expected a non-empty list of numbers")
    integer = isinstance(sig[name].default, int) and not isinstance(sig[name].default, bool)
    out = tuple(_number(f"sweep.values[{i}]", v, integer=integer) for i, v in enumerate(values))
    if len(set(out)) != len(out):
        raise SpecError("sweep.values: repeated value")
    for i, v in enumerate(out):
        try:
            MODEL_KINDS[kind](**{**params, name: v})
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
    kind, params = _model(data["model"])
    times = _times(data["times"])
    return ExperimentSpec(
        model_kind=kind,
        model_params=MappingProxyType(params),
        times=times,
        **_run(data.get("run", {})),
        compile_options=MappingProxyType(_compile(data.get("compile", {}))),
        runtime_options=MappingProxyType(_options(data.get("options", {}))),
        **(_sweep(data["sweep"], kind, params) if "sweep" in data else {}),
        source=source,
    )


def load(path: str | Path) -> ExperimentSpec:
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise SpecError(f"{p}: no such experiment file") from None
    except OSError as err:
        raise SpecError(f"{p}: cannot read ({err.strerror})") from None
    return parse(text, str(p))
