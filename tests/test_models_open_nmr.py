"""The NMR star with its re-energising cycle (issue 14; physics.md section 3 and R63): exact
reference against the closed form and against QuTiP evolved piecewise here, then circuits
(the chargers re-inverted by reset + X at a step boundary) on ideal Aer at 3 times."""

import math

import numpy as np
import pytest
import qutip as qt
from qiskit.quantum_info import DensityMatrix, partial_trace

from qbhw import execute
from qbhw.analysis import analyse
from qbhw.models import nmr_star
from qbhw.models.registry import build
from qbhw.reference import evolve
from qbhw.routing import CompileOptions, compile_model

J, DELAY = 1.0, 1.3


def _closed_form(n, times, delay=DELAY):
    """P_B = sin^2(sqrt(N) J t / 2) until the delay; after the re-inversion the |1>|1..1> part
    is dark and the |0> part charges again: P_B = 1 - (1 - P_B(delay)) cos^2(sqrt(N) J (t - delay) / 2).
    rho_B stays diagonal, so the ergotropy is max(0, 2 P_B - 1) (omega = 1)."""
    t = np.asarray(times, dtype=float)
    w = math.sqrt(n) * J / 2
    p = np.where(t <= delay, np.sin(w * t) ** 2, 1 - np.cos(w * delay) ** 2 * np.cos(w * (t - delay)) ** 2)
    return p, np.maximum(0.0, 2 * p - 1)


@pytest.mark.parametrize("n", [2, 3])
def test_nmr_reference_is_the_closed_form(n):
    times = np.linspace(0.0, 5.0, 11)
    r = evolve(nmr_star(n, J, DELAY), times)
    e, w = _closed_form(n, times)
    np.testing.assert_allclose(r.battery_energy, e, atol=1e-9)
    np.testing.assert_allclose(r.battery_ergotropy, w, atol=1e-9)
    after = times > DELAY  # the chargers were re-inverted: their energy jumped back towards N
    assert r.charger_energy[after][0] > r.charger_energy[~after][-1]


def _qutip_star(n, times, delay, gamma_c, gamma_b):
    """E_B by QuTiP, built here: spin 0 = battery (QuTiP lists it last), flip-flop J/2, T1 at
    infinite temperature (sigma^-, sigma^+ at gamma/2 each); at the delay the chargers are
    traced out (ptrace keeps the battery) and replaced by |1...1>."""
    m = n + 1
    op = lambda o, k: qt.tensor(*[o if j == m - 1 - k else qt.qeye(2) for j in range(m)])
    sm = qt.destroy(2)
    h = sum(op(qt.num(2), k) for k in range(m))
    h += (J / 2) * sum(op(sm.dag(), 0) * op(sm, k) + op(sm, 0) * op(sm.dag(), k) for k in range(1, m))
    rates = [gamma_b] + [gamma_c] * n
    c_ops = [np.sqrt(r / 2) * op(o, k) for k, r in enumerate(rates) if r for o in (sm, sm.dag())]
    chargers = [qt.fock_dm(2, 1)] * n
    rho = qt.tensor(*chargers, qt.fock_dm(2, 0))
    opts = {"atol": 1e-11, "rtol": 1e-9}
    before, after = times[times <= delay], times[times > delay]
    first = qt.mesolve(h, rho, np.r_[0.0, before, delay], c_ops, options=opts).states
    recharged = qt.tensor(*chargers, first[-1].ptrace(m - 1))
    second = qt.mesolve(h, recharged, np.r_[0.0, after - delay], c_ops, options=opts).states[1:]
    e_b = op(qt.num(2), 0)
    return np.array([qt.expect(e_b, s) for s in first[1:-1] + second])


def test_nmr_reference_with_relaxation_equals_qutip():
    times = np.array([0.0, 0.7, 1.3, 2.0, 3.5])  # 1.3: the delay itself, before the re-inversion
    model = nmr_star(2, J, DELAY, gamma_charger=0.3, gamma_battery=0.05)
    np.testing.assert_allclose(evolve(model, times).battery_energy, _qutip_star(2, times, DELAY, 0.3, 0.05),
                               atol=1e-7)


def test_nmr_star_is_an_experiment_file_kind():
    model = build("nmr_star", {"n_chargers": 2, "J": 1.0, "recharge_time": 1.3})
    assert model.recharge_times == (1.3,) and model.charger == (1, 2)
    assert build("nmr_star", {"n_chargers": 2, "J": 1.0}).recharge_times == ()  # no recharge_time: never


def test_two_recharges_on_the_circuit_state():
    """Every re-inversion restarts the ground part: P_B(t) = 1 - prod_k cos^2(sqrt(N) J L_k / 2)
    over the intervals L_k between events (closed form, extending the one above); the circuit's
    state after two re-inversions within the reported bound."""
    from dataclasses import replace

    events, times = (1.0, 2.0), np.array([1.5, 2.5, 3.0])
    program = compile_model(replace(nmr_star(2, J, None), recharge_times=events), times,
                            CompileOptions(accuracy=2e-3))
    w = math.sqrt(2) * J / 2
    for i, t in enumerate(times):
        bounds = [0.0, *(e for e in events if e < t), t]
        p = 1 - np.prod([np.cos(w * (b - a)) ** 2 for a, b in zip(bounds[:-1], bounds[1:])])
        qc = program.pubs[3 * i + 2][0]
        assert qc.count_ops().get("reset", 0) == 2 * (len(bounds) - 2)
        rho_b = partial_trace(DensityMatrix(qc.remove_final_measurements(inplace=False)), [1, 2]).data
        assert abs(rho_b[1, 1].real - p) <= program.error_bound[i] + 1e-9 and program.error_bound[i] <= 2e-3


