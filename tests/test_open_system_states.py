"""Issue 14, initial states beyond basis states: a coherent cavity state on a binary-encoded
oscillator battery by state preparation, on ideal Aer, against the exact coherent state (Poisson
populations, closed form) and against QuTiP's evolution of it, written here.  The resource
summary of the emulated dissipation (qbhw.execute.resources.dissipation) against reset counts
derived from the slot structure."""

import math

import numpy as np
import pytest
import qutip as qt

from qbhw import execute
from qbhw.analysis import analyse
from qbhw.compile import compile_program
from qbhw.execute import resources
from qbhw.models import nmr_star, tls_oscillator, tls_pair, with_qubit_decoherence
from qbhw.report import dissipation_lines

ALPHA, N_MAX = 0.7, 7  # P(n = 7) = 8e-7: the truncation is invisible at these shot counts
G, F, GAMMA_C = 1.0, 0.5, 1.0


def _poisson(alpha=ALPHA, n_max=N_MAX):
    p = np.array([math.exp(-alpha**2) * alpha ** (2 * n) / math.factorial(n) for n in range(n_max + 1)])
    return p / p.sum()


def _qutip_energy(times):
    """E_B of the resonant TLS charger + oscillator battery in the drive's rotating frame,
    H = g (sigma^+ a + sigma^- a^dag) + F (sigma^+ + sigma^-), D[n_C] at gamma_c, battery in |alpha>."""
    a, sm = qt.tensor(qt.destroy(N_MAX + 1), qt.qeye(2)), qt.tensor(qt.qeye(N_MAX + 1), qt.destroy(2))
    h = G * (sm.dag() * a + sm * a.dag()) + F * (sm + sm.dag())
    rho0 = qt.tensor(qt.coherent_dm(N_MAX + 1, ALPHA, method="analytic"), qt.fock_dm(2, 0))
    rho0 = rho0 / rho0.tr()
    out = qt.mesolve(h, rho0, np.r_[0.0, times], [np.sqrt(GAMMA_C) * sm.dag() * sm], e_ops=[a.dag() * a],
                     options={"atol": 1e-11, "rtol": 1e-9}).expect[0]
    return np.array(out[1:])


def test_coherent_battery_state_by_state_preparation():
    """t = 0: the prepared battery state's Fock populations are Poisson(|alpha|^2) and its energy
    |alpha|^2 (a pure state: ergotropy = energy); t = 0.6: E_B follows QuTiP.  E_B, ergotropy
    within 4 standard errors + the splitting bound x E_max (4 comparisons: false failures
    ~2.5e-4); each population within 0.04 = 5 x the largest single-basis standard error
    sqrt(1/4 / 4000) (the estimate pools several bases, so < 1e-5 per population)."""
    times = np.array([0.0, 0.6])
    program = compile_program(tls_oscillator(G, F, GAMMA_C, n_max=N_MAX, alpha_b=ALPHA), times,
                              realizations=40, seed=3, accuracy=5e-3)
    assert "state_preparation" in program.pubs[0][0].count_ops()
    run = execute.run(program, target="aer-ideal", shots=4000, seed=4)
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(5))
    e = np.r_[_poisson() @ np.arange(N_MAX + 1), _qutip_energy(times[1:])]
    assert abs(e[0] - ALPHA**2) < 1e-5  # the untruncated coherent state's energy
    bound = np.asarray(program.error_bound) * N_MAX
    assert np.all(np.abs(a["e"] - e) <= 4 * a["e_err"] + bound + 1e-3), (a["e"], e, a["e_err"], bound)
    assert abs(a["w"][0] - e[0]) <= 4 * a["w_err"][0] + 1e-3, (a["w"][0], a["w_err"][0])
    populations = np.real(np.diag(a["states"][0]))
    np.testing.assert_allclose(populations, _poisson(), atol=0.04)


def _slots(program, index):
    """Slots of time point ``index``: steps + 1 per interval between recharges."""
    t = program.times[index]
    intervals = 1 + sum(1 for e in program.model.recharge_times if e < t)
    return program.steps[index] + intervals if program.steps[index] else 0


