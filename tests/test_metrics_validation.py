"""Bad input raises ValueError naming the argument and what is allowed."""

import math

import numpy as np
import pytest

import qbhw.metrics as m

RHO = np.diag([0.7, 0.3])
H = np.diag([0.0, 1.0])
NON_HERM = np.array([[0.0, 1.0], [0.0, 1.0]])
T = np.linspace(0, 1, 5)
E = 1 - np.exp(-T)

STATE_FUNCS = [
    m.energy,
    m.passive_state,
    m.ergotropy,
    m.incoherent_ergotropy,
    m.coherent_ergotropy,
    m.equal_entropy_beta,
    m.gibbs_bound,
    m.energy_variance,
    m.energy_fluctuation,
    lambda rho, h: m.n_copy_ergotropy(rho, h, 3),
]


@pytest.mark.parametrize("f", STATE_FUNCS)
def test_state_functions_reject_bad_input(f):
    with pytest.raises(ValueError, match=r"h must be Hermitian"):
        f(RHO, NON_HERM)
    with pytest.raises(ValueError, match=r"rho must be Hermitian"):
        f(NON_HERM / 2, H)
    with pytest.raises(ValueError, match=r"rho must be a non-empty (square 2-D array|array of square matrices)"):
        f(np.ones((2, 3)) / 6, H)
    with pytest.raises(ValueError, match=r"h must be a non-empty square 2-D array"):
        f(RHO, np.ones(2))
    with pytest.raises(ValueError, match=r"rho has shape \(3, 3\) but h has shape \(2, 2\)"):
        f(np.eye(3) / 3, H)
    with pytest.raises(ValueError, match=r"rho must contain only finite values"):
        f(np.diag([np.nan, 0.5]), H)
    with pytest.raises(ValueError, match=r"h must contain only finite values"):
        f(RHO, np.diag([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"rho must be a .*array of numbers"):
        f(np.array([["a", "b"], ["c", "d"]]), H)


def test_hermiticity_tolerance_is_relative():
    # 1e-12 relative asymmetry is accepted, 1e-8 is not, at any overall scale
    for scale in (1e-6, 1.0, 1e6):
        ok = scale * np.array([[0.0, 1.0 + 1e-12], [1.0, 2.0]])
        bad = scale * np.array([[0.0, 1.0 + 1e-8], [1.0, 2.0]])
        m.ergotropy(RHO, ok)
        with pytest.raises(ValueError, match="h must be Hermitian"):
            m.ergotropy(RHO, bad)


@pytest.mark.parametrize(
    "f", [m.equal_entropy_beta, m.gibbs_bound, lambda rho, h: m.n_copy_ergotropy(rho, h, 2)]
)
def test_density_matrix_required(f):
    with pytest.raises(ValueError, match=r"rho must be a density matrix"):
        f(2 * RHO, H)
    with pytest.raises(ValueError, match=r"rho must be a density matrix"):
        f(np.diag([1.2, -0.2]), H)


@pytest.mark.parametrize("n", [0, -1, 1.5, "2", math.nan, True])
def test_n_copy_rejects_bad_n(n):
    with pytest.raises(ValueError, match=r"n must be a positive integer"):
        m.n_copy_ergotropy(RHO, H, n)


def test_n_copy_rejects_too_many_compositions():
    with pytest.raises(ValueError, match=r"n = .* is too large for d = 8"):
        m.n_copy_ergotropy(np.eye(8) / 8, np.diag(np.arange(8.0)), 1000)


def test_passive_energy_bad_input():
    with pytest.raises(ValueError, match=r"populations has 3 entries but energies only 2"):
        m.passive_energy([0.5, 0.3, 0.2], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"populations has 3 entries but the levels"):
        m.passive_energy([0.5, 0.3, 0.2], [0.0, 1.0], [1, 1])
    with pytest.raises(ValueError, match=r"multiplicities must be .*non-negative integers"):
        m.passive_energy([0.5], [0.0, 1.0], [1, -1])
    with pytest.raises(ValueError, match=r"multiplicities must be finite non-negative integers"):
        m.passive_energy([0.5], [0.0, 1.0], [1, 1.5])
    with pytest.raises(ValueError, match=r"multiplicities must be a 1-D sequence with one entry per energy"):
        m.passive_energy([0.5], [0.0, 1.0], [1])
    with pytest.raises(ValueError, match=r"populations must contain only finite values"):
        m.passive_energy([np.nan], [0.0])
    with pytest.raises(ValueError, match=r"energies must be a 1-D array"):
        m.passive_energy([1.0], [[0.0]])


SERIES_FUNCS = [
    m.instantaneous_power,
    m.average_power,
    m.max_average_power,
    m.charging_time,
]


@pytest.mark.parametrize("f", SERIES_FUNCS)
def test_time_series_bad_input(f):
    with pytest.raises(ValueError, match=r"times must be strictly increasing"):
        f([0.0, 1.0, 1.0, 2.0], [0.0, 0.5, 0.7, 1.0])
    with pytest.raises(ValueError, match=r"times must be strictly increasing"):
        f([0.0, 2.0, 1.0], [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"times and energy must have the same length \(got 5 and 4\)"):
        f(T, E[:4])
    with pytest.raises(ValueError, match=r"times must contain only finite values"):
        f([0.0, np.nan, 1.0], [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"energy must contain only finite values"):
        f(T, np.where(T > 0.5, np.inf, E))
    with pytest.raises(ValueError, match=r"energy must be real"):
        f(T, E + 1j)
    with pytest.raises(ValueError, match=r"times must have at least 2 entries"):
        f([0.0], [1.0])
    with pytest.raises(ValueError, match=r"times must be a 1-D array"):
        f(T[:, None], E)


@pytest.mark.parametrize("n", [0, -1.0, math.inf, math.nan, "1"])
def test_charging_time_rejects_bad_n(n):
    with pytest.raises(ValueError, match=r"n must be a .*> 0"):
        m.charging_time(T, E, n=n)


def test_charging_time_rejects_flat_curve():
    with pytest.raises(ValueError, match=r"e_inf must differ from energy\[0\]"):
        m.charging_time(T, np.ones(5))
    with pytest.raises(ValueError, match=r"e_inf must differ from energy\[0\]"):
        m.charging_time(T, E, e_inf=0.0)
    with pytest.raises(ValueError, match=r"e_inf must contain only finite values"):
        m.charging_time(T, E, e_inf=math.nan)


def test_speed_limit_bad_input():
    psi = np.diag([1.0, 0.0])
    states = np.array([psi] * 5)
    with pytest.raises(ValueError, match=r"sigma must be Hermitian"):
        m.bures_angle(psi, NON_HERM)
    with pytest.raises(ValueError, match=r"rho has shape \(2, 2\) but sigma has shape \(3, 3\)"):
        m.bures_angle(psi, np.eye(3) / 3)
    with pytest.raises(ValueError, match=r"sigma must be a density matrix"):
        m.bures_angle(psi, np.eye(2))
    with pytest.raises(ValueError, match=r"rho_final has shape"):
        m.quantum_speed_limit_time(psi, np.eye(3) / 3, T, states, H)
    with pytest.raises(ValueError, match=r"states must have shape \(len\(times\), d, d\)"):
        m.quantum_speed_limit_time(psi, psi, T, states[:4], H)
    with pytest.raises(ValueError, match=r"hamiltonian must have shape"):
        m.quantum_speed_limit_time(psi, psi, T, states, np.eye(3))
    with pytest.raises(ValueError, match=r"hamiltonian must be Hermitian"):
        m.quantum_speed_limit_time(psi, psi, T, states, NON_HERM)
    with pytest.raises(ValueError, match=r"hamiltonian\[0\] must be Hermitian"):
        m.quantum_speed_limit_time(psi, psi, T, states, np.array([NON_HERM] * 5))
    with pytest.raises(ValueError, match=r"times must be strictly increasing"):
        m.quantum_speed_limit_time(psi, psi, T[::-1], states, H)
    with pytest.raises(ValueError, match=r"states must contain only finite values"):
        m.quantum_speed_limit_time(psi, psi, T, states * np.nan, H)
