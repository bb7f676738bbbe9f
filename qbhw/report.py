"""Results on disk: results.json, PNG plots and a short Markdown report.

results.json layout (top level): schema_version (:data:`SCHEMA_VERSION`; files without it
predate versioning); times; battery_energy and battery_ergotropy as {"value": [...],
"stderr": [...]} (measured runs add "ci95": [[low, high], ...], optionally "interval" (what
kind of interval that is, e.g. "95 % bootstrap interval") and, for ergotropy, "bias"), both
from one physical estimate of the battery state; battery_energy_linear (optional, same
layout): the unbiased linear-inversion energy, which may leave [0, E_max]; reference (ideal
model on the time grid) and reference_curve (the same, densely in time); device_reference
(noise-exact prediction, with "agreement" of the measured intervals) and
decoherence_reference (Lindblad + T1/T2) as {"battery_energy": [...], "battery_ergotropy":
[...]}; summary (steady state, charging time, power of the exact model); warnings (optional
list of sentences, e.g. little signal left on the chosen qubits); target, backend,
calibration_date, qubits, qubit_reason, program, spec, versions, seed.

Every writer is atomic (temporary file + os.replace) so an interrupted run never leaves a
half-written file behind.  Readers accept results without the optional fields.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

#: Version of the results.json layout above (raise it when a field changes meaning).
SCHEMA_VERSION = 1
QUANTITIES = (("battery_energy", "E_B"), ("battery_ergotropy", "ergotropy"))
DEFAULT_INTERVAL = "95 % bootstrap interval"
STDERR_INTERVAL = "+- 1 standard error"


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(_jsonable(obj), indent=1) + "\n")


def write_results(path: Path, results: dict) -> None:
    """results.json: ``results`` with ``schema_version`` first."""
    write_json(path, {"schema_version": SCHEMA_VERSION, **{k: v for k, v in results.items() if k != "schema_version"}})


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("qbhw", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def source(results: dict) -> str:
    """Where the data points come from, in words: only the "ibm" target is measured."""
    backend = results.get("backend")
    return {"reference": "exact model (no sampling)",
            "aer-ideal": "emulated (ideal simulator)",
            "aer-noisy": f"emulated ({backend} noise model)",
            "fake-local": f"emulated (qiskit-ibm-runtime local mode, {backend})",
            "ibm": f"measured on {backend}",
            "pulse": f"emulated ({backend})"}.get(results.get("target"), f"run on {backend}")


def interval(results: dict, key: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(low, high, label) of the error bars of ``results[key]``: its "ci95" interval (labelled
    by the results' "interval" field), or value +- stderr where no interval was stored."""
    quantity = results[key]
    value = np.asarray(quantity["value"], dtype=float)
    if quantity.get("ci95") is not None:
        ci = np.asarray(quantity["ci95"], dtype=float)
        return ci[:, 0], ci[:, 1], results.get("interval") or DEFAULT_INTERVAL
    err = np.asarray(quantity["stderr"], dtype=float)
    return value - err, value + err, STDERR_INTERVAL


def _short(label: str) -> str:
    """A legend-sized interval label: the part before the first comma."""
    return label.split(",")[0]


def title(results: dict) -> str:
    kind = (results.get("spec", {}).get("model") or {}).get("kind") or "qbhw experiment"
    if not results.get("measured", False):
        return f"{kind}: exact charging curves"
    return f"{kind}: {source(results)} vs exact model"


def warnings(results: dict) -> list[str]:
    return [str(w) for w in results.get("warnings") or []]


def _exact_curve(results: dict) -> dict:
    """The exact model densely in time (reference_curve), else on the run's time grid."""
    return results.get("reference_curve") or {"times": results["times"], **results.get("reference", {})}


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _error_bars(ax, results: dict, key: str, *, legend: bool = True, **style) -> None:
    """The run's points of ``key`` with their intervals, labelled by source and interval kind."""
    t = np.asarray(results["times"], dtype=float)
    value = np.asarray(results[key]["value"], dtype=float)
    low, high, kind = interval(results, key)
    yerr = np.clip(np.stack([value - low, high - value]), 0, None)
    ax.errorbar(t, value, yerr=yerr, fmt="o", ms=4, capsize=2,
                label=f"{source(results)}, {_short(kind)}" if legend else "_nolegend_", **style)


