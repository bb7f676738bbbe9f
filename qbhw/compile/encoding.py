"""Qubit encodings: any model as an equivalent all-qubit model that compile_program accepts.

Per subsystem (the isometry E maps its levels into its qubits' space):
  qubit       kept as it is;
  collective  N spins in their symmetric sector, by ``collective`` encoding:
              "qubits": |k> -> the N physical qubits, |k> -> the normalised Dicke state (sum of
              the C(N, k) bit strings with k ones).  The battery Hamiltonian becomes
              omega sum_i n_i on the qubits, i.e. the FULL 2^N spectrum with its degeneracies,
              as DESIGN.md asks of the ergotropy;
              "binary": levels 0..N in binary on ceil(log2(N + 1)) qubits, like an oscillator.
              H_B is then only the N + 1 symmetric levels (plus unused codes), so the encoded
              model's ``battery_levels`` carries the full spectrum (omega k, C(N, k)) and the
              unused codes, priced as below: ergotropy must use them (reference.evolve does);
  oscillator  levels 0..d-1 in binary on ceil(log2 d) qubits (qubit 0 of the block = bit 0).
              The unused codes are decoupled from the dynamics; in H_B and H_C they get the
              energy of the top level plus one frequency, above every physical level, so
              weight that noise puts there counts as excitation and the passive state never
              uses them.
Operators map as W O W^dag with W the tensor product of the isometries
(:func:`encoding_isometry`), except that an operator linear in the collective operators
(1, S^+-, K) of a collective subsystem on its physical qubits is lifted to them
(S^+ -> sum_i sigma_i^+, K -> sum_i n_i): the N-qubit Hamiltonian of the full representation,
a few Pauli terms where W O W^dag carries the symmetric projector (star(3): 100 two-qubit gates
against 2850 for a time point at t = 2).  The number operator is rebuilt as the sum of diagonal
local numbers (sum_i n_i, or the binary level index) so the rotating frame stays diagonal.  The
encoded model evolves exactly like the original on the code space W W^dag
(tests/test_compile_encoding.py); Trotter steps may leak out of it, which the split error of
compile_program measures.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from math import ceil, log2

import numpy as np

from ..errors import InputError
from ..models import Drive, Jump, Model, Subsystem
from ..models.collective import collective_raising
from ..models.operators import embed, lowering, number

COLLECTIVE_ENCODINGS = ("qubits", "binary")  # symmetric sector on N qubits (Dicke states) or in binary


def dicke_isometry(n: int) -> np.ndarray:
    """(2^n, n+1): column k = normalised sum of the basis states with k ones."""
    e = np.zeros((2**n, n + 1))
    for k in range(n + 1):
        idx = [sum(1 << i for i in ones) for ones in combinations(range(n), k)]
        e[idx, k] = 1 / np.sqrt(len(idx))
    return e


def _check_encoding(collective: str) -> None:
    if collective not in COLLECTIVE_ENCODINGS:
        raise InputError("collective_encoding", f"must be one of {COLLECTIVE_ENCODINGS}, got {collective!r}")


def _on_qubits(s: Subsystem, collective: str) -> bool:
    """Is ``s`` a collective subsystem spread over its N physical qubits (Dicke states)?"""
    return s.kind == "collective" and collective == "qubits"


def encoded_width(s: Subsystem, collective: str = "qubits") -> int:
    """Number of qubits subsystem ``s`` occupies once encoded."""
    if s.kind == "qubit":
        return 1
    return s.dim - 1 if _on_qubits(s, collective) else max(1, ceil(log2(s.dim)))


def _block(s: Subsystem, collective: str):
    """(isometry, new subsystems in block order, local number operator on the block)."""
    if s.kind == "qubit":
        return np.eye(2), [s], number(2)
    if _on_qubits(s, collective):
        n = s.dim - 1
        subs = [Subsystem(f"{s.name}_{i}", s.role, 2, "qubit", s.frequency) for i in range(n)]
        return dicke_isometry(n), subs, np.diag([bin(b).count("1") for b in range(2**n)]).astype(float)
    m = encoded_width(s, collective)
    e = np.zeros((2**m, s.dim))
    e[np.arange(s.dim), np.arange(s.dim)] = 1.0
    subs = [Subsystem(f"{s.name}_b{i}", s.role, 2, "qubit", s.frequency * 2**i) for i in range(m)]
    return e, subs, np.diag(np.arange(2**m, dtype=float))


def _kron(blocks):
    out = np.ones((1, 1))
    for b in reversed(blocks):  # subsystem 0 rightmost
        out = np.kron(out, b)
    return out


def encoding_isometry(model: Model, collective: str = "qubits") -> np.ndarray:
    """W (2^n_qubits x model.dimension, real): the model's levels in the encoded qubits'
    space; an encoded operator is W O W^T, the code space W W^T."""
    _check_encoding(collective)
    return _kron([_block(s, collective)[0] for s in model.subsystems])


def _collective_algebra(n: int):
    """(1, S^+, S^-, K) on the symmetric sector of n spins and on the n physical qubits
    (1, sum_i sigma_i^+, sum_i sigma_i^-, sum_i n_i): each lift L satisfies L E = E C for the
    Dicke isometry E."""
    sp = collective_raising(n)
    sym = (np.eye(n + 1), sp, sp.conj().T, number(n + 1))
    qubits = (2,) * n
    down = sum(embed(lowering(2), i, qubits) for i in range(n))
    return sym, (np.eye(2**n), down.conj().T, down, sum(embed(number(2), i, qubits) for i in range(n)))


def _lifted(model: Model, op: np.ndarray, blocks, collective: str) -> np.ndarray | None:
    """``op`` on the qubits with the one qubit-encoded collective subsystem acting through its
    N physical qubits: op = sum_a R_a (x) C_a with C_a in (1, S^+, S^-, K) becomes
    sum_a enc(R_a) (x) lift(C_a), local in the spins (a few Pauli terms) where W op W^T carries
    the symmetric projector (many); both agree on the code space.  None when op is not linear
    in the collective operators or no (single) such subsystem exists."""
    spread = [i for i, s in enumerate(model.subsystems) if _on_qubits(s, collective) and s.dim > 2]
    if len(spread) != 1:
        return None
    c, m, dims = spread[0], len(model.subsystems), model.dims
    sym, lifts = _collective_algebra(dims[c] - 1)
    axes = [m - 1 - c, 2 * m - 1 - c]  # the collective subsystem's out and in axes (subsystem 0 rightmost)
    tensor = np.moveaxis(np.asarray(op).reshape(dims[::-1] * 2), axes, [-2, -1])
    flat = tensor.reshape(-1, dims[c] ** 2)
    basis = np.array([b.reshape(-1) for b in sym])
    coef = np.linalg.lstsq(basis.T, flat.T, rcond=None)[0]
    if np.abs(coef.T @ basis - flat).max() > 1e-10:
        return None
    rest = [i for i in range(m) if i != c]
    w_rest = _kron([blocks[i][0] for i in rest])
    shape = [blocks[i][0].shape[0] for i in reversed(rest)] * 2
    out = 0
    for a, lift in enumerate(lifts):
        r = w_rest @ coef[a].reshape(w_rest.shape[1], w_rest.shape[1]) @ w_rest.T
        out = out + np.moveaxis(np.multiply.outer(r.reshape(shape), lift), [-2, -1], axes)
    width = int(np.prod([b[0].shape[0] for b in blocks]))
    return out.reshape(width, width)


def _unused_codes(model: Model, role: str, blocks) -> np.ndarray:
    """Boolean per code of the role's qubits: True where no level of the model is encoded."""
    w = _kron([blocks[i][0] for i in model.indices(role)])
    return np.real(np.diag(w @ w.T)) < 0.5


