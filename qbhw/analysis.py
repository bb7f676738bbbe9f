"""Counts -> battery energy and ergotropy with error bars (the analysing half of a run).

Per time point the "meas" counts of every Pauli basis (summed over realizations) give the
linear-inversion estimate rho_lin (:mod:`qbhw.tomography`), whose energy E_lin = Tr[H_B rho_lin]
is unbiased (linear in the counts) and reported as its own field ``e_linear`` (it may leave
[0, E_max] by the noise).  The pair reported together, E_B and ergotropy, comes from ONE physical
state: rho_phys, the density matrix nearest to rho_lin with energy E_lin clipped to [0, E_max]
(:func:`qbhw.tomography.project_physical_with_energy`), so 0 <= ergotropy <= E_B <= E_max
always holds and E_B is unbiased wherever the clip does not act.  (The plain projection onto
physical states moves weight to excited levels and biases E_B upwards by about the noise:
0.037 at the ground state of a 3-spin chain with 4000 shots per basis, 5 standard errors.)

Errors: a bootstrap over dephasing realizations (the same resampling weights for every basis,
each realization's counts carrying their shot noise), or over shots with one realization.
Intervals: :func:`qbhw.tomography.bootstrap.interval` (BCa, its acceleration from the
leave-one-realization-out jackknife, widened by the Student-t factor of the realization count,
clipped to the physical range), at CONFIDENCE; E_B's
is E_lin's clipped to [0, E_max] (E_B = clip(E_lin) is monotone in E_lin, so the coverage carries
over).  The ergotropy's is, likewise, the interval of the LINEAR ergotropy W_lin = E_lin -
(passive energy of rho_lin's eigenvalues), widened to hold the reported point: W_lin is a
smooth function of the counts, while the physical state's W is bounded by W <= E_B at pure
states (the projection clips the shot noise of a small coherence at |r| = 1), which biases it
downwards just off the ground state and made its own bootstrap interval cover 86 % at
nominal 95 % (TLS pair at t = 0.5, E_B 3.4e-3, W/E_B 0.90, 100 realizations;
benchmarks/acceptance_interval_coverage.py, "nearly pure").  Its upper end is capped by E_B's
(W <= E_B: a miss then needs E_B's interval to miss too).  At the ground state, whose Z counts
show no 1, both start at 0 and end where an outcome never seen is still plausible (the
Jeffreys-smoothed resampling of :func:`qbhw.tomography.resample_rows`), not at [0, 0].
For a battery of several qubits the ergotropy's interval is the physical state's own BCa
interval (no acceleration), capped likewise: the linear estimate's negative eigenvalues
inflate W_lin there (a 3-qubit star battery, 2000 shots per setting, 150 runs: W_lin's interval
covered 0.49-0.61 with permutation-invariant tomography and 0.12-0.74 with Pauli, the physical
state's 0.93-0.96 and 0.53-0.93; the 0.53 at W = 1.4e-3, next to the passive ground state).
``w_bias`` is the bootstrap mean minus the point estimate (ergotropy is biased upwards near
passive states), ``w_corrected`` the bootstrap bias-corrected ergotropy 2 W - mean(W*),
clipped to [0, E_B] (about halves the bias; RMSE 5-10 % larger, issue 17).
Boundary at W = 0: for a qubit battery whose linear estimate is compatible with a passive
state (:func:`qbhw.tomography.bootstrap.passive_compatible`, a Hotelling T^2 test of the
coherence in H_B's eigenbasis) the ergotropy's interval is [0, the upper end of W_lin's widened
percentile interval], capped by E_B's: near passive states W is quadratic in the coherence,
its bootstrap sits above 0 and would miss W = 0, and the BCa bias correction would pull the
upper end below the truth (gamma_C = 10 at t = 0.25, W below its own error: BCa upper end
0.85-0.91 coverage, this one 0.91-0.99; benchmarks/acceptance_interval_coverage.py).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm
from scipy.stats import t as t_dist

from . import execute
from .compile import Program
from .compile.encoding import battery_energy_max
from .metrics import FIGURES, curve_figures, energy, ergotropy, passive_energy
from .metrics.balance import energy_balance, flow_operators
from .models.operators import embed_block, partial_trace
from .tomography import (assignment_from_counts, interval, mitigate_counts, project_physical_with_energy, realization_weights,
                         resample_rows)
from .tomography.bootstrap import passive_compatible
from .tomography.settings import linear_estimate as settings_estimate

CONFIDENCE = 0.95
FIELDS = ("states", "e", "e_err", "e_ci", "e_linear", "e_linear_err", "e_linear_ci", "w", "w_err", "w_ci", "w_bias",
          "w_corrected", "e_boot", "w_boot", "realizations")


def per_time(program: Program, rows) -> list[dict[str, np.ndarray]]:
    """Per time point, {basis: (realizations, 2**k) rows} of the "meas" register (counts or
    probabilities): mid-circuit outcomes, in the higher clbits, are summed over, and the PUBs
    that share a (time, basis) (one per realization with "mcm" dephasing) are stacked."""
    out = [dict() for _ in program.times]
    for info, c in zip(program.info, rows):
        c = np.asarray(c)
        c = c.reshape(c.shape[0], -1, 1 << len(info.measured_qubits)).sum(axis=1)
        data, key = out[info.time_index], info.setting
        data[key] = np.concatenate([data[key], c]) if key in data else c
    return out


def estimates(data: dict[str, np.ndarray], h_battery, assignments, e_max: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """(linear-inversion estimate, the physical state with its energy clipped to [0, e_max],
    module doc) from {basis: (..., K)} summed counts or probabilities, readout-mitigated first
    when ``assignments`` are given."""
    rho = linear_estimate(data, assignments)
    return rho, project_physical_with_energy(rho, h_battery, np.minimum(energy(rho, h_battery), e_max))


def linear_estimate(data: dict, assignments) -> np.ndarray:
    """Linear estimate from {setting: (..., K)} counts (:func:`qbhw.tomography.settings.linear_estimate`:
    linear inversion of Pauli bases, the adaptive qubit fit, permutation-invariant tomography),
    readout-mitigated first when ``assignments`` are given."""
    if assignments is not None:
        data = {b: mitigate_counts(c, assignments) for b, c in data.items()}
    return settings_estimate(data)


def battery_ergotropy(program: Program, states) -> np.ndarray:
    """Ergotropy of battery states over the battery's full spectrum (the compiled model's
    ``battery_levels`` when its encoding stores a reduced battery, else H_B's own)."""
    levels = program.model.battery_levels
    hb = np.asarray(program.model.h_battery)
    if levels is None:
        return ergotropy(states, hb)
    states = np.asarray(states)
    pops = np.linalg.eigvalsh(states)
    mean = np.atleast_1d(energy(states, hb))
    out = np.array([max(0.0, e - passive_energy(p, *levels)) for e, p in zip(mean, pops.reshape(-1, pops.shape[-1]))])
    return out.reshape(states.shape[:-2]) if states.ndim > 2 else float(out[0])


