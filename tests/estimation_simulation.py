"""Simulated repetitions of the qubit ergotropy estimators (shared by
tests/test_estimation.py at reduced size and benchmarks/acceptance_adaptive_qcrb.py at full size):
shots are drawn from the exact outcome probabilities (1 + b.r)/2 of each setting b."""

import numpy as np

from qbhw.estimation.adaptive import PAULI_AXES, optimal_axis, qubit_ergotropy, stage_shots, two_stage_ergotropy
from qbhw.estimation.bound import qubit_ergotropy_bound


def counts(r, axis, shots: int, rng) -> np.ndarray:
    n0 = rng.binomial(shots, (1.0 + float(np.dot(axis, r))) / 2.0)
    return np.array([n0, shots - n0])


def adaptive_estimate(r, n: int, rng) -> float:
    per_basis, rest = stage_shots(n)
    one = np.array([counts(r, b, per_basis, rng) for b in PAULI_AXES])
    u = optimal_axis((one[:, 0] - one[:, 1]) / per_basis)
    return two_stage_ergotropy(one, u, counts(r, u, rest, rng))[0]


def pauli_estimate(r, n: int, rng) -> float:
    """Equal-shot Pauli tomography, linear inversion, no projection."""
    m = np.array([(lambda c: (c[0] - c[1]) / c.sum())(counts(r, b, n // 3, rng)) for b in PAULI_AXES])
    return qubit_ergotropy(m)


def bloch(norm: float, theta: float) -> np.ndarray:
    """Bloch vector of length ``norm`` at angle ``theta`` from the passive direction +z."""
    return norm * np.array([np.sin(theta), 0.0, np.cos(theta)])


def rmse_over_bound(r, n: int, repetitions: int, rng) -> tuple[float, float]:
    """(adaptive, equal-shot Pauli) RMSE of W over sqrt(QCRB) at ``n`` shots."""
    w, bound = qubit_ergotropy(r), np.sqrt(qubit_ergotropy_bound(r, n))
    a = np.array([adaptive_estimate(r, n, rng) for _ in range(repetitions)])
    p = np.array([pauli_estimate(r, n, rng) for _ in range(repetitions)])
    return float(np.sqrt(np.mean((a - w) ** 2)) / bound), float(np.sqrt(np.mean((p - w) ** 2)) / bound)
