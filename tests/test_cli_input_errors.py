"""Issue 11's guards, from an experiment file through `qbhw run`: bad input found at compile
time or later exits 2 with one line naming the key, before anything is compiled or kept;
resource limits are refused up front (not a MemoryError or a hang); a run whose qubits leave
little signal says so."""

import json

import pytest

from qbhw.cli import main

PAIR = '[model]\nkind = "tls_pair"\ng = 1.0\nF = 0.5\ngamma_c = 1.41\n'


def _exit(tmp_path, text: str, capsys) -> tuple[int, str]:
    f = tmp_path / "exp.toml"
    f.write_text(text)
    out = tmp_path / "out"
    code = main(["run", str(f), "--out", str(out)])
    err = capsys.readouterr().err
    if code != 0:
        assert not out.exists(), "a refused run leaves no folder"
    return code, err


@pytest.mark.parametrize("text,key", [
    (PAIR + '[times]\nvalues = [0.0, 1.0]\n[run]\ntarget = "aer-ideal"\nrealizations = 1000000000\n', "run.realizations"),
    (PAIR + '[times]\nstop = 10.0\nnum = 100000\n[run]\ntarget = "aer-ideal"\n', "times"),
    (PAIR + '[times]\nvalues = [0.0, 40.0]\n[run]\ntarget = "aer-ideal"\n[compile]\naccuracy = 0.0001\n', "compile.accuracy"),
    (PAIR + '[times]\nvalues = [0.0, 1.0]\n[run]\ntarget = "aer-noisy"\ndephasing = "channel"\n', "run.dephasing"),
    ('[model]\nkind = "oscillator_pair"\ng = 1.0\nF = 0.25\ngamma_c = 1.0\nn_max = 3\n'
     '[times]\nvalues = [0.0, 1.0]\n[run]\ntarget = "aer-ideal"\ndephasing = "flips"\n', "run.dephasing"),
    ('[model]\nkind = "dicke"\nn_spins = 2\ng = 0.5\nn_max = 3\n[times]\nvalues = [0.0, 3.0]\n[run]\ntarget = "aer-ideal"\n',
     "model.n_max"),
    ('[model]\nkind = "rabi_parallel"\nn_cells = 2\ng = 0.5\nrwa = true\nn_max = 6\n[times]\nstop = 3.0\nnum = 4\n'
     '[run]\ntarget = "aer-ideal"\n', "compile.max_two_qubit_gates"),
    (PAIR + '[times]\nvalues = [0.0, 1.0]\n[run]\ntarget = "aer-noisy"\nqubits = [3]\n', "run.qubits"),
], ids=["realizations", "times.num", "step-limit", "channel-on-noisy", "flips-on-oscillator", "n_max", "gates", "qubits"])
def test_bad_input_exits_2_with_one_line_naming_the_key(tmp_path, capsys, text, key):
    code, err = _exit(tmp_path, text, capsys)
    assert code == 2, err
    assert err.startswith(f"qbhw: error: {key}:") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_the_step_limit_without_dephasing_does_not_blame_the_dephasing_rate(tmp_path, capsys):
    code, err = _exit(tmp_path, '[model]\nkind = "spin_chain"\nn = 3\nJ = 1.0\nalpha_xxz = 0.5\n'
                      '[times]\nvalues = [0.0, 60.0]\n[run]\ntarget = "aer-ideal"\n[compile]\naccuracy = 0.0001\n', capsys)
    assert code == 2 and "dephasing" not in err, err


def test_little_signal_is_said_on_the_terminal_and_in_the_report(tmp_path, capsys):
    f = tmp_path / "exp.toml"
    # binary-encoded oscillators: ~1400 CZ at t = 1, far beyond what Fez's gate errors leave signal for
    f.write_text('[model]\nkind = "oscillator_pair"\ng = 1.0\nF = 0.25\ngamma_c = 1.0\nn_max = 3\n'
                 '[times]\nvalues = [0.0, 1.0]\n[run]\ntarget = "aer-noisy"\nshots = 2000\nrealizations = 4\n'
                 'bootstrap = 20\n[compile]\naccuracy = 0.05\nmax_step = 1.0\n')
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["warnings"] and "little signal" in res["warnings"][0]
    assert "little signal" in err and "little signal" in (tmp_path / "out" / "report.md").read_text()


def test_a_collision_program_too_long_for_the_device_names_the_collision_time(tmp_path, capsys):
    code, err = _exit(tmp_path, '[model]\nkind = "heat_engine_chargers"\nn = 2\nbeta_e_omega_0 = -0.5\ngamma_e = 1.0\n'
                      '[times]\nvalues = [0.0, 2.0]\n[run]\ntarget = "aer-noisy"\ndephasing = "mcm"\n', capsys)
    assert code == 2 and err.startswith("qbhw: error: times:") and "compile.collision_time" in err, err
