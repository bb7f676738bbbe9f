"""Issue 17 benchmark: shots for +-0.02 ergotropy (95 % half-width) at the 21 times of the main
job (experiments/dephasing_fast_charging.toml: TLS pair, kicks, aer-noisy on fake_fez), for
equal-shot Pauli tomography and for the planner (qbhw.plan: the adaptive estimator's extra
axis + Neyman allocation over settings and time points), each planned the way `qbhw run`
plans it (qbhw.experiment.compile_run with run.precision), then checked by simulating
--runs runs of each plan through qbhw.analysis.analyse (counts drawn from the noise-exact
probabilities of the placed circuits).  Printed: shots, realizations, QPU seconds on fake_fez
timings (qbhw.execute.targets.qpu_seconds at the rep delay qbhw.execute.budget chooses and at
the device default), the fraction of simulated (run, time) half-widths <= 0.02, their
maximum, and the coverage of the noise-exact ergotropy (what these counts estimate) by the
95 % intervals.  The main job as it stands (100 realizations x 200 shots) is simulated too:
its realizations, not its shots, limit it.

Pass: planner shots >= 2x fewer than equal-shot Pauli, and both plans meet +-0.02 in >= 90 % of
the simulated (run, time) pairs.

    .venv/bin/python benchmarks/estimation.py [--runs 20]
"""

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qbhw import execute  # noqa: E402
from qbhw.analysis import analyse, battery_estimates, noise_exact_estimates, per_time  # noqa: E402
from qbhw.estimation import ergotropy_bound  # noqa: E402
from qbhw.experiment import CONFIDENCE  # noqa: E402
from qbhw.execute.budget import choose_rep_delay  # noqa: E402
from qbhw.experiment import compile_run, outcome_probabilities  # noqa: E402
from qbhw.experiment_file import load  # noqa: E402
from qbhw.results import resolve_model  # noqa: E402

PRECISION = 0.02
CASES = (("equal-shot Pauli", "pauli", "equal"), ("Pauli, Neyman allocation", "pauli", "neyman"),
         ("planner (adaptive + Neyman)", "adaptive", "neyman"))


def simulate(program, prepared, runs: int, rng) -> tuple[np.ndarray, float]:
    """(half-widths (runs, T), coverage of the noise-exact ergotropy) of simulated runs."""
    probs = outcome_probabilities(program, prepared)
    _, truth = noise_exact_estimates(program, prepared, readout=True)
    widths, covered = [], []
    for _ in range(runs):
        counts = [rng.multinomial(n, np.clip(p, 0, None) / np.clip(p, 0, None).sum(axis=1, keepdims=True))
                  for p, (_, _, n) in zip(probs, program.pubs)]
        a = analyse(program, counts, bootstrap=200, rng=rng)
        widths.append(np.diff(a["w_ci"], axis=1)[:, 0] / 2)
        covered.append((a["w_ci"][:, 0] <= truth) & (truth <= a["w_ci"][:, 1]))
    return np.array(widths), float(np.mean(covered))


def qcrb_shots(program, prepared) -> float:
    """Sum over time points of the shots the quantum Cramer-Rao bound needs for +-PRECISION at
    z = 1.96: (z / PRECISION)^2 x the single-shot bound of the noisy battery state (one shot of a
    fresh kick realization is a single-copy measurement of the realization-averaged state).
    Passive points, where the bound is singular (0), add nothing."""
    probs = outcome_probabilities(program, prepared)
    hb = np.asarray(program.model.h_battery)
    states = [battery_estimates(program, {s: p.mean(axis=0) for s, p in d.items()})[0] for d in per_time(program, probs)]
    z = norm.ppf((1 + CONFIDENCE) / 2)
    return float(sum((z / PRECISION) ** 2 * ergotropy_bound(rho, hb, 1) for rho in states))


