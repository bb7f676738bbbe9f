"""Maximum-likelihood state fit (linear inversion and the projection to the nearest
physical state live in :mod:`.linear`).

Data format (Pauli-basis tomography of k measured qubits): a mapping ``basis label ->
counts`` with the label a string over 'X', 'Y', 'Z' of length k (character i = basis of
measured qubit i) and counts an array of shape (2**k,) whose index has bit i = outcome of
measured qubit i (bit 0 <-> the +1 eigenvalue).  Density matrices are ordered with measured
qubit 0 as the RIGHTMOST Kronecker factor (Qiskit order).  Readout errors can be folded
into the fit through per-qubit assignment matrices A[measured, prepared]
(:mod:`.mitigation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

__all__ = ["projectors", "probabilities", "fit_mle", "MAX_QUBITS"]

#: Largest number of measured qubits accepted (3**k bases, 4**k matrix entries).
MAX_QUBITS = 6
_PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def _single_projectors(basis: str) -> np.ndarray:
    """(2, 2, 2): projector on outcome bit s (0 <-> +1 eigenvalue) of the Pauli ``basis``."""
    p = _PAULI[basis]
    eye = np.eye(2)
    return np.stack([(eye + p) / 2, (eye - p) / 2])


@lru_cache(maxsize=256)
def _label_projectors(label: str) -> np.ndarray:
    k = len(label)
    out = np.empty((2**k, 2**k, 2**k), dtype=complex)
    singles = [_single_projectors(b) for b in label]
    for o in range(2**k):
        m = np.ones((1, 1), dtype=complex)
        for i in range(k):  # qubit i is the i-th factor from the right
            m = np.kron(singles[i][(o >> i) & 1], m)
        out[o] = m
    out.setflags(write=False)
    return out


def _assignment_tensor(assignments, k: int) -> np.ndarray:
    """Full 2**k x 2**k assignment matrix with qubit i on bit i."""
    full = np.ones((1, 1))
    for i in range(k):
        full = np.kron(np.asarray(assignments[i], dtype=float), full)
    return full


def projectors(label: str, assignments: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """POVM elements (2**k, d, d) of the measurement ``label``, indexed by outcome; with
    ``assignments`` (one 2x2 A[measured, prepared] per measured qubit) the noisy POVM
    E'_o = sum_s A[o, s] E_s."""
    proj = _label_projectors(label)
    if assignments is None:
        return proj
    return np.einsum("os,sij->oij", _assignment_tensor(assignments, len(label)), proj)


def _check_data(data) -> tuple[list[str], np.ndarray, int]:
    if not isinstance(data, Mapping) or not data:
        raise ValueError("data must be a non-empty mapping basis label -> counts array")
    labels = list(data)
    k = len(labels[0])
    if not 1 <= k <= MAX_QUBITS:
        raise ValueError(f"data: labels must have 1..{MAX_QUBITS} characters, got {labels[0]!r}")
    counts = []
    for label in labels:
        if not isinstance(label, str) or len(label) != k or set(label) - set("XYZ"):
            raise ValueError(f"data: label {label!r} must be {k} characters from 'X', 'Y', 'Z'")
        c = np.asarray(data[label], dtype=float)
        if c.shape != (2**k,) or not np.all(np.isfinite(c)) or np.any(c < 0):
            raise ValueError(f"data[{label!r}] must be {2**k} non-negative finite counts, got shape {c.shape}")
        if c.sum() <= 0:
            raise ValueError(f"data[{label!r}] has no counts")
        counts.append(c)
    return labels, np.array(counts), k


def probabilities(rho: np.ndarray, label: str, assignments=None) -> np.ndarray:
    """Outcome probabilities (2**k,) of measuring ``rho`` in ``label``."""
    return np.real(np.einsum("oij,ji->o", projectors(label, assignments), rho))


def fit_mle(
    data: Mapping[str, np.ndarray],
    *,
    assignments: Sequence[np.ndarray] | None = None,
    max_iter: int = 5000,
    tol: float = 1e-10,
) -> np.ndarray:
    """Maximum-likelihood density matrix by the diluted R rho R iteration (Rehacek, Hradil,
    Knill, Lvovsky, PRA 75, 042108 (2007)), started from the maximally mixed state.

    ``assignments`` (per measured qubit, 2x2 A[measured, prepared]) folds readout errors into
    the POVM, which mitigates them inside the fit.  Stops when the log-likelihood gains less
    than ``tol`` (relative) or after ``max_iter`` iterations."""
    labels, counts, k = _check_data(data)
    if assignments is not None and len(assignments) != k:
        raise ValueError(f"assignments: need {k} 2x2 matrices (one per measured qubit), got {len(assignments)}")
    ops = np.concatenate([projectors(lab, assignments) for lab in labels])
    n = counts.ravel()
    keep = n > 0
    ops, n = ops[keep], n[keep]
    total = counts.sum()  # each basis' POVM sums to I, so R = sum_o n_o/p_o E_o / N -> I at the MLE
    d = 2**k
    rho = np.eye(d, dtype=complex) / d
    last = -np.inf
    eps = 1.0
    for _ in range(int(max_iter)):
        p = np.clip(np.real(np.einsum("oij,ji->o", ops, rho)), 1e-300, None)
        loglik = float(np.sum(n * np.log(p)))
        if loglik < last - 1e-12:  # overshoot: dilute the step
            eps /= 2
        elif abs(loglik - last) <= tol * abs(loglik):
            break
        last = max(last, loglik)
        r = np.einsum("o,oij->ij", n / p, ops) / total
        step = (np.eye(d) + eps * r) / (1 + eps)
        rho = step @ rho @ step
        rho = (rho + rho.conj().T) / 2
        rho /= np.trace(rho).real
    return rho