def plot_charging(path: Path, results: dict) -> None:
    """E_B(t) and ergotropy(t): the run's points with their labelled intervals over the exact
    curve (dense in time) and, on devices, the device references."""
    plt = _pyplot()
    t = np.asarray(results["times"], dtype=float)
    curve = _exact_curve(results)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for ax, (key, _), label in zip(axes, QUANTITIES, (r"$E_B(t)/\omega_B$", r"ergotropy $W_B(t)/\omega_B$")):
        if curve.get(key) is not None:
            ax.plot(curve["times"], curve[key], "-", color="k", lw=1.5, label="exact model (no device noise)")
        steady = results.get("summary", {}).get(f"steady_{key}")
        if steady is not None:
            ax.axhline(steady, color="gray", ls=":", lw=1, label="long-time limit")
        dev = (results.get("device_reference") or {}).get(key)
        if dev is not None:
            ax.plot(t, dev, "--s", color="tab:orange", lw=1.2, ms=3, label="device noise model, exact (a), at the run's times")
        deco = (results.get("decoherence_reference") or {}).get(key)
        if deco is not None:
            ax.plot(t, deco, ":^", color="tab:green", lw=1.2, ms=3, label="Lindblad + qubit T1/T2 (b), at the run's times")
        if results.get(key) is not None and results.get("measured", False):
            _error_bars(ax, results, key, color="tab:blue")
        zne = (results.get("zne") or {}).get(key)
        if zne is not None:  # beside the raw points, shifted by 1 % of the window to stay readable
            value, ci = np.asarray(zne["value"], dtype=float), np.asarray(zne["ci95"], dtype=float)
            ax.errorbar(t + 0.01 * np.ptp(t), value, yerr=np.clip(np.stack([value - ci[:, 0], ci[:, 1] - value]), 0, None),
                        fmt="D", ms=3.5, capsize=2, color="tab:purple",
                        label=f"zero-noise extrapolated ({results['zne']['fit']}, factors "
                              f"{', '.join(f'{c:g}' for c in results['zne']['factors'])}), 95 % interval")
        ax.set_xlabel(r"time $t\,\omega_B$")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title(results), fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def summary_lines(results: dict) -> list[str]:
    s = results.get("summary", {})
    lines = []
    agreement = (results.get("device_reference") or {}).get("agreement")
    if agreement:
        for key, name in reversed(QUANTITIES):
            a = agreement[key]
            lines.append(f"{name}: noise-exact device reference inside the {_short(interval(results, key)[2])} at "
                         f"{a['inside']}/{a['points']} time points"
                         + (" (an estimator check: the emulated points are sampled from the same probabilities)"
                            if results.get("target") == "aer-noisy" else ""))
    if s.get("steady_battery_energy") is not None:
        lines.append(f"exact model: E_B(inf) = {s['steady_battery_energy']:.6f}   ergotropy(inf) = "
                     f"{s['steady_battery_ergotropy']:.6f}   (long-time limit from the initial state)")
    if s.get("steady_state_note"):
        lines.append(f"exact model: no long-time limit reported ({s['steady_state_note']})")
    if s.get("charging_time") is not None:
        lines.append(f"exact model: charging time tau(n={s['charging_n']:g}) = {s['charging_time']:.4f}   "
                     f"slowest E_B relaxation rate = {s['energy_relaxation_rate']:.5f}")
    if s.get("max_average_power") is not None:
        lines.append(f"exact model: max average power = {s['max_average_power']:.5f} at t = "
                     f"{s['max_average_power_time']:.4f}"
                     + (f" ({s['max_average_power_note']})" if s.get("max_average_power_note") else ""))
    return lines


FIGURE_NAMES = {"charging_time": "charging time tau", "max_average_power": "max average power",
                "max_average_power_time": "time of max power", "late_ergotropy_ratio": "late W / E_B"}


def figures_table(results: dict) -> str:
    """The measured figures of merit with their intervals, beside the exact curve's value at the
    same times by the same rule (estimand) and the model's own (dense curve, steady state)."""
    figures = results.get("figures_of_merit")
    if not figures:
        return ""
    n = results.get("summary", {}).get("charging_n", 1)
    device = all("device" in f for f in figures.values())
    zne = (results.get("zne") or {}).get("figures_of_merit")
    head = (f"{'figure of merit':22} {'measured':>10} {'95 % interval':>20} {'exact, same t':>14} {'exact model':>12}"
            + (f" {'device, same t':>15}" if device else "") + (f" {'ZNE':>8} {'ZNE 95 % interval':>20}" if zne else ""))
    body = []
    for key, f in figures.items():
        exact = f.get("exact")
        body.append(f"{FIGURE_NAMES.get(key, key):22} {_num(f['value'], 10, 4)} {_bracket(*f['ci95']):>20} "
                    f"{_num(f['estimand'], 14, 4)} {'-' if exact is None else _num(exact, 12, 4):>12}"
                    + (f" {_num(f['device'], 15, 4)}" if device else "")
                    + (f" {_num(zne[key]['value'], 8, 4)} {_bracket(*zne[key]['ci95']):>20}" if zne else ""))
    note = (f"tau(n = {n:g}) against the mean E_B of the late points, late excursions counted beyond 2 standard "
            "errors; late W / E_B over the last fifth of the times; intervals from the same bootstrap resamples "
            "as the curves (" + ", ".join(sorted({f.get("interval", "BCa") for f in figures.values()})) + "); "
            "'exact, same t' = the same rule on the exact curve at the run's times (what the measurement "
            "estimates); 'exact model' = dense curve / steady state (tau against E_B(inf))"
            + ("; 'device, same t' = the same rule on the noise-exact device reference (same noise model as the "
               "emulated points: an estimator check)" if device else ""))
    return "\n".join([note, head, "-" * len(head), *body])