def battery_view(program: Program):
    """(H_B on the measured qubits, states of the measured qubits -> battery states): the
    identity when only the battery is measured; with tomography "battery+charger" the battery
    Hamiltonian lifted to the joint space and the partial trace over the other measured qubits."""
    measured = tuple(program.info[0].measured_qubits)
    battery = tuple(program.model.battery)
    hb = np.asarray(program.model.h_battery)
    if measured == battery:
        return hb, lambda states: states
    dims = (2,) * len(measured)
    positions = [measured.index(b) for b in battery]
    return embed_block(hb, positions, dims), lambda states: partial_trace(np.asarray(states), positions, dims)


def battery_estimates(program: Program, data: dict[str, np.ndarray], assignments=None) -> tuple[np.ndarray, np.ndarray]:
    """(linear, physical) BATTERY states from {basis: (..., K)} counts or probabilities of the
    program's measured qubits: :func:`estimates` there (battery energy clipped to [0, E_max]),
    reduced to the battery when the charger is measured too (:func:`battery_view`)."""
    h_measured, to_battery = battery_view(program)
    linear, physical = estimates(data, h_measured, assignments, battery_energy_max(program.model))
    return to_battery(linear), to_battery(physical)


def interval_rows(program: Program, m: int, linear, point, boot_linear, boot, jack_linear) -> dict:
    """{"e", "e_linear", "w": (value, resamples, 95 % interval)} of one time point from its
    battery states (module doc): the linear estimate, the physical one, their bootstrap
    resamples and the leave-one-realization-out linear states (None below 3 realizations) of
    ``m`` realizations.  E_B = clip(E_lin) with E_lin's interval clipped; the ergotropy's is
    W_lin's, holding W, capped by E_B's upper end."""
    hb, e_max = np.asarray(program.model.h_battery), battery_energy_max(program.model)
    e_linear, e_linear_boot = energy(linear, hb), energy(boot_linear, hb)
    e_linear_ci = interval(e_linear_boot, e_linear, realizations=m, confidence=CONFIDENCE,
                           jackknife=None if jack_linear is None else energy(jack_linear, hb))
    w = battery_ergotropy(program, point)
    if hb.shape[0] > 2:  # several battery qubits: the physical state's own interval (module doc)
        w_ci = interval(battery_ergotropy(program, boot), w, realizations=m, confidence=CONFIDENCE, bounds=(0.0, e_max))
    else:
        w_ci = interval(battery_ergotropy(program, boot_linear), battery_ergotropy(program, linear), realizations=m,
                        confidence=CONFIDENCE, bounds=(0.0, e_max),
                        jackknife=None if jack_linear is None else battery_ergotropy(program, jack_linear))
    e_ci = np.clip(e_linear_ci, 0.0, e_max)
    w_ci = np.array([min(w_ci[0], w), max(min(w_ci[1], e_ci[1]), w)])  # W_lin's, holding W, W <= E_B
    if hb.shape == (2, 2) and passive_compatible(linear, boot_linear, hb, realizations=m, confidence=CONFIDENCE):
        # the boundary at W = 0 (module doc): [0, W_lin's widened percentile upper end], whose BCa
        # bias correction, pulled down by W_lin's upward bias, would put the upper end below the truth
        upper = interval(battery_ergotropy(program, boot_linear), battery_ergotropy(program, linear), realizations=m,
                         confidence=CONFIDENCE, bounds=(0.0, e_max), bias_correction=False)[1]
        w_ci = np.array([0.0, max(min(upper, e_ci[1]), w)])
    return {"e": (energy(point, hb), energy(boot, hb), e_ci), "e_linear": (e_linear, e_linear_boot, e_linear_ci),
            "w": (w, battery_ergotropy(program, boot), w_ci)}


