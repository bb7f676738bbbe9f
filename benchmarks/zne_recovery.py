"""Does zero-noise extrapolation recover the ideal values, and at what cost? (issue 16)

Two jobs on the fake_fez snapshot (aer-noisy), readout mitigated with the snapshot's
assignment matrices (readout error is not folded), every gate with an error folded:
1. the main job (experiments/dephasing_fast_charging.toml: TLS pair, F/g = 0.5,
   gamma_C = 1.41, kicks) reduced to 7 times: per fit and factor set the bias of the
   extrapolation (its noise-exact device reference against the noise-free circuits with the
   same kicks) and its statistical error (bootstrap) beside the unmitigated factor 1; then, for
   the default fit, raw vs ZNE vs exact per time for E_B and ergotropy with interval widths;
2. the star N = 2 (F/g = 0.7255, gamma_C = 1, kicks, times 0, 5, 10), compiled with the
   splitting-only and with the noise-aware Trotter steps: the late W/E raw, ZNE and its device
   reference against the noise-free circuits and the Lindblad value 0.607.
The peer of every ZNE number is factor 1 of the same run (same kicks, same shots per factor).
"exact" is the Lindblad reference of the model, "noise-free" the same placed circuits and
kicks without noise (what ZNE extrapolates to: its gap to exact is Trotter error and the
finite kick ensemble).  Prints tables and the shot cost; ~2 min on one core.
``--coverage N``: also N repetitions (fresh kicks and shots each) of a small TLS-pair run,
counting how often the raw and the ZNE 95 % intervals hold the exact (Lindblad) value
(~1.5 s per repetition).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/zne_recovery.py [--coverage 100]
"""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np

from qbhw import execute
from qbhw.experiment import circuit_frame
from qbhw.models import star, tls_pair
from qbhw.reference import evolve
from qbhw.routing import CompileOptions, compile_model, realised_model
from qbhw.tomography import assignments_from_snapshot
from qbhw.zne import FITS, noise_free_estimates, run_folded, zne_from_run

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = 200


def placed(model, times, realizations, seed, backend):
    """(program, prepared, snapshot assignments, Lindblad reference, noise-free (E, W))."""
    realised = realised_model(model, "kicks")
    program = compile_model(realised, times, CompileOptions(realizations=realizations, seed=seed))
    prepared = execute.prepare(program, execute.device("aer-noisy", backend))
    assignments = assignments_from_snapshot(prepared.device.snapshot,
                                            [prepared.qubits[q] for q in program.info[0].measured_qubits])
    reference = evolve(realised, times, frame=circuit_frame(realised))
    return program, prepared, assignments, reference, noise_free_estimates(program, prepared)


def subset(run, keep: int):
    """The first ``keep`` factors of a FoldedRun (the same counts: a cheaper factor set)."""
    scales = [{b: s[:keep] for b, s in d.items()} for d in run.scales]
    per = run.shots["per_factor"]
    shots = {**run.shots, "factors": keep, "total": per * keep, "new": per * keep,
             "device_seconds": run.shots["device_seconds"][:keep]}
    shots["device_seconds_ratio"] = sum(shots["device_seconds"]) / shots["device_seconds"][0]
    return replace(run, factors=run.factors[:keep], folded=run.folded[:keep], counts=run.counts[:keep],
                   scales=scales, shots=shots)


def rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def main_job() -> None:
    cfg = tomllib.loads((ROOT / "experiments" / "dephasing_fast_charging.toml").read_text())
    m, r = cfg["model"], cfg["run"]
    times = np.linspace(cfg["times"]["start"], cfg["times"]["stop"], 7)
    start = time.perf_counter()
    program, prepared, assignments, ref, (nf_e, nf_w) = placed(tls_pair(m["g"], m["F"], m["gamma_c"]), times,
                                                               r["realizations"], r["seed"], r["backend"])
    run = run_folded(program, prepared, factors=(1, 3, 5), shots=r["shots"], seed=r["seed"] + 1)
    rng = np.random.default_rng(r["seed"] + 2)
    print(f"main job: TLS pair F/g = {m['F']}, gamma_C = {m['gamma_c']}, {len(times)} times, "
          f"{r['realizations']} realizations, {r['shots']} shots per (time, basis) and factor, qubits "
          f"{list(prepared.qubits)} of {prepared.device.name}")
    print(f"  noise-free circuits vs exact (Trotter + kick ensemble): max |dE| {np.abs(nf_e - ref.battery_energy).max():.4f}, "
          f"max |dW| {np.abs(nf_w - ref.battery_ergotropy).max():.4f}")
    print("  fit          factors   bias E   bias W   err E    err W    ampl E  ampl W  closed  rmse W   shots")
    results = {}
    for keep, fits in ((3, FITS), (2, ("linear",))):
        sub = subset(run, keep)
        for fit in fits:
            results[(fit, keep)] = zne_from_run(program, sub, fit=fit, bootstrap=BOOTSTRAP, rng=rng,
                                                assignments=assignments)
    first = results[("linear", 3)]
    d, pf = first["device"], first["per_factor"]
    bias_w = rms(d["w_factors"][0] - nf_w)
    print(f"  raw          1         {rms(d['e_factors'][0] - nf_e):.4f}   {bias_w:.4f}   {np.mean(pf['e_err'][0]):.4f}   "
          f"{np.mean(pf['w_err'][0]):.4f}   1.00    1.00    -       {np.hypot(bias_w, np.mean(pf['w_err'][0])):.4f}   "
          f"{first['shots']['per_factor']}")
    for (fit, keep), z in results.items():
        d = z["device"]
        bias_w = rms(d["w"] - nf_w)
        closed = z["amplification"]["closed_form"]
        print(f"  {fit:12s} {','.join(f'{c:g}' for c in z['factors']):9s} {rms(d['e'] - nf_e):.4f}   {bias_w:.4f}   "
              f"{np.mean(z['e_err']):.4f}   {np.mean(z['w_err']):.4f}   {np.median(z['amplification']['e'][1:]):.2f}    "
              f"{np.median(z['amplification']['w'][1:]):.2f}    {'-' if closed is None else f'{closed:.2f}':7s} "
              f"{np.hypot(bias_w, np.mean(z['w_err'])):.4f}   {z['shots']['total']}")
    print("  (bias: rms over times of the device reference's extrapolation minus the noise-free circuits; err: mean "
          "bootstrap error; ampl: median ZNE error / factor-1 error; closed: sqrt(sum w_c^2), shot noise only)")
    z = results[("richardson", 3)]
    pf = z["per_factor"]
    print("  default fit (richardson, factors 1, 3, 5), per time (raw = factor 1, same mitigation):")
    print("    t     E exact  E nf    E raw  +-      E zne  +-      E dev0 | W exact W nf    W raw  +-      W zne  +-      "
          "W dev0 | width raw  zne (W)")
    for t in range(len(times)):
        print(f"    {times[t]:5.2f} {ref.battery_energy[t]:.4f}  {nf_e[t]:.4f}  {pf['e'][0, t]:.4f} {pf['e_err'][0, t]:.4f}  "
              f"{z['e'][t]:.4f} {z['e_err'][t]:.4f}  {z['device']['e'][t]:.4f} | {ref.battery_ergotropy[t]:.4f}  "
              f"{nf_w[t]:.4f}  {pf['w'][0, t]:.4f} {pf['w_err'][0, t]:.4f}  {z['w'][t]:.4f} {z['w_err'][t]:.4f}  "
              f"{z['device']['w'][t]:.4f} | {np.ptp(pf['w_ci'][0, t]):.4f}     {np.ptp(z['w_ci'][t]):.4f}")
    s = z["shots"]
    print(f"  shot cost: {s['factors']} factors x {s['per_factor']} shots = {s['total']} (x{s['factors']}); device time "
          f"x{s['device_seconds_ratio']:.1f} ({' + '.join(f'{x:.1f}' for x in s['device_seconds'])} s of circuits); "
          f"{time.perf_counter() - start:.0f} s")