def dissipation_lines(summary: dict) -> list[str]:
    """Report lines (markdown bullets) of a :func:`qbhw.execute.resources.dissipation` summary; none without dissipation."""
    lines = []
    if summary["blocks"]:
        parts = "; ".join(f"{b['kind']} ({b['jumps']}) on qubits {b['qubits']}, ancillas {b['ancillas'] or 'none'}, "
                          f"order {b['order']}" for b in summary["blocks"])
        lines.append(f"- dissipation by ancilla collisions with reset (`{summary['ancilla_use']}`): {parts}; "
                     f"ancilla qubits: {summary['ancillas']}, {summary['resets_per_slot']} resets per slot, "
                     f"{max(summary['resets'])} resets in the longest circuit; averaged step of order "
                     f"{summary['splitting_order']} in dt")
    if summary["recharge_times"]:
        lines.append(f"- chargers re-prepared at t = {', '.join(f'{t:g}' for t in summary['recharge_times'])} "
                     f"(reset + X of {summary['resets_per_recharge']} qubits at a Trotter-step boundary)")
    return lines


def _rows(n: int, rows: int | None) -> np.ndarray:
    if rows is None or n <= rows:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, rows).round().astype(int))


def table(results: dict, rows: int | None = None, *, linear: bool = False) -> str:
    """Fixed-width table of every time point (``rows``: at most that many, evenly spaced, with a
    line saying so).  Measured runs show each quantity with the interval of the plot's error
    bars; ``linear`` adds the unbiased linear-inversion energy where the results have it."""
    t = np.asarray(results["times"], dtype=float)
    idx = _rows(t.size, rows)
    ref = results.get("reference", {})
    if not results.get("measured", False):
        head = f"{'t':>8} {'E_B (exact)':>12} {'ergotropy (exact)':>18}"
        body = [f"{t[i]:8.3f} {_num(ref['battery_energy'][i], 12, 5)} {_num(ref['battery_ergotropy'][i], 18, 5)}"
                for i in idx]
        return "\n".join([head, "-" * len(head), *body, *_skipped(idx.size, t.size)])
    quantities = list(QUANTITIES)
    if linear and results.get("battery_energy_linear") is not None:
        quantities.append(("battery_energy_linear", "E_B linear"))
    dev = results.get("device_reference") or {}
    head = f"{'t':>8}" + "".join(f" {name:>10} {'interval':>18}" for _, name in quantities)
    head += f" {'E_B exact':>10} {'erg exact':>10}" + (f" {'E_B dev':>10} {'erg dev':>10}" if dev else "")
    bounds = [interval(results, key) for key, _ in quantities]
    body = []
    for i in idx:
        line = f"{t[i]:8.3f}" + "".join(f" {_num(results[key]['value'][i], 10, 5)} {_bracket(lo[i], hi[i]):>18}"
                                        for (key, _), (lo, hi, _) in zip(quantities, bounds))
        line += f" {_num(ref['battery_energy'][i], 10, 5)} {_num(ref['battery_ergotropy'][i], 10, 5)}"
        if dev:
            line += f" {_num(dev['battery_energy'][i], 10, 5)} {_num(dev['battery_ergotropy'][i], 10, 5)}"
        body.append(line)
    kinds = sorted({kind for _, _, kind in bounds})
    note = (f"{source(results)}; interval = {' / '.join(kinds)}; exact = "
            f"{(results.get('reference') or {}).get('model') or 'ideal model'}" + ("; dev = device noise model, exact" if dev else ""))
    return "\n".join([note, head, "-" * len(head), *body, *_skipped(idx.size, t.size)])


def _num(x, width: int, decimals: int) -> str:
    """Fixed-point, without the "-0.00000" of round-off below the last decimal."""
    return f"{round(float(x), decimals) + 0.0:{width}.{decimals}f}"


def _bracket(low, high) -> str:
    return f"[{_num(low, 0, 4)}, {_num(high, 0, 4)}]"


def _skipped(shown: int, total: int) -> list[str]:
    return [] if shown == total else [f"(showing {shown} of {total} time points; all are in results.json and report.md)"]


