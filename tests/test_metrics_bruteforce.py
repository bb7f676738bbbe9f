"""Ergotropy by sorting vs brute-force numerical minimisation over unitaries.

Reference: E(rho) - min_U Tr[h U rho U^dagger] with U = expm(iK), K Hermitian
(d^2 real parameters), minimised with scipy BFGS from several random starts; the
best value is kept.  Nothing here uses the sorting formula.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from qbhw.metrics import ergotropy, incoherent_ergotropy, passive_state
from random_states import random_density, random_hermitian, random_unitary

N_SEEDS = 24
N_RESTARTS = 4


def hermitian_from_params(x, d):
    k = np.zeros((d, d), dtype=complex)
    k[np.diag_indices(d)] = x[:d]
    iu = np.triu_indices(d, 1)
    m = len(iu[0])
    k[iu] = x[d : d + m] + 1j * x[d + m :]
    return k + np.triu(k, 1).conj().T


def brute_force_min_energy(rho, h, rng):
    d = rho.shape[0]

    def f(x):
        # U = expm(iK) via the eigendecomposition of the Hermitian K (faster than expm)
        w, v = np.linalg.eigh(hermitian_from_params(x, d))
        u = (v * np.exp(1j * w)) @ v.conj().T
        return np.real(np.trace(h @ u @ rho @ u.conj().T))

    best = np.inf
    for _ in range(N_RESTARTS):
        x0 = rng.uniform(-np.pi, np.pi, size=d * d)
        res = minimize(f, x0, method="BFGS", options={"gtol": 1e-10})
        best = min(best, res.fun)
    return best


def brute_force_ergotropy(rho, h, rng):
    return np.real(np.trace(h @ rho)) - brute_force_min_energy(rho, h, rng)


@pytest.mark.parametrize("d", [2, 3])
def test_sorting_matches_unitary_minimisation(d):
    rng = np.random.default_rng(1000 + d)
    for seed in range(N_SEEDS):
        rho = random_density(rng, d)
        # alternate diagonal and random non-diagonal Hermitian Hamiltonians
        h = np.diag(np.sort(rng.normal(size=d))) if seed % 2 == 0 else random_hermitian(rng, d)
        ref = brute_force_ergotropy(rho, h, rng)
        assert ergotropy(rho, h) == pytest.approx(ref, abs=1e-6), (d, seed)
        # the passive state reaches the minimum energy and has rho's spectrum
        sig = passive_state(rho, h)
        assert np.real(np.trace(h @ sig)) == pytest.approx(np.real(np.trace(h @ rho)) - ref, abs=1e-6)
        np.testing.assert_allclose(np.linalg.eigvalsh(sig), np.linalg.eigvalsh(rho), atol=1e-12)


def test_sorting_matches_unitary_minimisation_degenerate_h():
    rng = np.random.default_rng(7)
    v = random_unitary(rng, 3)
    h = v @ np.diag([-0.3, 1.2, 1.2]) @ v.conj().T  # doubly degenerate excited level
    for _ in range(6):
        rho = random_density(rng, 3)
        ref = brute_force_ergotropy(rho, h, rng)
        assert ergotropy(rho, h) == pytest.approx(ref, abs=1e-6)


def test_incoherent_ergotropy_matches_minimisation_over_dephased_state():
    # Reference: brute-force ergotropy of the fully dephased state (non-degenerate h).
    rng = np.random.default_rng(11)
    for _ in range(6):
        v = random_unitary(rng, 3)
        eps = np.sort(rng.normal(size=3))
        h = v @ np.diag(eps) @ v.conj().T
        rho = random_density(rng, 3)
        rho_e = v.conj().T @ rho @ v
        dephased = v @ np.diag(np.diag(rho_e)) @ v.conj().T
        ref = brute_force_ergotropy(dephased, h, rng)
        assert incoherent_ergotropy(rho, h) == pytest.approx(ref, abs=1e-6)
