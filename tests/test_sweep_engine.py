"""The sweep engine on Dask: a 2-worker cluster gives bit for bit the serial dataset, a worker
killed mid-sweep loses no finished point, a re-run recomputes only unfinished points, a
failing point leaves its parameters and traceback and does not stop the others.  Physics:
the exact charging times against an independent QuTiP solve (tests/test_sweep_engine.py::
tau_qutip), the long-time values against their closed forms."""

import functools
import json
import logging
import math
import os

import numpy as np
import pytest
import xarray as xr
from specs import TLS_PAIR

from qbhw.experiment_file import parse
from qbhw.sweep import dataset, engine

SWEEP = TLS_PAIR + """[times]
stop = 4.0
num = 5
[run]
target = "{target}"
shots = 200
realizations = 4
bootstrap = 20
seed = 11
[sweep]
gamma_c = [0.3, 1.0, 4.0]
"""


@pytest.fixture(scope="module")
def scheduler():
    """A 2-worker, 1-thread-each LocalCluster for this module, closed (no process left) after it."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def tau_qutip(gamma: float, F: float = 0.5, g: float = 1.0, n: float = 1.0, t_max: float = 80.0) -> float:
    """Charging time tau_n of the resonant TLS pair from a QuTiP mesolve on a fine grid (E_inf = 1/2)."""
    import qutip as qt

    sm, eye = qt.destroy(2), qt.qeye(2)
    x, y = sm + sm.dag(), -1j * (sm.dag() - sm)
    H = g / 2 * (qt.tensor(x, x) + qt.tensor(y, y)) + F * qt.tensor(x, eye)
    t = np.linspace(0.0, t_max, 16001)
    e = qt.mesolve(H, qt.tensor(qt.basis(2, 0), qt.basis(2, 0)), t, c_ops=[math.sqrt(gamma) * qt.tensor(sm.dag() * sm, eye)],
                   e_ops=[qt.tensor(eye, sm.dag() * sm)], options={"atol": 1e-11, "rtol": 1e-9}).expect[0]
    d, threshold = np.abs((e - 0.5) / (e[0] - 0.5)), math.exp(-n)
    i = int(np.flatnonzero(d > threshold)[-1])
    return float(t[i] + (d[i] - threshold) / (d[i] - d[i + 1]) * (t[i + 1] - t[i]))


def test_two_workers_give_the_serial_dataset_bit_for_bit(tmp_path, scheduler):
    spec = parse(SWEEP.format(target="aer-ideal"))
    for name, where in (("serial", engine.SERIAL), ("parallel", scheduler)):
        outcome = engine.run_sweep(tmp_path / name, spec, scheduler=where, quiet=True)
        assert outcome.computed == 3 and not outcome.failed
        dataset.write(tmp_path / name, dataset.build(tmp_path / name, spec))
    serial = xr.open_dataset(tmp_path / "serial" / "sweep.nc")
    parallel = xr.open_dataset(tmp_path / "parallel" / "sweep.nc")
    xr.testing.assert_identical(serial, parallel)
    assert serial["battery_energy"].dims == ("gamma_c", "time")
    assert serial["gamma_c"].values.tolist() == [0.3, 1.0, 4.0]
    assert serial["time"].values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert set(serial["status"].values) == {"done"}
    # long-time limit of the resonant pair at F/g = 1/2: E_B = 1/2, ergotropy x/(1+4x^2) = 1/4 (physics.md R13-R14)
    np.testing.assert_allclose(serial["steady_battery_energy"], 0.5, atol=1e-9)
    np.testing.assert_allclose(serial["steady_battery_ergotropy"], 0.25, atol=1e-9)
    # exact charging time against QuTiP (fine-grid interpolation: a few 1e-4 of discretisation error)
    expected = [tau_qutip(g) for g in (0.3, 1.0, 4.0)]
    np.testing.assert_allclose(serial["reference_charging_time"], expected, atol=2e-3)
    # the emulated points carry intervals around their values
    assert np.all(serial["battery_ergotropy_ci_low"] <= serial["battery_ergotropy"] + 1e-12)
    assert np.all(serial["battery_ergotropy"] <= serial["battery_ergotropy_ci_high"] + 1e-12)
    serial.close()
    parallel.close()


def _logged(spec, log: str, kill_marker: str | None = None, kill_at: float | None = None):
    """compute_point that logs each call's gamma_c; kills its worker process once at ``kill_at``."""
    gamma = spec.model_params["gamma_c"]
    with open(log, "a") as f:
        f.write(f"{gamma!r}\n")
    if kill_at is not None and gamma == kill_at and not os.path.exists(kill_marker):
        open(kill_marker, "w").close()
        os._exit(1)  # the worker process dies mid-task, as under an OOM kill
    return engine.compute_point(spec)


def _calls(log) -> list[float]:
    return [float(line) for line in open(log).read().split()] if os.path.exists(log) else []