def markdown(results: dict) -> str:
    spec = results.get("spec", {})
    model = spec.get("model", {})
    lines = [f"# {title(results)}", ""]
    lines += [f"- **warning**: {w}" for w in warnings(results)]
    lines += [f"- model: `{model.get('kind')}` with " + ", ".join(f"{k} = {v}" for k, v in model.items() if k != "kind"),
              f"- data: {source(results)}",
              f"- target: `{results.get('target', results.get('backend'))}` on `{results.get('backend')}`"
              + (f" (calibration {results.get('calibration_date')})" if results.get("calibration_date") else "")
              + f", seed {results.get('seed')}",
              "- software: " + ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items()), ""]
    if results.get("qubits"):
        lines.append(f"- qubits {results['qubits']}: {results.get('qubit_reason', '')}")
    prog = results.get("program")
    pulse = results.get("pulse")
    if pulse:
        leak = np.asarray(pulse["leakage"], dtype=float)
        lines.append(f"- pulse-level simulation of the model (qbhw.pulse, qiskit-dynamics worker), measured in the "
                     f"program's {prog['circuits']} tomography settings x {prog['shots_per_realization']} shots per "
                     f"realization; true leakage out of the qubit levels max {leak.max():.2g} (read as "
                     f"{pulse['leaked_read_as']}); pulse parameters in results.json")
        crosstalk = ((pulse.get("parameters") or {}).get("device") or {}).get("crosstalk") or {}
        if crosstalk.get("source", "off") != "off":
            lines.append(f"- drive crosstalk: {crosstalk['source']}")
    elif prog:
        lines.append(f"- program: {prog['circuits']} circuits, order-{prog['order']} product formula, up to "
                     f"{max(prog['steps'])} steps, {prog['realizations']} `{prog['dephasing']}` realizations x "
                     + (f"the planned shots ({prog['shots']} in all, see Estimation)" if results.get("plan") else
                        f"{prog['shots_per_realization']} shots"
                        + (f" ({prog['shots']} per time and basis; circuits without realizations get all of them)"
                           if prog.get("shots") else "")))
        if prog.get("dissipation"):
            lines += dissipation_lines(prog["dissipation"])
        if prog.get("encoding_costs"):
            costs = ", ".join(f"{k}: {v} CZ" for k, v in prog["encoding_costs"].items())
            lines.append(f"- collective battery encodings compared on the last time point ({costs}); the one with "
                         "fewer two-qubit gates ran")
    res = results.get("resources")
    if res:
        last = res[-1]
        lines.append(f"- longest circuit (t = {last['time']:g}): {last['two_qubit_gates']} two-qubit gates, depth "
                     f"{last['depth']}, {last['duration'] * 1e6:.1f} us = {last['duration_over_t2']:.3f} T2 "
                     f"(coherence left {last['coherence_left']:.3f})")
    lines += step_lines(res or [])
    gates = results.get("gate_sets")
    if gates:
        last = {row["gate_set"]: row for row in gates if row["time"] == max(r["time"] for r in gates)}
        lines.append("- two-qubit gate set at t = {:g}: ".format(last["cz"]["time"]) + "; ".join(
            f"{name.upper()} {row['two_qubit_gates']} two-qubit + {row['one_qubit_gates']} one-qubit gates, "
            f"{row['duration'] * 1e6:.1f} us, expected gate error {row['gate_error']:.3f}"
            for name, row in last.items()) + " (`fractional = true` in [run] compiles with RZZ)")
    if (results.get("reference") or {}).get("model"):
        lines.append(f"- exact reference: {results['reference']['model']}")
    cutoff = results.get("cutoff")
    if cutoff:
        lines.append(f"- oscillator cutoff n_max = {cutoff['n_max']}, chosen automatically: truncation error "
                     f"{cutoff['error']:.1e} ({cutoff.get('measure', 'measured')}) against n_max = "
                     f"{cutoff['reference_n_max']}, tolerance {cutoff['tolerance']:g}")
    if results.get("measured"):
        kinds = " / ".join(sorted({interval(results, key)[2] for key, _ in QUANTITIES}))
        lines.append(f"- error bars (plot) and intervals (table): {kinds}")
        if results["battery_ergotropy"].get("bias") is not None:
            lines.append("- the ergotropy estimate is biased at the state-space boundaries: upwards near passive "
                         "states, downwards near pure ones (bootstrap bias in results.json)")
        if results.get("battery_energy_linear") is not None:
            lines.append("- E_B and ergotropy come from one physical estimate of the battery state; "
                         "\"E_B linear\" is the unbiased linear-inversion energy (it may leave [0, E_max])")
    lines += [f"- {line}" for line in summary_lines(results)]
    figures = figures_table(results)
    lines += ["", "![charging curves](charging.png)", ""] + (["```", figures, "```", ""] if figures else [])
    lines += ["```", table(results, linear=True), "```", ""]
    lines += (estimation_lines(results) + zne_lines(results) + balance_lines(results) + cost_lines(results)
              + independence_lines(results))
    return "\n".join(lines)


