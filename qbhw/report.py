"""Results on disk: results.json, PNG plots and a short Markdown report.

results.json layout (top level): times; battery_energy and battery_ergotropy as
{"value": [...], "stderr": [...]} (measured runs add "ci95": [[low, high], ...] and, for
ergotropy, "bias"); reference (ideal model) and device_reference (noise-exact prediction,
with "agreement" of the measured intervals) and decoherence_reference (Lindblad + T1/T2) as
{"battery_energy": [...], "battery_ergotropy": [...]}; summary (steady state, charging time,
power); target, backend, calibration_date, qubits, qubit_reason, program, spec, versions, seed.
Every writer is atomic (temporary file + os.replace) so an interrupted run never leaves a
half-written file behind.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np


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


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("qbhw", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def plot_charging(path: Path, results: dict) -> None:
    """E_B(t) and ergotropy(t): measured points with error bars over the reference curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(results["times"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for ax, key, label in zip(axes, ("battery_energy", "battery_ergotropy"),
                              (r"$E_B(t)/\omega_B$", r"ergotropy $W_B(t)/\omega_B$")):
        curve = results.get("reference_curve") or {"times": t, **results.get("reference", {})}
        if curve.get(key) is not None:
            ax.plot(curve["times"], curve[key], "-", color="k", lw=1.5, label="exact Lindblad (ideal model)")
        steady = results.get("summary", {}).get(f"steady_{key}")
        if steady is not None:
            ax.axhline(steady, color="gray", ls=":", lw=1, label="long-time limit")
        dev = (results.get("device_reference") or {}).get(key)
        if dev is not None:
            ax.plot(t, dev, "--", color="tab:orange", lw=1.5, label="device noise model, exact (a)")
        deco = (results.get("decoherence_reference") or {}).get(key)
        if deco is not None:
            ax.plot(t, deco, ":", color="tab:green", lw=1.5, label="Lindblad + qubit T1/T2 (b)")
        meas = results.get(key)
        if meas is not None and results.get("measured", False):
            value = np.asarray(meas["value"], dtype=float)
            if meas.get("ci95") is not None:  # asymmetric 95 % bootstrap intervals
                ci = np.asarray(meas["ci95"], dtype=float)
                yerr = np.clip(np.stack([value - ci[:, 0], ci[:, 1] - value]), 0, None)
            else:
                yerr = meas["stderr"]
            ax.errorbar(t, value, yerr=yerr, fmt="o", ms=4, capsize=2, color="tab:blue",
                        label=f"measured, 95 % CI ({results.get('backend', '')})")
        ax.set_xlabel(r"time $t\,\omega_B$")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    title = results.get("title", "")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, suffix=".png")
    os.close(fd)
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


def summary_lines(results: dict) -> list[str]:
    s = results.get("summary", {})
    lines = []
    agreement = (results.get("device_reference") or {}).get("agreement")
    if agreement:
        for key, name in (("battery_ergotropy", "ergotropy"), ("battery_energy", "E_B")):
            a = agreement[key]
            lines.append(f"{name}: noise-exact device reference inside the 95 % bootstrap interval at "
                         f"{a['inside']}/{a['points']} time points")
    if s.get("steady_battery_energy") is not None:
        lines.append(f"exact model: E_B(inf) = {s['steady_battery_energy']:.6f}   ergotropy(inf) = "
                     f"{s['steady_battery_ergotropy']:.6f}   (long-time limit from the initial state)")
    if s.get("charging_time") is not None:
        lines.append(f"exact model: charging time tau(n={s['charging_n']:g}) = {s['charging_time']:.4f}   "
                     f"slowest E_B relaxation rate = {s['energy_relaxation_rate']:.5f}")
    if s.get("max_average_power") is not None:
        lines.append(f"exact model: max average power = {s['max_average_power']:.5f} at t = "
                     f"{s['max_average_power_time']:.4f}")
    return lines


def table(results: dict, rows: int = 11) -> str:
    t = np.asarray(results["times"])
    idx = np.unique(np.linspace(0, t.size - 1, min(rows, t.size)).round().astype(int))
    e, w = results["battery_energy"], results["battery_ergotropy"]
    ref = results.get("reference", {})
    if not results.get("measured", False):
        head = f"{'t':>8} {'E_B (exact)':>12} {'ergotropy (exact)':>18}"
        return "\n".join([head, "-" * len(head)] + [
            f"{t[i]:8.3f} {ref['battery_energy'][i]:12.5f} {ref['battery_ergotropy'][i]:18.5f}" for i in idx])
    dev = results.get("device_reference") or {}
    head = f"{'t':>8} {'E_B':>10} {'+-':>8} {'ergotropy':>10} {'+-':>8} {'E_B ideal':>10} {'erg ideal':>10}"
    if dev:
        head += f" {'E_B dev':>10} {'erg dev':>10}"
    out = [head, "-" * len(head)]
    for i in idx:
        line = (f"{t[i]:8.3f} {e['value'][i]:10.5f} {e['stderr'][i]:8.5f} {w['value'][i]:10.5f} "
                f"{w['stderr'][i]:8.5f} {ref['battery_energy'][i]:10.5f} {ref['battery_ergotropy'][i]:10.5f}")
        if dev:
            line += f" {dev['battery_energy'][i]:10.5f} {dev['battery_ergotropy'][i]:10.5f}"
        out.append(line)
    return "\n".join(out)


def markdown(results: dict) -> str:
    spec = results.get("spec", {})
    model = spec.get("model", {})
    lines = [f"# {results.get('title', 'qbhw experiment')}", "",
             f"- model: `{model.get('kind')}` with " + ", ".join(f"{k} = {v}" for k, v in model.items() if k != "kind"),
             f"- target: `{results.get('target', results.get('backend'))}` on `{results.get('backend')}`"
             + (f" (calibration {results.get('calibration_date')})" if results.get("calibration_date") else "")
             + f", seed {results.get('seed')}",
             f"- software: " + ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items()), ""]
    if results.get("qubits"):
        lines.append(f"- qubits {results['qubits']}: {results.get('qubit_reason', '')}")
    prog = results.get("program")
    if prog:
        lines.append(f"- program: {prog['circuits']} circuits, order-{prog['order']} product formula, up to "
                     f"{max(prog['steps'])} steps, {prog['realizations']} `{prog['dephasing']}` realizations x "
                     f"{prog['shots_per_realization']} shots")
    res = results.get("resources")
    if res:
        last = res[-1]
        lines.append(f"- longest circuit (t = {last['time']:g}): {last['two_qubit_gates']} two-qubit gates, depth "
                     f"{last['depth']}, {last['duration'] * 1e6:.1f} us = {last['duration_over_t2']:.3f} T2 "
                     f"(coherence left {last['coherence_left']:.3f})")
    gates = results.get("gate_sets")
    if gates:
        last = {row["gate_set"]: row for row in gates if row["time"] == max(r["time"] for r in gates)}
        lines.append("- two-qubit gate set at t = {:g}: ".format(last["cz"]["time"]) + "; ".join(
            f"{name.upper()} {row['two_qubit_gates']} two-qubit + {row['one_qubit_gates']} one-qubit gates, "
            f"{row['duration'] * 1e6:.1f} us, expected gate error {row['gate_error']:.3f}"
            for name, row in last.items()) + " (`fractional = true` in [run] compiles with RZZ)")
    if results.get("measured"):
        lines.append("- ergotropy is biased upwards near passive states (bootstrap bias in results.json); "
                     "error bars are 95 % bias-corrected bootstrap intervals over realizations and shots")
    lines += [f"- {line}" for line in summary_lines(results)]
    lines += ["", "![charging curves](charging.png)", "", "```", table(results), "```", ""]
    return "\n".join(lines)


