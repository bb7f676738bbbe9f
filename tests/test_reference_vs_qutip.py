"""reference.evolve against QuTiP mesolve on the charger-battery pairs (issue 2 acceptance).

The QuTiP models are written here from the lecture's equations (physics.md M1-M3), not from
qbhw.models: QuTiP order is tensor(charger, battery); only battery/charger reduced states and
energies are compared, which do not depend on the ordering.
"""

import numpy as np
import pytest
import qutip as qt

from qbhw.models import oscillator_pair, tls_oscillator, tls_pair
from qbhw.reference import evolve

TOL = 1e-7
QUTIP_OPTS = {"atol": 1e-13, "rtol": 1e-11, "nsteps": 10**7}


def lower(dim):
    return qt.destroy(dim)  # for dim 2 this is |0><1| = |g><e| = sigma^-


def qutip_pair(dc, db, g, F, gamma, wb, wc, wd, frame, counter_rotating=False):
    a_c = qt.tensor(lower(dc), qt.qeye(db))
    a_b = qt.tensor(qt.qeye(dc), lower(db))
    n_c, n_b = a_c.dag() * a_c, a_b.dag() * a_b
    if counter_rotating:
        coupling = g * (a_c + a_c.dag()) * (a_b + a_b.dag())
    else:
        coupling = g * (a_c.dag() * a_b + a_b.dag() * a_c)
    c_ops = [np.sqrt(gamma) * n_c]
    if frame == "lab":
        h0 = wc * n_c + wb * n_b + coupling
        H = [h0, [F * a_c.dag(), lambda t: np.exp(-1j * wd * t)], [F * a_c, lambda t: np.exp(1j * wd * t)]]
    else:
        H = (wc - wd) * n_c + (wb - wd) * n_b + coupling + F * (a_c + a_c.dag())
    rho0 = qt.tensor(qt.fock_dm(dc, 0), qt.fock_dm(db, 0))
    return H, rho0, c_ops, wb * qt.num(db), wc * qt.num(dc)


def compare(model, dc, db, frame, times, counter_rotating=False):
    p = model.params
    H, rho0, c_ops, hb, hc = qutip_pair(dc, db, p["g"], p["F"], p["gamma_c"], p["omega_b"], p["omega_c"],
                                        p["omega_d"], frame, counter_rotating)
    ref = qt.mesolve(H, rho0, times, c_ops, options=QUTIP_OPTS)
    rb = np.array([s.ptrace(1).full() for s in ref.states])
    rc = np.array([s.ptrace(0).full() for s in ref.states])
    ours = evolve(model, times, frame=frame)
    np.testing.assert_allclose(ours.battery_states, rb, atol=TOL)
    np.testing.assert_allclose(ours.charger_states, rc, atol=TOL)
    np.testing.assert_allclose(ours.battery_energy, np.einsum("tij,ji->t", rb, hb.full()).real, atol=TOL)
    np.testing.assert_allclose(ours.charger_energy, np.einsum("tij,ji->t", rc, hc.full()).real, atol=TOL)
    return ours


TIMES = np.linspace(0.0, 10.0, 101)


@pytest.mark.parametrize("frame", ["lab", "rotating"])
@pytest.mark.parametrize("F,gamma", [(0.5, 0.1), (0.5, 1.0), (10.0, 10.0), (0.1, 1.0)])
def test_tls_pair_resonant(frame, F, gamma):
    compare(tls_pair(1.0, F, gamma), 2, 2, frame, TIMES)


@pytest.mark.parametrize("frame", ["lab", "rotating"])
def test_tls_pair_detuned(frame):
    compare(tls_pair(0.7, 0.4, 0.3, omega_b=1.0, omega_c=1.15, omega_d=0.9), 2, 2, frame, TIMES)


@pytest.mark.parametrize("frame", ["lab", "rotating"])
def test_tls_oscillator(frame):
    # F/g = 3 as in the lecture's plot, weaker g so that n_max = 14 holds to t = 10
    compare(tls_oscillator(0.3, 0.9, 1.0, n_max=14), 2, 15, frame, TIMES)


@pytest.mark.parametrize("frame", ["lab", "rotating"])
def test_oscillator_pair(frame):
    # F/g = 0.1 as in the lecture; HO-HO with n_max = 5
    compare(oscillator_pair(1.0, 0.1, 1.0, n_max=5, omega_c=1.05, omega_d=0.98), 6, 6, frame, TIMES)


def test_counter_rotating_coupling_is_solved_time_dependently():
    model = tls_pair(0.3, 0.2, 0.5, counter_rotating=True)
    with pytest.raises(ValueError, match="frame='lab'"):
        evolve(model, TIMES, frame="rotating")
    ours = compare(model, 2, 2, "lab", TIMES, counter_rotating=True)
    assert "DOP853" in ours.method


def test_truncation_too_small_is_reported():
    from qbhw.reference import TruncationError

    with pytest.raises(TruncationError, match="n_max"):
        evolve(tls_oscillator(1.0, 3.0, 1.0, n_max=2), np.linspace(0, 10, 11))