def analyse(program: Program, counts, *, bootstrap: int, rng: np.random.Generator, assignments=None) -> dict:
    """{field: array over times} for FIELDS (module doc) from counts per PUB; ``e_boot``,
    ``w_boot`` (times, bootstrap) are the resampled E_B and ergotropy (for functions of the whole
    curve, :func:`figures_of_merit`), ``realizations`` the count per time.  With the charger
    measured too (:func:`battery_view`) the joint state is fitted and projected (its battery
    energy clipped) and E_B, ergotropy and ``states`` are the battery's reduced ones; the joint
    linear-inversion states and their resamples are kept (``joint_linear``,
    ``joint_linear_boot``) for :func:`energy_balance_estimates`."""
    h_measured, to_battery = battery_view(program)
    hb = np.asarray(program.model.h_battery)
    e_max = battery_energy_max(program.model)  # physical levels only, not an encoding's unused codes
    joint = h_measured.shape != hb.shape
    cols = {k: [] for k in FIELDS + (("joint_linear", "joint_linear_boot") if joint else ())}
    for data in per_time(program, counts):
        linear, point = estimates({b: c.sum(axis=0) for b, c in data.items()}, h_measured, assignments, e_max)
        m = max(c.shape[0] for c in data.values())  # a setting may use only the first of them (qbhw.plan)
        weights = realization_weights(m, bootstrap, rng) if m > 1 else None  # shared by all bases
        boot_linear, boot = estimates({b: resample_rows(c, None if weights is None else weights[:, :c.shape[0]],
                                                        bootstrap, rng) for b, c in data.items()},
                                      h_measured, assignments, e_max)
        jack_linear = (linear_estimate({b: _leave_one_out(c, m) for b, c in data.items()}, assignments)
                       if m > 2 else None)  # leave one realization out
        if joint:
            cols["joint_linear"].append(linear)
            cols["joint_linear_boot"].append(boot_linear)
            linear, point, boot_linear, boot = map(to_battery, (linear, point, boot_linear, boot))
            jack_linear = None if jack_linear is None else to_battery(jack_linear)
        rows = interval_rows(program, m, linear, point, boot_linear, boot, jack_linear)
        cols["states"].append(point)
        for key, (p, samples, ci) in rows.items():
            cols[key].append(p)
            cols[f"{key}_err"].append(samples.std(ddof=1))
            cols[f"{key}_ci"].append(ci)
        cols["w_bias"].append(rows["w"][1].mean() - rows["w"][0])
        cols["w_corrected"].append(float(np.clip(2 * rows["w"][0] - rows["w"][1].mean(), 0.0, rows["e"][0])))
        cols["e_boot"].append(rows["e"][1])
        cols["w_boot"].append(rows["w"][1])
        cols["realizations"].append(m)
    return {k: np.array(v) for k, v in cols.items()}


