"""Pauli-basis state tomography: linear inversion and projection onto physical states.

Data: for each basis label b (character i = Pauli measured on measured qubit i), a counts
array over outcomes (index bit i = outcome of measured qubit i, 0 <-> eigenvalue +1).  States
are ordered with measured qubit 0 as the RIGHTMOST Kronecker factor (Qiskit order).  Arrays
may carry leading batch axes (..., 2**k), e.g. time points or bootstrap resamples.
"""

from __future__ import annotations

from itertools import product

import numpy as np

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
         "Z": np.diag([1.0, -1.0])}


def _pauli_matrix(label: str) -> np.ndarray:
    out = np.ones((1, 1))
    for ch in reversed(label):  # label[i] acts on qubit i; qubit 0 rightmost
        out = np.kron(out, PAULI[ch])
    return out


def linear_inversion(counts: dict[str, np.ndarray]) -> np.ndarray:
    """rho = 2^-k sum_P <P> P with each <P> averaged over every basis that measures it."""
    labels = list(counts)
    k = len(labels[0])
    outcomes = np.arange(2**k)
    bits = (outcomes[:, None] >> np.arange(k)[None, :]) & 1  # (2^k, k)
    rho = 0
    for pauli in product("IXYZ", repeat=k):
        p = "".join(pauli)
        support = [i for i, c in enumerate(p) if c != "I"]
        sign = (-1.0) ** bits[:, support].sum(axis=1) if support else np.ones(2**k)
        estimates = []
        for b in labels:
            if all(b[i] == p[i] for i in support):
                c = np.asarray(counts[b], dtype=float)
                estimates.append((c @ sign) / c.sum(axis=-1))
        if not estimates:
            raise ValueError(f"no basis in {labels} measures Pauli {p}: tomographically incomplete")
        rho = rho + np.mean(estimates, axis=0)[..., None, None] * _pauli_matrix(p)
    return rho / 2**k


def project_physical(rho: np.ndarray) -> np.ndarray:
    """Nearest density matrix in Frobenius norm: eigenvalues projected onto the probability
    simplex (Smolin, Gambetta, Smith, PRL 108, 070502, 2012), eigenvectors kept."""
    rho = 0.5 * (rho + np.swapaxes(rho, -1, -2).conj())
    w, v = np.linalg.eigh(rho)
    u = np.sort(w, axis=-1)[..., ::-1]
    css = np.cumsum(u, axis=-1) - 1.0
    idx = np.arange(1, w.shape[-1] + 1)
    rho_count = ((u - css / idx) > 0).sum(axis=-1, keepdims=True)
    theta = np.take_along_axis(css, rho_count - 1, axis=-1) / rho_count
    w = np.clip(w - theta, 0.0, None)
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2).conj()
