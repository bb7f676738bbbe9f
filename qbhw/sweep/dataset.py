"""The finished points of a sweep merged into one labelled xarray Dataset (``sweep.nc``).

Dimensions: the swept parameters in grid order (coordinates = their values; qubit lists as
``"45-37"``), ``zip`` for ``[sweep.zip]`` (its parameters are coordinates along it), ``time``
(the run's times) and ``curve_time`` (the exact curve, dense in time).  Variables over
(grid, time): ``battery_energy`` and ``battery_ergotropy`` with ``_stderr``, ``_ci_low`` /
``_ci_high`` (the run's interval, value +- stderr where none was stored), ``reference_*``
(exact model), ``device_reference_*`` (noise-exact device prediction) and
``decoherence_reference_*`` (Lindblad + T1/T2) where the target has them.  Figures of merit
over the grid: ``charging_time``, ``max_average_power`` (+ ``_time``) and, where the run
computes it, ``late_ergotropy_ratio``, each with ``_ci_low`` / ``_ci_high`` (measured runs'
95 % interval) and ``_estimand`` (the exact curve at the run's times by the same rule);
``reference_charging_time``, ``reference_max_average_power`` (+ ``_time``; exact model, dense
curve), ``steady_battery_energy`` / ``steady_battery_ergotropy`` / ``energy_relaxation_rate``
(exact), ``status`` ("done", "failed" or "missing") and ``seed`` (each point's).
Missing values are NaN.  Attributes: the experiment file, run seed, target, point seeds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .engine import FAILURE_FILE, RESULT_FILE, point_folder
from .grid import ZIP_DIM, format_value

DATASET_FILE = "sweep.nc"
ENGINE = "h5netcdf"
SERIES = ("battery_energy", "battery_ergotropy")
REFERENCES = ("reference", "device_reference", "decoherence_reference")

def _coordinate(values) -> np.ndarray:
    """Coordinate labels: numbers stay numbers; strings, booleans and qubit lists become strings."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float if any(isinstance(v, float) for v in values) else np.int64)
    return np.asarray([format_value(v) for v in values], dtype=str)


def _series(results: dict, key: str, n: int) -> dict[str, np.ndarray]:
    """Measured value, stderr and interval bounds of ``key`` (NaN where absent)."""
    q = results.get(key)
    nan = np.full(n, np.nan)
    if q is None:
        return {key: nan, f"{key}_stderr": nan, f"{key}_ci_low": nan, f"{key}_ci_high": nan}
    value = np.asarray(q["value"], dtype=float)
    err = np.asarray(q.get("stderr", nan), dtype=float)
    if q.get("ci95") is not None:
        ci = np.asarray(q["ci95"], dtype=float)
        low, high = ci[:, 0], ci[:, 1]
    else:
        low, high = value - err, value + err
    return {key: value, f"{key}_stderr": err, f"{key}_ci_low": low, f"{key}_ci_high": high}


def _merit(results: dict) -> dict[str, float]:
    """Figures of merit of one point.  Measured runs carry them (results "figures_of_merit":
    value, 95 % interval and ``estimand``, the exact curve at the same times by the same rule);
    otherwise (target "reference") tau and the maximum average power of the curve on the run's
    grid with E_inf = the exact long-time E_B.  ``reference_*``: the exact model (dense curve,
    steady state) from the summary."""
    s = results.get("summary") or {}
    out = {f"reference_{k}": s.get(k) for k in ("charging_time", "max_average_power", "max_average_power_time")}
    out.update({k: s.get(k) for k in ("steady_battery_energy", "steady_battery_ergotropy", "energy_relaxation_rate")})
    figures = results.get("figures_of_merit") or _grid_figures(results, s)
    for name, f in figures.items():
        low, high = f.get("ci95") if f.get("ci95") is not None else (None, None)
        out.update({name: f.get("value"), f"{name}_ci_low": low, f"{name}_ci_high": high,
                    f"{name}_estimand": f.get("estimand")})
    return {k: (np.nan if v is None else float(v)) for k, v in out.items()}