def _leave_one_out(rows: np.ndarray, m: int) -> np.ndarray:
    """(m, K) summed counts without realization j, j < m, of a setting measured on its first
    rows.shape[0] realizations (the others leave its sum unchanged)."""
    total = rows.sum(axis=0)
    return np.concatenate([total - rows, np.broadcast_to(total, (m - rows.shape[0], total.size))])


def balance_operators(program: Program):
    """(H_C, H_B, flow operators) on the full model space for :mod:`qbhw.metrics.balance`, or
    None when the measured qubits are not the whole model with a charger (tomography
    "battery+charger" on a model of chargers and batteries only) or the circuits run in the lab
    frame of a drive (no time-independent generator)."""
    model = program.model
    if tuple(program.info[0].measured_qubits) != tuple(range(len(model.subsystems))) or not model.charger:
        return None
    h = model.rotating_frame()
    if h is None and model.drives:
        return None
    h = np.asarray(model.h0) if h is None else h
    hc, hb = (embed_block(np.asarray(op), idx, model.dims) for op, idx in ((model.h_charger, model.charger),
                                                                          (model.h_battery, model.battery)))
    return hc, hb, flow_operators(h, np.asarray(model.h0), hc + hb, [(j.operator, j.rate) for j in model.jumps])


def energy_balance_estimates(program: Program, a: dict, exact_states=None) -> dict | None:
    """The charger-battery energy balance (:func:`qbhw.metrics.balance.energy_balance`) of the
    measured joint states: {quantity: {"value", "stderr", "ci95", "estimand"}} per time, each
    from the LINEAR joint estimates (every term is linear in the state, so unbiased) and their
    bootstrap resamples (the same as E_B's), BCa intervals; ``estimand``: the same trapezoid on
    ``exact_states`` (full space, at the run's times), whose residual is the grid's O(dt^2) error,
    not zero.  None when :func:`balance_operators` is (or the charger was not measured)."""
    ops = balance_operators(program) if "joint_linear" in a else None
    if ops is None or program.times[0] != 0:
        return None
    hc, hb, flows = ops
    times = program.times
    point = energy_balance(times, a["joint_linear"], hc, hb, flows)
    boots = energy_balance(times, np.moveaxis(np.asarray(a["joint_linear_boot"]), 1, 0), hc, hb, flows)
    exact = None if exact_states is None else energy_balance(times, exact_states, hc, hb, flows)
    m = a["realizations"]
    out = {}
    for name, value in point.items():
        samples = boots[name]
        ci = np.array([interval(samples[:, i], value[i], realizations=int(m[i]), confidence=CONFIDENCE)
                       if np.ptp(samples[:, i]) > 0 else [value[i], value[i]] for i in range(times.size)])
        out[name] = {"value": value, "stderr": samples.std(axis=0, ddof=1), "ci95": ci,
                     "estimand": None if exact is None else exact[name]}
    return out