def write_all(out_dir: Path, results: dict) -> None:
    out_dir = Path(out_dir)
    write_json(out_dir / "results.json", results)
    plot_charging(out_dir / "charging.png", results)
    atomic_write_text(out_dir / "report.md", markdown(results))


def load_results(out_dir: Path) -> dict:
    return load_json(Path(out_dir) / "results.json")


def load_json(path: Path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file (not a finished qbhw run folder)") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def sweep_row(value: float, results: dict) -> dict:
    """Figures of merit of one sweep point (measured where measured, else exact)."""
    t = np.asarray(results["times"], dtype=float)
    e = np.asarray(results["battery_energy"]["value"], dtype=float)
    w = np.asarray(results["battery_ergotropy"]["value"], dtype=float)
    i = int(np.argmax(w))
    row = {"value": value, "final_battery_energy": e[-1], "final_battery_energy_stderr": results["battery_energy"]["stderr"][-1],
           "final_battery_ergotropy": w[-1], "final_battery_ergotropy_stderr": results["battery_ergotropy"]["stderr"][-1],
           "max_battery_ergotropy": w[i], "max_battery_ergotropy_time": t[i],
           "reference_final_battery_ergotropy": results["reference"]["battery_ergotropy"][-1],
           **{f"reference_{k}": results["summary"].get(k)
              for k in ("charging_time", "steady_battery_ergotropy", "max_average_power")}}
    agreement = (results.get("device_reference") or {}).get("agreement")
    if agreement:
        row["device_reference_inside_fraction"] = agreement["battery_ergotropy"]["fraction"]
    return row


def write_sweep(folder: Path, parameter: str, runs) -> None:
    """sweep.json (one row per value, from each sub-run's results.json) and sweep.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [sweep_row(v, load_results(sub)) for v, sub in runs]
    write_json(Path(folder) / "sweep.json", {"parameter": parameter, "runs": rows,
                                             "folders": [str(Path(sub).name) for _, sub in runs]})
    x = np.array([r["value"] for r in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.errorbar(x, [r["final_battery_ergotropy"] for r in rows], yerr=[r["final_battery_ergotropy_stderr"] for r in rows],
                fmt="o", capsize=2, label="ergotropy at the last time")
    ax.plot(x, [r["reference_final_battery_ergotropy"] for r in rows], "k-", label="exact (ideal model)")
    ax.set_xlabel(parameter)
    ax.set_ylabel(r"ergotropy $/\omega_B$")
    if np.all(x > 0) and x.max() / x.min() > 20:
        ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(dir=Path(folder), suffix=".png")
    os.close(fd)
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, Path(folder) / "sweep.png")
