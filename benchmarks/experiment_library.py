"""Run the experiment library (experiments/lib_*.toml) and write its results table.

    .venv/bin/python benchmarks/experiment_library.py                 # full size, each file's own target
    .venv/bin/python benchmarks/experiment_library.py --reduced       # few times, realizations, shots
    .venv/bin/python benchmarks/experiment_library.py --reduced --target reference --only lib_06

Each file runs through ``qbhw.results.run_spec`` and ``qbhw.report.write_all`` (a sweep: one
run per grid point, serially, into ``points/<label>/``) into ``results/library/<stem>/``
(gitignored); a point that fails or is refused (e.g. a circuit beyond the device's coherence)
is recorded in the table with its one-line reason instead of stopping the library.  The table
(``docs/library_table.md``) has one row per run: the seed's claim, the exact reference, the
emulated-device value with its 95 % interval, and the circuit cost (2q gates and depth of the
deepest circuit as placed on the device, total shots, estimated QPU seconds on the named
device by :func:`qbhw.execute.runtime.estimate_qpu_seconds`).  Ratios of two runs (collective
vs parallel, global vs parallel) are derived rows; their interval treats the two runs as
independent (delta method on the ratio, 95 % normal interval).  Every number in the table is
computed here; only the seed claims are quoted text.
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


def library_files(only: str | None = None) -> list[Path]:
    """Every experiments/lib_*.toml (those whose name contains ``only``, if given)."""
    files = sorted(LIBRARY.glob("lib_*.toml"))
    return [f for f in files if only is None or only in f.stem]


def reduced_times(times, keep: int = REDUCED["times"]) -> tuple[float, ...]:
    """``keep`` of ``times``, evenly chosen, always with the first and the last (the exact
    curve and the maximum average power are evaluated over [0, t_last], so they do not change)."""
    idx = np.unique(np.round(np.linspace(0, len(times) - 1, min(keep, len(times)))).astype(int))
    return tuple(float(times[i]) for i in idx)


def reduce(spec, target: str | None = None):
    """``spec`` at reduced size (:data:`REDUCED`), on ``target`` if given (its device-only
    options dropped when the new target has no device)."""
    changes = {"times": reduced_times(spec.times), "realizations": min(spec.realizations, REDUCED["realizations"]),
               "shots": min(spec.shots, REDUCED["shots"]), "bootstrap": min(spec.bootstrap, REDUCED["bootstrap"])}
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


def qpu_seconds(spec, results: dict) -> float | None:
    """Estimated QPU seconds of ``spec``'s program on its device (the run's qubits), by the
    runtime estimator (PUB rows x shots x (duration + rep_delay) + per-job overhead); None off-device."""
    if spec.target not in DEVICE_TARGETS:
        return None
    from qbhw.calibration import full_target
    from qbhw.execute import device, prepare
    from qbhw.execute.runtime import estimate_qpu_seconds
    from qbhw.execute.targets import shots_per_pub
    from qbhw.results import compile_spec

    dev = device(spec.target if spec.target != "ibm" else "aer-noisy", spec.backend, fractional=spec.fractional)
    program = compile_spec(spec)
    prepared = prepare(program, dev, results.get("qubits"))
    isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, shots_per_pub(program, spec.shots), strict=True))
    target = dev.backend.target if dev.backend is not None else full_target(dev.snapshot)
    rep = dev.snapshot.default_rep_delay or 250e-6
    return float(estimate_qpu_seconds(isa, target, shots=spec.shots, rep_delay=rep, jobs=math.ceil(len(isa) / 21)))


RUN_FILE = "library_run.json"  # beside results.json: coordinates, wall seconds, QPU estimate or failure


def run_file(path: Path, *, out: Path = OUT, reduced: bool = False, target: str | None = None,
             write: bool = True, cost: bool = True) -> list[Run]:
    """Every run of one library file, each written to ``out/<stem>[/points/<label>]``
    (results.json, report.md, charging.png and :data:`RUN_FILE`)."""
    from qbhw import report
    from qbhw.experiment_file import load
    from qbhw.results import run_spec

    spec = load(path)
    spec = reduce(spec, target) if reduced else retarget(spec, target)
    runs = []
    for coords, s in points(spec):
        folder = out / path.stem / ("points/" + point_label(coords) if coords else "")
        start = time.perf_counter()
        try:
            results, error = run_spec(s), None
        except Exception as err:  # noqa: BLE001 - a refused or failed run is a library finding, recorded
            text = str(err).strip()
            results, error = None, f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"
        seconds = time.perf_counter() - start
        qpu = None
        if results is not None and cost:
            try:
                qpu = qpu_seconds(s, results)
            except Exception as err:  # noqa: BLE001 - the estimate is optional; say why it is missing
                print(f"  {path.stem} {point_label(coords)}: no QPU estimate ({type(err).__name__}: {err})",
                      file=sys.stderr)
        run = Run(path.stem, coords, folder, results, error, seconds, qpu, reduced)
        if write:
            folder.mkdir(parents=True, exist_ok=True)
            if results is not None:
                report.write_all(folder, results)
            report.write_json(folder / RUN_FILE, {"stem": run.stem, "coords": coords, "error": error,
                                                  "seconds": seconds, "qpu_seconds": qpu, "reduced": reduced})
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
        if only is not None and only not in meta["stem"]:
            continue
        folder = meta_path.parent
        results = load_results(folder) if meta["error"] is None else None
        runs.append(Run(meta["stem"], meta["coords"], folder, results, meta["error"], meta["seconds"],
                        meta["qpu_seconds"], meta["reduced"]))
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
    P_max(den)), independent runs (delta method, 95 % normal interval)."""
    nan = float("nan")
    ex = _exact_power(num.results) / (scale * _exact_power(den.results))
    if not (num.results.get("measured", True) and den.results.get("measured", True)):
        return nan, nan, nan, nan, ex
    a, b = (r.results["figures_of_merit"]["max_average_power"] for r in (num, den))
    g = a["value"] / (scale * b["value"])
    se = abs(g) * math.hypot(a["stderr"] / a["value"], b["stderr"] / b["value"])
    return g, g - 1.96 * se, g + 1.96 * se, a["estimand"] / (scale * b["estimand"]), ex


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
    """Exact Gamma(N) = P_max(Dicke N) / (N P_max(Rabi cell)) for N = 1..max_n, full coupling
    and Tavis-Cummings (RWA) form (reference only; table rows)."""
    from qbhw.metrics import max_average_power
    from qbhw.models import dicke
    from qbhw.reference import evolve
    from qbhw.reference.cutoff import resolve_cutoff

    t = np.linspace(0.0, 4.0, 401)

    def power(n: int, rwa: bool) -> float:
        if rwa:  # a^dag a + K is conserved: n_max = N photons is exact
            traj = evolve(dicke(n, g, rwa=True), t)
        else:
            cutoff = resolve_cutoff(lambda n_max: dicke(n, g, n_max=n_max), t, tolerance=1e-4)
            traj = evolve(dicke(n, g, n_max=cutoff.n_max), t, truncation_tol=np.inf)
        return max_average_power(t, traj.battery_energy)[0]

    p1, q1 = power(1, False), power(1, True)
    out = [f"| {n} | {power(n, False) / (n * p1):.4f} | {power(n, True) / (n * q1):.4f} | {math.sqrt(n):.4f} |"
           for n in range(1, max_n + 1)]
    return out


