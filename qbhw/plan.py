"""Shots for a target precision: the planner that chooses them, before anything is submitted.

Target: the 95 % interval of the ergotropy at every time point no wider than +-``precision``
(half-width, units of omega_B).  The planner works on the compiled program and the outcome
probabilities its circuits would give (per PUB and parameter row: the device's noise-exact
probabilities on device targets, the ideal ones on aer-ideal), in three steps:

1. Variance model (delta method).  At time t the linear estimate W_lin (the quantity whose
   bootstrap interval is reported, :mod:`qbhw.analysis`) is a smooth function of the pooled
   outcome frequencies p_s of each setting s, gradient g_s (central differences through the
   same estimator).  The unit of data is one shot of one realization: a stochastic emulation
   (kicks, flips) gets 1 shot per parameter row (realization), since the realizations' spread,
   not the shots, limits such a run (the main job's 100 realizations x 200 shots: the spread
   alone sets +-0.05 at late times), and a deterministic program gets shots on its one row.
   A unit of setting s is a draw from the realization-averaged distribution p_s, so with R_s
   units
       Var W_lin = sum_s [v_s / R_s + k_s / R_s^2] + sum_{s != s'} c_ss' / max(R_s, R_s'),
   v_s = g_s^T Sigma_s g_s with Sigma_s = diag p_s - p_s p_s^T; k_s the second-order term, the
   variance of (1/2) d^T H_s d for one unit's noise d ~ N(0, Sigma_s), H_s the Hessian (W is
   curved: a setting the gradient ignores, e.g. Y for a state in the x-z plane, still moves W
   through |r|; with 100 units it doubled the bootstrap error at some points of the main job);
   c_ss' = mean_r[(g_s . dp_{s,r})(g_s' . dp_{s',r})] the covariance that settings measured
   on the same realizations share (setting s uses the first R_s realizations of its time
   point; 0 for a deterministic program).
2. Allocation.  The target variance is (MARGIN precision / q)^2, q the interval's widened
   quantile (Student-t of R - 1 degrees of freedom, :func:`qbhw.tomography.bootstrap.interval`).
   "neyman": the fewest units in all, sum_s R_s + lam Var stationary per setting (R_s =
   sqrt(lam v_s) without the curvature term, Neyman's allocation; a cubic with it), lam
   bisected to meet the target (the adaptive fit weighs its settings by their counts, so its
   terms are recomputed at the allocation's weights, two rounds of a fixed point: 8 % fewer
   shots on the main job); "equal": every setting of every time point the same R, as
   plain tomography does (the baseline of ``benchmarks/estimation.py``).  At least
   MIN_UNITS per setting.
3. Check by simulation.  CHECK_RUNS runs are drawn from the same probabilities at the planned
   shots and analysed by :func:`qbhw.analysis.analyse`; a time point whose interval comes out
   wider than the target in any of them gets 1.1 (half-width / target)^2 more units (at most
   4x), up to CHECK_ROUNDS times: the delta method knows nothing of the interval's boundary
   rule (near passive states an interval compatible with W = 0 reaches 0) nor of the
   physical clipping.

QPU seconds of a plan: :func:`qbhw.execute.targets.qpu_seconds` of the placed PUBs with the
planned shots.  The adaptive estimator's extra axis (:func:`qbhw.compile.program.with_axes`)
is a setting like any other here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import norm
from scipy.stats import t as t_dist

from .analysis import CONFIDENCE, analyse, battery_ergotropy, battery_view, linear_estimate, per_time
from .errors import InputError

__all__ = ["Plan", "ALLOCATIONS", "unit_terms", "variance", "allocate", "plan_units", "plan_for_budget", "apply_units",
           "simulated_half_widths", "check_plan"]

ALLOCATIONS = ("neyman", "equal")
MIN_UNITS = 100  # per time point and setting: a deterministic setting still shows its counts
CHECK_ROUNDS = 5
CHECK_RUNS = 4  # simulated runs per round: every one must meet the target (P(one point meets it) >~ 0.8)
MARGIN = 0.95  # plan to this fraction of the target half-width (the simulated check's own spread)


@dataclass(frozen=True)
class Plan:
    """Units (shots, module doc) chosen for ``precision`` (95 % half-width of the ergotropy per
    time point): per time point ``units`` ({setting: units}), the ``predicted`` (delta method)
    and ``simulated`` half-widths; ``randomized``: one shot per realization (else shots on the
    single row); ``realizations``: the rows the program must have (max units of a setting)."""

    precision: float
    allocation: str
    units: tuple[dict, ...]
    predicted: np.ndarray
    simulated: np.ndarray
    randomized: bool
    shot_budget: int | None = None  # a fixed-budget plan (plan_for_budget): precision is what it buys

    @property
    def total_shots(self) -> int:
        return int(sum(sum(d.values()) for d in self.units))

    @property
    def realizations(self) -> int:
        return max(max(d.values()) for d in self.units) if self.randomized else 1

    def summary(self) -> dict:
        """JSON-ready fields for results.json / ``qbhw plan``."""
        return {"precision": self.precision, "allocation": self.allocation, "total_shots": self.total_shots,
                "shot_budget": self.shot_budget,
                "shots_per_realization": 1 if self.randomized else None,
                "realizations": self.realizations,
                "shots": [{_label(s): int(n) for s, n in d.items()} for d in self.units],
                "predicted_half_width": self.predicted.tolist(), "simulated_half_width": self.simulated.tolist()}


def _label(setting) -> str:
    return setting if isinstance(setting, str) else "axis(" + ", ".join(f"{v:.3f}" for v in setting) + ")"


def _w_linear(program, data: dict, assignments) -> float:
    _, to_battery = battery_view(program)
    return float(battery_ergotropy(program, to_battery(linear_estimate(data, assignments))))


def unit_terms(program, rows: dict, assignments=None, *, shares: dict | None = None, step: float = 1e-6,
               probes: int = 32, seed: int = 0) -> tuple[dict, dict, dict]:
    """({setting: v_s}, {setting: k_s}, {(s, s'): c_ss'}) of one time point (module doc, step 1)
    from {setting: (R, K)} outcome probabilities per parameter row; k_s the variance of the
    second-order term (1/2) d^T H_s d of W_lin for one unit's noise d ~ N(0, Sigma_s), from
    ``probes`` central second differences along sampled d (for R_s units it is k_s / R_s^2).
    ``shares``: the settings' relative units, for an estimator that weighs settings by their
    counts (the adaptive fit; linear inversion normalises each setting and ignores them)."""
    mean = {s: np.asarray(p, float).mean(axis=0) for s, p in rows.items()}
    scale = {s: 1.0 for s in rows} if shares is None else {s: float(shares[s]) for s in rows}
    counts = lambda data: {s: x * scale[s] for s, x in data.items()}
    w0 = _w_linear(program, counts(mean), assignments)
    rng = np.random.default_rng(seed)
    v, k2, dev = {}, {}, {}
    for s, p in rows.items():
        at = lambda x: _w_linear(program, counts({**mean, s: x}), assignments)
        grad = np.array([(at(mean[s] + step * e) - at(mean[s] - step * e)) / (2 * step) for e in np.eye(p.shape[-1])])
        cov = np.diag(mean[s]) - np.outer(mean[s], mean[s])
        v[s] = max(float(grad @ cov @ grad), 0.0)
        eps = 1e-3  # second differences along d scaled to eps: (1/2) d^T H d = (W(+) - 2 W0 + W(-)) / (2 eps^2)
        d = rng.multivariate_normal(np.zeros(p.shape[-1]), cov, size=probes, method="eigh")
        quad = np.array([(at(mean[s] + eps * x) - 2 * w0 + at(mean[s] - eps * x)) / (2 * eps**2) for x in d])
        k2[s] = float(quad.var())
        dev[s] = (np.asarray(p, float) - mean[s]) @ grad
    c = {(a, b): float(np.mean(dev[a] * dev[b])) for a in rows for b in rows
         if a != b and dev[a].size > 1 and dev[a].size == dev[b].size}
    return v, k2, c


def variance(units: dict, v: dict, k2: dict, c: dict) -> float:
    """Var W_lin of a time point with ``units`` per setting (module doc, step 1)."""
    return (sum(v[s] / units[s] + k2[s] / units[s] ** 2 for s in units)
            + sum(x / max(units[a], units[b]) for (a, b), x in c.items()))


def _quantile(realizations: int) -> float:
    m = int(realizations)
    alpha = (1 - CONFIDENCE) / 2
    return float(t_dist.ppf(1 - alpha, m - 1) * np.sqrt(m / (m - 1))) if m > 1 else float(norm.ppf(1 - alpha))


def _least_units(v: float, k2: float, lam: float) -> float:
    """argmin_R R + lam (v / R + k2 / R^2): the positive root of R^3 - lam v R - 2 lam k2."""
    roots = np.roots([1.0, 0.0, -lam * v, -2.0 * lam * k2])
    return float(max(r.real for r in roots if abs(r.imag) < 1e-9 * max(1.0, abs(r))))


def allocate(v: dict, k2: dict, c: dict, target: float, allocation: str) -> dict:
    """{setting: units} with :func:`variance` <= ``target`` and the fewest units in all
    (module doc, step 2): "neyman" minimises sum_s R_s + lam Var by setting (the Lagrange
    condition, a cubic per setting), lam bisected to meet the target; "equal" one R for all."""
    if allocation == "equal":
        shape = lambda scale: {s: scale for s in v}
    else:
        shape = lambda lam: {s: max(_least_units(v[s], k2[s], lam), 1e-12) for s in v}
    lo, hi = 1e-12, 1.0
    while variance(shape(hi), v, k2, c) > target:
        hi *= 4.0
        if hi > 1e30:
            raise InputError("precision", f"no allocation reaches the target variance {target:.3g}")
    for _ in range(100):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if variance(shape(mid), v, k2, c) > target else (lo, mid)
    return {s: max(MIN_UNITS, int(np.ceil(x))) for s, x in shape(hi).items()}


def plan_units(program, probabilities, precision: float, *, allocation: str = "neyman", assignments=None) -> Plan:
    """Steps 1-2 (module doc) for ``program`` from ``probabilities`` (per PUB, (rows, K) of its
    measured register: :func:`qbhw.execute.exact.ideal_probabilities` or the device's
    noise-exact ones); ``assignments``: the readout mitigation the analysis will apply.  The
    quantile uses the program's realization count (refined by :func:`check_plan`)."""
    if isinstance(precision, bool) or not isinstance(precision, (int, float)) or not np.isfinite(precision) \
            or precision <= 0:
        raise InputError("precision", f"must be a half-width > 0 in units of omega_B, got {precision!r}")
    if allocation not in ALLOCATIONS:
        raise InputError("allocation", f"must be one of {ALLOCATIONS}, got {allocation!r}")
    rows = per_time(program, probabilities)
    terms = [unit_terms(program, d, assignments) for d in rows]
    terms = _consistent(program, rows, terms, precision, allocation, assignments)
    return _plan(terms, precision, allocation, program.realizations > 1, program.realizations)


def _consistent(program, rows, terms, precision: float, allocation: str, assignments, iterations: int = 2) -> list:
    """The terms recomputed with the settings weighted as the allocation for ``precision`` weighs
    them (a fixed point, ``iterations`` rounds): the adaptive fit's gradient depends on its
    settings' counts, so terms from equal counts mis-state both the allocation and its variance."""
    if all(isinstance(s, str) for d in rows for s in d):
        return terms  # linear inversion: no weights
    for _ in range(iterations):
        plan = _plan(terms, precision, allocation, program.realizations > 1, program.realizations)
        terms = [unit_terms(program, d, assignments, shares=u) for d, u in zip(rows, plan.units)]
    return terms


def plan_for_budget(program, probabilities, shots: int, *, allocation: str = "neyman", assignments=None) -> Plan:
    """The fixed-budget plan: the smallest common half-width whose :func:`plan_units` plan
    spends at most ``shots`` in all (bisection; the same half-width at every time point, so
    the shots go where the state needs them), for the same arguments."""
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1:
        raise InputError("shot_budget", f"must be a number of shots >= 1, got {shots!r}")
    if allocation not in ALLOCATIONS:
        raise InputError("allocation", f"must be one of {ALLOCATIONS}, got {allocation!r}")
    rows = per_time(program, probabilities)
    terms = [unit_terms(program, d, assignments) for d in rows]
    floor = sum(MIN_UNITS * len(t[0]) for t in terms)
    if shots < floor:
        raise InputError("shot_budget", f"{shots} shots are fewer than the {floor} that give every setting of every "
                                        f"time point its minimum of {MIN_UNITS}")

    def best(terms) -> float:
        make = lambda h: _plan(terms, h, allocation, program.realizations > 1, program.realizations)
        lo, hi = 1e-6, 1.0
        while make(hi).total_shots > shots:
            hi *= 2.0
        for _ in range(60):
            mid = np.sqrt(lo * hi)
            lo, hi = (mid, hi) if make(mid).total_shots > shots else (lo, mid)
        return hi

    terms = _consistent(program, rows, terms, best(terms), allocation, assignments)  # weights of the budget's plan
    precision = best(terms)
    return replace(_plan(terms, precision, allocation, program.realizations > 1, program.realizations),
                   shot_budget=int(shots))


def _plan(terms, precision: float, allocation: str, randomized: bool, realizations: int) -> Plan:
    target = (MARGIN * precision / _quantile(realizations if randomized else 1)) ** 2
    units = [allocate(*t, target, allocation) for t in terms]
    if allocation == "equal":  # one count for every setting of every time point
        top = max(max(u.values()) for u in units)
        units = [{s: top for s in u} for u in units]
    predicted = np.array([_quantile(max(u.values()) if randomized else 1) * np.sqrt(variance(u, *t))
                          for u, t in zip(units, terms)])
    return Plan(float(precision), allocation, tuple(units), predicted, np.full(len(units), np.nan), randomized)


def apply_units(program, plan: Plan):
    """``program`` with each PUB cut to its setting's units: a randomized program keeps the
    first units rows at 1 shot each (it must have >= plan.realizations rows), a deterministic
    one runs its row with units shots (PUBs carry their own shots; every executor honours them)."""
    pubs = []
    for (qc, values, *_), info in zip(program.pubs, program.info):
        n = plan.units[info.time_index][info.setting]
        if plan.randomized and values is not None and np.asarray(values).ndim == 2 and len(values) > 1:
            if len(values) < n:
                raise ValueError(f"the program has {len(values)} realizations, the plan needs {n}")
            pubs.append((qc, np.asarray(values)[:n], 1))
        else:
            pubs.append((qc, values, int(n)))
    return replace(program, pubs=tuple(pubs), realizations=plan.realizations if plan.randomized else program.realizations)


def _cut(probabilities, program) -> list[np.ndarray]:
    return [np.asarray(p)[:np.asarray(values).shape[0]] if values is not None and np.asarray(values).ndim == 2
            else np.asarray(p) for p, (_, values, *_) in zip(probabilities, program.pubs)]


def simulated_half_widths(program, probabilities, *, bootstrap: int, rng, assignments=None) -> np.ndarray:
    """Half-widths of the ergotropy's 95 % intervals per time point of one run of ``program``
    (PUBs with their own shots, :func:`apply_units`) simulated from ``probabilities`` (per PUB,
    at least its rows), through :func:`qbhw.analysis.analyse`."""
    counts = []
    for p, (_, _, shots) in zip(_cut(probabilities, program), program.pubs):
        p = np.clip(p, 0.0, None)
        counts.append(rng.multinomial(shots, p / p.sum(axis=1, keepdims=True)))
    a = analyse(program, counts, bootstrap=bootstrap, rng=rng, assignments=assignments)
    return np.diff(a["w_ci"], axis=1)[:, 0] / 2


def check_plan(program, probabilities, plan: Plan, *, bootstrap: int = 200, seed: int | None = None,
               assignments=None, max_units: int | None = None, rounds: int = CHECK_ROUNDS) -> Plan:
    """Step 3 (module doc): ``plan`` with its time points' units raised until CHECK_RUNS runs
    simulated from ``probabilities`` (per PUB of ``program``, which has enough rows) all meet
    the target, at most ``rounds`` times (0: simulate only, a fixed budget), units capped at
    ``max_units`` (the program's rows, for a randomized plan); ``simulated``: the widest
    half-width of the last round's runs per time point."""
    rng = np.random.default_rng(seed)
    units = [dict(u) for u in plan.units]
    for round_ in range(rounds + 1):
        program_ = apply_units(program, replace(plan, units=tuple(units)))
        simulated = np.max([simulated_half_widths(program_, probabilities, bootstrap=bootstrap, rng=rng,
                                                  assignments=assignments) for _ in range(CHECK_RUNS)], axis=0)
        wide = np.flatnonzero(simulated > plan.precision)
        if wide.size == 0 or round_ == rounds:
            break
        for i in wide:
            scale = min(4.0, 1.1 * (simulated[i] / plan.precision) ** 2)
            units[i] = {s: int(min(np.ceil(n * scale), max_units or np.inf)) for s, n in units[i].items()}
        if plan.allocation == "equal":
            top = max(max(u.values()) for u in units)
            units = [{s: top for s in u} for u in units]
    return replace(plan, units=tuple(units), simulated=np.asarray(simulated))
