"""Local operators, tensor embedding and partial traces.

Conventions (DESIGN.md): |0> = ground |g>, |1> = excited |e>, sigma^+ = |e><g|.

Ordering is fixed HERE and nowhere else: subsystem k of a model is Qiskit qubit
(or qubit block) k, so the full-space matrix is kron(op_{n-1}, ..., op_1, op_0),
i.e. subsystem 0 is the rightmost tensor factor.  With this order a model's
matrices, ``SparsePauliOp.from_operator`` and Qiskit's ``Statevector`` agree
without any reshuffling.
"""

from __future__ import annotations

from collections.abc import Sequence

import math

import numpy as np


def sigma_minus() -> np.ndarray:
    """Lowering operator |g><e| of a two-level system (2x2)."""
    return np.array([[0.0, 1.0], [0.0, 0.0]], dtype=complex)


def sigma_plus() -> np.ndarray:
    """Raising operator |e><g| of a two-level system (2x2)."""
    return sigma_minus().T.copy()


def sigma_x() -> np.ndarray:
    """Pauli X = sigma^+ + sigma^- (2x2)."""
    return np.array([[0.0, 1.0], [1.0, 0.0]], dtype=complex)


def sigma_y() -> np.ndarray:
    """Pauli Y = -i sigma^+ + i sigma^- in the basis (|g>, |e>) = (|0>, |1>) (Qiskit's Y)."""
    return np.array([[0.0, -1j], [1j, 0.0]], dtype=complex)


def sigma_z() -> np.ndarray:
    """|e><e| - |g><g| (note: minus Qiskit's Z, since |0> = g); 2 sigma^+ sigma^- - 1."""
    return np.diag([-1.0, 1.0]).astype(complex)


def destroy(dim: int) -> np.ndarray:
    """Bosonic annihilation operator truncated to Fock states |0>..|dim-1>."""
    return np.diag(np.sqrt(np.arange(1, dim, dtype=float)), k=1).astype(complex)


def lowering(dim: int) -> np.ndarray:
    """The natural lowering operator of a subsystem: sigma^- for dim 2 qubits, a otherwise."""
    return destroy(dim)  # destroy(2) == sigma_minus()


def number(dim: int) -> np.ndarray:
    """Excitation-number operator diag(0, 1, ..., dim-1)."""
    return np.diag(np.arange(dim, dtype=float)).astype(complex)


def basis_projector(dim: int, level: int) -> np.ndarray:
    """|level><level| in a dim-level space."""
    p = np.zeros((dim, dim), dtype=complex)
    p[level, level] = 1.0
    return p


def coherent_projector(dim: int, alpha: float) -> np.ndarray:
    """|alpha><alpha| of a coherent state truncated to Fock states 0..dim-1 and renormalised:
    amplitudes alpha^n / sqrt(n!) (times e^{-|alpha|^2/2} before renormalising)."""
    n = np.arange(dim)
    log_fact = np.cumsum(np.r_[0.0, np.log(np.arange(1, dim))])
    ket = np.asarray(alpha, dtype=complex) ** n * np.exp(-0.5 * log_fact)
    ket /= np.linalg.norm(ket)
    return np.outer(ket, ket.conj())


def embed(op: np.ndarray, index: int, dims: Sequence[int]) -> np.ndarray:
    """Place a local operator on subsystem ``index`` of a product space ``dims``.

    Subsystem 0 is the rightmost Kronecker factor (Qiskit's little-endian order).
    """
    if op.shape != (dims[index], dims[index]):
        raise ValueError(f"op has shape {op.shape}, subsystem {index} has dimension {dims[index]}")
    out = np.ones((1, 1), dtype=complex)
    for k in reversed(range(len(dims))):
        out = np.kron(out, op if k == index else np.eye(dims[k], dtype=complex))
    return out


def embed_many(ops: dict[int, np.ndarray], dims: Sequence[int]) -> np.ndarray:
    """Tensor product of local operators on several subsystems (identity elsewhere)."""
    out = np.ones((1, 1), dtype=complex)
    for k in reversed(range(len(dims))):
        out = np.kron(out, ops.get(k, np.eye(dims[k], dtype=complex)))
    return out


def embed_block(op: np.ndarray, indices: Sequence[int], dims: Sequence[int]) -> np.ndarray:
    """Place an operator on the subsystems ``indices`` (acting on them in increasing order, the
    lowest index the rightmost factor, like a model's ``h_battery``) in the product space ``dims``."""
    indices = sorted(indices)
    n, rest = len(dims), [k for k in range(len(dims)) if k not in indices]
    if op.shape != (math.prod(dims[k] for k in indices),) * 2:
        raise ValueError(f"op has shape {op.shape}, subsystems {indices} have dimensions {[dims[k] for k in indices]}")
    full = np.kron(op, np.eye(math.prod(dims[k] for k in rest), dtype=complex))
    axes = list(reversed(indices)) + list(reversed(rest))  # full's tensor axes, most significant first
    t = full.reshape(*[dims[k] for k in axes], *[dims[k] for k in axes])
    perm = [axes.index(k) for k in reversed(range(n))]
    return t.transpose(*perm, *[n + q for q in perm]).reshape(math.prod(dims), math.prod(dims))


def product_state(local_states: Sequence[np.ndarray]) -> np.ndarray:
    """Density matrix of a product of local density matrices, local_states[k] on subsystem k."""
    out = np.ones((1, 1), dtype=complex)
    for rho in reversed(local_states):
        out = np.kron(out, rho)
    return out


def partial_trace(rho: np.ndarray, keep: Sequence[int], dims: Sequence[int]) -> np.ndarray:
    """Reduced state on the subsystems ``keep`` (in increasing order), for one state or a stack.

    ``rho`` has shape (..., D, D) with D = prod(dims).  The result is ordered like the model
    (lowest kept index is the rightmost factor).
    """
    keep = sorted(keep)
    n = len(dims)
    batch = rho.shape[:-2]
    # tensor axes: reversed subsystem order (row then column), after the batch axes
    rev = list(reversed(range(n)))  # rev[position] = subsystem index
    t = rho.reshape(*batch, *[dims[k] for k in rev], *[dims[k] for k in rev])
    nb = len(batch)
    row_axis = {k: nb + rev.index(k) for k in range(n)}
    col_axis = {k: nb + n + rev.index(k) for k in range(n)}
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    batch_letters = letters[:nb]
    row = {k: letters[nb + k] for k in range(n)}
    col = {k: letters[nb + n + k] for k in range(n)}
    for k in range(n):
        if k not in keep:
            col[k] = row[k]
    src = [""] * (nb + 2 * n)
    for i, ch in enumerate(batch_letters):
        src[i] = ch
    for k in range(n):
        src[row_axis[k]] = row[k]
        src[col_axis[k]] = col[k]
    kept_rev = [k for k in rev if k in keep]
    out = batch_letters + "".join(row[k] for k in kept_rev) + "".join(col[k] for k in kept_rev)
    reduced = np.einsum("".join(src) + "->" + out, t)
    dk = int(np.prod([dims[k] for k in keep]))
    return reduced.reshape(*batch, dk, dk)
