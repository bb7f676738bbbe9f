"""The smallest oscillator cutoff n_max that the requested times need, found with the exact reference.

A model constructor with an ``n_max`` argument (dicke, rabi_parallel, tls_oscillator,
oscillator_pair, or a user's) truncates every oscillator to the Fock levels 0..n_max.  The
truncation error of cutoff n over the requested times t_k is

    error(n) = max_k max( |E_B^n(t_k) - E_B^ref(t_k)|,  |W_B^n(t_k) - W_B^ref(t_k)|,
                          T(rho_B^n(t_k), rho_B^ref(t_k)) )

with E_B, W_B the battery energy and ergotropy (the model's energy unit, omega_B) and T the
trace distance (half the trace norm) of the battery states, an oscillator battery's smaller
state padded with empty levels.  So every reported quantity of the battery is within the
tolerance of the converged answer at every requested time.

Search (``evolve`` with the truncation check off; the ket when the model is closed): a
geometric ladder n0, 1.5 n0, 1.5^2 n0, ... from n0 = ``start`` (8; rungs the constructor refuses,
such as n_max < photons, are skipped) up to the first rung n_hi that meets the tolerance against
the next rung n_ref = ceil(1.5 n_hi), which must fit in ``max_dimension``.
n_ref is the reference and its own error is neglected: truncation errors fall faster than
geometrically once the cutoff exceeds the populated levels, so it is far below the tolerance
(``Cutoff.reference_n_max`` says which cutoff served).  Then bisection between the largest rung
that fails against n_ref (going down the ladder below n0 when n0 already passes; a refused
cutoff counts as failing) and the smallest that passes; it assumes the error decreases with n,
so the result n satisfies error(n) <= tolerance < error(n - 1).  Cost: a few solutions per
factor 1.5 of cutoff plus about log2(n_max / 3) for the bisection.

Where n_max = "auto" is resolved: a model constructor cannot know the requested times, so the
constructors take integer cutoffs only (their defaults stay as they are); the experiment layer
resolves an experiment file's ``n_max = "auto"`` with ``resolve_cutoff`` before anything is
compiled, builds the model once with ``Cutoff.n_max`` for both the circuits and the reference
(``evolve(..., truncation_tol=inf)``: the cutoff's error is the measured one, not the top-level
population), and reports n_max, error, tolerance and measure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..models import Model
from .solve import evolve

MEASURE = ("max over the requested times of |dE_B|, |d ergotropy| (energy units of the model) and "
           "the trace distance of the battery state, against reference_n_max")
START = 8  # first rung of the ladder
GROWTH = 1.5  # ratio of successive cutoffs on the ladder (and of the reference to the last rung)
MAX_DIMENSION = 4096  # Hilbert dimension above which no cutoff is tried (dense model matrices)


@dataclass(frozen=True)
class Cutoff:
    """The resolved cutoff, its truncation error (``measure``) and the reference it was measured against."""

    n_max: int
    error: float
    tolerance: float
    reference_n_max: int
    measure: str = MEASURE


@dataclass(frozen=True, eq=False)
class _Curve:
    energy: np.ndarray
    ergotropy: np.ndarray
    states: np.ndarray
    dims: tuple[int, ...]  # battery subsystem dimensions (lowest index rightmost in ``states``)


def _pad(states: np.ndarray, dims: tuple[int, ...], to: tuple[int, ...]) -> np.ndarray:
    """Battery states with each factor's levels extended by empty ones from dims to ``to``."""
    if dims == to:
        return states
    rev, rev_to = dims[::-1], to[::-1]
    tensor = states.reshape(states.shape[0], *rev, *rev)
    widths = [(0, 0)] + [(0, b - a) for a, b in zip(rev, rev_to)] * 2
    d = math.prod(to)
    return np.pad(tensor, widths).reshape(states.shape[0], d, d)


