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
    target = "reference"     # what executes the experiment (see TARGETS)
    shots = 2000
    seed = 1234

Unknown sections or keys, wrong types and out-of-range values raise ``SpecError`` (a
ValueError) whose message starts with the offending key, e.g. ``model.gamma_c: ...``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from . import models

MODEL_KINDS = {
    "tls_pair": models.tls_pair,
    "tls_oscillator": models.tls_oscillator,
    "oscillator_pair": models.oscillator_pair,
}
TARGETS = ("reference",)


class SpecError(ValueError):
    """An experiment file is malformed; the message names the key."""


@dataclass(frozen=True)
class ExperimentSpec:
    model_kind: str
    model_params: MappingProxyType
    times: tuple[float, ...]
    target: str = "reference"
    shots: int = 2000
    seed: int = 1234
    charging_n: float = 1.0
    source: str = ""
    run_options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def build_model(self):
        return MODEL_KINDS[self.model_kind](**self.model_params)

    def to_dict(self) -> dict[str, Any]:
        return {"model": {"kind": self.model_kind, **self.model_params}, "times": list(self.times),
                "run": {"target": self.target, "shots": self.shots, "seed": self.seed,
                        "charging_n": self.charging_n, **self.run_options}}


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


def parse(text: str, source: str = "<string>") -> ExperimentSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source}: not valid TOML ({err})") from None
    _unknown("<top>", data, ["model", "times", "run"])
    if "model" not in data or "times" not in data:
        raise SpecError(f"{'model' if 'model' not in data else 'times'}: required section missing")
    kind, params = _model(data["model"])
    times = _times(data["times"])
    run = data.get("run", {})
    if not isinstance(run, dict):
        raise SpecError("run: expected a table [run]")
    _unknown("run", run, ["target", "shots", "seed", "charging_n"])
    target = run.get("target", "reference")
    if target not in TARGETS:
        raise SpecError(f"run.target: expected one of {', '.join(TARGETS)}, got {target!r}")
    return ExperimentSpec(
        model_kind=kind,
        model_params=MappingProxyType(params),
        times=times,
        target=target,
        shots=_number("run.shots", run.get("shots", 2000), integer=True, minimum=1),
        seed=_number("run.seed", run.get("seed", 1234), integer=True, minimum=0),
        charging_n=_number("run.charging_n", run.get("charging_n", 1.0), minimum=0.0, strict_min=True),
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