def _role_hamiltonian(model: Model, role: str, h: np.ndarray, blocks, collective: str) -> np.ndarray:
    idx = model.indices(role)
    if not idx:
        return np.asarray(h)
    w = _kron([blocks[i][0] for i in idx])
    out = w @ np.asarray(h) @ w.T
    if any(_on_qubits(model.subsystems[i], collective) for i in idx):
        if len(idx) != 1 or not np.allclose(h, model.subsystems[idx[0]].frequency * number(model.subsystems[idx[0]].dim)):
            raise InputError("model", f"{role}: a collective {role} must be alone with H = omega k to be encoded on "
                                      "its physical qubits (use collective_encoding='binary')")
        return model.subsystems[idx[0]].frequency * blocks[idx[0]][2]
    top = np.real(np.diag(out)).max() + max(model.subsystems[i].frequency for i in idx)
    return out + np.diag(np.where(_unused_codes(model, role, blocks), top, 0.0))


def _battery_levels(model: Model, h_battery: np.ndarray, blocks, collective: str):
    """(energies, multiplicities) for the ergotropy of the encoded battery register: None when
    H_B's own spectrum is the full one; for a binary-encoded collective battery the model's
    full spectrum plus each unused code at its price in ``h_battery``."""
    if model.battery_levels is None or collective != "binary" or not any(
            model.subsystems[i].kind == "collective" for i in model.battery):
        return None
    energies, multiplicities = model.battery_levels
    unused = np.real(np.diag(h_battery))[_unused_codes(model, "battery", blocks)]
    return (np.r_[np.asarray(energies, dtype=float), unused],
            np.array([int(m) for m in multiplicities] + [1] * unused.size, dtype=object))


