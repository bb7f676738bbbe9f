"""MLE, physical projection, readout mitigation and bootstrap against closed forms and
brute force (no QuTiP)."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from qbhw.metrics import ergotropy
from qbhw.tomography.bootstrap import bootstrap
from qbhw.tomography.mitigation import assignment_from_counts, assignment_matrix, mitigate_data
from qbhw.tomography.linear import linear_inversion, project_physical
from qbhw.tomography.mle import fit_mle, probabilities

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1.0, -1.0])}


def _random_state(rng, d, rank=None):
    g = rng.normal(size=(d, rank or d)) + 1j * rng.normal(size=(d, rank or d))
    r = g @ g.conj().T
    return r / np.trace(r).real


def _labels(k):
    return ["".join(p) for p in itertools.product("XYZ", repeat=k)]


def _exact_data(rho, k, total=1.0, assignments=None):
    data = {}
    for lab in _labels(k):
        p = probabilities(rho, lab)
        if assignments is not None:
            full = np.ones((1, 1))
            for a in assignments:
                full = np.kron(a, full)
            p = full @ p
        data[lab] = p * total
    return data


def _pauli_expectation(data, paulis):
    """<P> for a Pauli string (char i on measured qubit i, 'I' allowed): parity of the outcomes,
    averaged over every basis that measures its non-identity factors."""
    k = len(paulis)
    signs = [(-1) ** sum((o >> i) & 1 for i in range(k) if paulis[i] != "I") for o in range(2**k)]
    values = [
        np.dot(signs, np.asarray(c, float)) / np.sum(c)
        for lab, c in data.items()
        if all(p in ("I", b) for p, b in zip(paulis, lab))
    ]
    return float(np.mean(values))


def _pauli_expansion(data, k):
    """Independent linear inversion: rho = sum_P <P> P / d, P with qubit 0 rightmost."""
    d = 2**k
    rho = np.zeros((d, d), dtype=complex)
    for paulis in itertools.product("IXYZ", repeat=k):
        m = np.ones((1, 1))
        for p in paulis:  # qubit i -> factor i from the right
            m = np.kron(PAULI[p], m)
        rho += _pauli_expectation(data, paulis) * m / d
    return rho


def test_linear_inversion_matches_pauli_expansion_and_qiskit_order():
    rng = np.random.default_rng(1)
    rho = _random_state(rng, 4)
    data = {lab: rng.multinomial(500, np.clip(p, 0, None) / np.clip(p, 0, None).sum()) for lab, p in _exact_data(rho, 2).items()}
    assert np.allclose(linear_inversion(data), _pauli_expansion(data, 2), atol=1e-12)
    # |0> on measured qubit 0, |1> on qubit 1 is Qiskit basis index 0b10 = 2 and reads bit 1
    ket = np.diag([0, 0, 1, 0]).astype(complex)
    assert probabilities(ket, "ZZ")[2] == pytest.approx(1.0)
    assert np.allclose(fit_mle({lab: probabilities(ket, lab) * 1e3 for lab in _labels(2)}), ket, atol=2e-3)


@pytest.mark.parametrize("k", [1, 2])
def test_mle_recovers_exact_states(k):
    rng = np.random.default_rng(k)
    rho = _random_state(rng, 2**k)
    assert np.abs(fit_mle(_exact_data(rho, k, 1e4)) - rho).max() < 1e-3
    psi = rng.normal(size=2**k) + 1j * rng.normal(size=2**k)
    psi /= np.linalg.norm(psi)
    est = fit_mle(_exact_data(np.outer(psi, psi.conj()), k, 1e4))
    assert np.real(psi.conj() @ est @ psi) > 0.998


def _loglik(rho, data):
    return sum(np.dot(np.asarray(c, float), np.log(np.clip(probabilities(rho, lab), 1e-300, None))) for lab, c in data.items())


def test_mle_beats_brute_force_and_is_physical():
    rng = np.random.default_rng(5)
    psi = np.array([1, 1j]) / np.sqrt(2)
    rho = 0.98 * np.outer(psi, psi.conj()) + 0.01 * np.eye(2)
    data = {lab: rng.multinomial(60, np.clip(p, 0, None)) for lab, p in _exact_data(rho, 1).items()}
    est = fit_mle(data)
    assert np.linalg.eigvalsh(est).min() > -1e-12 and np.trace(est).real == pytest.approx(1)

    def neg(x):  # Bloch ball brute force
        r = x / max(1.0, np.linalg.norm(x))
        return -_loglik((np.eye(2) + r[0] * PAULI["X"] + r[1] * PAULI["Y"] + r[2] * PAULI["Z"]) / 2, data)

    best = min((minimize(neg, x0, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000})
                for x0 in rng.normal(size=(6, 3)) * 0.5), key=lambda r: r.fun)
    assert _loglik(est, data) >= -best.fun - 1e-4


def test_projection_is_the_nearest_state():
    rng = np.random.default_rng(3)
    # closed form: eigenvalues (1.2, -0.2) -> (1, 0) in the same eigenbasis
    u = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))[0]
    rho = u @ np.diag([1.2, -0.2]) @ u.conj().T
    assert np.allclose(project_physical(rho), u @ np.diag([1.0, 0.0]) @ u.conj().T)
    for _ in range(3):
        h = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
        h = (h + h.conj().T) / 4
        h += (1 - np.trace(h).real) / 4 * np.eye(4)
        proj = project_physical(h)
        assert np.linalg.eigvalsh(proj).min() > -1e-12 and np.trace(proj).real == pytest.approx(1)

        def dist(x):
            a = (x[:16] + 1j * x[16:]).reshape(4, 4)
            s = a @ a.conj().T
            return np.linalg.norm(h - s / np.trace(s).real)

        brute = min(minimize(dist, rng.normal(size=32), method="BFGS").fun for _ in range(4))
        assert np.linalg.norm(h - proj) <= brute + 1e-6


def test_readout_mitigation_recovers_expectation_values():
    plus_one = np.kron(np.array([[0, 0], [0, 1]]), np.full((2, 2), 0.5)).astype(complex)  # q0 |+>, q1 |1>
    a = (assignment_matrix(0.02, 0.08), assignment_matrix(0.01, 0.05))
    noisy = _exact_data(plus_one, 2, 1.0, a)
    assert _pauli_expectation(noisy, "XI") == pytest.approx(0.96)  # 1 - 2 P(1|0): readout error visible
    fixed = mitigate_data(noisy, a)
    assert _pauli_expectation(fixed, "XI") == pytest.approx(1.0)
    assert _pauli_expectation(fixed, "IZ") == pytest.approx(-1.0)
    assert _pauli_expectation(fixed, "XZ") == pytest.approx(-1.0)
    est = fit_mle({k: v * 1e4 for k, v in noisy.items()}, assignments=a)
    assert np.real(np.trace(est @ plus_one)) > 0.998
    assert np.allclose(assignment_from_counts([980, 20], [80, 920]), assignment_matrix(0.02, 0.08))
    with pytest.raises(ValueError, match="prob_meas1_prep0"):
        assignment_matrix(0.7, 0.1)


def test_bootstrap_ergotropy_bias():
    """(Coverage of the intervals the pipeline reports is tested through qbhw.analysis.analyse in
    tests/test_interval_coverage.py; this side function's 40-seed coverage check could not fail.)"""
    h = np.diag([0.0, 1.0])
    # near a passive state the ergotropy estimate is biased upwards (convex, clipped at 0)
    passive = np.diag([0.7, 0.3])
    rng = np.random.default_rng(9)
    data = {lab: rng.multinomial(300, np.clip(p, 0, None)) for lab, p in _exact_data(passive, 1).items()}
    res = bootstrap(data, lambda r: ergotropy(r, h), n_resamples=200, seed=1)
    assert ergotropy(passive, h) == pytest.approx(0.0, abs=1e-12)
    assert res.mean > 0 and res.bias > 0 and res.low >= 0
    again = bootstrap(data, lambda r: ergotropy(r, h), n_resamples=200, seed=1)
    assert np.array_equal(res.samples, again.samples)