def _distance(a: _Curve, b: _Curve) -> float:
    """The truncation-error measure of the module docstring between two curves."""
    dims = tuple(max(x, y) for x, y in zip(a.dims, b.dims))
    diff = _pad(a.states, a.dims, dims) - _pad(b.states, b.dims, dims)
    trace_distance = 0.5 * np.abs(np.linalg.eigvalsh(diff)).sum(axis=-1)
    return float(max(np.abs(a.energy - b.energy).max(), np.abs(a.ergotropy - b.ergotropy).max(),
                     trace_distance.max()))


def _largest_cutoff(model: Model, max_dimension: int) -> int:
    """Largest n_max with Hilbert dimension <= max_dimension when every oscillator of ``model`` is
    cut at n_max: the dimension is c (n_max + 1)^k (k oscillators, c the other factors)."""
    k = sum(s.kind == "oscillator" for s in model.subsystems)
    c = math.prod(s.dim for s in model.subsystems if s.kind != "oscillator")
    n = int((max_dimension / c) ** (1.0 / k)) + 1
    while n > 0 and c * (n + 1) ** k > max_dimension:
        n -= 1
    return n


def resolve_cutoff(build: Callable[..., Model], times, tolerance: float = 1e-3, *, start: int = START,
                   max_dimension: int = MAX_DIMENSION) -> Cutoff:
    """Smallest n_max with truncation error <= tolerance over ``times`` (module docstring).

    build(n_max=n) makes the model, e.g. ``functools.partial(dicke, 4, 0.5)`` or
    ``lambda n_max: spec.build_model(n_max=n_max)``; a ValueError from it means "this cutoff is
    not allowed".  ``start`` is the first rung.  Raises InputError("model.n_max") when no cutoff
    up to Hilbert dimension ``max_dimension`` (or the constructor's own limit) reaches the tolerance.
    """
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise InputError("model.n_max", f"cutoff tolerance must be > 0, got {tolerance!r}")
    t = np.asarray(times, dtype=float)
    curves: dict[int, _Curve | None] = {}  # None: the constructor refuses this cutoff
    models: dict[int, Model] = {}

    def curve(n: int) -> _Curve | None:
        if n not in curves:
            try:
                models[n] = build(n_max=n)
            except ValueError:
                curves[n] = None
                return None
            traj = evolve(models[n], t, truncation_tol=np.inf)
            curves[n] = _Curve(traj.battery_energy, traj.battery_ergotropy, traj.battery_states,
                               tuple(models[n].dims[k] for k in models[n].battery))
        return curves[n]

    hi = int(start)

    def refuse(why: str):
        return InputError("model.n_max", (
            f"no cutoff up to n_max = {hi} reaches truncation error {tolerance:g} over t <= {t.max():g} "
            f"({why}); raise the tolerance, shorten the times, or set n_max explicitly"))

    while curve(hi) is None:  # a constructor refuses cutoffs below its initial photon number
        if hi >= max_dimension:
            raise refuse(f"the constructor refuses every n_max from {start} to {hi}")
        hi = math.ceil(GROWTH * hi)
    if not any(s.kind == "oscillator" for s in models[hi].subsystems):
        raise InputError("model.n_max", f"model {models[hi].name!r} has no oscillator to truncate")
    n_cap = _largest_cutoff(models[hi], max_dimension)
    while True:  # ladder up until hi passes against ref, the next rung
        ref = math.ceil(GROWTH * hi)
        if ref > n_cap:  # a closer reference could agree with hi while both are far off
            raise refuse(f"its check against n_max = {ref} would exceed Hilbert dimension {max_dimension}")
        if curve(ref) is None:
            raise refuse(f"the constructor refuses n_max = {ref}")
        if _distance(curve(hi), curve(ref)) <= tolerance:
            break
        hi = ref

    def error(n: int) -> float:
        c = curve(n)
        return math.inf if c is None else _distance(c, curve(ref))

    lo = int(hi / GROWTH)
    while lo >= 1 and error(lo) <= tolerance:  # ladder down below the start if it already passes
        hi, lo = lo, int(lo / GROWTH)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if error(mid) <= tolerance:
            hi = mid
        else:
            lo = mid
    return Cutoff(hi, error(hi), float(tolerance), ref)