def encode_qubits(model: Model, collective: str = "qubits") -> Model:
    """An all-qubit model equivalent to ``model`` (module doc); qubit models are returned as is."""
    _check_encoding(collective)
    if model.is_qubits:
        return model
    blocks = [_block(s, collective) for s in model.subsystems]
    w = _kron([b[0] for b in blocks])
    conj = lambda op: w @ np.asarray(op) @ w.T  # noqa: E731  (isometries are real)

    def lift(op):
        lifted = _lifted(model, op, blocks, collective)
        return conj(op) if lifted is None else lifted
    dims = [b[0].shape[0] for b in blocks]
    numbers = sum(np.kron(np.kron(np.eye(int(np.prod(dims[i + 1:]))), blocks[i][2]), np.eye(int(np.prod(dims[:i]))))
                  for i in range(len(blocks)))
    if not np.allclose(w.T @ numbers @ w, model.number_operator, atol=1e-12):
        raise InputError("model", f"model {model.name!r}: its number operator is not the sum of the subsystems' "
                                  "level numbers, so the encoded rotating frame would differ")
    h_battery = _role_hamiltonian(model, "battery", model.h_battery, blocks, collective)
    return replace(
        model, name=f"{model.name}@qubits", subsystems=tuple(s for b in blocks for s in b[1]), h0=lift(model.h0),
        drives=tuple(Drive(lift(d.operator), d.frequency) for d in model.drives),
        jumps=tuple(Jump(lift(j.operator), j.rate, j.label) for j in model.jumps),
        h_battery=h_battery, h_charger=_role_hamiltonian(model, "charger", model.h_charger, blocks, collective),
        rho0=conj(model.rho0), number_operator=numbers,
        battery_levels=_battery_levels(model, h_battery, blocks, collective),
        params={**model.params, "encoded_from": model.name, "battery_energy_max": battery_energy_max(model)})


def battery_energy_max(model: Model) -> float:
    """Top of the battery's physical spectrum (the full one of ``battery_levels`` when the model
    stores it reduced), which the unused codes of an encoding, priced above it, do not change."""
    if "battery_energy_max" in model.params:
        return float(model.params["battery_energy_max"])
    if model.battery_levels is not None:
        return float(np.max(model.battery_levels[0]))
    return float(np.linalg.eigvalsh(np.asarray(model.h_battery))[-1])