#: figures whose interval is value +- t_{m-1} * bootstrap error (their BCa bias correction points the
#: wrong way: a fitted maximum is not biased like the bootstrap of a maximum suggests; measured on
#: the TLS pair, 150 runs of 20 realizations: BCa 0.89 / 0.91, Student-t 0.947 / 0.947 coverage)
SYMMETRIC_FIGURES = ("max_average_power", "max_average_power_time")


def figures_of_merit(times, a: dict, exact_energy, exact_ergotropy, *, n: float = 1.0,
                     late: int | None = None) -> dict[str, dict]:
    """{name: {"value", "stderr", "ci95", "interval", "estimand", "resamples"}} of
    :data:`qbhw.metrics.FIGURES` from the
    output ``a`` of :func:`analyse`: the figure of the measured curve, its spread and interval
    over the SAME bootstrap resamples as E_B and ergotropy (resample b of every time point taken
    together; the time points are independent data), and ``estimand``, the same figure of the
    exact curve at the same times (what the measurement estimates; the dense exact value can
    differ by the time grid's interpolation).  E_inf of the charging time is the late points'
    mean and its significance band the measured E_B's standard errors, for all three
    (:mod:`qbhw.metrics.merit`).  ``resamples``: the figure of each bootstrap resample, in
    resample order (what :func:`figure_ratio` pairs between two runs)."""
    f = lambda e, w: curve_figures(times, e, w, n=n, late=late, energy_err=a["e_err"])  # one band for all
    point, estimand = f(a["e"], a["w"]), f(exact_energy, exact_ergotropy)
    boots = [f(e, w) for e, w in zip(np.asarray(a["e_boot"]).T, np.asarray(a["w_boot"]).T)]
    m = int(np.max(a["realizations"]))
    out = {}
    for name in FIGURES:
        samples = np.array([b[name] for b in boots])
        out[name] = {**figure_interval(name, point[name], samples, m, float(times[-1])),
                     "estimand": estimand[name], "resamples": samples}
    return out