def _grid_figures(results: dict, summary: dict) -> dict[str, dict]:
    """tau and the maximum average power of the (exact) curve on the run's time grid."""
    from ..metrics import charging_time, max_average_power

    t = np.asarray(results["times"], dtype=float)
    e = np.asarray(results["battery_energy"]["value"], dtype=float)
    e_inf = summary.get("steady_battery_energy")
    out = {}
    try:
        tau = charging_time(t, e, summary.get("charging_n", 1.0), e_inf=e_inf) if e_inf is not None else None
    except ValueError:
        tau = None
    out["charging_time"] = {"value": tau, "estimand": tau}
    try:
        p, tp = max_average_power(t, e)
    except ValueError:
        p = tp = None
    out["max_average_power"] = {"value": p, "estimand": p}
    out["max_average_power_time"] = {"value": tp, "estimand": tp}
    return out


def _point_values(results: dict, n: int) -> dict[str, np.ndarray]:
    out = {}
    for key in SERIES:
        out.update(_series(results, key, n))
        for ref in REFERENCES:
            values = (results.get(ref) or {}).get(key)
            out[f"{ref}_{key}"] = np.full(n, np.nan) if values is None else np.asarray(values, dtype=float)
    return out


def load_point(folder: Path, point) -> tuple[str, dict | None]:
    """(status, results) of one point from its folder: "done", "failed" or "missing"."""
    sub = point_folder(folder, point)
    if (sub / RESULT_FILE).exists():
        return "done", json.loads((sub / RESULT_FILE).read_text())
    return ("failed" if (sub / FAILURE_FILE).exists() else "missing"), None


def build(folder: Path, spec):
    """The Dataset of ``spec``'s sweep from the point files in ``folder`` (nothing recomputed)."""
    import xarray as xr

    from .. import report

    grid = spec.sweep
    times = np.asarray(spec.times, dtype=float)
    shape = grid.shape
    points = spec.sweep_points()
    loaded = [(p, s, *load_point(folder, p)) for p, s in points]
    done = [r for *_, r in loaded if r is not None]
    curve_t = np.asarray(done[0]["reference_curve"]["times"], dtype=float) if done else np.zeros(0)
    series = {}
    merit = {}
    curves = {f"reference_curve_{k}": np.full((*shape, curve_t.size), np.nan) for k in SERIES}
    status = np.full(shape, "missing", dtype=object)
    seeds = np.zeros(shape, dtype=np.int64)
    for p, s, state, results in loaded:
        status[p.index], seeds[p.index] = state, s.seed
        if results is None:
            continue
        for k, v in _point_values(results, times.size).items():
            series.setdefault(k, np.full((*shape, times.size), np.nan))[p.index] = v
        for k, v in _merit(results).items():
            merit.setdefault(k, np.full(shape, np.nan))[p.index] = v
        curve = results.get("reference_curve") or {}
        for k in SERIES:
            if curve.get(k) is not None and len(curve[k]) == curve_t.size:
                curves[f"reference_curve_{k}"][p.index] = np.asarray(curve[k], dtype=float)
    dims = grid.dims
    data = {k: ((*dims, "time"), v) for k, v in series.items()}
    data.update({k: (dims, v) for k, v in merit.items()})
    data.update({k: ((*dims, "curve_time"), v) for k, v in curves.items()})
    data["status"] = (dims, status.astype(str))
    data["seed"] = (dims, seeds)
    coords = {a.name: _coordinate(a.values) for a in grid.axes}
    if grid.zipped:
        coords[ZIP_DIM] = np.arange(len(grid.zipped[0].values))
        coords.update({a.name: (ZIP_DIM, _coordinate(a.values)) for a in grid.zipped})
    coords.update(time=times, curve_time=curve_t)
    attrs = {"title": f"{spec.model_kind} sweep", "experiment": _spec_text(folder, spec), "run_seed": spec.seed,
             "target": spec.target, "sweep": json.dumps(grid.to_dict()), "points": len(points),
             "points_done": len(done), "charging_n": spec.charging_n,
             "source": report.source(done[0]) if done else spec.target}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _spec_text(folder: Path, spec) -> str:
    path = Path(folder) / "experiment.toml"
    return path.read_text() if path.exists() else json.dumps(spec.to_dict())


def write(folder: Path, ds) -> Path:
    """``folder/sweep.nc``, atomically (a temporary file replaced into place)."""
    path = Path(folder) / DATASET_FILE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".nc")
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine=ENGINE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(folder: Path):
    """The merged Dataset of a finished sweep (loaded into memory, the file closed)."""
    import xarray as xr

    path = Path(folder) / DATASET_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (not a finished qbhw sweep folder)")
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return ds.load()
