"""Run the experiment library (experiments/lib_*.toml) and write its results table, figures and README block.

    ./dev experiments                                                 # the same as the next line
    .venv/bin/python benchmarks/experiment_library.py                 # full size, each file's own target
    .venv/bin/python benchmarks/experiment_library.py --reduced       # few times, realizations, shots
    .venv/bin/python benchmarks/experiment_library.py --reduced --target reference --only lib_06,lib_07
    .venv/bin/python benchmarks/experiment_library.py --table-only    # redraw everything from results/library/

Each file runs through ``qbhw.results.run_spec`` and ``qbhw.report.write_all`` (a sweep: one
run per grid point, serially, into ``points/<label>/``) into ``results/library/<stem>/``
(gitignored); a point that fails or is refused (e.g. a circuit beyond the device's coherence)
is recorded in the table with its one-line reason instead of stopping the library.  The table
(``docs/library_table.md``) has one row per run: the seed's claim, the exact reference, the
emulated-device value with its 95 % interval, and the circuit cost (2q gates and depth of the
deepest circuit as placed on the device, total shots, estimated QPU seconds on the named
device by :func:`qbhw.execute.runtime.estimate_qpu_seconds`).  Ratios of two runs (collective
vs parallel, global vs parallel) are derived rows; their interval pairs the two runs' bootstrap
resamples (independent runs; :func:`qbhw.analysis.figure_ratio`).  Every number in the table is
computed here; only the seed claims are quoted text.

From the same runs (so ``--table-only`` redraws them from the folders) it draws one figure per
file, ``docs/figures/<stem>.png`` (:data:`PANELS`: the reported quantity against the swept
parameter with the estimand and the exact model beside, and the result's physics; refused
points are marked and their reasons are the caption), and rewrites the README's block between
``<!-- library-table:begin -->`` and ``<!-- library-table:end -->`` with the table's rows, the
command and commit that produced the runs (kept in each folder's ``library_run.json``) and the
figure links.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "experiments"
OUT = ROOT / "results" / "library"
TABLE = ROOT / "docs" / "library_table.md"
DEVICE_TARGETS = ("aer-noisy", "fake-local", "ibm")
REDUCED = {"times": 5, "realizations": 8, "shots": 2000, "bootstrap": 30}


@dataclass(frozen=True)
class Quantity:
    """What a library file's row reports: a figure of merit (``figure``), the energy or
    ergotropy at the last time (``last``), or the exact steady state only (``steady``)."""

    label: str
    kind: str  # "figure" | "last" | "steady"
    key: str  # figures_of_merit key, "battery_energy"/"battery_ergotropy", or summary key


TAU = Quantity("tau(n=1)", "figure", "charging_time")
POWER = Quantity("max <P>", "figure", "max_average_power")
LATE_RATIO = Quantity("late W/E_B", "figure", "late_ergotropy_ratio")
LAST_E = Quantity("E_B(t_last)", "last", "battery_energy")
LAST_W = Quantity("W(t_last)", "last", "battery_ergotropy")
STEADY_W = Quantity("W(inf)", "steady", "steady_battery_ergotropy")


def _star_claim(point: dict) -> str:
    return {1: "0.5", 2: "0.62", 3: "0.69"}.get(point.get("n_batteries"), "-") + " (R22, max over F/g)"


def _printed_r14(point: dict) -> str:
    x = point["F"]
    return f"lecture (F/g)/(1+(F/g)^2) = {x / (1 + x * x):.4f}; corrected (F/g)/(1+4(F/g)^2) (R14)"


#: file stem -> (quantities reported, the seed claim as text: a function of the point's coordinates)
ROWS = {
    "lib_01_dephasing_regimes": ((TAU, LAST_E), lambda p: "optimal gamma_C charges fastest; E_B(inf) = 0.5 (R13, R15)"),
    "lib_02_steady_ergotropy_vs_drive": ((STEADY_W,), _printed_r14),
    "lib_03_charging_time_vs_gamma": ((TAU,), lambda p: "tau minimal near gamma_C* = 2 sqrt2 F (R19)"),
    "lib_04_tls_oscillator": ((POWER, LAST_E), lambda p: "coherent vs Zeno competition (R15, F/g = 3)"),
    "lib_05_oscillator_pair": ((POWER, LAST_E), lambda p: "coherent vs Zeno competition (R15, F/g = 0.1)"),
    "lib_06_star_late_ratio": ((LATE_RATIO,), _star_claim),
    "lib_07_dicke": ((POWER,), lambda p: "P_Dicke ~ N^1.5 (R31)"),
    "lib_08_rabi_cell": ((POWER,), lambda p: "P_par = N P_cell (R31)"),
    "lib_09_global_vs_parallel": ((POWER,), lambda p: "T_glob = pi/2, T_par = n pi/2 (R6)"),
    "lib_10_spin_chain": ((POWER,), lambda p: "NN: Gamma const; uniform: Gamma ~ N (R48, R50)"),
    "lib_11_heat_engine_chargers": ((LAST_E, LATE_RATIO), lambda p: "high e_N, W/E -> 1 (R28)"),
    "lib_12_dissipative_charging": ((LAST_W,), lambda p: "pi = G_beta[-H_B] is active (R59)"),
    "lib_13_dark_state_charging": ((LAST_E,), lambda p: "finite battery energy at T = 0 (R58)"),
    "lib_14_dfs_ring": ((LAST_E, LAST_W), lambda p: "dark state does not decay (R60)"),
    "lib_15_heat_engine_explicit": ((LAST_E,), lambda p: "engine charges the battery (M5)"),
}


@dataclass(frozen=True)
class Run:
    """One run of the library: a file (and sweep point), its results dict or failure reason."""

    stem: str
    coords: dict
    folder: Path
    results: dict | None
    error: str | None
    seconds: float
    qpu_seconds: float | None
    reduced: bool = False
    command: str = "-"  # the library command that ran it
    commit: str = "-"  # the source it ran from (:func:`source_commit`)


def selected(stem: str, only: str | None) -> bool:
    """Whether ``stem`` is among ``only``: comma-separated parts, any of which it contains (None: all)."""
    return only is None or any(part and part in stem for part in only.split(","))


def library_files(only: str | None = None) -> list[Path]:
    """Every experiments/lib_*.toml (those :func:`selected` by ``only``, if given)."""
    return [f for f in sorted(LIBRARY.glob("lib_*.toml")) if selected(f.stem, only)]


def reduced_times(times, keep: int = REDUCED["times"]) -> tuple[float, ...]:
    """``keep`` of ``times``, evenly chosen, always with the first and the last (the exact
    curve and the maximum average power are evaluated over [0, t_last], so they do not change)."""
    idx = np.unique(np.round(np.linspace(0, len(times) - 1, min(keep, len(times)))).astype(int))
    return tuple(float(times[i]) for i in idx)


def reduce(spec, target: str | None = None, size: dict = REDUCED):
    """``spec`` at reduced ``size`` (keys as :data:`REDUCED`), on ``target`` if given (its
    device-only options dropped when the new target has no device)."""
    changes = {"times": reduced_times(spec.times, size["times"]),
               "realizations": min(spec.realizations, size["realizations"]),
               "shots": min(spec.shots, size["shots"]), "bootstrap": min(spec.bootstrap, size["bootstrap"])}
    return retarget(replace(spec, **changes), target)


def retarget(spec, target: str | None):
    if target is None or target == spec.target:
        return spec
    device = target in DEVICE_TARGETS
    return replace(spec, target=target, mitigation=spec.mitigation if device else "none",
                   qubits=spec.qubits if device else None)


def points(spec) -> list[tuple[dict, object]]:
    """(coordinates, spec) of every run of ``spec``: its sweep points, or itself."""
    if spec.sweep is None:
        return [({}, spec)]
    return [(dict(p.coords), s) for p, s in spec.sweep_points()]


def point_label(coords: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in coords.items()) or "-"


RUN_FILE = "library_run.json"  # beside results.json: coordinates, wall seconds, QPU estimate or failure, provenance
OUTPUTS = ("README.md", "docs/library_table.md", "docs/figures")  # what the library writes: not "dirty" source


def source_commit() -> str:
    """``git rev-parse --short HEAD``, with " dirty" when tracked files other than the library's
    own outputs (:data:`OUTPUTS`) differ from it; "unknown" outside a git checkout.  Read-only
    (GIT_OPTIONAL_LOCKS=0: git status does not refresh the index)."""
    import os
    import subprocess

    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *(f":!{o}" for o in OUTPUTS))
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" dirty" if changed else "")


def run_file(path: Path, *, out: Path = OUT, reduced: bool = False, target: str | None = None,
             write: bool = True, command: str = "-", commit: str = "-", size: dict = REDUCED,
             keep=lambda coords: True) -> list[Run]:
    """Every run of one library file (the sweep points whose coordinates ``keep`` accepts), each
    written to ``out/<stem>[/points/<label>]`` (results.json, report.md, charging.png and
    :data:`RUN_FILE`, which keeps ``command`` and ``commit`` so that a table re-written from the
    folders names what produced them).  ``reduced``: at ``size`` (:func:`reduce`)."""
    from qbhw import report
    from qbhw.experiment_file import load
    from qbhw.results import run_spec

    spec = load(path)
    spec = reduce(spec, target, size) if reduced else retarget(spec, target)
    runs = []
    for coords, s in [(c, s) for c, s in points(spec) if keep(c)]:
        folder = out / path.stem / ("points/" + point_label(coords) if coords else "")
        start = time.perf_counter()
        try:
            results, error = run_spec(s), None
        except Exception as err:  # noqa: BLE001 - a refused or failed run is a library finding, recorded
            text = str(err).strip()
            results, error = None, f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"
        seconds = time.perf_counter() - start
        qpu = None if results is None else results.get("estimated_qpu_seconds")  # device targets
        run = Run(path.stem, coords, folder, results, error, seconds, qpu, reduced, command, commit)
        if write:
            folder.mkdir(parents=True, exist_ok=True)
            if results is not None:
                report.write_all(folder, results)
            report.write_json(folder / RUN_FILE, {"stem": run.stem, "coords": coords, "error": error,
                                                  "seconds": seconds, "qpu_seconds": qpu, "reduced": reduced,
                                                  "command": command, "commit": commit})
        runs.append(run)
        print(f"  {path.stem} {point_label(coords)}: {'ok' if error is None else error} ({seconds:.1f} s)",
              file=sys.stderr, flush=True)
    return runs


def load_runs(out: Path = OUT, only: str | None = None) -> list[Run]:
    """The runs stored under ``out`` by :func:`run_file` (for re-writing the table only)."""
    import json

    from qbhw.report import load_results

    runs = []
    for meta_path in Path(out).glob(f"*/**/{RUN_FILE}"):
        meta = json.loads(meta_path.read_text())
        if not selected(meta["stem"], only):
            continue
        folder = meta_path.parent
        results = load_results(folder) if meta["error"] is None else None
        runs.append(Run(meta["stem"], meta["coords"], folder, results, meta["error"], meta["seconds"],
                        meta["qpu_seconds"], meta["reduced"], meta.get("command", "-"), meta.get("commit", "-")))
    return sorted(runs, key=lambda r: (r.stem, [(0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))
                                                for v in r.coords.values()]))


def value(results: dict, q: Quantity) -> tuple[float, float, float, float, float]:
    """(measured value, ci low, ci high, exact at the run's times, exact model) of quantity
    ``q`` in one results dict.  "exact at the run's times" is the same rule applied to the exact
    curve at the measured times (what the measurement estimates: results.json ``estimand``);
    "exact model" the dense curve or long-time limit.  Measured entries are nan on target
    "reference" (exact only)."""
    nan = float("nan")
    if q.kind == "steady":
        exact = _f(results["summary"].get(q.key))
        return nan, nan, nan, nan, exact
    measured = results.get("measured", True)
    if q.kind == "figure":
        if not measured:
            from qbhw.results import _exact_figures  # the same exact figures a measured run carries

            return nan, nan, nan, nan, _f(_exact_figures(results["summary"]).get(q.key))
        fig = results["figures_of_merit"][q.key]
        ci = fig.get("ci95")
        lo, hi = (nan, nan) if ci is None else ci
        return _f(fig.get("value")), _f(lo), _f(hi), _f(fig.get("estimand")), _f(fig.get("exact"))
    series = results[q.key]
    exact = _f(np.asarray(results["reference"][q.key])[-1])
    if not measured:
        return nan, nan, nan, exact, exact
    ci = np.asarray(series["ci95"])[-1]
    return _f(np.asarray(series["value"])[-1]), _f(ci[0]), _f(ci[1]), exact, exact


def _f(x) -> float:
    return float("nan") if x is None else float(x)


def circuit_cost(results: dict) -> tuple[int | None, int | None, int | None]:
    """(2q gates, depth) of the deepest placed circuit and the total shots of the run: shots
    per (time, basis) setting x settings ("mcm" has one circuit per realization and setting)."""
    res = results.get("resources") or []
    prog = results.get("program") or {}
    total = None
    if prog.get("shots") is not None:
        per = prog["realizations"] if prog.get("dephasing") == "mcm" else 1
        total = int(prog["shots"]) * (int(prog["circuits"]) // per)
    if not res:
        return None, None, total
    return max(r["two_qubit_gates"] for r in res), max(r["depth"] for r in res), total


def _num(x, digits: int = 4) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def _interval(v, lo, hi) -> str:
    if not np.isfinite(v):
        return "exact only"
    return f"{_num(v)} [{_num(lo)}, {_num(hi)}]"


def table_rows(runs: list[Run]) -> list[str]:
    rows = []
    for r in runs:
        quantities, claim = ROWS.get(r.stem, ((LAST_E,), lambda p: "-"))
        where = f"{r.stem} {point_label(r.coords)}" + (" (reduced)" if r.reduced else "")
        if r.results is None:
            rows.append(f"| {where} | - | {claim(r.coords)} | - | - | not run: {r.error} | - | - | - | - |")
            continue
        g2, depth, shots = circuit_cost(r.results)
        for q in quantities:
            v, lo, hi, same_t, exact = value(r.results, q)
            rows.append(f"| {where} | {q.label} | {claim(r.coords)} | {_num(exact)} | {_num(same_t)} | "
                        f"{_interval(v, lo, hi)} | "
                        f"{'-' if g2 is None else g2} | {'-' if depth is None else depth} | "
                        f"{'-' if shots is None else shots} | {_num(r.qpu_seconds, 3)} |")
    return rows


def ratio(num: Run, den: Run, scale: float = 1.0) -> tuple[float, float, float, float, float]:
    """(measured, low, high, exact at the runs' times, exact model) of P_max(num) / (scale
    P_max(den)): resample b of one run over resample b of the other (independent runs), the
    interval by the single run's rule (:func:`qbhw.analysis.figure_ratio`)."""
    from qbhw.analysis import figure_ratio

    nan = float("nan")
    ex = _exact_power(num.results) / (scale * _exact_power(den.results))
    if not (num.results.get("measured", True) and den.results.get("measured", True)):
        return nan, nan, nan, nan, ex
    a, b = (r.results["figures_of_merit"]["max_average_power"] for r in (num, den))
    m = min(int(r.results["program"]["realizations"]) for r in (num, den))
    g = figure_ratio(a, b, name="max_average_power", realizations=m, scale=scale)
    return g["value"], *map(float, g["ci95"]), g["estimand"], ex


def _exact_power(results: dict) -> float:
    return float(results["summary"]["max_average_power"])


def derived_rows(runs: list[Run]) -> list[str]:
    """Collective-advantage ratios of pairs of runs: Dicke(N) vs N Rabi cells, global vs parallel(n)."""
    by = {(r.stem, tuple(sorted(r.coords.items()))): r for r in runs if r.results is not None}
    rows = []
    cell = by.get(("lib_08_rabi_cell", ()))
    for (stem, coords), r in sorted(by.items()):
        c = dict(coords)
        if stem == "lib_07_dicke" and cell is not None:
            n = c["n_spins"]
            rows.append(_ratio_row(f"Dicke N={n} / {n} Rabi cells", r, cell, n, "-> sqrt(N) (R31)"))
        if stem == "lib_09_global_vs_parallel" and c.get("which") == "global":
            par = by.get((stem, tuple(sorted({**c, "which": "parallel"}.items()))))
            if par is not None:
                rows.append(_ratio_row(f"global / parallel n={c['n_cells']}", r, par, 1.0, f"Gamma = n = {c['n_cells']} (R6)"))
        if stem == "lib_10_spin_chain" and c.get("coupling") == "uniform":
            nn = by.get((stem, tuple(sorted({**c, "coupling": "nearest"}.items()))))
            if nn is not None:
                rows.append(_ratio_row(f"spin chain uniform / NN n={c['n']}", r, nn, 1.0, "grows with n (R48, R50)"))
    return rows


def _ratio_row(label: str, num: Run, den: Run, scale: float, claim: str) -> str:
    v, lo, hi, same_t, ex = ratio(num, den, scale)
    return f"| {label} | P ratio | {claim} | {_num(ex)} | {_num(same_t)} | {_interval(v, lo, hi)} | - | - | - | - |"


def exact_dicke_ratios(max_n: int = 8, g: float = 0.5) -> list[str]:
    """Table rows of the exact Gamma(N) for N = 1..max_n, full coupling and Tavis-Cummings (RWA)
    form (:func:`exact_dicke_gamma`; reference only)."""
    ns = np.arange(1, max_n + 1)
    full, rwa = exact_dicke_gamma(ns, g, False), exact_dicke_gamma(ns, g, True)
    return [f"| {n} | {a:.4f} | {b:.4f} | {math.sqrt(n):.4f} |" for n, a, b in zip(ns, full, rwa)]


HEADER = ("| run | quantity | seed claim | exact model | exact, run's times | emulated device [95 % interval] "
          "| 2q gates | depth | shots | est. QPU s |")
RULE = "|---" * 10 + "|"


def provenance(runs: list[Run]) -> str:
    """Which command(s) at which commit(s) produced ``runs`` (from their :data:`RUN_FILE`)."""
    commands = sorted({r.command for r in runs})
    commits = sorted({r.commit for r in runs})
    return f"{' and '.join(f'`{c}`' for c in commands) or '-'} at commit {', '.join(commits) or '-'}"


def markdown(runs: list[Run], *, reduced: bool, target: str | None, seconds: float, command: str) -> str:
    targets = sorted({r.results["target"] for r in runs if r.results is not None})
    backends = sorted({str(r.results.get("backend")) for r in runs if r.results is not None})
    lines = [
        "# Experiment library: results table",
        "",
        f"Written by `{command}` from runs made by {provenance(runs)} "
        f"({'some runs at REDUCED size (marked): few times, realizations and shots' if reduced else 'full size'}; "
        f"targets {', '.join(targets) or '-'}; backends {', '.join(backends) or '-'}; {seconds:.0f} s wall clock). "
        "Do not edit by hand: rerun the command (`./dev experiments`). Figures: `docs/figures/<file>.png`.",
        "",
        "Columns: `exact model` is the exact model (figures of merit: the dense exact curve or the long-time limit "
        "from the initial state; `*(t_last)`: the exact curve at the last time); `exact, run's times` is the same "
        "rule applied to the exact curve at the run's time points (what the measurement estimates: where it "
        "differs from `exact model`, the time window, not the device, limits the measurement); `emulated device` is the measured "
        "value with its 95 % bootstrap interval (results.json `figures_of_merit`); 2q gates and depth are those "
        "of the deepest circuit as placed on the device (results.json `resources`); shots are per run; "
        "est. QPU s is results.json `estimated_qpu_seconds` (`qbhw.execute.runtime.estimate_qpu_seconds` of the "
        "placed circuits on the named device, rep delay + per-job overhead included). The emulated points and the device's noise-exact "
        "reference come from the same noise model; the exact columns are the independent, noise-free reference.",
        "",
        HEADER,
        RULE,
        *table_rows(runs),
        "",
        "## Derived ratios (two runs; interval: paired bootstrap resamples of the independent runs)",
        "",
        HEADER,
        RULE,
        *derived_rows(runs),
        "",
    ]
    failed = [r for r in runs if r.results is None]
    if failed:
        lines += ["## Runs not done", ""] + [f"- `{r.stem}` {point_label(r.coords)}: {r.error}" for r in failed] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Figures: one per library file (docs/figures/<stem>.png), drawn from the run folders' results.

FIGURES = ROOT / "docs" / "figures"
FIGURE_DPI = 80
PANEL_SIZE = (4.8, 3.6)  # inches per panel
R22_SEED = {1: 0.5, 2: 0.62, 3: 0.69}  # the lecture's long-time ergotropy / E_B of the star


def _numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def x_key(runs: list[Run]) -> str | None:
    """The swept parameter a figure puts on its x axis: the first numeric coordinate."""
    keys = runs[0].coords.keys() if runs else ()
    return next((k for k in keys if all(_numeric(r.coords.get(k)) for r in runs)), None)


def _groups(runs: list[Run]) -> dict[str, list[Run]]:
    """Runs by their non-numeric coordinates (e.g. which = global / parallel): one line each."""
    out: dict[str, list[Run]] = {}
    for r in runs:
        label = ",".join(f"{k}={v}" for k, v in r.coords.items() if not _numeric(v))
        out.setdefault(label, []).append(r)
    return out


def short_reason(error: str) -> str:
    """The first clause of a refusal (up to its first ';'): what limit the run exceeded."""
    return error.split(";")[0].strip()


def _log_x(ax, values=()) -> None:
    """A log x axis with plain-number tick labels (at ``values`` if given)."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    if len(values):
        ax.set_xticks(sorted(set(values)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _wide(values) -> bool:
    """Swept values spread over more than a factor 20 (and positive): drawn on a log axis."""
    v = np.asarray(values, dtype=float)
    return v.size > 1 and bool(np.all(v > 0)) and v.max() / v.min() > 20


def _mark_refused(ax, xs) -> None:
    for x in xs:
        ax.axvline(x, color="tab:red", ls=":", lw=1)
        ax.text(x, 0.03, " refused", transform=ax.get_xaxis_transform(), rotation=90, color="tab:red",
                fontsize=7, va="bottom")


def _errorbar(ax, x, v, lo, hi, **style) -> None:
    """Measured values with their 95 % intervals; nothing where the run is exact only (nan)."""
    x, v, lo, hi = (np.asarray(a, dtype=float) for a in (x, v, lo, hi))
    keep = np.isfinite(v)
    if not keep.any():
        return
    yerr = np.nan_to_num(np.clip(np.stack([v - lo, hi - v])[:, keep], 0, None))
    ax.errorbar(x[keep], v[keep], yerr=yerr, **{"fmt": "o", "ms": 5, "capsize": 3, **style})


def _exact_and_measured(ax, x, rows, color, label: str) -> None:
    """rows: (measured, low, high, exact at the run's times, exact model) per x: the exact model as
    a line, the estimand as crosses, the measured points with their intervals."""
    rows = np.asarray(rows, dtype=float).reshape(-1, 5)
    suffix = f" ({label})" if label else ""
    ax.plot(x, rows[:, 4], "--s", color=color, lw=0.8, mfc="none", ms=6, label="exact model" + suffix)
    if np.isfinite(rows[:, 3]).any():
        ax.plot(x, rows[:, 3], "x", color=color, ms=8, mew=1.5, label="exact at the run's times (estimand)" + suffix)
    _errorbar(ax, x, rows[:, 0], rows[:, 1], rows[:, 2], color=color,
              label="emulated device, 95 % interval" + suffix)


def quantity_panel(q: Quantity):
    """Panel: quantity ``q`` against the swept parameter (measured with its interval, estimand,
    exact model; one line per non-numeric coordinate; refused points marked)."""

    def draw(ax, runs, library):
        key = x_key(runs)
        for i, (label, group) in enumerate(_groups(runs).items()):
            ok = sorted((r for r in group if r.results is not None), key=lambda r: r.coords[key])
            if ok:
                _exact_and_measured(ax, [r.coords[key] for r in ok], [value(r.results, q) for r in ok], f"C{i}", label)
        _mark_refused(ax, [r.coords[key] for r in runs if r.results is None])
        xs = [r.coords[key] for r in runs]
        if _wide(xs):
            _log_x(ax, xs)
        else:
            ax.set_xticks(sorted(set(xs)))
        ax.set_xlabel(key)
        ax.set_ylabel(q.label)

    return draw


def curves_panel(key: str):
    """Panel: E_B(t) or W_B(t) of every run: the exact model densely (line), measured points with
    their 95 % intervals (same colour)."""

    def draw(ax, runs, library):
        for i, r in enumerate(r for r in runs if r.results is not None):
            res, label = r.results, point_label(r.coords) if r.coords else "run"
            curve = res.get("reference_curve") or {"times": res["times"], **res["reference"]}
            ax.plot(curve["times"], curve[key], "-", color=f"C{i}", lw=1.2, label=f"exact, {label}")
            device = (res.get("device_reference") or {}).get(key)
            if device is not None:
                ax.plot(res["times"], device, ":", color=f"C{i}", lw=1, label=f"device noise model, {label}")
            if res.get("measured", True):
                s = res[key]
                ci = np.asarray(s["ci95"], dtype=float)
                _errorbar(ax, res["times"], s["value"], ci[:, 0], ci[:, 1], color=f"C{i}", ms=4,
                          label=f"emulated, {label}")
        ax.set_xlabel(r"time $t\,\omega_B$")
        ax.set_ylabel({"battery_energy": r"$E_B(t)/\omega_B$", "battery_ergotropy": r"ergotropy $W_B(t)/\omega_B$"}[key])

    return draw


def _model_param(runs: list[Run], name: str) -> float:
    r = next(r for r in runs if r.results is not None)
    return float(r.results["spec"]["model"][name])


def steady_vs_drive(ax, runs, library) -> None:
    """lib_02: W_B(inf) against F/g, exact points, the lecture's printed formula and the
    corrected one (physics.md R14) as lines; measured W(t_last) where a run measured."""
    ok = sorted((r for r in runs if r.results is not None), key=lambda r: r.coords["F"])
    g = _model_param(runs, "g")
    x = np.geomspace(0.05, 20, 300)
    ax.plot(x, x / (1 + x * x), "--", color="tab:gray", label="lecture: (F/g)/(1+(F/g)$^2$)")
    ax.plot(x, x / (1 + 4 * x * x), "-", color="k", lw=1.2, label="corrected: (F/g)/(1+4(F/g)$^2$) (R14)")
    xs = [r.coords["F"] / g for r in ok]
    ax.plot(xs, [value(r.results, STEADY_W)[4] for r in ok], "s", mfc="none", color="tab:blue", ms=7,
            label="exact steady state (qbhw.reference)")
    last = np.array([value(r.results, LAST_W) for r in ok]).reshape(-1, 5)
    _errorbar(ax, xs, last[:, 0], last[:, 1], last[:, 2], color="tab:orange", label="emulated W(t_last), 95 %")
    _mark_refused(ax, [r.coords["F"] / g for r in runs if r.results is None])
    _log_x(ax, [r.coords["F"] / g for r in runs])
    ax.set_xlabel("F/g")
    ax.set_ylabel(r"steady-state ergotropy $W_B(\infty)/\omega_B$")


def exact_tau_curve(g: float, F: float, gammas) -> np.ndarray:
    """Exact tau(n = 1)(gamma_C) of the resonant TLS pair (the rule of results.json
    summary.charging_time: :func:`qbhw.reference.exact_charging_time`); nan where it does not settle."""
    from qbhw.models import tls_pair
    from qbhw.reference import exact_charging_time

    out = []
    for gamma in gammas:
        try:
            out.append(exact_charging_time(tls_pair(g, F, float(gamma)), 1).tau)
        except (ValueError, RuntimeError):
            out.append(np.nan)
    return np.asarray(out, dtype=float)


def _tau_line(ax, g, F, gammas, color, label) -> None:
    tau = exact_tau_curve(g, F, gammas)
    ax.plot(gammas, tau, "-", color=color, lw=1, label=label)
    i = int(np.nanargmin(tau))
    ax.plot(gammas[i], tau[i], "*", color=color, ms=12, mec="k",
            label=f"minimum: tau = {tau[i]:.3g} at gamma_C = {gammas[i]:.3g}")


def tau_vs_gamma(ax, runs, library) -> None:
    """lib_03: measured tau against gamma_C with its interval, the estimand, and the dense exact
    tau(gamma_C) curve of the file's F/g with its minimum marked."""
    g, F = _model_param(runs, "g"), _model_param(runs, "F")
    xs = [r.coords["gamma_c"] for r in runs]
    _tau_line(ax, g, F, np.geomspace(min(xs) / 2, max(xs) * 1.5, 40), "k", f"exact tau(gamma_C), F/g = {F / g:g}")
    quantity_panel(TAU)(ax, runs, library)
    _log_x(ax, xs)
    ax.set_xlabel("gamma_C / g")


def tau_three_drives(ax, runs, library) -> None:
    """lib_03: the exact tau(gamma_C) at F/g = 0.1, 0.5 and 10 (lecture 4), minima marked and
    gamma_C* = 2 sqrt2 F (R19) as ticks; the file's measured points on its own drive."""
    g = _model_param(runs, "g")
    gammas = np.geomspace(0.01, 200, 50)
    for i, x in enumerate((0.1, 0.5, 10.0)):
        _tau_line(ax, g, x * g, gammas, f"C{i}", f"exact, F/g = {x:g}")
        ax.axvline(2 * math.sqrt(2) * x * g, color=f"C{i}", ls=":", lw=0.8)
    F = _model_param(runs, "F")
    ok = [r for r in runs if r.results is not None]
    rows = np.array([value(r.results, TAU) for r in ok]).reshape(-1, 5)
    _errorbar(ax, [r.coords["gamma_c"] for r in ok], rows[:, 0], rows[:, 1], rows[:, 2], color="k",
              label=f"emulated, F/g = {F / g:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("gamma_C / g   (dotted: 2 sqrt2 F, R19)")
    ax.set_ylabel("tau(n=1)")


def star_ratio(ax, runs, library) -> None:
    """lib_06: the late W/E_B against N (measured, estimand, exact model) and the seed's values."""
    quantity_panel(LATE_RATIO)(ax, runs, library)
    ns = sorted(R22_SEED)
    ax.plot(ns, [R22_SEED[n] for n in ns], "s", mfc="none", color="k", ms=8, label="seed (R22): 0.5 / 0.62 / 0.69")
    ax.set_xticks(ns)


STAR_CURVE_N = (1, 2, 3, 4, 6, 10, 20, 50, 100, 200, 500, 1000)


def star_asymptotic(ax, runs, library) -> None:
    """lib_06: the exact long-time W/E_B of the star (qbhw.reference.star_long_time, gamma_C
    independent) against N up to 1000 at F/g = 0.2, 0.5, 10 (asymptotic freedom, R25), with the
    measured late ratios beside."""
    from qbhw.reference.star import star_long_time

    g = _model_param(runs, "g")
    for i, x in enumerate((0.2, 0.5, 10.0)):
        lts = [star_long_time(n, g, x * g, 1.0) for n in STAR_CURVE_N]
        ax.plot(STAR_CURVE_N, [lt.battery_ergotropy / lt.battery_energy for lt in lts], "-", color=f"C{i + 2}",
                lw=1, label=f"exact long time, F/g = {x:g}")
    ok = [r for r in runs if r.results is not None]
    rows = np.array([value(r.results, LATE_RATIO) for r in ok]).reshape(-1, 5)
    n = [r.coords["n_batteries"] for r in ok]
    ax.plot(n, rows[:, 4], "o", mfc="none", color="C0", ms=7, label="exact, the file's F/g per N")
    _errorbar(ax, n, rows[:, 0], rows[:, 1], rows[:, 2], color="C0", label="emulated late W/E_B, 95 %")
    _mark_refused(ax, [r.coords["n_batteries"] for r in runs if r.results is None])
    _log_x(ax, (1, 3, 10, 30, 100, 300, 1000))
    ax.set_xlabel("N batteries")
    ax.set_ylabel(r"long-time $W_B/E_B$")


DICKE_CURVE_N = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)


def exact_dicke_gamma(ns, g: float, rwa: bool) -> np.ndarray:
    """Exact Gamma(N) = P_max(Dicke, |N>) / (N P_max(Rabi cell, |1>)) for each N in ``ns``, full
    coupling (cutoff resolved to 1e-4) or the Tavis-Cummings (RWA) form (n_max = N exact)."""
    from qbhw.metrics import max_average_power
    from qbhw.models import dicke
    from qbhw.reference import evolve
    from qbhw.reference.cutoff import resolve_cutoff

    t = np.linspace(0.0, 4.0, 401)

    def power(n: int) -> float:
        if rwa:  # a^dag a + K is conserved: n_max = N photons is exact
            traj = evolve(dicke(n, g, rwa=True), t)
        else:
            cutoff = resolve_cutoff(lambda n_max: dicke(n, g, n_max=n_max), t, tolerance=1e-4)
            traj = evolve(dicke(n, g, n_max=cutoff.n_max), t, truncation_tol=np.inf)
        return max_average_power(t, traj.battery_energy)[0]

    p1 = power(1)
    return np.array([power(int(n)) / (n * p1) for n in ns])


def _cell(library: dict) -> Run | None:
    return next((r for r in library.get("lib_08_rabi_cell", []) if r.results is not None), None)


def dicke_ratio(ax, runs, library) -> None:
    """lib_07 with lib_08: Gamma(N) = P_max(Dicke N) / (N P_max(cell)), measured (paired bootstrap
    of the two runs) beside the exact ratio to N = 32 in the file's form and sqrt(N)."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    g = _model_param(runs, "g")
    rwa = bool(next(r for r in runs if r.results is not None).results["spec"]["model"].get("rwa", False))
    ns = np.array(DICKE_CURVE_N)
    ax.plot(ns, np.sqrt(ns), ":", color="tab:gray", label="sqrt(N)")
    ax.plot(ns, exact_dicke_gamma(ns, g, rwa), "-", color="k", lw=1.2,
            label=f"exact, {'Tavis-Cummings (RWA)' if rwa else 'full Dicke'}, g = {g:g}")
    cell = _cell(library)
    ok = sorted((r for r in runs if r.results is not None), key=lambda r: r.coords["n_spins"])
    if cell is not None and ok:
        n = [r.coords["n_spins"] for r in ok]
        rows = [ratio(r, cell, r.coords["n_spins"]) for r in ok]
        _exact_and_measured(ax, n, rows, "C0", "lib_07 / lib_08")
    if cell is None:
        ax.text(0.03, 0.9, "no completed lib_08 run: no measured ratio", transform=ax.transAxes, fontsize=7)
    _mark_refused(ax, [r.coords["n_spins"] for r in runs if r.results is None])
    _log_x(ax, (1, 2, 3, 4, 8, 16, 32))
    ax.set_yscale("log")
    ax.set_yticks((0.5, 1, 2, 4, 6))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("N")
    ax.set_ylabel(r"$\Gamma = P_{max}$(Dicke) / (N $P_{max}$(cell))")


def pair_ratio(stem_key: str, num_value: str, den_value: str, claim):
    """Panel: P_max(num) / P_max(den) of the runs that differ only in coordinate ``stem_key``
    (num_value over den_value), against the numeric coordinate, beside ``claim(x)``."""

    def draw(ax, runs, library):
        key = x_key(runs)
        by = {tuple(sorted(r.coords.items())): r for r in runs}
        xs, rows, refused = [], [], []
        for r in sorted(runs, key=lambda r: r.coords[key]):
            if r.coords.get(stem_key) != num_value:
                continue
            den = by.get(tuple(sorted({**r.coords, stem_key: den_value}.items())))
            if r.results is None or den is None or den.results is None:
                refused.append(r.coords[key])
                continue
            xs.append(r.coords[key])
            rows.append(ratio(r, den))
        if xs:
            _exact_and_measured(ax, xs, rows, "C0", f"{num_value} / {den_value}")
        all_x = sorted({r.coords[key] for r in runs})
        if claim is not None:
            ax.plot(all_x, [claim(x) for x in all_x], "s", mfc="none", color="k", ms=8, label="seed claim")
        _mark_refused(ax, refused)
        ax.set_xlabel(key)
        ax.set_ylabel(f"P_max ratio {num_value} / {den_value}")
        ax.set_xticks(all_x)

    return draw


CURVES = (curves_panel("battery_energy"), curves_panel("battery_ergotropy"))
#: file stem -> its figure's panels (each draws into one axis from (ax, the file's runs, all runs by stem))
PANELS = {
    "lib_01_dephasing_regimes": (*CURVES, quantity_panel(TAU), quantity_panel(LAST_E)),
    "lib_02_steady_ergotropy_vs_drive": (steady_vs_drive,),
    "lib_03_charging_time_vs_gamma": (tau_vs_gamma, tau_three_drives),
    "lib_04_tls_oscillator": (*CURVES, quantity_panel(POWER), quantity_panel(LAST_E)),
    "lib_05_oscillator_pair": (*CURVES, quantity_panel(POWER), quantity_panel(LAST_E)),
    "lib_06_star_late_ratio": (star_ratio, star_asymptotic),
    "lib_07_dicke": (quantity_panel(POWER), dicke_ratio),
    "lib_09_global_vs_parallel": (quantity_panel(POWER), pair_ratio("which", "global", "parallel", float)),
    "lib_10_spin_chain": (quantity_panel(POWER), pair_ratio("coupling", "uniform", "nearest", None)),
    "lib_11_heat_engine_chargers": (*CURVES, quantity_panel(LAST_E), quantity_panel(LATE_RATIO)),
}


#: figure titles where the table's seed claim (a function of the point) does not fit a whole file
TITLES = {
    "lib_02_steady_ergotropy_vs_drive": "steady-state ergotropy vs F/g: the lecture's formula and the corrected one (R14)",
    "lib_06_star_late_ratio": "star: late W/E_B vs N against the seed's 0.5 / 0.62 / 0.69 (R22); asymptotic freedom (R25)",
    "lib_07_dicke": "Dicke vs parallel charging: Gamma = P_Dicke / (N P_cell) -> sqrt(N) (R31)",
}


def _caption(runs: list[Run]) -> str:
    """Where the numbers come from, and every refused point with its reason."""
    import textwrap

    ok = [r.results for r in runs if r.results is not None]
    where = sorted({f"{res['target']}" + (f" ({res.get('backend')})" if res.get("measured", True) else " (exact only)")
                    for res in ok})
    lines = [f"target {', '.join(where) or '-'}" + ("; REDUCED size" if any(r.reduced for r in runs) else "")
             + "; error bars: 95 % bootstrap intervals; crosses: the same rule on the exact curve at the run's times"]
    lines += [f"refused {point_label(r.coords)}: {short_reason(r.error)}" for r in runs if r.results is None]
    return "\n".join(textwrap.fill(s, 150) for s in lines)


def library_figure(stem: str, runs: list[Run], library: dict):
    """The matplotlib figure of one library file (panels :data:`PANELS`, default its charging curves)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = PANELS.get(stem, CURVES)
    cols = 2 if len(panels) == 4 else len(panels)
    rows = math.ceil(len(panels) / cols)
    caption = _caption(runs)
    extra = 0.18 * (caption.count("\n") + 1)
    fig, axes = plt.subplots(rows, cols, figsize=(PANEL_SIZE[0] * cols, PANEL_SIZE[1] * rows + extra), squeeze=False)
    if not any(r.results is not None for r in runs):
        for ax in axes.flat:
            ax.set_axis_off()
        fig.text(0.5, 0.5, "no run completed", ha="center")
    else:
        for ax, draw in zip(axes.flat, panels):
            draw(ax, runs, library)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6.5, loc="best")
    title = TITLES.get(stem) or ROWS.get(stem, ((), lambda p: "-"))[1](runs[0].coords)
    fig.suptitle(f"{stem}: {title}", fontsize=9)
    fig.text(0.01, 0.005, caption, fontsize=6.5, va="bottom", ha="left")
    fig.tight_layout(rect=(0, extra / fig.get_figheight() + 0.01, 1, 0.97))
    return fig


def write_figures(runs: list[Run], folder: Path = FIGURES) -> list[Path]:
    """docs/figures/<stem>.png for every file among ``runs``; returns the paths written."""
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    library: dict[str, list[Run]] = {}
    for r in runs:
        library.setdefault(r.stem, []).append(r)
    paths = []
    for stem, group in library.items():
        path = folder / f"{stem}.png"
        fig = library_figure(stem, group, library)
        fig.savefig(path, dpi=FIGURE_DPI)
        plt.close(fig)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------
# The README's results block: the same rows as the table, between two marker lines.

README = ROOT / "README.md"
BEGIN, END = "<!-- library-table:begin -->", "<!-- library-table:end -->"


def readme_block(runs: list[Run], figures: list[Path], readme: Path, table: Path) -> str:
    """The README's library block (markers included): provenance, the table's main and derived
    rows, links to the full table and the figures (relative to the README)."""
    import os

    def rel(path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), Path(readme).resolve().parent)).as_posix()

    size = "REDUCED size: few times, realizations, shots" if any(r.reduced for r in runs) else "full size"
    return "\n".join([
        BEGIN,
        (f"Produced by {provenance(runs)} ({size}), written by `benchmarks/experiment_library.py` "
         f"(never by hand; `./dev experiments` regenerates it). Column definitions, the exact Dicke ratios "
         f"and every refusal in full: [{rel(table)}]({rel(table)})."),
        "",
        HEADER,
        RULE,
        *table_rows(runs),
        "",
        "Derived ratios (two independent runs; interval from their paired bootstrap resamples):",
        "",
        HEADER,
        RULE,
        *derived_rows(runs),
        "",
        "Figures: " + " · ".join(f"[{p.stem}]({rel(p)})" for p in figures),
        END,
    ])


