"""The charger-battery energy balance (qbhw.metrics.balance): an identity of the exact dynamics
checked on states evolved here by matrix exponentials, and its measured version through
run_experiment(tomography="battery+charger") against the exact states at the same times."""

import numpy as np
import pytest
from scipy.linalg import expm

from qbhw import run_experiment
from qbhw.metrics.balance import energy_balance, flow_operators
from qbhw.models import tls_pair
from qbhw.models.operators import embed_block
from qbhw.reference import evolve


def _operators(model):
    hc = embed_block(np.asarray(model.h_charger), model.charger, model.dims)
    hb = embed_block(np.asarray(model.h_battery), model.battery, model.dims)
    return hc, hb, flow_operators(model.rotating_frame(), np.asarray(model.h0), hc + hb,
                                  [(j.operator, j.rate) for j in model.jumps])


def test_a_driven_charger_alone_takes_all_the_drives_work():
    """g -> 0 (1e-9: the model needs a finite F/g), no dephasing: the charger Rabi-oscillates, E_C = sin^2(F t) (omega = 1), the
    battery stays empty, and the drive's integrated flow equals E_C up to the trapezoid's
    O(dt^2) error (halving dt quarters it)."""
    model = tls_pair(1e-9, 0.7, 0.0)
    hc, hb, flows = _operators(model)
    h, rho0 = model.rotating_frame(), np.asarray(model.rho0)
    residuals = []
    for num in (101, 201):
        times = np.linspace(0.0, 4.0, num)
        states = np.array([expm(-1j * h * t) @ rho0 @ expm(1j * h * t) for t in times])
        b = energy_balance(times, states, hc, hb, flows)
        assert np.allclose(b["charger_energy"], np.sin(0.7 * times) ** 2, atol=1e-8)
        assert np.abs(b["battery_energy"]).max() < 1e-12 and np.abs(b["work_coupling"]).max() < 1e-12
        residuals.append(np.abs(b["residual"]).max())
    assert residuals[0] < 2e-3 and 3.6 < residuals[0] / residuals[1] < 4.4


def test_resonant_exchange_and_charger_dephasing_move_no_energy():
    """TLS pair (F/g = 0.5, gamma_C = 1.41), exact Lindblad states: the exchange coupling and
    the dephasing carry no energy flow, so the drive's work is the whole charge."""
    model = tls_pair(1.0, 0.5, 1.41)
    hc, hb, flows = _operators(model)
    times = np.linspace(0.0, 10.0, 401)
    states = evolve(model, times, frame="rotating", full_state=True).states
    b = energy_balance(times, states, hc, hb, flows)
    assert np.abs(b["work_coupling"]).max() < 1e-12 and np.abs(b["work_bath"]).max() < 1e-12
    assert np.abs(b["residual"]).max() < 1e-4
    assert b["work_drive"][-1] == pytest.approx(b["charger_energy"][-1] + b["battery_energy"][-1], abs=1e-4)


@pytest.mark.slow
def test_measured_balance_holds_the_exact_states_balance():
    """6 runs x 11 times with the charger measured (9 bases of two qubits): the charger energy's
    95 % interval holds the exact one at >= 57 of 66 independent (time, run) points (false
    failure 0.55 %, binomial 66, 0.95), the last-time residual's at >= 4 of 6 runs (0.22 %),
    and E_B read from the joint state agrees with the exact E_B the same way."""
    model, times = tls_pair(1.0, 0.5, 1.41), np.linspace(0.0, 5.0, 11)
    exact = evolve(model, times, frame="rotating", full_state=True).states
    hc = embed_block(np.asarray(model.h_charger), model.charger, model.dims)
    hb = embed_block(np.asarray(model.h_battery), model.battery, model.dims)
    e_c = np.real(np.einsum("tij,ji->t", exact, hc))
    e_b = np.real(np.einsum("tij,ji->t", exact, hb))
    hits_c = hits_b = hits_r = 0
    for seed in range(6):
        r = run_experiment(model, times, tomography="battery+charger", realizations=20, shots=2000, seed=70 + seed,
                           accuracy=1e-3, bootstrap=100)
        bal = r.energy_balance
        ci = bal["charger_energy"]["ci95"]
        hits_c += int(np.sum((ci[:, 0] - 1e-12 <= e_c) & (e_c <= ci[:, 1] + 1e-12)))
        hits_b += int(np.sum((r.battery_energy_ci[:, 0] - 1e-12 <= e_b) & (e_b <= r.battery_energy_ci[:, 1] + 1e-12)))
        low, high = bal["residual"]["ci95"][-1]
        hits_r += int(low <= bal["residual"]["estimand"][-1] <= high)
    assert hits_c >= 57 and hits_b >= 57 and hits_r >= 4, (hits_c, hits_b, hits_r)