def estimation_lines(results: dict) -> list[str]:
    """The estimator, the tomography settings and, with a precision, the shot plan per time point."""
    erg = results.get("battery_ergotropy") or {}
    prog = results.get("program") or {}
    if not results.get("measured"):
        return []
    lines = ["## Estimation", "", f"- ergotropy estimator: {erg.get('estimator', 'Pauli bases, linear inversion')}"]
    if prog.get("tomography_conditioning") is not None:
        lines.append(f"- permutation-invariant tomography: {prog['settings_per_time']} settings per time point "
                     f"(one direction on every battery qubit), condition number {prog['tomography_conditioning']:.2f} "
                     "of the map they invert; the estimate is the permutation-invariant part of the battery state")
    if erg.get("bias_corrected") is not None:
        corrected = np.asarray(erg["bias_corrected"], dtype=float)
        lines.append(f"- bootstrap bias-corrected ergotropy (2 W - mean W*) in results.json "
                     f"`battery_ergotropy.bias_corrected` (largest correction {np.max(np.abs(corrected - np.asarray(erg['value'], dtype=float))):.2g})")
    plan = results.get("plan")
    if plan:
        widths = np.diff(np.asarray(results["battery_ergotropy"]["ci95"], dtype=float), axis=1)[:, 0] / 2
        aim = (f"a budget of {plan['shot_budget']} shots, spent for the smallest common half-width, +-{plan['precision']:.4f}"
               if plan.get("shot_budget") else f"+-{plan['precision']:g}")
        lines += [f"- shots planned for {aim} (95 % half-width of the ergotropy at every time point; "
                  f"{plan['allocation']} allocation, {plan['total_shots']} shots, {plan['realizations']} realizations"
                  + (", 1 shot each" if plan.get("shots_per_realization") else "") + "): this run's half-widths "
                  f"{np.sum(widths <= plan['precision'])}/{widths.size} within it, largest {widths.max():.4f}", "",
                  "| t | shots per setting | planned | simulated check | this run |", "|---|---|---|---|---|"]
        for t, shots, p, q, w in zip(results["times"], plan["shots"], plan["predicted_half_width"],
                                     plan["simulated_half_width"], widths):
            lines.append(f"| {t:.3g} | " + ", ".join(f"{k} {n}" for k, n in shots.items()) + f" | {p:.4f} | {q:.4f} | {w:.4f} |")
    return lines + [""]


def cost_lines(results: dict) -> list[str]:
    """QPU time: qbhw's estimate on the named device, what the jobs reported, the rep delay."""
    estimate = results.get("estimated_qpu_seconds")
    if estimate is None:
        return []
    usage = results.get("qpu_usage") or {}
    rep = results.get("rep_delay") or {}
    reported = usage.get("reported_seconds")
    lines = ["## QPU time", "",
             f"- estimated {estimate:.1f} QPU s on `{results.get('backend')}`; reported by the jobs: "
             + (f"{reported:.1f} s" if reported is not None else "none") + f" ({usage.get('source', 'not recorded')})"]
    if rep:
        lines.append(f"- rep delay {rep['seconds'] * 1e6:.0f} us" + (" (given)" if rep.get("given") else " (device default)")
                     + f", qubit initialisation {'on' if rep.get('init_qubits') else 'off'}; qbhw's choice: "
                     f"{rep['reason']}")
    return lines + [""]


def independence_lines(results: dict) -> list[str]:
    """Which comparison in the report checks what (device targets)."""
    if not results.get("device_reference"):
        return []
    lines = ["## What each comparison checks", "",
             "- measured points vs the **exact model** (Lindblad curve): independent of the device; the gap is the "
             "device's noise plus sampling and Trotter error.",
             "- measured points vs the **device reference** (noise-exact prediction): "
             + ("the emulated points are sampled from the same noise model's probabilities, so their agreement checks "
                "sampling and the estimator only, not the physics or the noise emulation"
                if results.get("target") == "aer-noisy" else
                "the device reference predicts the device from its calibration snapshot; on hardware their agreement "
                "tests the noise model itself") + ".",
             "- the fast noise emulation itself is checked independently against qiskit-ibm-runtime's local mode on "
             "the full fake backend for every library program (`benchmarks/acceptance_library_independent.py`, one "
             "combined test)."]
    if results.get("zne"):
        lines.append("- ZNE values vs the extrapolated device reference: same noise model again (an estimator "
                     "check); vs the exact model: whether the extrapolation removes the noise.")
    return lines + [""]


def zne_lines(results: dict) -> list[str]:
    """The zero-noise extrapolation table (results.json "zne"), one row per time."""
    z = results.get("zne")
    if not z:
        return []
    times = np.asarray(results["times"], dtype=float)
    ref = results.get("reference") or {}
    shots = z["shots"]
    amp = z["amplification"]
    head = (f"{'t':>7} {'E_B raw':>9} {'E_B ZNE':>9} {'95 % interval':>18} {'device':>8} {'exact':>8} "
            f"{'W raw':>9} {'W ZNE':>9} {'95 % interval':>18} {'device':>8} {'exact':>8}")
    rows = []
    for i, t in enumerate(times):
        cells = [f"{t:7.3f}"]
        for key in ("battery_energy", "battery_ergotropy"):
            raw = np.asarray(results[key]["value"], dtype=float)[i]
            zv, zci = np.asarray(z[key]["value"], dtype=float)[i], np.asarray(z[key]["ci95"], dtype=float)[i]
            dv = np.asarray(z["device_reference"][key], dtype=float)[i]
            ev = np.asarray(ref.get(key, [np.nan] * times.size), dtype=float)[i]
            cells += [_num(raw, 9, 4), _num(zv, 9, 4), f"{_bracket(*zci):>18}", _num(dv, 8, 4), _num(ev, 8, 4)]
        rows.append(" ".join(cells))
    growth = np.nanmedian(np.asarray(amp["w"], dtype=float)[1:]) if len(times) > 1 else np.nan
    closed = amp.get("closed_form")
    return ["## Zero-noise extrapolation", "",
            f"- gates folded ({z['gates']}) at noise factors {', '.join(f'{c:g}' for c in z['factors'])}, "
            f"{z['fit']} fit; {shots['total']} shots in all ({shots['new']} beyond the plain run), device time "
            f"x{shots['device_seconds_ratio']:.1f}; ergotropy error x{growth:.2f} (median over times; shot-noise "
            f"closed form {'-' if closed is None else f'{closed:.2f}'}).",
            f"- {z['interval']}.", "",
            "```", head, "-" * len(head), *rows, "```", ""]


