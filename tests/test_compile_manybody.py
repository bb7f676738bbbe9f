"""Many-body programs on ideal Aer against the exact references (issue 4 acceptance): star of
N = 2 and 3 batteries with kick-emulated charger dephasing and the n = 4 spin chain, 3 time
points each, sampling and bootstrap included.

The reported ergotropy comes from a projected (physical) state, so it is a biased estimator:
of a nearly pure state it is low by about the passive energy the shot noise mixes in (the
n = 4 chain: ~ -0.005, 2-4 of its own standard errors).  That bias is PREDICTED here, not
tuned: counts are sampled from the exact battery state's basis probabilities (computed below,
independently of qbhw's tomography) with the run's shots per (time, basis), many times, and
put through the run's own estimator (qbhw.analysis.estimates + battery_ergotropy); the mean
offset from the exact state's ergotropy is the bias, its standard error enters the tolerance.
E_B is the linear-inversion energy clipped to [0, E_max] (qbhw.analysis): unbiased here.
"""

import numpy as np
import pytest

from qbhw import run_experiment
from qbhw.analysis import battery_ergotropy, estimates
from qbhw.compile.program import pauli_bases
from qbhw.models import spin_chain, star

SHOTS = 20000  # per (time, basis), split over the realizations
BIAS_REPETITIONS = 200
# Two-sided normal tail at 3.5 sigma: 4.7e-4 per comparison, 6 per case, 18 over the three
# cases: false-failure rate < 0.9 % (fixed seeds, so in practice a given run passes or fails).
Z = 3.5

CASES = {
    "star N=2": (lambda: star(2, 1.0, 0.5, 1.0, representation="full"), "kicks"),
    "star N=3": (lambda: star(3, 1.0, 0.5, 1.0, representation="full"), "kicks"),
    "spin chain n=4": (lambda: spin_chain(4, 0.3, 0.5), "none"),
}

_HADAMARD = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
# measuring Pauli c = measuring Z after this rotation (outcome 0 <-> eigenvalue +1)
_ROTATION = {"Z": np.eye(2), "X": _HADAMARD, "Y": _HADAMARD @ np.diag([1, -1j])}


def basis_probabilities(rho: np.ndarray, basis: str) -> np.ndarray:
    """Outcome probabilities of measuring ``basis`` (character i on qubit i, qubit 0 the
    rightmost Kronecker factor; outcome bit i = qubit i) on ``rho``."""
    u = np.ones((1, 1))
    for c in reversed(basis):
        u = np.kron(u, _ROTATION[c])
    p = np.clip(np.real(np.diag(u @ rho @ u.conj().T)), 0.0, None)
    return p / p.sum()


def predicted_ergotropy_bias(program, states, shots, repetitions, rng) -> tuple[np.ndarray, np.ndarray]:
    """(mean estimator offset, its standard error) of the ergotropy per exact battery state.
    Multinomial counts with the total shots of each basis: with kick realizations the pooled
    counts vary a little less (a sum of multinomials), so the spread is a slight overestimate."""
    hb = np.asarray(program.model.h_battery)
    k = len(program.info[0].measured_qubits)
    bias, se = [], []
    for rho in states:
        data = {b: rng.multinomial(shots, basis_probabilities(rho, b), size=repetitions) for b in pauli_bases(k)}
        offset = battery_ergotropy(program, estimates(data, hb, None)[1]) - battery_ergotropy(program, rho)
        bias.append(offset.mean())
        se.append(offset.std(ddof=1) / np.sqrt(repetitions))
    return np.array(bias), np.array(se)


SLOW = {"star N=3", "spin chain n=4"}  # > 20 s each


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in CASES])
def test_many_body_programs_agree_with_the_references(case):
    build, dephasing = CASES[case]
    r = run_experiment(build(), [0.5, 1.5, 3.0], accuracy=1e-3, dephasing=dephasing,
                       realizations=100 if dephasing != "none" else 1, shots=SHOTS, seed=3, bootstrap=100)
    hb_norm = np.abs(np.linalg.eigvalsh(np.asarray(r.program.model.h_battery))).max()
    trotter = hb_norm * np.asarray(r.program.error_bound)  # |dE|, |dW| <= ||H_B|| x trace-norm error
    ref = r.reference
    bias, bias_se = predicted_ergotropy_bias(r.program, ref.battery_states, SHOTS, BIAS_REPETITIONS,
                                             np.random.default_rng(7))
    assert np.all(np.abs(r.battery_energy - ref.battery_energy) < Z * r.battery_energy_err + trotter)
    assert np.all(np.abs(r.battery_ergotropy - bias - ref.battery_ergotropy)
                  < Z * np.hypot(r.battery_ergotropy_err, bias_se) + trotter)
    assert np.all(r.battery_energy_err < 0.015)  # the test has power (the star N = 2 at t = 3, seed 3: 0.0104)
