"""Heat-engine chargers as a collision model (issue 4 acceptance, N = 2): the collision map
against the effective Lindblad equation of heat_engine_chargers (reference.evolve), then the
compiled circuits (reset, RY, measure, product-formula collision) sampled on ideal Aer."""

import math

import numpy as np
import pytest
from scipy.linalg import expm

from qbhw import execute
from qbhw.compile.collision import collision_qubits, compile_collisions
from qbhw.analysis import analyse
from qbhw.models import heat_engine_chargers
from qbhw.models.operators import partial_trace
from qbhw.reference import evolve

TIMES = np.array([0.5, 1.5, 4.0])
BETA, GAMMA_E = -1.0, 0.5  # p1 / p0 = e: inverted engines


def _collision_energies(tau: float) -> np.ndarray:
    """E_B after ceil(t / tau) exact collisions (engines fresh in diag(p0, p1), unitary
    exp(-i K tau), engines traced out): the collision model without any circuit."""
    p1 = 1 / (1 + math.exp(BETA))
    engines = np.kron(np.diag([1 - p1, p1]), np.diag([1 - p1, p1]))
    out = []
    for t in TIMES:
        n_coll = math.ceil(t / tau - 1e-9)
        q = collision_qubits(2, GAMMA_E, 1 - p1, t / n_coll, 1.0)
        u = expm(-1j * np.asarray(q.h0) * t / n_coll)
        batteries = np.diag([1.0, 0, 0, 0]).astype(complex)
        for _ in range(n_coll):
            full = u @ np.kron(batteries, engines) @ u.conj().T  # batteries are qubits 2, 3
            batteries = partial_trace(full, (2, 3), (2, 2, 2, 2))
        out.append(np.real(np.trace(batteries @ np.asarray(q.h_battery))))
    return np.array(out)


def test_collision_map_converges_to_the_effective_equation():
    ref = evolve(heat_engine_chargers(2, BETA, GAMMA_E), TIMES).battery_energy
    coarse, fine = (np.abs(_collision_energies(tau) - ref).max() for tau in (0.4, 0.05))
    assert fine < 1e-3 and fine < coarse / 4  # measured 1.2e-2 and 8e-4: first order in Gamma_e tau


def test_collision_program_matches_the_heat_engine_reference():
    model = heat_engine_chargers(2, BETA, GAMMA_E)
    program = compile_collisions(model, TIMES, collision_time=0.05)
    assert program.steps == (10, 30, 80) and program.realizations == 1
    assert len(program.pubs) == 9 * TIMES.size  # 3^2 battery bases per time
    qc = program.pubs[-1][0]
    ops = qc.count_ops()
    assert ops["reset"] == 2 * 79 and ops["measure"] == 2 * 80 + 2  # engines each collision + tomography
    run = execute.run(program, target="aer-ideal", shots=20000, seed=3)
    a = analyse(program, run.counts, bootstrap=100, rng=np.random.default_rng(0))
    ref = evolve(model, TIMES)
    assert np.all(a["e_err"] < 0.005)  # the test has power
    assert np.all(np.abs(a["e"] - ref.battery_energy) < 3 * a["e_err"] + 2e-3)
    assert np.all(np.abs(a["w"] - ref.battery_ergotropy) < 3 * a["w_err"] + 2e-3)


def test_random_flip_preparation_averages_to_the_same_reference():
    model = heat_engine_chargers(2, BETA, GAMMA_E)
    program = compile_collisions(model, TIMES, collision_time=0.05, preparation="flips", realizations=40, seed=1)
    assert program.pubs[-1][1].shape == (40, 2 * 80) and "reset" in program.pubs[-1][0].count_ops()
    run = execute.run(program, target="aer-ideal", shots=8000, seed=3)
    a = analyse(program, run.counts, bootstrap=100, rng=np.random.default_rng(0))
    ref = evolve(model, TIMES)
    assert np.all(np.abs(a["e"] - ref.battery_energy) < 4 * a["e_err"] + 2e-3)


def test_bad_collision_requests_raise():
    model = heat_engine_chargers(2, BETA, GAMMA_E)
    with pytest.raises(ValueError, match="not small"):
        compile_collisions(model, TIMES, collision_time=2.0)
    with pytest.raises(ValueError, match="preparation"):
        compile_collisions(model, TIMES, preparation="maxwell demon")
    with pytest.raises(ValueError, match="at most 3 engines"):
        compile_collisions(heat_engine_chargers(4, BETA, GAMMA_E), TIMES)
    with pytest.raises(ValueError, match="heat_engine_chargers"):
        from qbhw.models import tls_pair

        compile_collisions(tls_pair(1.0, 0.5, 1.0), TIMES)
