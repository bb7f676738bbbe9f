"""Issue 14 acceptance: jumps other than dephasing on circuits, by ancilla collisions with reset
(qbhw.compile.dissipation), sampled on ideal Aer against references written here (QuTiP
mesolve, closed forms), never against qbhw's own reference code.

Conventions (DESIGN.md): qubit 0 is the charger, 1 the battery; rotating frame of the resonant
drive, H = g (sigma_C^+ sigma_B^- + h.c.) + F (sigma_C^+ + sigma_C^-); T1 is D[sigma^-] at 1/T1,
T2 adds D[n] at 2/T2 - 1/T1 (qbhw.models.decoherence)."""

import numpy as np
import pytest
import qutip as qt
from qiskit.quantum_info import DensityMatrix, partial_trace

from qbhw import execute
from qbhw.analysis import analyse
from qbhw.compile import compile_program
from qbhw.models import Jump, Model, Subsystem, tls_pair, with_qubit_decoherence
from qbhw.models.operators import number

G, F, GAMMA_C = 1.0, 0.5, 1.0
T1, T2 = (2.0, 2.0), (2.0, 3.0)  # model time units (seconds_per_unit = 1): T1 rate 0.5 on both qubits
TIMES = np.linspace(0.0, 4.5, 10)


def _qutip_pair(times, damped: bool = True):
    """States of the TLS pair (+ T1/T2 channels when ``damped``) by QuTiP, qubit 0 = charger
    (QuTiP's tensor order is reversed: battery first)."""
    sm = qt.destroy(2)
    c, b = qt.tensor(qt.qeye(2), sm), qt.tensor(sm, qt.qeye(2))
    h = G * (c.dag() * b + b.dag() * c) + F * (c + c.dag())
    c_ops = [np.sqrt(GAMMA_C) * c.dag() * c]
    if damped:
        for op, t1, t2 in ((c, T1[0], T2[0]), (b, T1[1], T2[1])):
            c_ops += [np.sqrt(1 / t1) * op, np.sqrt(2 / t2 - 1 / t1) * op.dag() * op]
    rho0 = qt.tensor(qt.fock_dm(2, 0), qt.fock_dm(2, 0))
    return [s.full() for s in qt.mesolve(h, rho0, times, c_ops, options={"atol": 1e-11, "rtol": 1e-9}).states]


def _battery_energy_ergotropy(states):
    """(E_B, ergotropy) of 4x4 pair states (qubit 1 = battery, the higher bit)."""
    e, w = [], []
    for rho in states:
        rb = np.trace(rho.reshape(2, 2, 2, 2), axis1=1, axis2=3)  # trace out qubit 0 (the low bit)
        energy = float(np.real(rb[1, 1]))
        e.append(energy)
        w.append(energy - float(np.linalg.eigvalsh(rb)[0]))  # passive state: larger weight on |g>
    return np.array(e), np.array(w)


def _damped_pair():
    return with_qubit_decoherence(tls_pair(G, F, GAMMA_C), T1, T2, 1.0)


def test_damped_tls_pair_on_circuits_follows_the_exact_lindblad_solution():
    """E_B(t) and ergotropy(t) at 10 times within 4 standard errors + the reported splitting bound.
    20 comparisons at 4 sigma (two-sided 6.3e-5 each): false-failure rate ~1.3e-3."""
    program = compile_program(_damped_pair(), TIMES, dephasing="kicks", realizations=40, seed=5)
    assert [u["kind"] for u in program.dissipation] == ["exact", "exact"] and program.splitting_order == 2
    assert program.ancillas == (2, 3)  # one amplitude-damping ancilla per qubit
    run = execute.run(program, target="aer-ideal", shots=8000, seed=6)
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(7))
    e, w = _battery_energy_ergotropy(_qutip_pair(TIMES))
    e_free, _ = _battery_energy_ergotropy(_qutip_pair(TIMES, damped=False))
    err = np.maximum(a["e_err"], 1e-12)
    assert np.max(np.abs(e - e_free) / err) >= 10  # the test tells damped from undamped
    bound = np.asarray(program.error_bound)  # trace norm; E_max = 1 here
    assert np.all(np.abs(a["e"] - e) <= 4 * a["e_err"] + bound + 1e-3), (a["e"], e, a["e_err"])
    assert np.all(np.abs(a["w"] - w) <= 4 * a["w_err"] + bound + 1e-3), (a["w"], w, a["w_err"])


