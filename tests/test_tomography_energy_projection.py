"""The physical state with a given energy (the analysis' one state for E_B and ergotropy),
checked against a brute-force constrained minimisation (scipy SLSQP over rho = A A^dag / tr)."""

import numpy as np
import pytest
from scipy.optimize import minimize

from qbhw.metrics import energy, ergotropy
from qbhw.tomography import project_physical_with_energy


def _noisy_state(rng, d, noise=0.15):
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    b = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return rho + noise * (b + b.conj().T) / 2


def _brute_force(rho, h, e, rng, starts=3):
    d = rho.shape[0]

    def state(x):
        a = (x[: d * d] + 1j * x[d * d:]).reshape(d, d)
        s = a @ a.conj().T
        return s / np.trace(s).real

    best = None
    for _ in range(starts):
        res = minimize(lambda x: np.linalg.norm(state(x) - rho) ** 2, rng.normal(size=2 * d * d), method="SLSQP",
                       constraints=[{"type": "eq", "fun": lambda x: np.trace(h @ state(x)).real - e}],
                       options={"maxiter": 500, "ftol": 1e-12})
        if res.success and (best is None or res.fun < best):
            best = res.fun
    return best


@pytest.mark.parametrize("d", [2, 4])
def test_nearest_state_with_the_energy_matches_brute_force(d):
    rng = np.random.default_rng(d)
    h = np.diag(np.sort(rng.random(d)))
    h -= h[0, 0] * np.eye(d)
    for _ in range(3):
        rho = _noisy_state(rng, d)
        e = rng.uniform(0.1, 0.9) * h[-1, -1]
        s = project_physical_with_energy(rho, h, e)
        assert abs(energy(s, h) - e) < 1e-9
        assert np.linalg.eigvalsh(s).min() > -1e-12 and abs(np.trace(s) - 1) < 1e-12
        ours, brute = np.linalg.norm(s - rho) ** 2, _brute_force(rho, h, e, rng)
        assert ours <= brute + 1e-6, (ours, brute)  # no physical state with that energy is nearer


def test_energy_outside_the_spectrum_is_clipped_and_the_pair_is_consistent():
    rng = np.random.default_rng(7)
    h = np.diag([0.0, 1.0, 1.0, 2.0])  # two qubits, degenerate middle level
    rho = np.array([_noisy_state(rng, 4, 0.3) for _ in range(20)])
    e = np.linspace(-0.5, 2.5, 20)
    s = project_physical_with_energy(rho, h, e)
    np.testing.assert_allclose(energy(s, h), np.clip(e, 0, 2), atol=1e-9)
    w = ergotropy(s, h)
    assert np.all(w >= 0) and np.all(w <= energy(s, h) + 1e-12)
    assert np.allclose(w[e <= 0], 0) and np.allclose(s[0], np.diag([1.0, 0, 0, 0]), atol=1e-12)


def test_a_physical_state_with_its_own_energy_is_kept():
    rng = np.random.default_rng(3)
    rho = _noisy_state(rng, 4, noise=0.0)
    h = np.diag([0.0, 1.0, 1.0, 2.0])
    np.testing.assert_allclose(project_physical_with_energy(rho, h, energy(rho, h)), rho, atol=1e-9)
