"""Quantum Cramer-Rao bound (QCRB) on the ergotropy for single-copy measurements.

For any locally unbiased estimator of a scalar f(theta) of a state rho(theta) from n copies
measured one at a time, Var >= grad f^T F^-1 grad f / n with F the SLD quantum Fisher
information matrix, F_ij = Re Tr[rho L_i L_j], d rho / d theta_i = (rho L_i + L_i rho) / 2.

Qubit battery, H_B = omega |1><1| (qiskit's |1>, Bloch vector -z), rho = (1 + r.sigma) / 2:
    W = (omega / 2)(|r| - z),   F^-1 = I - r r^T  (Bloch-vector coordinates, |r| < 1),
    Var(W) >= (omega^2 / 4n) [2 (1 - z/|r|) - (|r| - z)^2]
(grad W = (omega/2)(r_hat - z_hat); the issue's form with z measured towards |1>).  It is
reached, to first order, by measuring sigma along u = grad W / |grad W| (:mod:`.adaptive`).
At passive states (r along +z) W is not differentiable and the bound vanishes: it is regular
only where theta |r| sqrt(n) >> 1, theta the angle of r from +z.

Any dimension: :func:`ergotropy_bound` parametrises rho = 1/d + sum_i theta_i G_i / 2 by the
generalised Gell-Mann matrices (Tr G_i G_j = 2 delta_ij) and takes grad W by central
differences of :func:`qbhw.metrics.ergotropy` (extended to Hermitian matrices), with the
pseudo-inverse of F for rank-deficient states (pure states: the tangent directions only).
"""

from __future__ import annotations

import numpy as np

from ..metrics import ergotropy

__all__ = ["qubit_ergotropy_bound", "sld_fisher", "gell_mann", "ergotropy_bound"]


def qubit_ergotropy_bound(r, n: float, omega: float = 1.0) -> float:
    """Minimum variance of W from ``n`` single-copy measurements of the qubit with Bloch vector
    ``r`` (module doc); 0 at r = 0."""
    r = np.asarray(r, dtype=float)
    norm, z = float(np.linalg.norm(r)), float(r[2])
    if norm == 0.0:
        return 0.0
    return omega**2 / (4.0 * n) * (2.0 * (1.0 - z / norm) - (norm - z) ** 2)


def sld_fisher(rho: np.ndarray, derivatives, tol: float = 1e-12) -> np.ndarray:
    """SLD quantum Fisher information matrix of ``rho`` for the parameter derivatives
    ``derivatives`` (list of d rho / d theta_i), in rho's eigenbasis:
    F_ij = sum_{k,l: p_k + p_l > tol} 2 Re[(D_i)_kl (D_j)_lk] / (p_k + p_l)."""
    p, v = np.linalg.eigh(rho)
    p = np.clip(p, 0.0, None)
    s = p[:, None] + p[None, :]
    inv = np.where(s > tol, 2.0 / np.where(s > tol, s, 1.0), 0.0)
    d = [v.conj().T @ np.asarray(x) @ v for x in derivatives]
    return np.array([[float(np.real(np.sum(inv * di * dj.T))) for dj in d] for di in d])


def gell_mann(d: int) -> list[np.ndarray]:
    """The d^2 - 1 generalised Gell-Mann matrices (Hermitian, traceless, Tr G_i G_j = 2 delta_ij)."""
    out = []
    for j in range(d):
        for k in range(j + 1, d):
            s = np.zeros((d, d), complex)
            s[j, k] = s[k, j] = 1.0
            a = np.zeros((d, d), complex)
            a[j, k], a[k, j] = -1j, 1j
            out += [s, a]
    for m in range(1, d):
        diag = np.zeros(d)
        diag[:m], diag[m] = 1.0, -m
        out.append(np.diag(diag * np.sqrt(2.0 / (m * (m + 1)))).astype(complex))
    return out


def ergotropy_bound(rho, h, n: float, *, step: float = 1e-6) -> float:
    """Minimum variance of the ergotropy of ``rho`` (w.r.t. ``h``) from ``n`` single-copy
    measurements, any dimension (module doc)."""
    rho, h = np.asarray(rho, complex), np.asarray(h, complex)
    basis = [g / 2.0 for g in gell_mann(rho.shape[0])]  # d rho / d theta_i
    grad = np.array([(ergotropy(rho + step * g, h) - ergotropy(rho - step * g, h)) / (2 * step) for g in basis])
    fisher = sld_fisher(rho, basis)
    return float(grad @ np.linalg.pinv(fisher, rcond=1e-10, hermitian=True) @ grad) / n