def star_job(steps: str) -> None:
    """The star N = 2 with the Trotter steps of ``steps``: "splitting" (fewest steps for the
    splitting error alone) or "noise-aware" (least predicted total error on the chosen qubits,
    :func:`qbhw.experiment.noise_aware_program`)."""
    times = np.array([0.0, 5.0, 10.0])
    start = time.perf_counter()
    model = star(2, 1.0, 0.7255, 1.0)
    if steps == "noise-aware":
        from qbhw.experiment import noise_aware_program

        realised = realised_model(model, "kicks")
        dev = execute.device("aer-noisy", execute.DEFAULT_CALIBRATION)
        program, qubits, _, _ = noise_aware_program(realised, times, CompileOptions(realizations=40, seed=106,
                                                                                    steps="noise-aware"), dev)
        prepared = execute.prepare(program, dev, qubits)
        assignments = assignments_from_snapshot(dev.snapshot, [qubits[q] for q in program.info[0].measured_qubits])
        ref = evolve(realised, times, frame=circuit_frame(realised))
        nf_e, nf_w = noise_free_estimates(program, prepared)
    else:
        program, prepared, assignments, ref, (nf_e, nf_w) = placed(model, times, 40, 106, execute.DEFAULT_CALIBRATION)
    ratio = lambda e, w: np.divide(w, e, out=np.zeros_like(np.asarray(w, dtype=float)), where=np.asarray(e) > 1e-9)
    print(f"\nstar N = 2, {steps} steps {program.steps}: F/g = 0.7255, gamma_C = 1, kicks, 40 realizations, 8000 shots "
          f"per (time, basis) and factor, qubits {list(prepared.qubits)}")
    print(f"  W/E at t = 5, 10: exact {ratio(ref.battery_energy, ref.battery_ergotropy)[1:].round(3)}, "
          f"noise-free circuits {ratio(nf_e, nf_w)[1:].round(3)}")
    print("  factors  fit          W/E raw (t=10)   W/E zne (t=10)  95 %            dev0    | W/E zne t=5  dev0    shots")
    rng = np.random.default_rng(7)
    for factors in ((1, 3, 5), (1, 2, 3)):
        run = run_folded(program, prepared, factors=factors, shots=8000, seed=8)
        for fit in FITS:
            z = zne_from_run(program, run, fit=fit, bootstrap=100, rng=rng, assignments=assignments)
            boot = ratio(z["e_boot"], z["w_boot"])
            low, high = np.quantile(boot[-1], [0.025, 0.975])
            raw = ratio(z["per_factor"]["e"][0], z["per_factor"]["w"][0])
            zne, dev = ratio(z["e"], z["w"]), ratio(z["device"]["e"], z["device"]["w"])
            print(f"  {','.join(f'{c:g}' for c in factors):8s} {fit:12s} {raw[-1]:.3f}            {zne[-1]:.3f} +- "
                  f"{boot[-1].std(ddof=1):.3f}   [{low:.3f}, {high:.3f}]  {dev[-1]:.3f}   | {zne[1]:.3f}        "
                  f"{dev[1]:.3f}   {z['shots']['total']}")
    print(f"  {time.perf_counter() - start:.0f} s")


def coverage(repetitions: int) -> None:
    """Interval coverage of the exact value, raw (factor 1) and ZNE (Richardson 1, 3, 5): TLS
    pair F/g = 0.5, gamma_C = 1.41 at t = 2.5, 5 with 20 realizations x 4000 shots per
    factor, accuracy 2e-3 (Trotter error well below the intervals); the kicks are redrawn
    every repetition (the same transpiled circuits, new parameter rows)."""
    times = np.array([2.5, 5.0])
    model = realised_model(tls_pair(1.0, 0.5, 1.41), "kicks")
    options = CompileOptions(realizations=20, accuracy=2e-3, seed=0)
    program = compile_model(model, times, options)
    prepared = execute.prepare(program, execute.device("aer-noisy", execute.DEFAULT_CALIBRATION))
    assignments = assignments_from_snapshot(prepared.device.snapshot,
                                            [prepared.qubits[q] for q in program.info[0].measured_qubits])
    ref = evolve(model, times, frame=circuit_frame(model))
    exact = {"e": ref.battery_energy, "w": ref.battery_ergotropy}
    hits = {(k, q): np.zeros(len(times)) for k in ("raw", "zne") for q in ("e", "w")}
    start = time.perf_counter()
    for rep in range(repetitions):
        fresh = compile_model(model, times, replace(options, seed=1000 + rep))
        isa = tuple(replace(p, values=np.asarray(pub[1], dtype=float).reshape(p.values.shape))
                    for p, pub in zip(prepared.isa, fresh.pubs))
        run = run_folded(fresh, replace(prepared, isa=isa), factors=(1, 3, 5), shots=4000, seed=rep)
        z = zne_from_run(fresh, run, fit="richardson", bootstrap=100, rng=np.random.default_rng(rep),
                         assignments=assignments)
        for q in ("e", "w"):
            for kind, ci in (("raw", z["per_factor"][f"{q}_ci"][0]), ("zne", z[f"{q}_ci"])):
                hits[(kind, q)] += (ci[:, 0] <= exact[q]) & (exact[q] <= ci[:, 1])
    print(f"\ncoverage of the exact value by 95 % intervals, {repetitions} repetitions (binomial SE "
          f"{np.sqrt(0.95 * 0.05 / repetitions):.3f}), t = {times.tolist()}:")
    for (kind, q), h in hits.items():
        print(f"  {kind:3s} {'E_B' if q == 'e' else 'W  '}  {np.round(h / repetitions, 3).tolist()}")
    print(f"  {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main_job()
    star_job("splitting")
    star_job("noise-aware")
    if "--coverage" in sys.argv:
        coverage(int(sys.argv[sys.argv.index("--coverage") + 1]))