HEADER = ("| run | quantity | seed claim | exact model | exact, run's times | emulated device [95 % interval] "
          "| 2q gates | depth | shots | est. QPU s |")
RULE = "|---" * 10 + "|"


def markdown(runs: list[Run], *, reduced: bool, target: str | None, seconds: float, command: str) -> str:
    targets = sorted({r.results["target"] for r in runs if r.results is not None})
    backends = sorted({str(r.results.get("backend")) for r in runs if r.results is not None})
    lines = [
        "# Experiment library: results table",
        "",
        f"Generated by `{command}` ({'some runs at REDUCED size (marked): few times, realizations and shots' if reduced else 'full size'}; "
        f"targets {', '.join(targets) or '-'}; backends {', '.join(backends) or '-'}; {seconds:.0f} s wall clock). "
        "Do not edit by hand: rerun the command.",
        "",
        "Columns: `exact model` is the exact model (figures of merit: the dense exact curve or the long-time limit "
        "from the initial state; `*(t_last)`: the exact curve at the last time); `exact, run's times` is the same "
        "rule applied to the exact curve at the run's time points (what the measurement estimates: where it "
        "differs from `exact model`, the time window, not the device, limits the measurement); `emulated device` is the measured "
        "value with its 95 % bootstrap interval (results.json `figures_of_merit`); 2q gates and depth are those "
        "of the deepest circuit as placed on the device (results.json `resources`); shots are per run; "
        "est. QPU s is `qbhw.execute.runtime.estimate_qpu_seconds` for the same placed circuits on the named "
        "device (rep delay + per-job overhead included). The emulated points and the device's noise-exact "
        "reference come from the same noise model; the exact columns are the independent, noise-free reference.",
        "",
        HEADER,
        RULE,
        *table_rows(runs),
        "",
        "## Derived ratios (two runs; interval: independent runs, delta method)",
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reduced", action="store_true", help="few times, realizations and shots (tests, quick looks)")
    ap.add_argument("--target", default=None, help="override every file's target (e.g. reference, aer-ideal)")
    ap.add_argument("--only", default=None, help="run only the files whose name contains this")
    ap.add_argument("--out", default=str(OUT), help="run folders (default results/library)")
    ap.add_argument("--table", default=str(TABLE), help="markdown table (default docs/library_table.md)")
    ap.add_argument("--table-only", action="store_true", help="rewrite the table from the stored run folders")
    ap.add_argument("--dicke-max-n", type=int, default=8, help="exact Dicke/parallel ratio up to this N (0: none)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    runs = load_runs(Path(args.out), args.only) if args.table_only else []
    for path in [] if args.table_only else library_files(args.only):
        print(f"{path.name}", file=sys.stderr, flush=True)
        runs += run_file(path, out=Path(args.out), reduced=args.reduced, target=args.target)
    seconds = sum(r.seconds for r in runs) if args.table_only else time.perf_counter() - start
    command = "python benchmarks/experiment_library.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
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
    print(f"wrote {args.table}; run folders under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
