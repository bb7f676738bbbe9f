"""TLS pair (lecture 4; g = 1, F = 0.5, gamma_C = 1.41): exact model vs Trotter circuits on the
noisy target vs the pulse-level simulation of the same protocol, with the device time each needs.

  exact   qbhw.reference.evolve of tls_pair (rotating frame): E_B(t), W(t);
  trotter run_experiment(target="aer-noisy", backend=fake_fez): second-order Trotter circuits,
          charger dephasing as M random Z kicks, placed on fake_fez (its gate errors, T1/T2,
          readout error); device time = the transpiled circuit's scheduled duration
          (metadata["resources"], the costliest basis circuit of each time point) minus that
          of the t = 0 circuit (state preparation, basis rotation and readout, which both paths pay);
  pulse   run_experiment(target="pulse", backend=fake_fez): the analog drive + effective
          exchange at the physical rates (g = 2 pi x 5 MHz, so model time 1 = 31.8 ns), charger
          dephasing as M physical Z kicks of the charger, fake_fez's T1/T2 and readout error,
          2 transmon levels; device time = t in ns (scale of qbhw.pulse.device).
Both measured the same way (3 Pauli bases, same shots, same tomography and bootstrap); the
printed "readout" is the t = 0 circuit's duration, excluded from both device times.
Writes pulse_vs_trotter.png (E_B, W with 95 % intervals; device time) and prints the table.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pulse_vs_trotter.py [--out DIR]   (~1-2 min; needs ./dev pulse-env)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from qbhw.experiment import run_experiment
from qbhw.models.charger_battery import tls_pair
from qbhw.pulse.device import Scale

TIMES = np.linspace(0, 5, 11)
BACKEND = "fake_fez"
COMMON = {"dephasing": "kicks", "realizations": 20, "shots": 4000, "seed": 7, "bootstrap": 200, "backend": BACKEND}


def runs(model):
    out = {}
    for name, target in (("trotter", "aer-noisy"), ("pulse", "pulse")):
        start = time.perf_counter()
        out[name] = run_experiment(model, TIMES, target=target, **COMMON)
        print(f"{name:8s} run {time.perf_counter() - start:6.1f} s  qubits {out[name].metadata.get('qubits')}")
    return out


def device_times_ns(results, model):
    """(Trotter evolution ns, pulse ns, t = 0 circuit ns) per time point (module doc)."""
    total = np.array([r["duration"] for r in results["trotter"].metadata["resources"]]) * 1e9
    return total - total[0], Scale(model.params["g"]).nanoseconds(TIMES), total[0]


def table(results, trotter_ns, pulse_ns) -> str:
    ref = results["trotter"].reference
    tr, pu = results["trotter"], results["pulse"]
    steps = [r["steps"] for r in tr.metadata["resources"]]
    lines = [(f"{'t':>5} {'E_B exact':>9} {'E_B trotter':>14} {'E_B pulse':>14} {'W exact':>8} {'W trotter':>14} "
              f"{'W pulse':>14} {'steps':>5} {'trotter ns':>10} {'pulse ns':>8} {'ratio':>6}")]
    for i, t in enumerate(TIMES):
        lines.append(f"{t:5.2f} {ref.battery_energy[i]:9.3f} {tr.battery_energy[i]:7.3f}+-{tr.battery_energy_err[i]:5.3f} "
                     f"{pu.battery_energy[i]:7.3f}+-{pu.battery_energy_err[i]:5.3f} {ref.battery_ergotropy[i]:8.3f} "
                     f"{tr.battery_ergotropy[i]:7.3f}+-{tr.battery_ergotropy_err[i]:5.3f} "
                     f"{pu.battery_ergotropy[i]:7.3f}+-{pu.battery_ergotropy_err[i]:5.3f} {steps[i]:5d} "
                     f"{trotter_ns[i]:10.0f} {pulse_ns[i]:8.1f} {trotter_ns[i] / pulse_ns[i] if pulse_ns[i] else np.nan:6.1f}")
    for name, r in (("trotter", tr), ("pulse", pu)):
        de = np.abs(r.battery_energy - ref.battery_energy)
        dw = np.abs(r.battery_ergotropy - ref.battery_ergotropy)
        inside = lambda ci, x: int(np.sum((ci[:, 0] <= x) & (x <= ci[:, 1])))
        lines.append(f"{name:8s} max |dE_B| {de.max():.3f}  max |dW| {dw.max():.3f}  exact inside 95 % interval: "
                     f"E_B {inside(r.battery_energy_ci, ref.battery_energy)}/{TIMES.size}, "
                     f"W {inside(r.battery_ergotropy_ci, ref.battery_ergotropy)}/{TIMES.size}")
    return "\n".join(lines)


def plot(results, trotter_ns, pulse_ns, path: Path) -> None:
    fine = np.linspace(0, TIMES[-1], 201)
    from qbhw.reference import evolve

    exact = evolve(results["trotter"].program.model, fine, frame="rotating")
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, key, label in ((axes[0], "battery_energy", "E_B"), (axes[1], "battery_ergotropy", "ergotropy W")):
        ax.plot(fine, getattr(exact, key), "k-", label="exact model")
        for name, style, dx in (("trotter", "o", -0.04), ("pulse", "s", 0.04)):
            r = results[name]
            y, ci = getattr(r, key), getattr(r, key + "_ci")
            ax.errorbar(TIMES + dx, y, yerr=np.abs(ci.T - y), fmt=style, capsize=2,
                        label=f"{name} ({'aer-noisy' if name == 'trotter' else 'pulse'}, {BACKEND})")
        ax.set_xlabel("t (1/omega_B)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    axes[2].semilogy(TIMES[1:], trotter_ns[1:], "o-", label="Trotter circuit (scheduled, minus the t = 0 circuit)")
    axes[2].semilogy(TIMES[1:], pulse_ns[1:], "s-", label="analog pulse (g = 2 pi x 5 MHz)")
    axes[2].set_xlabel("t (1/omega_B)")
    axes[2].set_ylabel("device time (ns)")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"tls_pair g = 1, F = 0.5, gamma_C = 1.41, charger kicks M = {COMMON['realizations']}, "
                 f"{COMMON['shots']} shots per time and basis, {BACKEND}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    model = tls_pair(1.0, 0.5, 1.41)
    results = runs(model)
    trotter_ns, pulse_ns, readout_ns = device_times_ns(results, model)
    print(f"readout (t = 0 circuit, excluded from both device times): {readout_ns:.0f} ns")
    print(table(results, trotter_ns, pulse_ns))
    args.out.mkdir(parents=True, exist_ok=True)
    plot(results, trotter_ns, pulse_ns, args.out / "pulse_vs_trotter.png")
    print(f"wrote {args.out / 'pulse_vs_trotter.png'}")


if __name__ == "__main__":
    main()
