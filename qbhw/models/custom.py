"""A model written out as data (an experiment file's ``kind = "custom"``), checked like any other.

    [model]
    kind = "custom"
    name = "my_pair"                                  # optional
    subsystems = [{ name = "charger", role = "charger" },    # subsystem 0 = Qiskit qubit 0
                  { name = "battery", role = "battery" }]    # dim = 2 unless given
    hamiltonian = { XX = 0.5, YY = 0.5, IX = 0.5 }    # Pauli labels, subsystem 0 rightmost
    battery_hamiltonian = { I = 0.5, Z = -0.5 }       # on the battery subsystems only
    initial_state = "00"                              # basis state, subsystem 0 rightmost
    jumps = [{ operator = { II = 0.5, IZ = -0.5 }, rate = 1.0, label = "charger dephasing" }]

Each operator is a Pauli sum (labels of I, X, Y, Z, one letter per subsystem, all of dim 2;
complex coefficients as [re, im]) or an array in a ``.npy`` file or a ``.npz`` archive beside the
experiment file: ``"ops.npz:H"`` (``"H.npy"``).  ``initial_state`` is a bit string, a density
matrix or a state vector from such a file.  Subsystems of dim > 2 (oscillators, encoded in
binary for the circuits) need matrix operators.  The Hamiltonian is time independent, in the
frame the circuits run in (a drive goes in as its rotating-frame term); ``charger_hamiltonian``
defaults to 0.  ``battery_hamiltonian`` is shifted to ground energy 0 (DESIGN.md).  Units:
hbar = 1, energies and rates in units of the battery frequency.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import Jump, Model, Subsystem
from .operators import embed, number

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
         "Z": np.diag([1.0, -1.0])}
KEYS = ("kind", "name", "subsystems", "hamiltonian", "battery_hamiltonian", "charger_hamiltonian",
        "initial_state", "jumps")
MAX_DIMENSION = 4096


def _coefficient(key: str, value) -> complex:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return complex(value[0], value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return complex(value)
    raise InputError(key, f"expected a real number or [re, im], got {value!r}")


def pauli_sum(key: str, terms: Mapping, n: int) -> np.ndarray:
    """Dense matrix of sum_label c P_label on n qubits (label character i from the right = qubit i)."""
    out = np.zeros((2**n, 2**n), dtype=complex)
    for label, value in terms.items():
        if len(label) != n or set(label) - set(PAULI):
            raise InputError(f"{key}.{label}", f"expected a Pauli label of {n} letters from I, X, Y, Z")
        m = np.ones((1, 1))
        for c in label:  # leftmost letter = highest qubit = outermost Kronecker factor
            m = np.kron(m, PAULI[c])
        out += _coefficient(f"{key}.{label}", value) * m
    return out


def _array(key: str, ref: str, folder: Path) -> np.ndarray:
    path, _, name = ref.partition(":")
    file = folder / path
    try:
        if file.suffix == ".npz":
            if not name:
                raise InputError(key, f"{ref!r}: name the array of the .npz archive, e.g. {path}:H")
            with np.load(file) as archive:
                if name not in archive:
                    raise InputError(key, f"{file} has no array {name!r} (has {', '.join(archive.files)})")
                return np.asarray(archive[name], dtype=complex)
        if file.suffix == ".npy":
            return np.asarray(np.load(file), dtype=complex)
    except FileNotFoundError:
        raise InputError(key, f"{file}: no such file") from None
    except (OSError, ValueError) as err:
        raise InputError(key, f"{file}: cannot read ({err})") from None
    raise InputError(key, f"{ref!r}: expected a .npy file or file.npz:array")


def operator(key: str, value, dims: tuple[int, ...], folder: Path) -> np.ndarray:
    """A Pauli sum (all dims 2) or an array from a file, checked to be (D, D)."""
    d = math.prod(dims)
    if isinstance(value, Mapping):
        if any(x != 2 for x in dims):
            raise InputError(key, f"a Pauli sum needs qubits only (dims {dims}); give a matrix file")
        return pauli_sum(key, value, len(dims))
    if isinstance(value, str):
        m = _array(key, value, folder)
        if m.shape != (d, d):
            raise InputError(key, f"expected a {d}x{d} matrix for subsystems of dims {dims}, got shape {m.shape}")
        return m
    raise InputError(key, f"expected a Pauli sum {{ XX = 0.5, ... }} or 'file.npz:name', got {value!r}")


def _hermitian(key: str, m: np.ndarray) -> np.ndarray:
    if np.abs(m - m.conj().T).max() > 1e-10 * max(1.0, np.abs(m).max()):
        raise InputError(key, "must be Hermitian")
    return m


def _subsystems(value) -> tuple[Subsystem, ...]:
    if not isinstance(value, list) or not value:
        raise InputError("model.subsystems", "expected a non-empty list of { name, role, dim }")
    out = []
    for i, s in enumerate(value):
        key = f"model.subsystems[{i}]"
        if not isinstance(s, Mapping) or set(s) - {"name", "role", "dim"} or "role" not in s:
            raise InputError(key, "expected { name = ..., role = 'charger' | 'battery' | 'ancilla', dim = 2 }")
        dim = s.get("dim", 2)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
            raise InputError(f"{key}.dim", f"expected an integer >= 2, got {dim!r}")
        try:
            out.append(Subsystem(str(s.get("name", f"s{i}")), s["role"], dim, "qubit" if dim == 2 else "oscillator", 1.0))
        except ValueError as err:
            raise InputError(f"{key}.role", str(err)) from None
    if not any(s.role == "battery" for s in out):
        raise InputError("model.subsystems", "at least one subsystem needs role = 'battery'")
    return tuple(out)


def _initial_state(value, dims: tuple[int, ...], folder: Path) -> np.ndarray:
    key, d = "model.initial_state", math.prod(dims)
    if isinstance(value, str) and value and set(value) <= {"0", "1"} and ":" not in value:
        if len(value) != len(dims) or any(x != 2 for x in dims):
            raise InputError(key, f"a bit string needs one bit per qubit subsystem ({len(dims)}); give a file for dims {dims}")
        index = int(value, 2)  # subsystem 0 is the rightmost bit
        rho = np.zeros((d, d), dtype=complex)
        rho[index, index] = 1
        return rho
    if not isinstance(value, str):
        raise InputError(key, f"expected a bit string like '00' or 'file.npz:rho0', got {value!r}")
    m = _array(key, value, folder)
    if m.shape == (d,):
        m = np.outer(m, m.conj()) / np.vdot(m, m).real
    if m.shape != (d, d):
        raise InputError(key, f"expected a state vector of length {d} or a {d}x{d} density matrix, got {m.shape}")
    w = np.linalg.eigvalsh((m + m.conj().T) / 2)
    if np.abs(m - m.conj().T).max() > 1e-10 or w.min() < -1e-10 or abs(np.trace(m) - 1) > 1e-10:
        raise InputError(key, "is not a density matrix (Hermitian, positive, trace 1)")
    return m


def _jumps(value, dims, folder) -> tuple[Jump, ...]:
    if not isinstance(value, list):
        raise InputError("model.jumps", "expected a list of { operator = ..., rate = ..., label = ... }")
    out = []
    for i, j in enumerate(value):
        key = f"model.jumps[{i}]"
        if not isinstance(j, Mapping) or set(j) - {"operator", "rate", "label"} or not {"operator", "rate"} <= set(j):
            raise InputError(key, "expected { operator = ..., rate = ..., label = '...' }")
        rate = j["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate < 0:
            raise InputError(f"{key}.rate", f"expected a rate >= 0, got {rate!r}")
        out.append(Jump(operator(f"{key}.operator", j["operator"], dims, folder), float(rate), str(j.get("label", f"jump {i}"))))
    return tuple(out)


def custom_model(table: Mapping, folder: Path | str = ".") -> Model:
    """The Model described by ``table`` (module doc), operators read relative to ``folder``."""
    folder = Path(folder)
    extra = sorted(set(table) - set(KEYS))
    if extra:
        raise InputError(f"model.{extra[0]}", f"unknown key for kind 'custom' (allowed: {', '.join(KEYS[1:])})")
    for k in ("subsystems", "hamiltonian", "battery_hamiltonian", "initial_state"):
        if k not in table:
            raise InputError(f"model.{k}", "required for kind 'custom'")
    subs = _subsystems(table["subsystems"])
    dims = tuple(s.dim for s in subs)
    if math.prod(dims) > MAX_DIMENSION:
        raise InputError("model.subsystems", f"Hilbert dimension {math.prod(dims)} > {MAX_DIMENSION}")
    battery = tuple(s.dim for s in subs if s.role == "battery")
    charger = tuple(s.dim for s in subs if s.role == "charger")
    h0 = _hermitian("model.hamiltonian", operator("model.hamiltonian", table["hamiltonian"], dims, folder))
    h_b = _hermitian("model.battery_hamiltonian",
                     operator("model.battery_hamiltonian", table["battery_hamiltonian"], battery, folder))
    h_b = h_b - np.linalg.eigvalsh(h_b)[0] * np.eye(h_b.shape[0])
    h_c = (_hermitian("model.charger_hamiltonian", operator("model.charger_hamiltonian", table["charger_hamiltonian"],
                                                            charger, folder))
           if "charger_hamiltonian" in table else np.zeros((math.prod(charger),) * 2))
    return Model(name=str(table.get("name", "custom")), subsystems=subs, h0=h0, drives=(),
                 jumps=_jumps(table.get("jumps", []), dims, folder), h_battery=h_b, h_charger=h_c,
                 rho0=_initial_state(table["initial_state"], dims, folder),
                 number_operator=sum(embed(number(d), k, dims) for k, d in enumerate(dims)),
                 params={"kind": "custom"})