def test_a_killed_worker_loses_no_point_and_a_rerun_computes_only_unfinished_ones(tmp_path, scheduler):
    spec = parse(SWEEP.format(target="reference").replace("[0.3, 1.0, 4.0]", "[0.3, 1.0, 2.0, 4.0]"))
    log, marker, out = str(tmp_path / "calls.log"), str(tmp_path / "killed"), tmp_path / "run"
    compute = functools.partial(_logged, log=log, kill_marker=marker, kill_at=2.0)
    outcome = engine.run_sweep(out, spec, scheduler=scheduler, quiet=True, compute=compute)
    assert os.path.exists(marker)  # the worker did die on gamma_c = 2
    assert not outcome.failed and outcome.computed == 4
    calls = _calls(log)
    # the scheduler retried the killed point (and recomputes any result the dead worker still held)
    assert set(calls) == {0.3, 1.0, 2.0, 4.0} and calls.count(2.0) == 2
    before = dataset.build(out, spec)
    stamps = {p: (p / "results.json").stat().st_mtime_ns for p in (out / "points").iterdir()}
    # a point lost with its results (as if the sweep was killed while it ran): only it is recomputed
    (out / "points" / "gamma_c=1.0" / "results.json").unlink()
    os.remove(log)
    outcome = engine.run_sweep(out, spec, scheduler=scheduler, quiet=True, compute=compute)
    assert (outcome.computed, outcome.skipped) == (1, 3) and _calls(log) == [1.0]
    for p, stamp in stamps.items():
        if p.name != "gamma_c=1.0":
            assert (p / "results.json").stat().st_mtime_ns == stamp
    xr.testing.assert_identical(before, dataset.build(out, spec))  # same seed, same numbers
    assert engine.run_sweep(out, spec, scheduler=engine.SERIAL, quiet=True, compute=compute).computed == 0


def _fails_at(spec, value):
    if spec.model_params["gamma_c"] == value:
        raise ValueError("a deliberate failure")
    return engine.compute_point(spec)


def test_a_failing_point_records_parameters_and_traceback_and_spares_the_others(tmp_path):
    spec = parse(SWEEP.format(target="reference"))
    outcome = engine.run_sweep(tmp_path, spec, scheduler=engine.SERIAL, quiet=True,
                               compute=functools.partial(_fails_at, value=1.0))
    assert outcome.failed == ("gamma_c=1.0",)
    failure = json.loads((tmp_path / "points" / "gamma_c=1.0" / "failed.json").read_text())
    assert failure["coords"] == {"gamma_c": 1.0} and failure["error"] == "ValueError: a deliberate failure"
    assert "Traceback" in failure["traceback"] and "_fails_at" in failure["traceback"]
    ds = dataset.build(tmp_path, spec)
    assert ds["status"].values.tolist() == ["done", "failed", "done"]
    assert np.isnan(ds["reference_charging_time"].sel(gamma_c=1.0)) and np.isfinite(ds["reference_charging_time"].sel(gamma_c=0.3))
    # a re-run retries the failed point only, and its failure record goes
    outcome = engine.run_sweep(tmp_path, spec, scheduler=engine.SERIAL, quiet=True)
    assert (outcome.computed, outcome.failed) == (1, ())
    assert not (tmp_path / "points" / "gamma_c=1.0" / "failed.json").exists()


def test_an_unreachable_scheduler_is_a_one_line_input_error(tmp_path):
    from qbhw.errors import InputError

    spec = parse(SWEEP.format(target="reference"))
    with pytest.raises(InputError, match=r"^scheduler: cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 ") as info:
        engine.run_sweep(tmp_path, spec, scheduler="tcp://127.0.0.1:9", quiet=True)
    assert "\n" not in str(info.value)
    assert not list(tmp_path.glob("points/*/results.json"))


def test_zipped_lists_merge_along_one_dimension_and_plot(tmp_path):
    from qbhw import report

    spec = parse(SWEEP.format(target="reference").replace("gamma_c = [0.3, 1.0, 4.0]",
                                                          "dephasing = [\"kicks\", \"none\"]\n[sweep.zip]\n"
                                                          "F = [0.25, 0.5]\ngamma_c = [2.0, 1.0]"))
    assert not engine.run_sweep(tmp_path, spec, scheduler=engine.SERIAL, quiet=True).failed
    ds = dataset.build(tmp_path, spec)
    assert ds["battery_energy"].dims == ("dephasing", "zip", "time")
    assert ds["dephasing"].values.tolist() == ["kicks", "none"]
    assert ds["F"].dims == ("zip",) and ds["F"].values.tolist() == [0.25, 0.5]
    assert ds["gamma_c"].values.tolist() == [2.0, 1.0]
    x = ds["F"].values  # long-time ergotropy x/(1+4x^2), x = F/g, whatever gamma_c (physics.md R14)
    np.testing.assert_allclose(ds["steady_battery_ergotropy"].isel(dephasing=0), x / (1 + 4 * x**2), atol=1e-9)
    names = [p.name for p in report.plot_sweep(tmp_path, ds)]
    assert names == ["sweep.png", "sweep_dephasing.png", "sweep_zip.png"]
