"""Many-body programs on ideal Aer against the exact references (issue 4 acceptance): star of
N = 2 and 3 batteries with kick-emulated charger dephasing and the n = 4 spin chain, 3 time
points each, sampling and bootstrap included."""

import numpy as np
import pytest

from qbhw import run_experiment
from qbhw.models import spin_chain, star

CASES = {
    "star N=2": (lambda: star(2, 1.0, 0.5, 1.0, representation="full"), "kicks", 0.0),
    "star N=3": (lambda: star(3, 1.0, 0.5, 1.0, representation="full"), "kicks", 0.0),
    # 81 bases x 20000 shots: the projected estimator's ergotropy of a nearly pure 4-qubit state is
    # biased by ~0.01 (measured -0.011 and +0.008), beyond what the bootstrap's bias estimate removes
    "spin chain n=4": (lambda: spin_chain(4, 0.3, 0.5), "none", 0.015),
}


@pytest.mark.parametrize("case", CASES)
def test_many_body_programs_agree_with_the_references(case):
    build, dephasing, estimator_bias = CASES[case]
    r = run_experiment(build(), [0.5, 1.5, 3.0], accuracy=1e-3, dephasing=dephasing,
                       realizations=100 if dephasing != "none" else 1, shots=20000, seed=3, bootstrap=100)
    hb_norm = np.abs(np.linalg.eigvalsh(np.asarray(r.program.model.h_battery))).max()
    trotter = hb_norm * np.asarray(r.program.error_bound)  # |dE| <= ||H_B|| x trace-norm error
    ref = r.reference
    assert np.all(np.abs(r.battery_energy - ref.battery_energy) < 3 * r.battery_energy_err + trotter)
    assert np.all(np.abs(r.battery_ergotropy - ref.battery_ergotropy)
                  < 3 * r.battery_ergotropy_err + trotter + estimator_bias)
    assert np.all(r.battery_energy_err < 0.01)  # the test has power