def figure_interval(name: str, value: float, samples: np.ndarray, realizations: int, last_time: float) -> dict:
    """{"value", "stderr", "ci95", "interval"} of figure ``name`` estimated as ``value`` with
    bootstrap ``samples`` (NaN: undefined in that resample, dropped; inf: a charging time not
    reached); ``realizations``: the resampled units; ``last_time``: the run's last time (a
    charging time beyond it is unsettled, its interval end inf)."""
    bounds = {"charging_time": (0.0, np.inf), "max_average_power": (-np.inf, np.inf),
              "max_average_power_time": (0.0, last_time), "late_ergotropy_ratio": (0.0, 1.0)}.get(name, (-np.inf, np.inf))
    m = int(realizations)
    samples = np.asarray(samples, dtype=float)
    samples = samples[~np.isnan(samples)]
    finite = samples[np.isfinite(samples)]
    stderr = float(finite.std(ddof=1)) if finite.size > 1 else np.nan
    if name in SYMMETRIC_FIGURES and np.isfinite(value) and np.isfinite(stderr):
        # m realizations: Student-t with m - 1 degrees of freedom; one (a deterministic program,
        # resampled over its shots): the normal quantile, as interval() does
        half = stderr * (t_dist.ppf((1 + CONFIDENCE) / 2, m - 1) * np.sqrt(m / (m - 1)) if m > 1 else
                         norm.ppf((1 + CONFIDENCE) / 2))
        ci, kind = np.clip([value - half, value + half], *bounds), "Student-t from the bootstrap error"
    elif np.isfinite(value) and samples.size > 1:
        # an unsettled resample (tau = inf) counts as later than any time of the run
        ci = interval(np.where(np.isinf(samples), 2.0 * last_time, samples), value, realizations=m,
                      confidence=CONFIDENCE, bounds=bounds)
        ci, kind = (np.where(ci > last_time, np.inf, ci) if name == "charging_time" else ci), "BCa"
    else:  # unsettled (tau = inf) or undefined: the samples' own range
        ci = (np.quantile(samples, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], method="inverted_cdf")
              if samples.size else [np.nan] * 2)
        kind = "bootstrap percentiles"
    return {"value": value, "stderr": stderr, "ci95": np.asarray(ci, dtype=float), "interval": kind}


def figure_ratio(num: dict, den: dict, *, name: str, realizations: int, scale: float = 1.0) -> dict:
    """Ratio num / (scale den) of figure ``name`` of two INDEPENDENT runs (e.g. the collective-
    advantage Gamma = P_max(collective) / P_max(parallel)), from their results.json
    ``figures_of_merit[name]`` entries: resample b of one run paired with resample b of the
    other (independent runs: each pair is a draw of the joint bootstrap distribution), so the
    interval carries both runs' resampled curves, not a re-fitted point; the interval rule is
    the single run's (:func:`figure_interval`, over the fewer ``realizations``); ``estimand``
    and ``exact`` are the same ratio of the exact values where both runs carry them."""
    as_float = lambda v: np.inf if v is None else float(v)  # results.json writes inf as null
    a = np.array([as_float(v) for v in num["resamples"]])
    b = np.array([as_float(v) for v in den["resamples"]])
    k = min(a.size, b.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        samples = a[:k] / (scale * b[:k])
    out = figure_interval(name, as_float(num["value"]) / (scale * as_float(den["value"])), samples, realizations,
                          np.inf)
    for key in ("estimand", "exact"):
        if num.get(key) is not None and den.get(key) is not None:
            out[key] = float(num[key]) / (scale * float(den[key]))
    return out


def measured_assignments(counts0: np.ndarray, counts1: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Per measured qubit, A[measured, prepared] from the two assignment PUBs' counts."""
    c0, c1 = counts0.sum(axis=0), counts1.sum(axis=0)
    bit = lambda c, i: np.array([c[[v for v in range(c.size) if not (v >> i) & 1]].sum(),
                                 c[[v for v in range(c.size) if (v >> i) & 1]].sum()])
    return tuple(assignment_from_counts(bit(c0, i), bit(c1, i)) for i in range(k))


def noise_exact_estimates(program: Program, prepared, *, readout: bool) -> tuple[np.ndarray, np.ndarray]:
    """Device reference (a): battery energy and ergotropy of the same circuits and parameter
    values as density matrices under the snapshot's noise model, no sampling, through the same
    estimator (readout error included when ``readout``).  It shares its probabilities with the
    fast noisy path, so comparing it with the emulated points checks sampling and estimator only."""
    probs = execute.exact_probabilities(prepared.isa, prepared.device.snapshot, readout=readout, keep="meas")
    averaged = [{b: p.mean(axis=0) for b, p in data.items()} for data in per_time(program, probs)]  # over realizations
    hb = np.asarray(program.model.h_battery)
    states = np.array([battery_estimates(program, data)[1] for data in averaged])
    return energy(states, hb), battery_ergotropy(program, states)