@pytest.mark.parametrize("ancillas", ["parallel", "sequential"])
def test_resource_summary_counts_ancillas_and_resets(ancillas):
    """Damped TLS pair: one amplitude-damping block per qubit (one ancilla each).  "parallel":
    2 ancillas, fresh in the first slot, both reset in every later slot; "sequential": one
    shared ancilla, reset before every use but the very first."""
    program = compile_program(with_qubit_decoherence(tls_pair(G, F, GAMMA_C), (2.0, 2.0), (2.0, 3.0), 1.0),
                              [0.5, 2.0], ancillas=ancillas, realizations=4, seed=1)
    s = resources.dissipation(program)
    width = 2 if ancillas == "parallel" else 1
    assert s["ancillas"] == width and s["resets_per_slot"] == 2 and s["splitting_order"] == 2
    for i in range(2):
        slots = _slots(program, i)
        assert s["resets"][i] == (2 * (slots - 1) if ancillas == "parallel" else 2 * slots - 1)
    assert any("ancilla collisions with reset" in line for line in dissipation_lines(s))


def test_resource_summary_counts_recharges():
    """NMR star with charger T1 (two 2-ancilla thermal blocks): 4 resets per slot after the
    first, plus N = 2 recharge resets at each re-inversion before t."""
    program = compile_program(nmr_star(2, 1.0, 1.3, gamma_charger=0.2), [0.5, 2.0])
    s = resources.dissipation(program)
    assert s["recharge_times"] == [1.3] and s["resets_per_recharge"] == 2 and s["ancillas"] == 4
    for i, t in enumerate(program.times):
        assert s["resets"][i] == 4 * (_slots(program, i) - 1) + (2 if t > 1.3 else 0)
    assert any("re-prepared at t = 1.3" in line for line in dissipation_lines(s))


def _qutip_pair_energy(rho0_battery, times):
    """(E_B, ergotropy) of the resonant TLS pair in the rotating frame from charger |g> and the
    battery in ``rho0_battery``, QuTiP built here (tensor order: battery, charger)."""
    sm = qt.destroy(2)
    c, b = qt.tensor(qt.qeye(2), sm), qt.tensor(sm, qt.qeye(2))
    h = G * (c.dag() * b + b.dag() * c) + F * (c + c.dag())
    rho0 = qt.tensor(qt.Qobj(rho0_battery), qt.fock_dm(2, 0))
    states = qt.mesolve(h, rho0, np.r_[0.0, times], [np.sqrt(GAMMA_C) * c.dag() * c],
                        options={"atol": 1e-11, "rtol": 1e-9}).states[1:]
    rb = [s.ptrace(0).full() for s in states]
    e = np.array([r[1, 1].real for r in rb])
    return e, np.array([ei - np.linalg.eigvalsh(r)[0] for ei, r in zip(e, rb)])  # passive: low weight on |e>


def test_mixed_coherent_start_by_purification_on_circuits():
    """Battery in 0.7 |+><+| + 0.3 |0><0| (coherences, rank 2): purified on one ancilla.  E_B and
    ergotropy at t = 0 and 1 within 4 standard errors + the splitting bound (4 comparisons at
    4 sigma: false failures ~2.5e-4); the ergotropy at t = 0, 0.23, needs the coherence (the
    dephased battery diag(0.65, 0.35) has none)."""
    from dataclasses import replace

    plus = np.full((2, 2), 0.5)
    rho_b = 0.7 * plus + 0.3 * np.diag([1.0, 0.0])
    model = replace(tls_pair(G, F, GAMMA_C), rho0=np.kron(rho_b, np.diag([1.0, 0.0])))  # battery = high bit
    times = np.array([0.0, 1.0])
    program = compile_program(model, times, realizations=40, seed=6, accuracy=5e-3)
    assert program.ancillas == (2,)
    run = execute.run(program, target="aer-ideal", shots=8000, seed=7)
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(8))
    e, w = _qutip_pair_energy(rho_b, times)
    assert w[0] > 0.2
    bound = np.asarray(program.error_bound)
    assert np.all(np.abs(a["e"] - e) <= 4 * a["e_err"] + bound + 1e-3), (a["e"], e, a["e_err"])
    assert np.all(np.abs(a["w"] - w) <= 4 * a["w_err"] + bound + 1e-3), (a["w"], w, a["w_err"])