def costs(program, dev, qubits) -> tuple[float, float, float, int]:
    """(QPU s at the chosen rep delay, at the default, the rep delay, total shots) on ``dev``."""
    prepared = execute.prepare(program, dev, qubits)
    per = execute.targets.shots_per_pub(program, max(n for _, _, n in program.pubs))
    isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, per))
    rep, _ = choose_rep_delay(dev.snapshot, prepared.qubits)
    shots = int(sum(n * pub.values.shape[0] for n, pub in zip(per, isa)))
    return (execute.targets.qpu_seconds(prepared, isa, 1, rep_delay=rep), execute.targets.qpu_seconds(prepared, isa, 1),
            rep, shots), prepared


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    spec = load(ROOT / "experiments" / "dephasing_fast_charging.toml")
    model, _ = resolve_model(spec)
    dev = execute.device(spec.target, spec.backend)
    base = dict(dephasing=spec.dephasing, realizations=spec.realizations, target=spec.target, backend=spec.backend,
                seed=spec.seed, bootstrap=spec.bootstrap)
    rng = np.random.default_rng(17)
    print(f"main job: {model.name}, {len(spec.times)} times, {spec.target} on {dev.name}; target +-{PRECISION} "
          f"(95 % half-width of the ergotropy at every time point); {args.runs} simulated runs per plan")
    print(f"{'':30} {'shots':>9} {'realiz.':>8} {'QPU s':>7} {'(default)':>9} {'<= 0.02':>8} {'max hw':>7} "
          f"{'coverage':>8} {'plan s':>7}")
    rows = {}
    asis = compile_run(model, np.asarray(spec.times), **base)  # the main job as it stands: fixed shots
    fixed = replace(asis.program, pubs=tuple((qc, v, n) for (qc, v, *_), n in
                                             zip(asis.program.pubs,
                                                 execute.targets.shots_per_pub(asis.program, spec.shots))))
    (qpu, qpu_default, rep, shots), prepared = costs(fixed, dev, asis.qubits)
    widths, coverage = simulate(fixed, prepared, args.runs, rng)
    print(f"{'main job as it is (100 x 200)':30} {shots:9d} {fixed.realizations:8d} {qpu:7.1f} {qpu_default:9.1f} "
          f"{np.mean(widths <= PRECISION):8.3f} {widths.max():7.4f} {coverage:8.3f} {'':>7}")
    for label, estimator, allocation in CASES:
        start = time.perf_counter()
        c = compile_run(model, np.asarray(spec.times), **base, estimator=estimator, precision=PRECISION,
                        allocation=allocation)
        planning = time.perf_counter() - start
        (qpu, qpu_default, rep, shots), prepared = costs(c.program, dev, c.qubits)
        widths, coverage = simulate(c.program, prepared, args.runs, rng)
        rows[label] = (shots, qpu, np.mean(widths <= PRECISION))
        print(f"{label:30} {shots:9d} {c.program.realizations:8d} {qpu:7.1f} {qpu_default:9.1f} "
              f"{np.mean(widths <= PRECISION):8.3f} {widths.max():7.4f} {coverage:8.3f} {planning:7.1f}", flush=True)
        if estimator == "adaptive":
            floor = qcrb_shots(c.program, prepared)
    equal, planner = rows[CASES[0][0]], rows[CASES[-1][0]]
    print(f"QCRB floor (single-copy measurements of the same noisy states, each time point at +-{PRECISION}, "
          f"normal quantile): {floor:.0f} shots; the planner spends {planner[0] / floor:.2f}x that")
    ratio = equal[0] / planner[0]
    print(f"rep delay {rep * 1e6:.0f} us (qbhw.execute.budget.choose_rep_delay); QPU s on {dev.name} timings")
    print(f"shots ratio equal-shot Pauli / planner: {ratio:.2f} (target >= 2); QPU s ratio {equal[1] / planner[1]:.2f}")
    ok = ratio >= 2 and equal[2] >= 0.9 and planner[2] >= 0.9
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
