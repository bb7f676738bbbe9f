"""`qbhw run` / `resume` / `report` / `export-circuits`: outputs, exit codes and one-line errors
(no traceback, nothing half-written, no token anywhere).  Physics of the numbers is tested
elsewhere; here the file contract.  Ctrl-C of a real process: tests/test_cli_signals.py."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from specs import TLS_PAIR

import qbhw as package
from qbhw import cli
from qbhw.errors import InputError
from qbhw.experiment_file import parse

GOOD = TLS_PAIR + """[times]
stop = 4.0
num = 5
[run]
target = "reference"
seed = 7
"""


# a small device run: 2 times x 3 bases x 4 realizations, a job manifest, a few seconds
NOISY = TLS_PAIR + """[times]
values = [0.0, 1.0]
[run]
target = "aer-noisy"
shots = 400
realizations = 4
bootstrap = 20
seed = 7
"""


def qbhw(*args, cwd, env=None, timeout=None):
    return subprocess.run([sys.executable, "-m", "qbhw.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


def one_error_line(stderr: str) -> str:
    """The single 'qbhw: error:' line of ``stderr`` (and no traceback)."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("qbhw: error: ")]
    assert len(lines) == 1, stderr
    return lines[0].removeprefix("qbhw: error: ")


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
    (GOOD.replace("gamma_c = 1.0", "gamma_c = -1.0"), r"^model\.gamma_c: .*must be >= 0"),
    (GOOD.replace("F = 0.5", 'F = "big"'), r"^model\.F: expected a finite number"),
    (GOOD.replace('kind = "tls_pair"', 'kind = "flux_capacitor"'), r"^model\.kind: expected one of"),
    (GOOD.replace("num = 5", "num = 1"), r"^times\.num: must be >= 2"),
    (GOOD.replace("seed = 7", "seed = 7\nshots = 0"), r"^run\.shots: must be >= 1"),
    (GOOD.replace('target = "reference"', 'target = "ibm_mars"'), r"^run\.target: expected one of"),
    (GOOD.replace('target = "reference"', 'target = "fake-local"'), r"^run\.backend: required"),
    (GOOD.replace('target = "reference"', 'target = "aer-ideal"\nmitigation = "snapshot"'), r"^run\.mitigation:"),
    (GOOD.replace("seed = 7", 'seed = 7\nfractional = "yes"'), r"^run\.fractional: expected true, false or \"auto\""),
    (GOOD.replace("seed = 7", "seed = 7\nzne = [1, 3]"), r"^run\.zne: .*target 'reference' has no gate noise"),
    (GOOD.replace('target = "reference"', 'target = "aer-noisy"\nzne = [1]'), r"^run\.zne: need at least two"),
    (GOOD.replace('target = "reference"', 'target = "aer-noisy"\nzne = [0.5, 3]'), r"^run\.zne: noise factors must"),
    (GOOD.replace("seed = 7", 'seed = 7\ntomography = "charger"'), r"^run\.tomography: expected one of"),
    (GOOD + '\n[compile]\nsteps = "fast"\n', r"^compile\.steps: expected one of"),
    (GOOD + '\n[options]\ndynamical_decoupling = "XZ"\n', r"^options\.dynamical_decoupling: expected one of"),
    (GOOD + "\n[sweep]\nx = 1\n", r"^sweep\.x: unknown key"),
    (GOOD + "\n[extra]\nx = 1\n", r"^<top>\.extra: unknown key"),
    (GOOD + "\n[sweep]\nparameter = \"F\"\nvalues = [0.1, 0.1]\n", r"^sweep\.values: repeated"),
    (GOOD.replace("stop = 4.0\nnum = 5", "values = [0.0, 2.0, 1.0]"), r"strictly increasing"),
])
def test_spec_errors_name_the_key(text, match):
    with pytest.raises(InputError, match=match) as info:  # SpecError, or a model constructor's re-keyed error
        parse(text)
    assert info.value.key == str(info.value).split(":", 1)[0]


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
    import xarray as xr

    text = GOOD + '\n[sweep]\nparameter = "gamma_c"\nvalues = [0.3, 1.0, 4.0]\n'
    (tmp_path / "s.toml").write_text(text)
    r = qbhw("run", "s.toml", "--out", "sw", "--quiet", "--scheduler", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(tmp_path / "sw" / "sweep.nc") as ds:
        sweep = ds.load()
    assert sweep["gamma_c"].values.tolist() == [0.3, 1.0, 4.0]
    # long-time ergotropy x/(1+4x^2) = 1/4 at F/g = 1/2 for every gamma > 0
    np.testing.assert_allclose(sweep["steady_battery_ergotropy"], 0.25, atol=1e-9)
    taus = sweep["reference_charging_time"].values
    assert taus[1] < taus[0] and taus[1] < taus[2]  # dephasing-assisted charging: an optimum in between
    assert (tmp_path / "sw" / "sweep_gamma_c.png").stat().st_size > 5_000
    points = tmp_path / "sw" / "points"
    keep = (points / "gamma_c=0.3" / "results.json").stat().st_mtime_ns
    (points / "gamma_c=1.0" / "results.json").unlink()
    (tmp_path / "sw" / "sweep.nc").unlink()
    r = qbhw("resume", "sw", "--quiet", "--scheduler", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (points / "gamma_c=0.3" / "results.json").stat().st_mtime_ns == keep
    with xr.open_dataset(tmp_path / "sw" / "sweep.nc") as ds:
        xr.testing.assert_identical(ds.load(), sweep)
    assert qbhw("report", "sw", "--quiet", cwd=tmp_path).returncode == 0


def test_version_and_lazy_subpackages(tmp_path):
    r = qbhw("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"qbhw {package.__version__}"
    code = ("import sys, qbhw; light = 'qiskit' not in sys.modules and 'numpy' not in sys.modules; "
            "print(light, callable(qbhw.models.tls_pair), callable(qbhw.reference.evolve), 'models' in dir(qbhw))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.split() == ["True", "True", "True", "True"], out.stderr
    with pytest.raises(AttributeError, match="no attribute 'flux_capacitor'"):
        package.flux_capacitor


def test_binary_experiment_file_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 8)
    assert cli.main(["run", "e.toml", "--out", "o"]) == 2
    assert "e.toml" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]


def test_output_folder_not_empty_is_refused_and_left_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.toml").write_text(GOOD)
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("mine")
    assert cli.main(["run", "e.toml", "--out", "o"]) == 2
    assert "not empty" in one_error_line(capsys.readouterr().err)
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["keep.txt"]
    assert (tmp_path / "o" / "keep.txt").read_text() == "mine"


def test_resume_refuses_folders_that_are_not_unfinished_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    for folder in ("nowhere", "empty", "other"):
        assert cli.main(["resume", folder]) == 2
        assert "not a qbhw run folder" in one_error_line(capsys.readouterr().err)
    (tmp_path / "e.toml").write_text(GOOD)
    assert cli.main(["run", "e.toml", "--out", "done", "--quiet"]) == 0
    assert cli.main(["resume", "done"]) == 2
    assert "this run is complete" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["notes.txt"]


def test_export_circuits_writes_parsable_openqasm3(tmp_path, capsys):
    from qiskit import qasm3

    from qbhw.compile.export import circuits

    assert cli.main(["export-circuits", str(tmp_path / "qasm")]) == 0
    written = {p.name: p.read_text() for p in (tmp_path / "qasm").iterdir()}
    assert written.keys() == circuits().keys() and f"wrote {len(written)} circuits" in capsys.readouterr().out
    for name, text in written.items():
        qc = qasm3.loads(text)
        assert qc.num_qubits >= 2 and any(i.operation.name == "measure" for i in qc.data), name


def _errors():
    from qbhw.errors import InputError, ResourceError
    from qbhw.execute import CostError
    from qbhw.reference.solve import TruncationError

    return [
        (InputError("run.realizations", "too many for the step limit"), 2, "run.realizations: too many"),
        (ResourceError("times.num", "100000 times need 40 GB (limit 8 GB)"), 2, "times.num: 100000 times"),
        (TruncationError("the highest Fock level holds 3e-2 of the population"), 2, "model.n_max: the highest"),
        (RuntimeError("the simulator crashed"), 1, "the simulator crashed"),
        (MemoryError("Unable to allocate 7.5 GiB"), 1, "out of memory (Unable to allocate 7.5 GiB)"),
        (CostError("estimated 900 QPU seconds on ibm_fez exceeds 60 s; rerun with --yes"), 3, "rerun with --yes"),
        (KeyboardInterrupt(), 130, "interrupted before anything was stored; nothing was kept"),
    ]


@pytest.mark.parametrize("index", range(7))
def test_run_exit_codes_and_nothing_left_before_anything_was_stored(index, tmp_path, monkeypatch, capsys):
    error, code, message = _errors()[index]

    def fail(*args, **kwargs):
        raise error

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("qbhw.results.run_spec", fail)
    (tmp_path / "e.toml").write_text(GOOD)
    assert cli.main(["run", "e.toml", "--out", "o", "--quiet"]) == code
    assert message in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]
    (tmp_path / "empty").mkdir()  # an empty --out folder of the user's stays, empty
    assert cli.main(["run", "e.toml", "--out", "empty", "--quiet"]) == code
    assert list((tmp_path / "empty").iterdir()) == []


class _StopWhenDone:
    """Progress stand-in that raises ``error`` once every PUB's counts are on disk."""

    error: BaseException = RuntimeError("the connection dropped")

    def __init__(self, label, quiet):
        pass

    def __call__(self, done, total):
        if done == total:
            raise self.error


@pytest.mark.parametrize("error,code,message", [
    (RuntimeError("the connection dropped"), 1, "the connection dropped (submitted work is kept: qbhw resume o)"),
    (KeyboardInterrupt(), 3, "interrupted; continue with: qbhw resume o"),
])
def test_stop_after_work_is_stored_keeps_the_folder_and_resume_runs_nothing_twice(error, code, message, tmp_path,
                                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.toml").write_text(NOISY)
    monkeypatch.setattr(_StopWhenDone, "error", error)
    monkeypatch.setattr(cli, "Progress", _StopWhenDone)
    assert cli.main(["run", "e.toml", "--out", "o", "--quiet"]) == code
    assert one_error_line(capsys.readouterr().err) == message
    counts = sorted((tmp_path / "o" / "jobs").rglob("*.npy"))
    assert len(counts) == 6 and not (tmp_path / "o" / "results.json").exists()
    stamps = [p.stat().st_mtime_ns for p in counts]
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["resume", "o", "--quiet"]) == 0, capsys.readouterr().err
    assert [p.stat().st_mtime_ns for p in counts] == stamps  # fetched from disk, not run again
    assert json.loads((tmp_path / "o" / "results.json").read_text())["schema_version"] >= 1


def test_qpu_cost_needs_yes_on_an_ibm_device(tmp_path, monkeypatch, capsys):
    """The "ibm" path with a 5-qubit fake device standing in for the service (no network): above
    the confirmation threshold the run stops with exit 3 and leaves nothing; --yes runs it."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("qbhw.execute.runtime.connect", lambda name, **kwargs: FakeManilaV2())
    monkeypatch.setattr("qbhw.execute.targets.CONFIRM_QPU_SECONDS", 0.0)
    text = NOISY.replace('target = "aer-noisy"', 'target = "ibm"\nbackend = "ibm_fez"').replace("shots = 400", "shots = 40")
    (tmp_path / "e.toml").write_text(text.replace("realizations = 4", "realizations = 2"))
    assert cli.main(["run", "e.toml", "--out", "o", "--quiet"]) == 3
    assert "--yes" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]
    assert cli.main(["run", "e.toml", "--out", "o", "--quiet", "--yes"]) == 0, capsys.readouterr().err
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["target"] == "ibm" and "measured on fake_manila" in (tmp_path / "o" / "report.md").read_text()


def _ibm_env(tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT_IBM_")}
    (tmp_path / "home").mkdir(exist_ok=True)
    return {**env, "HOME": str(tmp_path / "home"), **variables}


SECRET = "qbhwTestToken0123456789abcdefNotReal"


@pytest.mark.parametrize("variables,names", [
    ({}, "no IBM Quantum account"),
    ({"QISKIT_IBM_TOKEN": SECRET}, "QISKIT_IBM_TOKEN"),
    ({"QISKIT_IBM_TOKEN": SECRET, "QISKIT_IBM_INSTANCE": "crn:v1:bluemix:public"}, "QISKIT_IBM_INSTANCE"),
])
def test_ibm_account_problems_are_one_line_exit_2_and_never_show_the_token(variables, names, tmp_path):
    """No network here: a wrong token fails when the client cannot reach IBM Cloud, a malformed
    instance before any request.  Every output (stdout, stderr, files) is searched for the token."""
    (tmp_path / "e.toml").write_text(GOOD.replace('target = "reference"', 'target = "ibm"\nbackend = "ibm_fez"'))
    r = qbhw("run", "e.toml", "--out", "o", cwd=tmp_path, env=_ibm_env(tmp_path, **variables), timeout=300)
    assert r.returncode == 2
    assert names in one_error_line(r.stderr)
    assert not (tmp_path / "o").exists()
    outputs = [r.stdout, r.stderr] + [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(SECRET in text for text in outputs)


def test_client_errors_become_one_line_without_the_token(monkeypatch):
    """The client's own exceptions (here one that quotes the token) are re-raised as one line
    naming the variable; a malformed instance CRN is refused before the client is built."""
    import qiskit_ibm_runtime
    from qiskit_ibm_runtime.accounts import InvalidAccountError

    from qbhw.execute.runtime import IBMAccountError, connect

    for var in [k for k in os.environ if k.startswith("QISKIT_IBM_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", SECRET)

    def refuse(self, *args, **kwargs):
        raise InvalidAccountError(f"token {SECRET} was refused\nsecond line")

    monkeypatch.setattr(qiskit_ibm_runtime.QiskitRuntimeService, "__init__", refuse)
    with pytest.raises(IBMAccountError) as info:
        connect("ibm_fez")
    text = str(info.value)
    assert text.startswith("QISKIT_IBM_TOKEN: ") and "\n" not in text and SECRET not in text and "***" in text
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:bluemix:public:quantum-computing")
    monkeypatch.setattr(qiskit_ibm_runtime.QiskitRuntimeService, "__init__",
                        lambda self, *a, **k: pytest.fail("the client was built despite a malformed instance"))
    with pytest.raises(IBMAccountError, match="^QISKIT_IBM_INSTANCE: .* is not an instance CRN"):
        connect("ibm_fez")


def test_terminal_says_which_times_it_shows_and_prints_the_warnings(tmp_path, monkeypatch, capsys):
    from qbhw import results as results_module

    real = results_module.run_spec
    monkeypatch.setattr("qbhw.results.run_spec",
                        lambda *a, **k: {**real(*a, **k), "warnings": ["little signal left on these qubits"]})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.toml").write_text(GOOD.replace("num = 5", "num = 63"))
    assert cli.main(["run", "e.toml", "--out", "o"]) == 0
    out, err = capsys.readouterr()
    shown = [line for line in out.splitlines() if line[:8].strip().replace(".", "", 1).isdigit()]
    assert len(shown) == cli.TERMINAL_ROWS < 63
    assert f"showing {cli.TERMINAL_ROWS} of 63 time points" in out
    assert "qbhw: warning: little signal left on these qubits" in err
    assert "**warning**: little signal left on these qubits" in (tmp_path / "o" / "report.md").read_text()


def test_an_error_caused_by_ctrl_c_during_an_extension_import_is_an_interrupt(monkeypatch, capsys):
    """Seen at 0.3 s under load: Ctrl-C while qiskit's Rust types initialise surfaces as
    RuntimeError('An error occurred while initializing ...') caused by the KeyboardInterrupt."""
    def export(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("An error occurred while initializing `QubitSparsePauli.Pauli`") from err

    monkeypatch.setattr(cli, "_cmd_export", export)
    assert cli.main(["export-circuits", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == "qbhw: error: interrupted\n"
