"""Sweeps from experiment files through `qbhw run` / `qbhw report`: a 2-D grid (gamma_c x F)
on the default LocalCluster, a sweep over two calibration snapshots, one-line errors for bad
sweeps, and re-plotting from sweep.nc without recomputing."""

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from specs import TLS_PAIR

GRID = TLS_PAIR + """[times]
stop = 4.0
num = 5
[run]
target = "reference"
seed = 3
[sweep]
gamma_c = [0.5, 2.0]
F = [0.25, 0.5, 1.0]
"""

BACKENDS = TLS_PAIR + """[times]
values = [0.0, 1.0]
[run]
target = "aer-noisy"
shots = 400
realizations = 4
bootstrap = 20
seed = 5
[sweep]
backend = ["fake_fez-2025-02-26", "fake_marrakesh-2025-02-26"]
"""


def qbhw(*args, cwd):
    return subprocess.run([sys.executable, "-m", "qbhw.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def one_error_line(r) -> str:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("qbhw: error: ")
    return r.stderr.removeprefix("qbhw: error: ").strip()


def open_sweep(folder):
    with xr.open_dataset(folder / "sweep.nc") as ds:
        return ds.load()


def test_a_2d_grid_runs_on_the_local_cluster_and_report_replots_without_recomputing(tmp_path):
    (tmp_path / "grid.toml").write_text(GRID)
    r = qbhw("run", "grid.toml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Dask dashboard: http" in r.stderr and "6 points computed" in r.stdout
    out = tmp_path / "out"
    ds = open_sweep(out)
    assert ds["battery_energy"].dims == ("gamma_c", "F", "time")
    assert ds["gamma_c"].values.tolist() == [0.5, 2.0] and ds["F"].values.tolist() == [0.25, 0.5, 1.0]
    # long-time limit of the resonant pair (physics.md R13-R14): E_B = 1/2, ergotropy x/(1+4x^2), x = F/g
    x = ds["F"].values
    np.testing.assert_allclose(ds["steady_battery_energy"], 0.5, atol=1e-9)
    np.testing.assert_allclose(ds["steady_battery_ergotropy"], np.broadcast_to(x / (1 + 4 * x**2), (2, 3)), atol=1e-9)
    plots = ["sweep.png", "sweep_F.png", "sweep_gamma_c.png"]
    assert sorted(p.name for p in out.glob("sweep*.png")) == plots
    stamps = {p: p.stat().st_mtime_ns for p in [out / "sweep.nc", *out.glob("points/*/results.json")]}
    for name in plots:
        (out / name).unlink()
    r = qbhw("report", "out", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert all((out / name).stat().st_size > 5_000 for name in plots)
    assert all(p.stat().st_mtime_ns == stamp for p, stamp in stamps.items())  # nothing recomputed or rewritten


def test_a_sweep_over_two_calibration_snapshots(tmp_path):
    (tmp_path / "b.toml").write_text(BACKENDS)
    r = qbhw("run", "b.toml", "--out", "out", "--quiet", "--scheduler", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ds = open_sweep(tmp_path / "out")
    assert ds["backend"].values.tolist() == ["fake_fez-2025-02-26", "fake_marrakesh-2025-02-26"]
    assert ds["battery_ergotropy"].dims == ("backend", "time")
    assert set(ds["status"].values) == {"done"}
    dev = ds["device_reference_battery_energy"].values
    assert np.all(np.isfinite(dev)) and np.all(dev[:, 0] < 0.05)  # both start near the ground state
    assert not np.array_equal(dev[0], dev[1])  # each point used its own snapshot's noise
    assert np.all(ds["seed"].values > 0) and ds["seed"].values[0] != ds["seed"].values[1]


@pytest.mark.parametrize("sweep,args,match", [
    ("gamma_x = [1.0]", (), r"^sweep\.gamma_x: unknown key"),
    ("seed = [1, 2]", (), r"^sweep\.seed: not sweepable"),
    ("[sweep.zip]\nF = [0.1, 0.2]\nshots = [100]", (), r"^sweep\.zip\.shots: 1 values"),
    ('backend = ["fake_fez-2025-02-26", "fake_nowhere"]', (), r"^sweep\.backend: 'fake_nowhere'"),
    ("gamma_c = [0.5, 1.0]", ("--scheduler", "fast"), r"^--scheduler: expected 'local', 'none'"),
])
def test_bad_sweeps_are_one_line_errors_and_leave_nothing(tmp_path, sweep, args, match):
    text = GRID.split("[sweep]")[0].replace('target = "reference"', 'target = "aer-noisy"') + "[sweep]\n" + sweep + "\n"
    (tmp_path / "bad.toml").write_text(text)
    message = one_error_line(qbhw("run", "bad.toml", "--out", "o", *args, cwd=tmp_path))
    assert __import__("re").match(match, message), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_an_ibm_sweep_runs_serially_through_the_manifest_after_one_grid_estimate(tmp_path, monkeypatch, capsys):
    """A 5-qubit fake device stands in for the service (no network).  Above the threshold the
    whole grid is refused before anything is submitted; with --yes every point keeps its manifest."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qbhw import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("qbhw.execute.runtime.connect", lambda name, **kwargs: FakeManilaV2())
    monkeypatch.setattr("qbhw.execute.targets.CONFIRM_QPU_SECONDS", 0.0)
    text = BACKENDS.split("[sweep]")[0].replace('target = "aer-noisy"', 'target = "ibm"\nbackend = "ibm_fez"')
    (tmp_path / "e.toml").write_text(text.replace("shots = 400", "shots = 40").replace("realizations = 4", "realizations = 2")
                                     + "[sweep]\ngamma_c = [0.5, 2.0]\n")
    assert cli.main(["run", "e.toml", "--out", "o", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "for the 2 unfinished sweep points on fake_manila" in err and "--yes" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]  # nothing submitted, nothing kept
    assert cli.main(["run", "e.toml", "--out", "o", "--yes"]) == 0, capsys.readouterr().err
    assert "estimated QPU time for the sweep" in capsys.readouterr().err
    for label in ("gamma_c=0.5", "gamma_c=2.0"):
        assert (tmp_path / "o" / "points" / label / "jobs" / "manifest.json").exists()
    ds = open_sweep(tmp_path / "o")
    assert ds.attrs["target"] == "ibm" and ds["battery_energy"].dims == ("gamma_c", "time")
    assert set(ds["status"].values) == {"done"}