def balance_lines(results: dict) -> list[str]:
    """The charger-battery energy balance (results.json "energy_balance") at every time."""
    b = results.get("energy_balance")
    if not b:
        return []
    times = np.asarray(results["times"], dtype=float)
    keys = ("charger_energy", "battery_energy", "work_drive", "residual")
    head = f"{'t':>7} " + " ".join(f"{k:>24}" for k in keys) + f" {'residual, exact same t':>23}"
    rows = []
    for i, t in enumerate(times):
        cells = [f"{t:7.3f}"]
        for k in keys:
            v, ci = np.asarray(b[k]["value"], dtype=float)[i], np.asarray(b[k]["ci95"], dtype=float)[i]
            cells.append(f"{_num(v, 8, 4)} {_bracket(*ci):>15}")
        est = b["residual"].get("estimand")
        cells.append(_num(np.nan if est is None else np.asarray(est, dtype=float)[i], 23, 4))
        rows.append(" ".join(cells))
    other = {k: float(np.nanmax(np.abs(np.asarray(b[k]["value"], dtype=float)))) for k in ("work_coupling", "work_bath")}
    return ["## Charger-battery energy balance", "",
            "- E_C + E_B - (E_C + E_B)(0) = work of the drive + coupling + bath flows, each the expectation of a fixed "
            "operator in the measured joint state (qbhw.metrics.balance), integrated by the trapezoid rule over the "
            "measured times; 'residual' is what the flows do not account for (exact states: the trapezoid's "
            "O(dt^2) error, the last column; on a device also the energy the device's own noise moves).",
            f"- largest coupling / bath work: {other['work_coupling']:.3g} / {other['work_bath']:.3g} "
            "(zero for a resonant exchange and charger dephasing)", "",
            "```", head, "-" * len(head), *rows, "```", ""]


def step_lines(resources: list[dict]) -> list[str]:
    """The Trotter step choice of a device run (rows of ``results["resources"]``, see
    :func:`qbhw.experiment.step_rows`): how the steps were chosen, a table per time point of the
    chosen and the splitting-only steps with their predicted errors, and the trade-off at the last
    time (step counts around the choice); none for rows without errors (older results)."""
    if not resources or "split_error" not in resources[-1]:
        return []
    rule = resources[-1]["step_rule"]
    out = [f"- Trotter steps: **{rule}**" + (
        " (per time point the step count of least predicted total error = split error + device error on these "
        "qubits, qbhw.compile.noise_aware; device error = 2 x P(fault), P(fault) = 1 - (1 - gate error) x "
        "prod_q exp(-duration/T2_q); errors in trace norm)" if rule == "noise-aware" else
        " (fewest steps whose split error is <= compile.accuracy; [compile] steps = \"noise-aware\" trades it "
        "against the device error)")]
    if rule == "noise-aware":
        out.append("- step grid: uniform within each circuit, at the compiled product-formula order; a non-uniform grid "
                   "(coarse early or late) and order 1 with the term order reversed every other step were measured "
                   "to need more two-qubit gates for the same split error (qbhw.compile.noise_aware)")
    head = (f"{'t':>6} {'steps':>5} {'2q':>5} {'dur/us':>7} {'split':>6} {'device':>6} {'total':>6}"
            + (f" | {'splitting-only: steps':>21} {'2q':>5} {'dur/us':>7} {'split':>6} {'device':>6} {'total':>6}"
               if "splitting" in resources[-1] else ""))
    rows = [head, "-" * len(head)]
    for r in resources:
        line = (f"{r['time']:6.2f} {r['steps']:5d} {r['two_qubit_gates']:5d} {r['duration'] * 1e6:7.2f} "
                f"{r['split_error']:6.3f} {r['device_error']:6.3f} {r['total_error']:6.3f}")
        b = r.get("splitting")
        if b is not None:
            placed = (f"{b['two_qubit_gates']:5d} {b['duration'] * 1e6:7.2f}" if b["two_qubit_gates"] is not None
                      else f"{'refused':>13}")  # no qubits keep coherence that long: device error predicted
            line += f" | {b['steps']:21d} {placed} {b['split_error']:6.3f} {b['device_error']:6.3f} {b['total_error']:6.3f}"
        rows.append(line)
    out += ["", "```", *rows, "```", ""]
    trade = resources[-1].get("tradeoff")
    if trade:
        chosen, last = resources[-1]["steps"], trade[-1]["steps"]
        near = [c for c in trade if abs(c["steps"] - chosen) <= 3 or c["steps"] in (1, last)
                or c["steps"] in (2 * chosen, 3 * chosen)]
        out += [(f"- trade-off at t = {resources[-1]['time']:g} (predicted; the run's choice marked *; fewer steps: "
                 "larger split error, more steps: more device error; compile.accuracy bounds the split error the "
                 "choice aims below, compile.steps = \"splitting\" keeps the splitting-only count):"), "", "```",
                f"{'steps':>6} {'split':>6} {'device':>6} {'total':>6}"]
        out += [f"{c['steps']:5d}{'*' if c['steps'] == chosen else ' '} {c['split_error']:6.3f} "
                f"{c['device_error']:6.3f} {c['total_error']:6.3f}" for c in near]
        out += ["```", ""]
    return out


