"""Argument checks shared by model constructors: each error names the argument and the allowed range."""

from __future__ import annotations

import math
import numbers


def finite(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def positive(name: str, value) -> float:
    v = finite(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def nonnegative(name: str, value) -> float:
    v = finite(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0 (a rate), got {value!r}")
    return v


def coupling_and_drive(g, F) -> tuple[float, float]:
    """g != 0 and F finite, so that the drive ratio F/g is finite."""
    g = finite("g", g)
    F = finite("F", F)
    if g == 0.0:
        raise ValueError("g must be nonzero (the drive ratio F/g must be finite), got 0")
    if not math.isfinite(F / g):
        raise ValueError(f"F/g must be finite, got F={F!r}, g={g!r}")
    return g, F


def integer(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
