"""The "pulse" target: a compiled program's tomography PUBs answered by the pulse simulation,
through the same analysis as circuits, against the exact reference (qbhw.reference.evolve).
Tests that need .venv-pulse skip without it, except in CI (env CI set), where they fail."""

import json

import numpy as np
import pytest
from pulse_env import need_pulse_env

from qbhw import cli, execute, run_experiment
from qbhw.analysis import analyse
from qbhw.errors import InputError
from qbhw.models.charger_battery import tls_pair
from qbhw.pulse.client import PulseWorker
from qbhw.pulse.target import basis_probabilities, run_pulse
from qbhw.reference import evolve
from qbhw.routing import CompileOptions, compile_model

TIMES = np.linspace(0, 10, 21)
MODEL = tls_pair(1.0, 0.5, 1.41)


def covered(ci, exact):
    return int(((ci[:, 0] <= exact) & (exact <= ci[:, 1])).sum())


def test_leaked_population_is_read_as_one_by_default():
    block = np.array([[0.5, 0.2 - 0.1j], [0.2 + 0.1j, 0.3]])  # 0.2 leaked to |2>
    assert np.allclose(basis_probabilities(block, "Z"), [0.5, 0.5])
    assert np.allclose(basis_probabilities(block, "Z", leaked_as=0), [0.7, 0.3])
    # on the block: <X> = 2 Re rho01 = 0.4, <Y> = Tr(rho Y) = 2 Im rho10 = 0.2 (Qiskit Y)
    assert np.allclose(basis_probabilities(block, "X"), [(0.8 + 0.4) / 2, (0.8 - 0.4) / 2 + 0.2])
    assert np.allclose(basis_probabilities(block, "Y"), [(0.8 + 0.2) / 2, (0.8 - 0.2) / 2 + 0.2])
    with pytest.raises(InputError):
        basis_probabilities(block, "Z", leaked_as=2)


def test_flips_are_refused_before_any_worker_starts():
    program = compile_model(MODEL, TIMES[:3], CompileOptions(dephasing="flips", realizations=4, seed=1))
    with pytest.raises(InputError, match="kicks or as the Lindblad term"):
        execute.run(program, target=execute.targets.PULSE_TARGET, shots=100)


def test_pulse_target_agrees_with_the_exact_reference_within_intervals():
    """run_experiment(target="pulse"), the path users run: Lindblad dephasing at pulse level, 2
    levels, no device noise: 95 % intervals of E_B and W cover the exact values at >= 17 of 21
    times (binomial(21, 0.95) tail: 0.3 % false failure)."""
    need_pulse_env()
    r = run_experiment(MODEL, TIMES, dephasing="channel", target="pulse", shots=4000, seed=5)
    ref = evolve(MODEL, TIMES, frame="rotating")
    assert covered(r.battery_energy_ci, ref.battery_energy) >= 17
    assert covered(r.battery_ergotropy_ci, ref.battery_ergotropy) >= 17
    m = r.metadata
    assert m["target"] == "pulse" and m["compiler"] == "pulse" and max(m["leakage"]) < 1e-9
    assert m["pulse"]["device"]["g_hz"] == 5e6 and m["pulse"]["dephasing"] == "lindblad"


def test_pulse_target_runs_from_an_experiment_file(tmp_path):
    """`[run] target = "pulse"` through `qbhw run`: results.json carries the true leakage and the
    pulse parameters beside the measured curve, report.md says what ran."""
    need_pulse_env()
    spec = tmp_path / "pulse.toml"
    spec.write_text('[model]\nkind = "tls_pair"\ng = 1.0\nF = 0.5\ngamma_c = 1.41\n'
                    '[times]\nstart = 0.0\nstop = 4.0\nnum = 5\n'
                    '[run]\ntarget = "pulse"\nshots = 2000\ndephasing = "channel"\nseed = 2\n'
                    '[pulse]\nlevels = 3\n')
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["target"] == "pulse" and len(results["pulse"]["leakage"]) == 5
    assert max(results["pulse"]["leakage"]) > 1e-8  # the third level is kept and populated
    assert results["pulse"]["parameters"]["dephasing"] == "lindblad"
    assert "pulse-level simulation" in (tmp_path / "out" / "report.md").read_text()


def test_pulse_kicks_realizations_feed_the_bootstrap():
    """Charger Z kicks, M = 16 realizations per time, t in [0, 5]: the intervals (realization + shot noise) cover the
    Lindblad reference at >= 17 of 21 times (the kick bias at tau = 0.25, < 3e-3 in E_B, is far
    below the interval width); same 0.3 % false-failure bound."""
    need_pulse_env()
    times = np.linspace(0, 5, 21)
    program = compile_model(MODEL, times, CompileOptions(dephasing="kicks", realizations=16, seed=4))
    with PulseWorker() as worker:
        run = run_pulse(program, shots=4000, seed=6, worker=worker)
    assert [c.shape[0] for c in run.counts[3:6]] == [16] * 3  # one pulse realization per row
    a = analyse(program, run.counts, bootstrap=200, rng=np.random.default_rng(2))
    ref = evolve(MODEL, times, frame="rotating")
    assert covered(a["e_ci"], ref.battery_energy) >= 17
    assert covered(a["w_ci"], ref.battery_ergotropy) >= 17


def test_pulse_table_is_refused_for_other_targets():
    from qbhw.experiment_file import SpecError, parse

    text = '[model]\nkind = "tls_pair"\ng = 1.0\nF = 0.5\ngamma_c = 1.0\n[times]\nstop = 1.0\nnum = 2\n[run]\ntarget = "aer-ideal"\n[pulse]\nlevels = 3\n'
    with pytest.raises(SpecError, match="^pulse: .*run.target is 'aer-ideal'"):
        parse(text)
    with pytest.raises(SpecError, match="^pulse.leaked_as"):
        parse(text.replace("aer-ideal", "pulse").replace("levels = 3", "leaked_as = 2"))
    pulse = text.replace("aer-ideal", "pulse")
    assert dict(parse(pulse.replace("levels = 3", "crosstalk = 0.02")).pulse_options) == {"crosstalk": 0.02}
    with pytest.raises(SpecError, match=r"^pulse.crosstalk: .*\[0, 1\)"):
        parse(pulse.replace("levels = 3", "crosstalk = 1.5"))