def test_recharge_is_a_reset_and_x_at_a_step_boundary():
    """The circuit's own state (Aer-free, qiskit.quantum_info with the resets) at a time after
    the delay against the closed form, within the reported bound: only a grid that hits the
    delay and re-inverts the chargers there gets this (closed form: E_B(3.0) = 0.952 for N = 2;
    without the re-inversion, sin^2(sqrt 2 x 1.5) = 0.726; bound <= 1e-3)."""
    times = np.array([1.0, 3.0])
    program = compile_model(nmr_star(2, J, DELAY), times, CompileOptions(accuracy=1e-3))
    for i, t in enumerate(times):
        qc = program.pubs[3 * i + 2][0]
        assert program.info[3 * i + 2].basis == "Z"
        assert qc.count_ops().get("reset", 0) == (2 if t > DELAY else 0)
        rho_b = partial_trace(DensityMatrix(qc.remove_final_measurements(inplace=False)), [1, 2]).data
        e, _ = _closed_form(2, [t])
        assert abs(rho_b[1, 1].real - e[0]) <= program.error_bound[i] + 1e-9
    assert program.error_bound[-1] <= 1e-3


@pytest.mark.parametrize("n", [2, 3])
def test_nmr_star_on_circuits(n):
    """E_B and ergotropy at 3 times (one before and two after the re-inversion) within 4
    standard errors + the reported splitting bound (trace norm x ||H_B|| = 1): 6 comparisons
    at 4 sigma, false failures ~4e-4."""
    times = np.array([0.8, 2.0, 3.5])
    program = compile_model(nmr_star(n, J, DELAY), times, CompileOptions(accuracy=2e-3))
    run = execute.run(program, target="aer-ideal", shots=20000, seed=11 + n)
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(n))
    e, w = _closed_form(n, times)
    bound = np.asarray(program.error_bound)
    assert np.all(np.abs(a["e"] - e) <= 4 * a["e_err"] + bound), (a["e"], e, a["e_err"], bound)
    assert np.all(np.abs(a["w"] - w) <= 4 * a["w_err"] + bound + 1e-3), (a["w"], w, a["w_err"], bound)
    assert np.all(a["e_err"] < 0.01)


def test_recharged_replaces_the_chargers_in_any_subsystem_order():
    """Model.recharged against QuTiP's ptrace/tensor/permute: a charger (3 levels) between two
    battery qubits, a random state; the charger's initial state |2><2|."""
    from qbhw.models import Model, Subsystem
    from qbhw.models.operators import basis_projector, product_state

    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12))
    rho = x @ x.conj().T
    rho /= np.trace(rho)
    model = Model("three", (Subsystem("b0", "battery", 2, "qubit", 1.0), Subsystem("c", "charger", 3, "levels", 1.0),
                            Subsystem("b1", "battery", 2, "qubit", 1.0)),
                  h0=np.zeros((12, 12)), drives=(), jumps=(), h_battery=np.zeros((4, 4)), h_charger=np.zeros((3, 3)),
                  rho0=product_state([basis_projector(2, 0), basis_projector(3, 2), basis_projector(2, 1)]),
                  number_operator=np.zeros((12, 12)), recharge_times=(1.0,))
    q = qt.Qobj(rho, dims=[[2, 3, 2], [2, 3, 2]])  # QuTiP lists subsystem 2 first
    expected = qt.tensor(q.ptrace([0, 2]), qt.fock_dm(3, 2)).permute([0, 2, 1])
    np.testing.assert_allclose(model.recharged(rho), expected.full(), atol=1e-12)


def test_charging_time_series_with_recharges_equals_qutip():
    """The uniform-grid E_B series behind exact_charging_time, piecewise at the re-inversion,
    against QuTiP (with relaxation, so the charging time exists and is finite)."""
    from qbhw.reference import battery_energy_series, exact_charging_time

    model = nmr_star(2, J, DELAY, gamma_charger=0.3, gamma_battery=0.05)
    times = 0.05 * np.arange(80)
    np.testing.assert_allclose(battery_energy_series(model, 0.05, 80), _qutip_star(2, times, DELAY, 0.3, 0.05),
                               atol=1e-7)
    ct = exact_charging_time(model)
    assert abs(ct.e_inf - 0.5) < 1e-9 and np.isfinite(ct.tau)  # infinite-temperature T1: E_B(inf) = omega / 2


def test_recharges_the_circuits_cannot_do_are_refused():
    """A driven model cannot take events (one generator per interval), and chargers that start
    in a superposition cannot be re-prepared by reset + X: each a one-line error."""
    from dataclasses import replace

    from qbhw.compile import compile_program
    from qbhw.errors import InputError
    from qbhw.models import tls_pair

    with pytest.raises(ValueError, match="undriven"):
        replace(tls_pair(1.0, 0.5, 1.0), recharge_times=(1.0,))
    plus = np.full((2, 2), 0.5)
    model = nmr_star(1, J, DELAY)
    tilted = replace(model, rho0=np.kron(plus, np.diag([1.0, 0.0])))  # charger (subsystem 1, high bit) in |+>
    with pytest.raises(InputError, match="reset \\+ X"):
        compile_program(tilted, [2.0])
