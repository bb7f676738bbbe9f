"""`qbhw run` / `qbhw report`: outputs, exit codes and one-line errors (no traceback, nothing
half-written).  Physics of the numbers is tested elsewhere; here the file contract."""

import json
import subprocess
import sys

import numpy as np
import pytest

from qbhw.experiment_file import SpecError, parse

GOOD = """
[model]
kind = "tls_pair"
g = 1.0
F = 0.5
gamma_c = 1.0
[times]
stop = 4.0
num = 5
[run]
target = "reference"
seed = 7
"""


def qbhw(*args, cwd):
    return subprocess.run([sys.executable, "-m", "qbhw.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_run_writes_results_plot_and_report(tmp_path):
    (tmp_path / "e.toml").write_text(GOOD)
    r = qbhw("run", "e.toml", "--out", "out", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["times"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    for key in ("battery_energy", "battery_ergotropy"):
        assert set(res[key]) == {"value", "stderr"} and len(res[key]["value"]) == 5
        assert set(res["reference"]) >= {"battery_energy", "battery_ergotropy"}
    # long-time limit of the resonant pair: E_B = 1/2, ergotropy = x/(1+4x^2) (physics.md R13-R14)
    assert res["summary"]["steady_battery_energy"] == pytest.approx(0.5, abs=1e-9)
    assert res["summary"]["steady_battery_ergotropy"] == pytest.approx(0.25, abs=1e-9)
    assert res["seed"] == 7 and "qiskit" in res["versions"]
    assert (tmp_path / "out" / "charging.png").stat().st_size > 10_000
    assert "charging time" in (tmp_path / "out" / "report.md").read_text()
    (tmp_path / "out" / "charging.png").unlink()
    r = qbhw("report", "out", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "out" / "charging.png").exists()


@pytest.mark.parametrize("text,match", [
    ("[model\nkind=1", "not valid TOML"),
    (GOOD.replace("gamma_c = 1.0", "gamma_c = 1.0\ngama = 2"), r"^model\.gama: unknown key"),
    (GOOD.replace("gamma_c = 1.0", "gamma_c = -1.0"), r"^model\.gamma_c must be >= 0"),
    (GOOD.replace("F = 0.5", 'F = "big"'), r"^model\.F: expected a finite number"),
    (GOOD.replace('kind = "tls_pair"', 'kind = "flux_capacitor"'), r"^model\.kind: expected one of"),
    (GOOD.replace("num = 5", "num = 1"), r"^times\.num: must be >= 2"),
    (GOOD.replace("seed = 7", "seed = 7\nshots = 0"), r"^run\.shots: must be >= 1"),
    (GOOD.replace('target = "reference"', 'target = "ibm_mars"'), r"^run\.target: expected one of"),
    (GOOD.replace('target = "reference"', 'target = "fake-local"'), r"^run\.backend: required"),
    (GOOD.replace('target = "reference"', 'target = "aer-ideal"\nmitigation = "snapshot"'), r"^run\.mitigation:"),
    (GOOD.replace("seed = 7", 'seed = 7\nfractional = "yes"'), r"^run\.fractional: expected true or false"),
    (GOOD + '\n[options]\ndynamical_decoupling = "XZ"\n', r"^options\.dynamical_decoupling: expected one of"),
    (GOOD + "\n[sweep]\nx = 1\n", r"^sweep\.x: unknown key"),
    (GOOD + "\n[extra]\nx = 1\n", r"^<top>\.extra: unknown key"),
    (GOOD + "\n[sweep]\nparameter = \"F\"\nvalues = [0.1, 0.1]\n", r"^sweep\.values: repeated"),
    (GOOD.replace("stop = 4.0\nnum = 5", "values = [0.0, 2.0, 1.0]"), r"strictly increasing"),
])
def test_spec_errors_name_the_key(text, match):
    with pytest.raises(SpecError, match=match):
        parse(text)


def test_cli_errors_are_one_line_and_leave_nothing(tmp_path):
    (tmp_path / "bad.toml").write_text(GOOD.replace("gamma_c = 1.0", "gamma_c = 1.0\ngama = 2"))
    for args in (["run", "bad.toml", "--out", "o"], ["run", "missing.toml", "--out", "o"], ["report", "nowhere"]):
        r = qbhw(*args, cwd=tmp_path)
        assert r.returncode == 2
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("qbhw: error: ")
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_spec_times_grid():
    assert parse(GOOD.replace("seed = 7", "seed = 7\nfractional = true")).fractional is True
    spec = parse(GOOD)
    np.testing.assert_allclose(spec.times, np.linspace(0, 4, 5))
    assert spec.build_model().params["gamma_c"] == 1.0


def test_sweep_runs_each_value_in_its_folder_and_resumes_only_what_is_missing(tmp_path):
    text = GOOD + '\n[sweep]\nparameter = "gamma_c"\nvalues = [0.3, 1.0, 4.0]\n'
    (tmp_path / "s.toml").write_text(text)
    r = qbhw("run", "s.toml", "--out", "sw", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    sweep = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert [row["value"] for row in sweep["runs"]] == [0.3, 1.0, 4.0]
    for row in sweep["runs"]:  # long-time ergotropy x/(1+4x^2) = 1/4 at F/g = 1/2 for every gamma > 0
        assert row["reference_steady_battery_ergotropy"] == pytest.approx(0.25, abs=1e-9)
    taus = [row["reference_charging_time"] for row in sweep["runs"]]
    assert taus[1] < taus[0] and taus[1] < taus[2]  # dephasing-assisted charging: an optimum in between
    assert (tmp_path / "sw" / "sweep.png").stat().st_size > 5_000
    keep = (tmp_path / "sw" / "gamma_c=0.3" / "results.json").stat().st_mtime_ns
    (tmp_path / "sw" / "gamma_c=1" / "results.json").unlink()
    (tmp_path / "sw" / "sweep.json").unlink()
    r = qbhw("resume", "sw", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "sw" / "gamma_c=0.3" / "results.json").stat().st_mtime_ns == keep
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text()) == sweep
    assert qbhw("report", "sw", "--quiet", cwd=tmp_path).returncode == 0
