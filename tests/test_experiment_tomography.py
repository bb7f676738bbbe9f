"""Linear-inversion tomography and physical projection (qbhw.tomography), checked against
Born-rule probabilities computed by qiskit's DensityMatrix and closed forms."""

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix
from random_states import random_density

from qbhw.tomography import linear_inversion, project_physical


def _born(rho: np.ndarray, basis: str) -> np.ndarray:
    """Outcome probabilities (qiskit: qubit 0 is bit 0) after rotating qubit i to basis[i]."""
    qc = QuantumCircuit(len(basis))
    for q, b in enumerate(basis):
        if b == "X":
            qc.h(q)
        elif b == "Y":
            qc.sdg(q)
            qc.h(q)
    return DensityMatrix(rho).evolve(qc).probabilities()


@pytest.mark.parametrize("k", [1, 2])
def test_exact_probabilities_invert_to_the_states(k):
    rng = np.random.default_rng(4)
    states = np.array([random_density(rng, 2 ** k) for _ in range(5)])
    bases = ["".join(b) for b in itertools.product("XYZ", repeat=k)]
    counts = {b: np.array([_born(r, b) for r in states]) for b in bases}
    assert np.allclose(linear_inversion(counts), states, atol=1e-12)


def test_outcome_bit_i_is_measured_qubit_i():
    """|e> on measured qubit 0, |g> on qubit 1 (qiskit index 1) is recovered as such."""
    rho = np.diag([0.0, 1.0, 0.0, 0.0]).astype(complex)
    counts = {b: 1000 * _born(rho, b) for b in ("".join(p) for p in itertools.product("XYZ", repeat=2))}
    assert counts["ZZ"][1] == pytest.approx(1000)
    assert np.allclose(linear_inversion(counts), rho, atol=1e-12)


def test_projection_closed_forms():
    rho = np.diag([0.7, 0.5, -0.2]).astype(complex)
    assert np.allclose(project_physical(rho), np.diag([0.6, 0.4, 0.0]))
    u = np.linalg.qr(np.array([[1, 2j], [3, 4]]))[0]
    tilted = u @ np.diag([1.2, -0.2]) @ u.conj().T
    assert np.allclose(project_physical(tilted), u @ np.diag([1.0, 0.0]) @ u.conj().T)
    good = random_density(np.random.default_rng(1), 4)
    assert np.allclose(project_physical(np.array([good, good])), good)


def test_projection_of_noisy_estimates_is_physical_and_closer():
    rng = np.random.default_rng(2)
    truth = np.array([random_density(rng, 4, rank=1) for _ in range(20)])
    noise = rng.normal(size=truth.shape) * 0.05
    noise = (noise + np.swapaxes(noise, -1, -2)) / 2
    noise -= np.eye(4) * np.trace(noise, axis1=-2, axis2=-1)[:, None, None] / 4
    proj = project_physical(truth + noise)
    assert np.all(np.linalg.eigvalsh(proj) > -1e-12)
    assert np.allclose(np.trace(proj, axis1=-2, axis2=-1), 1.0)
    assert np.all(np.linalg.norm(proj - truth, axis=(-2, -1)) <= np.linalg.norm(noise, axis=(-2, -1)) + 1e-12)


def test_incomplete_bases_raise():
    with pytest.raises(ValueError, match="incomplete"):
        linear_inversion({"X": np.array([1, 1]), "Z": np.array([1, 1])})
