"""The star with N = 2 batteries at pulse level: a degree-3 transmon node (charger in the
middle, exchange g to each battery), against qbhw.reference.evolve of qbhw.models star(2).
Skipped when .venv-pulse is missing, except in CI (env CI set), where that is a failure."""


import numpy as np
import pytest

from qbhw.metrics import ergotropy
from qbhw.models.collective import star
from qbhw.pulse.program import computational_block, simulate, star_program
from qbhw.reference import evolve

TIMES = np.linspace(0, 5, 21)


@pytest.mark.parametrize("gamma_c, dephasing", [(0.0, "none"), (1.41, "lindblad")])
def test_two_level_star_of_two_batteries_reproduces_evolve(worker, gamma_c, dephasing):
    full = star(2, 1.0, 0.5, gamma_c, representation="full")
    ref = evolve(full, TIMES, frame="rotating")
    out = simulate(star_program(full, TIMES, dephasing=dephasing), worker)
    assert out.battery_states.shape == (TIMES.size, 4, 4)
    assert np.max(np.abs(out.battery_states - ref.battery_states)) < 1e-6
    hb = np.asarray(full.h_battery)
    e = np.real(np.einsum("tij,ji->t", out.battery_states, hb))
    assert np.max(np.abs(e - ref.battery_energy)) < 1e-6
    assert np.max(np.abs(ergotropy(out.battery_states, hb) - ref.battery_ergotropy)) < 1e-6
    symmetric = evolve(star(2, 1.0, 0.5, gamma_c), TIMES, frame="rotating")  # the collective battery, same E_B and W
    assert np.max(np.abs(e - symmetric.battery_energy)) < 1e-6
    assert np.max(np.abs(ergotropy(out.battery_states, hb) - symmetric.battery_ergotropy)) < 1e-6
    assert ref.battery_energy[-1] > 0.1  # it charges


def test_computational_block_of_two_qutrits_keeps_the_qubit_levels():
    rho = np.arange(81.0).reshape(9, 9)
    keep = [0, 1, 3, 4]  # |00>, |01>, |10>, |11> of two 3-level transmons (rightmost fastest)
    assert np.array_equal(computational_block(rho, 2), rho[np.ix_(keep, keep)])