def write_all(out_dir: Path, results: dict) -> None:
    """charging.png, report.md and, last, results.json: its presence marks a complete run."""
    out_dir = Path(out_dir)
    plot_charging(out_dir / "charging.png", results)
    atomic_write_text(out_dir / "report.md", markdown(results))
    write_results(out_dir / "results.json", results)


def load_results(out_dir: Path) -> dict:
    path = Path(out_dir) / "results.json"
    results = load_json(path)
    if results.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValueError(f"{path}: results schema version {results['schema_version']} is newer than this qbhw "
                         f"reads ({SCHEMA_VERSION}); upgrade qbhw")
    return results


def load_json(path: Path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file (not a finished qbhw run folder)") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


SWEEP_CURVES = 12  # E_B(t) curves drawn in sweep.png at most (evenly chosen points)
SWEEP_LINES = 6  # lines per figure-of-merit panel (one per value of the other dimensions)
MERIT_PANELS = (("charging_time", r"charging time $\tau\,\omega_B$"),
                ("max_average_power", r"max average power $/\omega_B^2$"),
                ("final_battery_ergotropy", r"ergotropy at the last time $/\omega_B$"))


def sweep_plot_names(ds) -> list[str]:
    """The figures :func:`plot_sweep` writes: sweep.png and one sweep_<dim>.png per swept dimension."""
    return ["sweep.png", *(f"sweep_{d}.png" for d in _grid_dims(ds))]


def _grid_dims(ds) -> list[str]:
    return [d for d in ds["status"].dims]


def _axis_labels(ds, dim: str) -> tuple[np.ndarray, list[str] | None]:
    """x positions and, for categorical or zipped dimensions, tick labels."""
    if dim == "zip":
        names = [c for c in ds.coords if ds[c].dims == ("zip",) and c != "zip"]
        labels = [", ".join(f"{c}={ds[c].values[i]}" for c in names) for i in range(ds.sizes["zip"])]
        return np.arange(ds.sizes["zip"]), labels
    values = ds[dim].values
    if values.dtype.kind in "iuf":
        return values.astype(float), None
    return np.arange(values.size), [str(v) for v in values]


def _final_ergotropy(ds):
    """(measured, low, high, exact) ergotropy at the last time, over the grid."""
    last = {"time": -1}
    return (ds["battery_ergotropy"][last], ds["battery_ergotropy_ci_low"][last],
            ds["battery_ergotropy_ci_high"][last], ds["reference_battery_ergotropy"][last])


def _grid_reference(ds, key: str):
    """The exact curve's figure of merit at the run's times by the measured one's rule."""
    return ds.get(f"{key}_estimand")


def _merit_series(ds, key: str):
    """(measured, low, high, exact) over the grid for one panel; low/high None without interval."""
    if key == "final_battery_ergotropy":
        return _final_ergotropy(ds)
    low, high = (ds[f"{key}_{b}"] if f"{key}_{b}" in ds and bool(ds[f"{key}_{b}"].notnull().any()) else None
                 for b in ("ci_low", "ci_high"))
    return ds[key], low, high, ds[f"reference_{key}"]


def plot_sweep(folder: Path, ds) -> list[Path]:
    """sweep.png (E_B(t) and ergotropy(t) of up to SWEEP_CURVES points: exact curves dense in
    time, the run's points with their intervals) and, per swept dimension, sweep_<dim>.png:
    charging time, max average power and last-time ergotropy against that parameter, measured
    (markers, the ergotropy with its interval) beside the exact model (lines through the swept
    values), one line per value of the other dimensions (at most SWEEP_LINES)."""
    folder = Path(folder)
    measured = ds.attrs.get("target", "reference") != "reference"
    paths = [folder / "sweep.png"]
    _plot_sweep_curves(paths[0], ds, measured)
    for dim in _grid_dims(ds):
        paths.append(folder / f"sweep_{dim}.png")
        _plot_sweep_axis(paths[-1], ds, dim, measured)
    return paths


def _others(ds, dim: str) -> list[dict]:
    """Index selections of the other grid dimensions, one per line (at most SWEEP_LINES)."""
    import itertools

    others = [d for d in _grid_dims(ds) if d != dim]
    combos = list(itertools.product(*(range(ds.sizes[d]) for d in others)))
    pick = np.unique(np.linspace(0, len(combos) - 1, min(len(combos), SWEEP_LINES)).round().astype(int))
    return [dict(zip(others, combos[i])) for i in pick]


def _selection_label(ds, sel: dict) -> str:
    parts = []
    for d, i in sel.items():
        _, labels = _axis_labels(ds, d)
        parts.append(f"{d} = {labels[i] if labels else format(float(ds[d].values[i]), 'g')}")
    return ", ".join(parts)


def _finite(values) -> np.ndarray:
    """``values`` as floats with inf (e.g. a charging time not reached within the times) as NaN: not drawn."""
    x = np.asarray(values, dtype=float)
    return np.where(np.isfinite(x), x, np.nan)


def _log_axis(ax) -> None:
    """Logarithmic x with plain numbers at the decades and no labels on the minor ticks."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _plot_sweep_axis(path: Path, ds, dim: str, measured: bool) -> None:
    plt = _pyplot()
    x, ticks = _axis_labels(ds, dim)
    fig, axes = plt.subplots(1, len(MERIT_PANELS), figsize=(14, 3.8))
    selections = _others(ds, dim)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(selections)))
    for sel, colour in zip(selections, colours):
        name = _selection_label(ds, sel)
        for ax, (key, _) in zip(axes, MERIT_PANELS):
            value, low, high, exact = (None if a is None else _finite(a[sel].values) for a in _merit_series(ds, key))
            ax.plot(x, exact, "-", color=colour, lw=1.2, label=f"exact model{', ' + name if name else ''}")
            grid = _grid_reference(ds, key)
            if measured and grid is not None:
                ax.plot(x, np.asarray(grid[sel].values, dtype=float), ":", color=colour, lw=1,
                        label="exact curve at the run's times, same rule")
            if measured:
                yerr = None if low is None else np.clip(np.stack([value - low, high - value]), 0, None)
                ax.errorbar(x, value, yerr=yerr, fmt="o", ms=4, capsize=2, color=colour,
                            label=f"{ds.attrs.get('source', 'measured')}{', ' + name if name else ''}")
    zipped = ", ".join(c for c in ds.coords if ds[c].dims == ("zip",) and c != "zip")
    for ax, (key, label) in zip(axes, MERIT_PANELS):
        ax.set_xlabel(f"{zipped} (zipped)" if dim == "zip" else dim)
        ax.set_ylabel(label)
        if ticks:
            ax.set_xticks(x, ticks, rotation=20, fontsize=7)
        elif np.all(x > 0) and x.max() / x.min() > 20:
            _log_axis(ax)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{ds.attrs.get('title', 'sweep')}: figures of merit against {dim}"
                 + ("" if not measured else " (measured on the run's time grid; exact lines through the swept values)"),
                 fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def _plot_sweep_curves(path: Path, ds, measured: bool) -> None:
    import itertools

    plt = _pyplot()
    dims = _grid_dims(ds)
    combos = list(itertools.product(*(range(ds.sizes[d]) for d in dims)))
    pick = np.unique(np.linspace(0, len(combos) - 1, min(len(combos), SWEEP_CURVES)).round().astype(int))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    colours = plt.cm.viridis(np.linspace(0, 0.9, pick.size))
    t = ds["time"].values
    for n, (i, colour) in enumerate(zip(pick, colours)):
        sel = dict(zip(dims, combos[i]))
        for ax, (key, _) in zip(axes, QUANTITIES):
            ax.plot(ds["curve_time"].values, ds[f"reference_curve_{key}"][sel].values, "-", color=colour, lw=1.2,
                    label=_selection_label(ds, sel))
            if measured:
                v = ds[key][sel].values
                yerr = np.clip(np.stack([v - ds[f"{key}_ci_low"][sel].values, ds[f"{key}_ci_high"][sel].values - v]),
                               0, None)
                ax.errorbar(t, v, yerr=yerr, fmt="o", ms=3, capsize=2, color=colour, label="_nolegend_")
    for ax, label in zip(axes, (r"$E_B(t)/\omega_B$", r"ergotropy $W_B(t)/\omega_B$")):
        ax.set_xlabel(r"time $t\,\omega_B$")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=6, title="lines: exact model" + (", points: " + ds.attrs.get("source", "") if measured else ""),
                   title_fontsize=6)
    shown = f" ({pick.size} of {len(combos)} points)" if pick.size < len(combos) else ""
    fig.suptitle(f"{ds.attrs.get('title', 'sweep')}: charging curves{shown}", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
