"""Qubit encodings: any model as an equivalent all-qubit model that compile_program accepts.

Per subsystem (the isometry E maps its levels into its qubits' space):
  qubit       kept as it is;
  collective  N spins in their symmetric sector |k> -> the N physical qubits, |k> -> the
              normalised Dicke state (sum of the C(N, k) bit strings with k ones).  The battery
              Hamiltonian becomes omega sum_i n_i on the qubits, i.e. the FULL 2^N spectrum with
              its degeneracies, as DESIGN.md asks of the ergotropy;
  oscillator  levels 0..d-1 in binary on ceil(log2 d) qubits (qubit 0 of the block = bit 0).
              The unused codes are decoupled from the dynamics; in H_B and H_C they get the
              energy of the top level plus one frequency, above every physical level, so
              weight that noise puts there counts as excitation and the passive state never
              uses them.
Operators map as W O W^dag with W the tensor product of the isometries; the number operator
is rebuilt as the sum of diagonal local numbers (sum_i n_i, or the binary level index) so the
rotating frame stays diagonal.  The encoded model evolves exactly like the original on the
encoded subspace (tests/test_compile_encoding.py); Trotter steps may leak out of it, which the
split error of compile_program measures.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from math import ceil, log2

import numpy as np

from ..models import Drive, Jump, Model, Subsystem
from ..models.operators import number


def dicke_isometry(n: int) -> np.ndarray:
    """(2^n, n+1): column k = normalised sum of the basis states with k ones."""
    e = np.zeros((2**n, n + 1))
    for k in range(n + 1):
        idx = [sum(1 << i for i in ones) for ones in combinations(range(n), k)]
        e[idx, k] = 1 / np.sqrt(len(idx))
    return e


def encoded_width(s: Subsystem) -> int:
    """Number of qubits subsystem ``s`` occupies once encoded."""
    if s.kind == "qubit":
        return 1
    return s.dim - 1 if s.kind == "collective" else max(1, ceil(log2(s.dim)))


def _block(s: Subsystem):
    """(isometry, new subsystems in block order, local number operator on the block)."""
    if s.kind == "qubit":
        return np.eye(2), [s], number(2)
    if s.kind == "collective":
        n = s.dim - 1
        subs = [Subsystem(f"{s.name}_{i}", s.role, 2, "qubit", s.frequency) for i in range(n)]
        return dicke_isometry(n), subs, np.diag([bin(b).count("1") for b in range(2**n)]).astype(float)
    m = encoded_width(s)
    e = np.zeros((2**m, s.dim))
    e[np.arange(s.dim), np.arange(s.dim)] = 1.0
    subs = [Subsystem(f"{s.name}_b{i}", s.role, 2, "qubit", s.frequency * 2**i) for i in range(m)]
    return e, subs, np.diag(np.arange(2**m, dtype=float))


def _kron(blocks):
    out = np.ones((1, 1))
    for b in reversed(blocks):  # subsystem 0 rightmost
        out = np.kron(out, b)
    return out


def _role_hamiltonian(model: Model, role: str, h: np.ndarray, blocks) -> np.ndarray:
    idx = model.indices(role)
    if not idx:
        return np.asarray(h)
    w = _kron([blocks[i][0] for i in idx])
    out = w @ np.asarray(h) @ w.T
    if any(model.subsystems[i].kind == "collective" for i in idx):
        if len(idx) != 1 or not np.allclose(h, model.subsystems[idx[0]].frequency * number(model.subsystems[idx[0]].dim)):
            raise ValueError(f"{role}: a collective {role} must be alone with H = omega k to be encoded")
        return model.subsystems[idx[0]].frequency * blocks[idx[0]][2]
    top = np.real(np.diag(out)).max() + max(model.subsystems[i].frequency for i in idx)
    physical = np.real(np.diag(w @ w.T)) > 0.5
    return out + np.diag(np.where(physical, 0.0, top))


def encode_qubits(model: Model) -> Model:
    """An all-qubit model equivalent to ``model`` (module doc); qubit models are returned as is."""
    if model.is_qubits:
        return model
    blocks = [_block(s) for s in model.subsystems]
    w = _kron([b[0] for b in blocks])
    conj = lambda op: w @ np.asarray(op) @ w.T  # noqa: E731  (isometries are real)
    dims = [b[0].shape[0] for b in blocks]
    numbers = sum(np.kron(np.kron(np.eye(int(np.prod(dims[i + 1:]))), blocks[i][2]), np.eye(int(np.prod(dims[:i]))))
                  for i in range(len(blocks)))
    if not np.allclose(w.T @ numbers @ w, model.number_operator, atol=1e-12):
        raise ValueError(f"model {model.name!r}: its number operator is not the sum of the subsystems' level "
                         "numbers, so the encoded rotating frame would differ")
    return replace(
        model, name=f"{model.name}@qubits", subsystems=tuple(s for b in blocks for s in b[1]), h0=conj(model.h0),
        drives=tuple(Drive(conj(d.operator), d.frequency) for d in model.drives),
        jumps=tuple(Jump(conj(j.operator), j.rate, j.label) for j in model.jumps),
        h_battery=_role_hamiltonian(model, "battery", model.h_battery, blocks),
        h_charger=_role_hamiltonian(model, "charger", model.h_charger, blocks),
        rho0=conj(model.rho0), number_operator=numbers, battery_levels=None,
        params={**model.params, "encoded_from": model.name})