def _circuit_state(program, index: int) -> np.ndarray:
    """The model qubits' state at time point ``index`` of a deterministic program, by
    qiskit.quantum_info (Kraus instructions, resets) from its circuit without the measurements."""
    qc = program.pubs[3 * index + 2][0].remove_final_measurements(inplace=False)  # basis "Z": no rotation
    assert program.info[3 * index + 2].basis == "Z"
    rho = DensityMatrix(qc)
    ancillas = list(range(len(program.model.subsystems), qc.num_qubits))
    return partial_trace(rho, ancillas).data if ancillas else rho.data


@pytest.mark.parametrize("ancillas", ["parallel", "sequential"])
def test_splitting_error_of_exact_dilations_is_second_order(ancillas):
    """Trace-norm distance between the circuit's state (dephasing as its exact channel,
    amplitude damping by dilation + reset) and QuTiP at t = 2, for dt = 0.5, 0.25, 0.125:
    slope 2 in log-log (Strang: half slot, step, half slot)."""
    t, dts = 2.0, (0.5, 0.25, 0.125)
    exact = _qutip_pair([0.0, t])[-1]
    errors = []
    for dt in dts:
        program = compile_program(_damped_pair(), [0.0, t], dephasing="channel", max_step=dt, accuracy=10.0,
                                  ancillas=ancillas)
        assert program.steps[-1] == round(t / dt)
        diff = _circuit_state(program, 1) - exact
        errors.append(np.abs(np.linalg.eigvalsh(diff)).sum())
        assert errors[-1] <= program.error_bound[-1] + 1e-9  # the reported bound is the exact error
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert abs(slope - 2) < 0.2, (errors, slope)


GAMMA_DOWN, BETA_OMEGA = 0.6, 0.7  # D[sigma^-] at gamma, D[sigma^+] at gamma e^{-beta omega}


def _thermal_qubit(p1_start: float) -> Model:
    """One battery qubit (omega = 1) in a thermal bath, starting in diag(1 - p1, p1)."""
    sm = np.array([[0, 1], [0, 0]])
    rho0 = np.diag([1 - p1_start, p1_start])
    return Model(name="thermal_qubit", subsystems=(Subsystem("battery", "battery", 2, "qubit", 1.0),),
                 h0=number(2), drives=(), h_battery=number(2), h_charger=np.zeros((1, 1)), rho0=rho0,
                 number_operator=number(2),
                 jumps=(Jump(sm, GAMMA_DOWN, "emission"), Jump(sm.T, GAMMA_DOWN * np.exp(-BETA_OMEGA), "absorption")))


@pytest.mark.parametrize("p1_start", [1.0, 0.3])
def test_thermal_relaxation_of_a_qubit_follows_the_closed_form(p1_start):
    """P1(t) = p_G + (P1(0) - p_G) e^{-(gamma_- + gamma_+) t}, p_G = 1 / (1 + e^{beta omega}),
    at an intermediate and a late time (the Gibbs population); p1_start = 0.3 starts from a
    diagonal mixed state, drawn per realization.  One exact thermal block (2 ancillas, 10 CX
    per slot), deterministic: 2 comparisons per case at 4 standard errors (false failures
    ~1.3e-4); the splitting is exact here ([H, D] = 0), so no bias term."""
    rate = GAMMA_DOWN * (1 + np.exp(-BETA_OMEGA))
    p_gibbs = 1 / (1 + np.exp(BETA_OMEGA))
    times = np.array([0.8, 12.0])
    program = compile_program(_thermal_qubit(p1_start), times, realizations=200, max_step=0.5, seed=2)
    assert program.ancillas == (1, 2) and program.realizations == (1 if p1_start == 1.0 else 200)
    run = execute.run(program, target="aer-ideal", shots=40000, seed=4)
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(1))
    expected = p_gibbs + (p1_start - p_gibbs) * np.exp(-rate * times)
    assert abs(expected[-1] - p_gibbs) < 1e-4  # late time: the Gibbs population
    assert np.all(np.abs(a["e"] - expected) <= 4 * a["e_err"]), (a["e"], expected, a["e_err"])
    assert np.all(a["e_err"] < 0.02)  # the mixture's draws dominate for p1_start = 0.3 (~0.016 at t = 0.8)
