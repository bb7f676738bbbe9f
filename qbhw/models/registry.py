"""Every model constructor by name: the ``kind`` of an experiment file's ``[model]`` table.

``KINDS`` maps a kind to its constructor (a comment says what it is); ``parameters(kind)`` gives
each argument's type, default and whether it is required, read from the constructor's signature
(types from the defaults, with ``TYPES`` for arguments whose default is None).  A kind
``"package.module:function"`` names a constructor in the user's own module (imported from the
experiment file's folder first); ``kind = "custom"`` is a model written out in the file
(:mod:`.custom`).  ``build(kind, params)`` checks the arguments by name and calls the
constructor; the constructors' own range checks name the argument.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .base import Model
from .charger_battery import oscillator_pair, tls_oscillator, tls_pair
from .collective import star
from .global_charging import global_vs_parallel
from .heat_engine import heat_engine_chargers, heat_engine_explicit
from .manybody import dicke, rabi_parallel
from .open_batteries import dark_state_charging, dfs_ring, dissipative_charging, nmr_star
from .spin_chain import spin_chain

CUSTOM = "custom"
CUTOFF = "cutoff"  # an integer n_max, or "auto" (resolved from the requested times by the experiment layer)


def global_vs_parallel_model(n_cells, which, e_max=1.0, omega=1.0) -> Model:
    """One of ``global_vs_parallel``'s two models: which = "global" or "parallel"."""
    if which not in ("global", "parallel"):
        raise ValueError(f"which must be 'global' or 'parallel', got {which!r}")
    glob, par = global_vs_parallel(n_cells, e_max, omega)
    return glob if which == "global" else par


KINDS: Mapping[str, Callable[..., Model]] = {
    "tls_pair": tls_pair,  # driven, dephased TLS charger + TLS battery (lecture 4, M1)
    "tls_oscillator": tls_oscillator,  # TLS charger + oscillator battery (M3)
    "oscillator_pair": oscillator_pair,  # oscillator charger + oscillator battery (M2)
    "star": star,  # one driven, dephased TLS charger + N TLS batteries (M4)
    "dicke": dicke,  # N TLS batteries in one cavity (Dicke battery, M9)
    "rabi_parallel": rabi_parallel,  # N independent Rabi batteries, each with its own cavity (M9)
    "spin_chain": spin_chain,  # interacting spin-chain battery charged by a transverse field
    "global_vs_parallel": global_vs_parallel_model,  # global or parallel charging of n cells (M7); which = 'global' | 'parallel'
    "heat_engine_chargers": heat_engine_chargers,  # N batteries charged by maser heat engines, effective equation (M5)
    "heat_engine_explicit": heat_engine_explicit,  # N explicit maser engines + N batteries (M5)
    "dissipative_charging": dissipative_charging,  # TLS battery charged by a stream of thermal ancillas (Barra, M16)
    "dark_state_charging": dark_state_charging,  # battery + charger spins in one thermal bath (Quach-Munro, M21)
    "nmr_star": nmr_star,  # NMR star: battery spin + N inverted charger spins, re-inverted at recharge_time (R63)
    "dfs_ring": dfs_ring,  # 6-site single-excitation ring with dark states, bath at sites 1 and 4 (M20)
}

#: argument types where the default (None) does not tell
TYPES = {"n_max": CUTOFF, "photons": int, "n": int, "n_batteries": int, "n_spins": int, "n_cells": int,
         "n_b": int, "n_c": int, "n_chargers": int,
         "recharge_time": float}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type | str  # float, int, bool, str or CUTOFF
    default: object
    required: bool


def _type(p: inspect.Parameter):
    if p.name in TYPES:
        return TYPES[p.name]
    d = p.default
    if d is inspect.Parameter.empty:
        return str if p.name in ("which", "coupling", "representation") else float
    return type(d) if isinstance(d, (bool, int, float, str)) else float


def parameters(build: Callable) -> dict[str, Parameter]:
    """The constructor's arguments by name (see module doc)."""
    out = {}
    for p in inspect.signature(build).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out[p.name] = Parameter(p.name, _type(p), None if p.default is p.empty else p.default, p.default is p.empty)
    return out


def _import(module_name: str, folder: Path | None):
    """The module: a file beside the experiment file (loaded from that file, afresh, so two
    experiments' modules of one name never mix), else an importable module."""
    import importlib.util

    path = None if folder is None else Path(folder, *module_name.split(".")).with_suffix(".py")
    if path is not None and path.is_file():
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        added = str(path.parent) not in sys.path
        if added:
            sys.path.insert(0, str(path.parent))  # its own sibling imports
        try:
            spec.loader.exec_module(module)
        finally:
            if added:
                sys.path.remove(str(path.parent))
        return module
    return importlib.import_module(module_name)


def user_constructor(kind: str, folder: Path | None = None) -> Callable[..., Model]:
    """The function named by ``"module:function"`` (the module is looked up in ``folder`` first)."""
    module_name, _, func = kind.partition(":")
    if not module_name or not func:
        raise InputError("model.kind", f"expected one of {', '.join(KINDS)}, {CUSTOM!r}, or 'module:function', got {kind!r}")
    try:
        module = _import(module_name, folder)
    except ImportError as err:
        raise InputError("model.kind", f"cannot import module {module_name!r} ({err})") from None
    except Exception as err:  # the user's module failed while loading: say where
        raise InputError("model.kind", f"module {module_name!r} failed to load: {type(err).__name__}: {err}") from None
    build = getattr(module, func, None)
    if not callable(build):
        raise InputError("model.kind", f"module {module_name!r} has no function {func!r}")
    return build


def constructor(kind: str, folder: Path | None = None) -> Callable[..., Model]:
    """The constructor of a built-in kind or of a user's ``module:function``."""
    if kind in KINDS:
        return KINDS[kind]
    return user_constructor(kind, folder)


def build(kind: str, params: Mapping, folder: Path | None = None) -> Model:
    """``constructor(kind)(**params)``; a constructor's ValueError becomes InputError("model.<arg>")."""
    try:
        model = constructor(kind, folder)(**params)
    except InputError:
        raise
    except (ValueError, TypeError) as err:
        name = str(err).split(" ", 1)[0]
        key = f"model.{name}" if name in params or name in parameters(constructor(kind, folder)) else "model"
        raise InputError(key, str(err)) from None
    if not isinstance(model, Model):
        raise InputError("model.kind", f"{kind!r} returned {type(model).__name__}, not a qbhw.models.Model")
    return model
