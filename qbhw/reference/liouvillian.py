"""Liouvillian superoperators in the row-major vectorisation vec(rho) = rho.reshape(-1).

    vec(A rho B) = (A kron B^T) vec(rho)

so  -i[H, rho]      -> -i (H kron 1 - 1 kron H^T)
    r D[L] rho      -> r (L kron conj(L) - 1/2 L^dag L kron 1 - 1/2 1 kron (L^dag L)^T)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp


def _kron(a, b, sparse: bool):
    return sp.kron(a, b, format="csr") if sparse else np.kron(a, b)


def hamiltonian_part(h: np.ndarray, *, sparse: bool = False):
    """Superoperator of rho -> -i[h, rho]."""
    d = h.shape[0]
    eye = sp.identity(d, dtype=complex, format="csr") if sparse else np.eye(d, dtype=complex)
    hs = sp.csr_matrix(h) if sparse else h
    return -1j * (_kron(hs, eye, sparse) - _kron(eye, hs.T, sparse))


def dissipator(jumps: Iterable[tuple[np.ndarray, float]], d: int, *, sparse: bool = False):
    """Superoperator of sum_j r_j (L_j rho L_j^dag - 1/2 {L_j^dag L_j, rho})."""
    eye = sp.identity(d, dtype=complex, format="csr") if sparse else np.eye(d, dtype=complex)
    out = sp.csr_matrix((d * d, d * d), dtype=complex) if sparse else np.zeros((d * d, d * d), complex)
    for op, rate in jumps:
        if rate == 0.0:
            continue
        lo = sp.csr_matrix(op) if sparse else op
        ldl = lo.conj().T @ lo
        out = out + rate * (_kron(lo, lo.conj(), sparse) - 0.5 * _kron(ldl, eye, sparse)
                            - 0.5 * _kron(eye, ldl.T, sparse))
    return out


def liouvillian(h: np.ndarray, jumps: Iterable[tuple[np.ndarray, float]], *, sparse: bool = False):
    """Full Liouvillian -i[h, .] + sum_j r_j D[L_j] as a dense array or CSR matrix."""
    return hamiltonian_part(h, sparse=sparse) + dissipator(jumps, h.shape[0], sparse=sparse)
