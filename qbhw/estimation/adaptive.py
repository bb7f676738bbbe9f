"""Two-stage adaptive estimation of a qubit battery's ergotropy (conventions of :mod:`.bound`).

Stage 1 spends STAGE_ONE_FRACTION of the n shots on the Pauli bases X, Y, Z (equal thirds)
and estimates the Bloch vector r1.  Stage 2 measures sigma . u with the rest, along the axis
the bound says is optimal, u = grad W(r1) / |grad W(r1)| = (r1_hat - z_hat) / |r1_hat - z_hat|
(the axis between the state's direction and the charged state |1>).  The estimate is
W(r_hat) of the Bloch vector fitted to all four settings by weighted least squares (weights
1 / Var of each setting's mean, Var = (1 - (b . r1)^2) / N_b).  To first order its variance is
the QCRB over (1 - STAGE_ONE_FRACTION); the stage-1 error of the directions that W depends on
only at second order (curvature 1/|r| perpendicular to r) adds ~ 9 / (f^2 n |r|^2 theta^2)
relative to the bound, theta the angle from the passive direction +z: the estimator is
efficient where theta |r| sqrt(n) >> 1/f (benchmarks/acceptance_adaptive_qcrb.py measures it).
No physical projection: |r_hat| may exceed 1 by the noise (the projection biases W near pure
states, qbhw.analysis).

Outcome convention: a setting b's counts are (n0, n1) of the +1 / -1 eigenvalues of sigma . b
(on a device: rotate b to z, measure, outcome 0 = +1); its mean is (n0 - n1) / (n0 + n1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STAGE_ONE_FRACTION", "PAULI_AXES", "stage_shots", "optimal_axis", "fit_bloch", "qubit_ergotropy",
           "two_stage_ergotropy"]

#: fraction of the shots spent on the stage-1 Pauli estimate (measured best of 0.05-0.3 at n = 1e5)
STAGE_ONE_FRACTION = 0.2
PAULI_AXES = np.eye(3)
_Z = PAULI_AXES[2]


def stage_shots(n: int, fraction: float = STAGE_ONE_FRACTION) -> tuple[int, int]:
    """(shots per Pauli basis in stage 1, shots along the optimal axis in stage 2) of n in all."""
    per_basis = max(1, int(fraction * n) // 3)
    return per_basis, int(n) - 3 * per_basis


def qubit_ergotropy(r, omega: float = 1.0) -> float:
    """W = (omega / 2)(|r| - z) of the Bloch vector ``r`` (also outside the ball)."""
    r = np.asarray(r, dtype=float)
    return 0.5 * omega * (float(np.linalg.norm(r)) - float(r[2]))


def optimal_axis(r) -> np.ndarray:
    """u = (r_hat - z_hat) / |r_hat - z_hat| (module doc); x at r = 0 or along +z, where every
    direction perpendicular to z is equally good."""
    r = np.asarray(r, dtype=float)
    norm = np.linalg.norm(r)
    g = r / norm - _Z if norm > 0 else np.zeros(3)
    size = np.linalg.norm(g)
    return g / size if size > 1e-12 else PAULI_AXES[0].copy()


def _means(counts) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(counts, dtype=float)
    c = c.reshape(c.shape[:-1] + (-1, 2)) if c.shape[-1] != 2 else c
    total = c.sum(axis=-1)
    return (c[..., 0] - c[..., 1]) / total, total


def fit_bloch(axes, counts, prior) -> np.ndarray:
    """Weighted least-squares Bloch vector from settings ``axes`` (k, 3) with ``counts``
    (..., k, 2) (leading axes: e.g. bootstrap resamples), each setting weighted by
    N_b / (1 - (b . prior)^2) (floored at 1e-4, so a deterministic setting does not get
    infinite weight); ``prior`` (..., 3), shrunk into the Bloch ball."""
    b = np.asarray(axes, dtype=float)
    m, total = _means(counts)
    p = np.asarray(prior, dtype=float)
    p = p / np.maximum(1.0, np.linalg.norm(p, axis=-1, keepdims=True))
    w = total / np.clip(1.0 - (p @ b.T) ** 2, 1e-4, None)  # (..., k)
    normal = np.einsum("...k,ki,kj->...ij", w, b, b)
    return np.linalg.solve(normal, np.einsum("...k,ki->...i", w * m, b)[..., None])[..., 0]


def two_stage_ergotropy(stage_one, axis, stage_two, omega: float = 1.0) -> tuple[float, np.ndarray]:
    """(W, fitted Bloch vector) from stage-1 counts (3, 2) in X, Y, Z, the stage-2 ``axis`` (the
    :func:`optimal_axis` of the stage-1 estimate) and its counts (2,)."""
    r1, _ = _means(stage_one)
    axes = np.vstack([PAULI_AXES, np.asarray(axis, dtype=float)])
    r = fit_bloch(axes, np.vstack([np.asarray(stage_one), np.asarray(stage_two).reshape(1, 2)]), r1)
    return qubit_ergotropy(r, omega), r