def write_readme(readme: Path, block: str) -> None:
    """Replace the lines from :data:`BEGIN` to :data:`END` of ``readme`` by ``block``."""
    text = Path(readme).read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme}: no {BEGIN} ... {END} lines to write the library table between")
    head, rest = text.split(BEGIN, 1)
    Path(readme).write_text(head + block + rest.split(END, 1)[1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reduced", action="store_true", help="few times, realizations and shots (tests, quick looks)")
    ap.add_argument("--target", default=None, help="override every file's target (e.g. reference, aer-ideal)")
    ap.add_argument("--only", default=None, help="run only the files whose name contains this (a,b: either)")
    ap.add_argument("--out", default=str(OUT), help="run folders (default results/library)")
    ap.add_argument("--table", default=str(TABLE), help="markdown table (default docs/library_table.md)")
    ap.add_argument("--table-only", action="store_true", help="rewrite the table from the stored run folders")
    ap.add_argument("--dicke-max-n", type=int, default=8, help="exact Dicke/parallel ratio up to this N (0: none)")
    ap.add_argument("--figures", default=str(FIGURES), help="figure folder (default docs/figures; none: no figures)")
    ap.add_argument("--readme", default=str(README), help="README whose library block is rewritten (none: leave it)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    command = "python benchmarks/experiment_library.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    commit = source_commit()
    runs = load_runs(Path(args.out), args.only) if args.table_only else []
    for path in [] if args.table_only else library_files(args.only):
        print(f"{path.name}", file=sys.stderr, flush=True)
        runs += run_file(path, out=Path(args.out), reduced=args.reduced, target=args.target, command=command,
                         commit=commit)
    seconds = sum(r.seconds for r in runs) if args.table_only else time.perf_counter() - start
    reduced = any(r.reduced for r in runs) if args.table_only else args.reduced
    text = markdown(runs, reduced=reduced, target=args.target, seconds=seconds,
                    command=command.strip())
    if args.dicke_max_n > 0:
        text += "\n".join(["## Exact Dicke advantage Gamma(N) = P_max(Dicke, |N>) / (N P_max(Rabi cell, |1>)), "
                           "g = 0.5", "", "| N | Gamma exact (Dicke) | Gamma exact (Tavis-Cummings) | sqrt(N) |",
                           "|---|---|---|---|",
                           *exact_dicke_ratios(args.dicke_max_n), ""])
    Path(args.table).parent.mkdir(parents=True, exist_ok=True)
    Path(args.table).write_text(text)
    figures = [] if args.figures == "none" else write_figures(runs, Path(args.figures))
    if args.readme != "none":
        write_readme(Path(args.readme), readme_block(runs, figures, Path(args.readme), Path(args.table)))
    print(f"wrote {args.table}, {len(figures)} figures in {args.figures}, the block in {args.readme}; "
          f"run folders under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
