"""Zero-noise extrapolation (ZNE) of a placed tomography program: E_B and ergotropy at zero
gate noise, with intervals that carry the extrapolation's own error.

    prepared = execute.prepare(program, execute.device("aer-noisy", backend))
    z = zne_estimates(program, prepared, factors=(1, 3, 5), shots=20000, seed=7, bootstrap=200,
                      rng=np.random.default_rng(8))
    z["e"], z["e_ci"], z["w"], z["device"]["e"], z["shots"]["total"]

Noise factors: the placed ISA circuits folded at each factor c (:mod:`qbhw.execute.folding`;
by default every gate with an error, so the whole gate error scales by c), all factors run as
ONE submission through :func:`qbhw.execute.run_prepared` (one manifest, one runtime Batch: a
hardware user pays one queue).  The factors reuse the program's parameter rows: realization r
has the same dephasing kicks at every factor.

What is extrapolated: the readout-mitigated outcome probabilities of every tomography basis
(equivalently the Pauli expectations, their Walsh transform), then the extrapolated data go
through the SAME estimator as a plain run (:func:`qbhw.analysis.estimates`: linear inversion,
the physical state nearest to it with its energy clipped to [0, E_max]), which gives E_B and
the ergotropy of one state: 0 <= W <= E_B <= E_max holds at zero noise too, and the intervals
come from the extrapolated linear quantities exactly as a plain run's do.  Extrapolating each
factor's E_B and W instead would extrapolate the physical-state W, whose bias near passive
states depends on the noise, and a W that reaches 0 at the higher factors has a kink in c;
the probabilities are smooth in c (each gate's channel is affine in its error rate).  Measured,
the two agree: within 0.001 (main job) and 0.01 (star) on the device references, and within
the noise near passive states (TLS pair t <= 2, 8 runs of 2000 shots).  For E_B they are the
same wherever no clip acts (the energy is linear in the probabilities).

Fits (``fit``), through the factors' values y(c) at abscissae c, the predicted gate-error scale
of each circuit at each factor (:func:`basis_scales`: the nominal factor at odd integers with
every erring gate folded, the default; with ``gates="two-qubit"`` or fractional factors the
scale the folding actually reaches, e.g. 2.6 for CZ alone at c = 3 on the main job, where
unfolded single-qubit gates keep part of the error):
    "richardson"  the polynomial of degree F - 1 through the F factors (exact for polynomial
                  noise of that degree; the default);
    "linear"      least-squares line through all factors, y(0) its intercept;
    "exponential" each Pauli expectation as A exp(-b c) (decay to the fully mixed value 0;
                  exact for global depolarising noise), fitted to log|y| by least squares;
                  a Pauli expectation that changes sign or reaches 0 across the factors takes
                  the linear fit.
Linear and Richardson fits are fixed weights w_c on the factors' data (sum w_c = 1): for equal
shots at every factor the shot noise grows by sqrt(sum w_c^2) (``amplification
["closed_form"]``: 1.21 for linear through 1, 3, 5; 2.28 for Richardson), the realization
spread, common to all factors (same kicks), by sum w_c = 1 only, so the measured growth is
smaller.  Measured (benchmarks/zne_recovery.py, noise-exact device reference against the
noise-free circuits, rms over 7 times; errors from 100 realizations x 20000 shots per factor):
on the main job the unmitigated bias in W is 0.030 (error 0.015); linear through 1, 3, 5
leaves 0.012 (error x1.11), Richardson 0.002 (x1.27), exponential 0.003 (x1.15), linear
through 1, 3 0.007 (x1.12, 2/3 of the shots).  On the star N = 2 with the splitting-only steps
(52 steps at t = 10; W/E raw 0.185, noise-free circuits 0.594, exact 0.607) the factors reach
the noise floor: the exponential fit is unstable (device reference 0.19 at factors 1, 3, 5,
0.72 at 1, 2, 3; errors 0.07-0.13), Richardson at 1, 2, 3 gives 0.44 +- 0.04 (device
reference 0.40), linear 0.27.  With the noise-aware steps (11 at t = 10; raw 0.422,
noise-free 0.575) Richardson recovers it: 0.557 +- 0.026 at 1, 3, 5 and 0.578 +- 0.031 at 1, 2,
3 (device references 0.557, 0.563), the exact 0.607 inside both 95 % intervals.  Hence
Richardson by default, and factors below 3 (1, 2, 3 or 1, 1.5, 2) for circuits whose predicted
error-free fraction at factor 1 is small.

Errors and intervals: the bootstrap of :mod:`qbhw.analysis`, with each resample extrapolated by
the same fit.  Realizations are resampled JOINTLY across factors (one set of weights per time
point for every basis and factor: realization r is one kick sequence, run at every factor), each
realization's counts at each factor carrying their own, independent shot noise; a single-
realization program resamples each factor's shots independently.  The interval is then
:func:`qbhw.tomography.bootstrap.interval` (BCa, jackknife over the same leave-one-realization-
out at every factor) of the extrapolated LINEAR energy (E_B's, clipped to [0, E_max]) and linear
ergotropy (W's, holding W, capped by E_B's upper end), as in :func:`qbhw.analysis.analyse`; it
holds the extrapolation's variance amplification, but NOT its bias (the residual curvature of
the noise in c, which the device reference's extrapolation measures: ``device``).

Device reference, the same way: the noise-exact probabilities of the folded circuits at every
factor (:func:`qbhw.execute.exact_probabilities`, readout error included when not mitigated,
as in :func:`qbhw.analysis.noise_exact_estimates`), averaged over realizations, extrapolated by
the same fit, same estimator.  Its gap to the ideal reference is the extrapolation's bias at
this noise; its gap to the measured ZNE values is sampling.

Shot cost: F x shots per (time, basis) (the factor-1 counts of a plain run may be reused with
``base_counts``: then (F - 1) x shots more), and the device time grows with the folded
circuits' durations (``shots["device_seconds"]``, shots x estimated circuit duration, no
repetition delay).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import execute
from .analysis import analyse, battery_ergotropy, battery_estimates, interval_rows, per_time
from .compile import Program
from .errors import InputError
from .execute.folding import FOLD_GATES, check_factors, error_scale, fold_prepared
from .metrics import energy
from .tomography import mitigate_counts, realization_weights, resample_rows

FITS = ("linear", "richardson", "exponential")


def fit_weights(scales, fit: str) -> np.ndarray:
    """Weights w (F,) with y(0) = w @ y(scales) for the linear fits ("linear": least-squares
    line; "richardson": polynomial of degree F - 1 through the points); "exponential" uses the
    linear weights on log|y|.  sum w = 1 (a constant extrapolates to itself); Richardson's
    degree is the number of DISTINCT scales less one, and equal scales (a circuit with
    nothing to fold) give the mean."""
    x = np.asarray(scales, dtype=float)
    if fit not in FITS:
        raise InputError("zne_fit", f"must be one of {FITS}, got {fit!r}")
    distinct = len(np.unique(np.round(x, 9)))  # factors that folded a short circuit alike coincide
    if distinct == 1:  # the same circuit at every factor (nothing folded): the mean
        return np.full(len(x), 1.0 / len(x))
    degree = distinct - 1 if fit == "richardson" else 1
    return np.linalg.pinv(np.vander(x, degree + 1, increasing=True))[0]


def extrapolate(values, scales, fit: str = "linear") -> np.ndarray:
    """Zero-noise values from ``values`` (F, ...) measured at noise ``scales`` (F,); module doc
    for the fits.  "exponential" takes the linear fit wherever an entry changes sign or is 0."""
    y = np.asarray(values, dtype=float)
    x = np.asarray(scales, dtype=float)
    w = fit_weights(x, fit)
    linear = np.tensordot(w, y, axes=1)
    if fit != "exponential":
        return linear
    same_sign = np.all(y > 0, axis=0) | np.all(y < 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_fit = np.sign(y[0]) * np.exp(np.tensordot(fit_weights(x, "linear"), np.log(np.abs(y)), axes=1))
    return np.where(same_sign, log_fit, linear)


def _walsh(k: int) -> np.ndarray:
    """H[s, x] = (-1)^popcount(s & x): probabilities p (K,) -> parity expectations p @ H.T."""
    v = range(1 << k)
    return (-1.0) ** np.array([[(s & x).bit_count() for x in v] for s in v])


def extrapolate_probabilities(probs, scales, fit: str) -> np.ndarray:
    """Outcome probabilities (F, ..., K) of one basis at the noise scales -> (..., K) at zero
    noise, by extrapolating the Pauli (parity) expectations, the normalisation held at 1."""
    p = np.asarray(probs, dtype=float)
    k = int(np.log2(p.shape[-1]))
    h = _walsh(k)
    zero = extrapolate((p @ h.T)[..., 1:], scales, fit)
    zero = np.concatenate([np.ones(zero.shape[:-1] + (1,)), zero], axis=-1)
    return zero @ h / (1 << k)


def _normalised(counts, assignments) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    if assignments is not None:
        c = mitigate_counts(c, assignments)
    return c / c.sum(axis=-1, keepdims=True)


def _zero_noise(per_factor: list[dict], scales: dict, fit: str, assignments) -> dict[str, np.ndarray]:
    """{basis: counts (..., K)} of every factor -> {basis: zero-noise probabilities (..., K)}."""
    return {b: extrapolate_probabilities(np.stack([_normalised(f[b], assignments) for f in per_factor]), scales[b], fit)
            for b in per_factor[0]}


def _combined(program: Program, folded: list) -> tuple[Program, object]:
    """One Program and one Prepared holding every factor's PUBs in turn (the time index shifted
    by the factor's position, so each (time, basis) keeps its own shot split)."""
    nt = len(program.times)
    info = tuple(replace(i, time_index=i.time_index + f * nt) for f in range(len(folded)) for i in program.info)
    pubs = tuple(pub for _ in folded for pub in program.pubs)
    isa = tuple(pub for prepared in folded for pub in prepared.isa)
    return replace(program, pubs=pubs, info=info), replace(folded[0], isa=isa)


def basis_scales(program: Program, prepared, folded: list) -> list[dict[str, np.ndarray]]:
    """Per time point, {basis: (F,) abscissae}: the predicted gate-error scale of that (time,
    basis) circuit at each factor (:func:`qbhw.execute.folding.error_scale`; mean over its PUBs
    with "mcm" dephasing); c itself at odd integer c with every erring gate folded, 1 at every
    factor for a circuit without erring gates."""
    scales = np.array([error_scale(prepared, f) for f in folded])  # (F, PUBs)
    out: list[dict] = [{} for _ in program.times]
    for t, basis in {(i.time_index, i.basis) for i in program.info}:
        pubs = [j for j, i in enumerate(program.info) if (i.time_index, i.basis) == (t, basis)]
        out[t][basis] = scales[:, pubs].mean(axis=1)
    return out


def extrapolated_estimates(program: Program, counts_per_factor, scales, *, fit: str, bootstrap: int,
                           rng: np.random.Generator, assignments=None) -> dict:
    """{field: array over times}: E_B ("e"), linear energy, ergotropy ("w") with "_err",
    "_ci", the resamples "e_boot", "w_boot" (T, bootstrap), "states" and "realizations" (the
    fields :func:`qbhw.analysis.figures_of_merit` reads), of the zero-noise extrapolation
    of ``counts_per_factor`` (F lists of counts per PUB of ``program``) at ``scales``
    (:func:`basis_scales`); module doc for the extrapolation and the joint bootstrap."""
    data = [per_time(program, c) for c in counts_per_factor]  # [factor][time]{basis: (m, K)}
    cols: dict[str, list] = {}
    for t in range(len(program.times)):
        bases = list(data[0][t])
        m = data[0][t][bases[0]].shape[0]
        weights = realization_weights(m, bootstrap, rng) if m > 1 else None  # shared by bases AND factors
        point_data = _zero_noise([{b: d[t][b].sum(axis=0) for b in bases} for d in data], scales[t], fit, assignments)
        boot_data = _zero_noise([{b: resample_rows(d[t][b], weights, bootstrap, rng) for b in bases} for d in data],
                                scales[t], fit, assignments)
        linear, point = battery_estimates(program, point_data)
        boot_linear, boot = battery_estimates(program, boot_data)
        jack_data = [{b: d[t][b].sum(axis=0) - d[t][b] for b in bases} for d in data]  # leave one realization out
        jack_linear = battery_estimates(program, _zero_noise(jack_data, scales[t], fit, assignments))[0] if m > 2 else None
        rows = interval_rows(program, m, linear, point, boot_linear, boot, jack_linear)
        for key, (p, samples, ci) in rows.items():
            cols.setdefault(key, []).append(p)
            cols.setdefault(f"{key}_err", []).append(samples.std(ddof=1))
            cols.setdefault(f"{key}_ci", []).append(ci)
        cols.setdefault("e_boot", []).append(rows["e"][1])
        cols.setdefault("w_boot", []).append(rows["w"][1])
        cols.setdefault("states", []).append(point)
        cols.setdefault("realizations", []).append(m)
    return {k: np.array(v) for k, v in cols.items()}


def device_reference_zne(program: Program, folded: list, scales, *, fit: str, readout: bool) -> dict:
    """The noise-exact device reference at every factor and extrapolated the same way (module
    doc): {"e", "w"} (T,) at zero noise, {"e_factors", "w_factors"} (F, T) per factor."""
    hb = np.asarray(program.model.h_battery)
    per_factor = []
    for prepared in folded:
        probs = execute.exact_probabilities(prepared.isa, prepared.device.snapshot, readout=readout, keep="meas")
        per_factor.append([{b: p.mean(axis=0) for b, p in d.items()} for d in per_time(program, probs)])
    states, factor_states = [], []
    for t in range(len(program.times)):
        bases = list(per_factor[0][t])
        factor_states.append([battery_estimates(program, f[t])[1] for f in per_factor])
        zero = {b: extrapolate_probabilities(np.stack([f[t][b] for f in per_factor]), scales[t][b], fit) for b in bases}
        states.append(battery_estimates(program, zero)[1])
    factor_states = np.array(factor_states).swapaxes(0, 1)  # (F, T, d, d)
    return {"e": energy(np.array(states), hb), "w": battery_ergotropy(program, np.array(states)),
            "e_factors": energy(factor_states, hb), "w_factors": battery_ergotropy(program, factor_states)}


def noise_free_estimates(program: Program, prepared) -> tuple[np.ndarray, np.ndarray]:
    """(E_B, ergotropy) over times of the placed circuits with the same parameter rows and no
    noise at all (Aer density matrices, mid-circuit measurements forgotten), averaged over
    realizations, same estimator: what ZNE extrapolates to.  Its gap to the exact model is the
    Trotter error and the finite realization ensemble; the ZNE estimate's gap to it is the
    extrapolation's bias and the sampling."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import CircuitInstruction
    from qiskit_aer import AerSimulator

    from .execute.exact import final_measurements, forget_measurements

    circuits, binds = [], []
    for pub in prepared.isa:
        split = final_measurements(forget_measurements(pub.circuit, "meas"))
        if split is None:
            raise InputError("zne", f"circuit {pub.circuit.name!r} has classically controlled operations: "
                                    "no noise-free density-matrix reference")
        body, measured = split
        qc = QuantumCircuit(body.num_qubits)
        for inst in body.data:
            qc._append(CircuitInstruction(inst.operation, tuple(qc.qubits[body.find_bit(q).index] for q in inst.qubits)))
        qc.save_probabilities(measured, label="p")
        circuits.append(qc)
        present = set(qc.parameters)
        binds.append({p: pub.values[:, j] for j, p in enumerate(pub.parameters) if p in present})
    result = AerSimulator(method="density_matrix", max_parallel_threads=1).run(
        circuits, parameter_binds=binds if any(binds) else None, shots=1).result()
    probs, k = [], 0
    for pub in prepared.isa:
        rows = pub.values.shape[0] if pub.parameters else 1
        probs.append(np.array([result.data(k + r)["p"] for r in range(rows)]))
        k += rows
    hb = np.asarray(program.model.h_battery)
    states = np.array([battery_estimates(program, {b: p.mean(axis=0) for b, p in d.items()})[1]
                       for d in per_time(program, probs)])
    return energy(states, hb), battery_ergotropy(program, states)


def shot_cost(program: Program, folded: list, shots: int, reused: bool) -> dict:
    """Shots and device seconds (shots x estimated circuit duration, no repetition delay) per
    factor and in all; ``reused``: the factor-1 shots come from the plain run."""
    per = execute.targets.shots_per_pub(program, shots)
    rows = [pub.values.shape[0] for pub in folded[0].isa]
    per_factor = sum(n * r for n, r in zip(per, rows))
    seconds = [float(sum(n * r * d for n, r, d in zip(per, rows, f.durations))) for f in folded]
    return {"shots_per_circuit": int(shots), "per_factor": per_factor, "factors": len(folded),
            "total": per_factor * len(folded), "new": per_factor * (len(folded) - int(reused)),
            "device_seconds": seconds, "device_seconds_ratio": float(sum(seconds) / seconds[0])}


@dataclass(frozen=True, eq=False)
class FoldedRun:
    """The tomography program run at every noise factor: ``folded`` placements (factor 1 = the
    plain one), their ``counts`` per PUB, the abscissae ``scales`` (:func:`basis_scales`), the
    ``shots`` cost (:func:`shot_cost`) and the run's ``metadata``.  Fit it any number of ways
    (:func:`zne_from_run`) without running again."""

    factors: tuple[float, ...]
    gates: str
    folded: tuple
    counts: tuple
    scales: list
    shots: dict
    metadata: dict


def run_folded(program: Program, prepared, *, factors=(1, 3, 5), shots: int, seed: int | None, gates: str = "all",
               base_counts=None, directory=None, options=None, confirm: bool = False, progress=None) -> FoldedRun:
    """Fold ``program`` placed by ``prepared`` at every factor and run all of them as one
    submission (module doc).  shots: per (time, basis) at every factor
    (:func:`qbhw.execute.run_prepared`); base_counts: the plain run's counts of ``program``'s
    PUBs, reused as factor 1 (which then does not run again); directory, options, confirm,
    progress: :func:`qbhw.execute.run_prepared`."""
    factors = check_factors(factors)
    if gates not in FOLD_GATES:
        raise InputError("zne_gates", f"must be one of {FOLD_GATES}, got {gates!r}")
    if len(prepared.isa) != len(program.pubs):
        raise InputError("zne", f"prepared holds {len(prepared.isa)} PUBs, the program {len(program.pubs)}: "
                                "prepare the tomography program alone (no assignment circuits)")
    reuse = base_counts is not None and factors[0] == 1
    folded = [prepared if c == 1 else fold_prepared(prepared, c, gates=gates) for c in factors]
    to_run = folded[1:] if reuse else folded
    combined, combined_prepared = _combined(program, to_run)
    run = execute.run_prepared(combined, combined_prepared, shots=shots, seed=seed, directory=directory,
                               options=options, confirm=confirm, progress=progress)
    n = len(program.pubs)
    counts = [tuple(run.counts[i * n:(i + 1) * n]) for i in range(len(to_run))]
    if reuse:
        counts = [tuple(base_counts[:n])] + counts
    return FoldedRun(factors, gates, tuple(folded), tuple(counts), basis_scales(program, prepared, folded),
                     shot_cost(program, folded, shots, reuse), run.metadata)


def zne_from_run(program: Program, run: FoldedRun, *, fit: str, bootstrap: int, rng: np.random.Generator,
                 assignments=None) -> dict:
    """Zero-noise extrapolated E_B and ergotropy from a :class:`FoldedRun` (module doc);
    assignments: readout assignment matrices to mitigate with (readout error is not folded).

    Returns {"e", "e_err", "e_ci", "e_linear", "e_linear_err", "e_linear_ci", "w", "w_err",
    "w_ci", "e_boot", "w_boot", "states", "realizations"} over times (zero noise: the input of
    :func:`qbhw.analysis.figures_of_merit`), "factors", "scales"
    (:func:`basis_scales`), "fit", "gates", "per_factor" ({"e", "e_err", "e_ci", "w", "w_err",
    "w_ci"} (F, T[, 2]),
    :func:`qbhw.analysis.analyse` of each factor alone), "amplification" ({"e", "w"} (T,): ZNE
    bootstrap error over factor 1's, and "closed_form" sqrt(sum w_c^2) of a linear fit at the
    nominal factors), "device" (:func:`device_reference_zne`), "shots" (:func:`shot_cost`)."""
    if fit not in FITS:
        raise InputError("zne_fit", f"must be one of {FITS}, got {fit!r}")
    out = extrapolated_estimates(program, run.counts, run.scales, fit=fit, bootstrap=bootstrap, rng=rng,
                                 assignments=assignments)
    singles = [analyse(program, c, bootstrap=bootstrap, rng=rng, assignments=assignments) for c in run.counts]
    per_factor = {k: np.array([a[k] for a in singles]) for k in ("e", "e_err", "e_ci", "w", "w_err", "w_ci")}
    with np.errstate(divide="ignore", invalid="ignore"):
        amplification = {"e": out["e_err"] / per_factor["e_err"][0], "w": out["w_err"] / per_factor["w_err"][0],
                         "closed_form": (float(np.sqrt((fit_weights(run.factors, fit) ** 2).sum()))
                                         if fit != "exponential" else None)}
    return {**out, "factors": run.factors, "scales": run.scales, "fit": fit, "gates": run.gates,
            "per_factor": per_factor, "amplification": amplification,
            "device": device_reference_zne(program, list(run.folded), run.scales, fit=fit, readout=assignments is None),
            "shots": run.shots}


def zne_estimates(program: Program, prepared, *, factors=(1, 3, 5), shots: int, seed: int | None, bootstrap: int,
                  rng: np.random.Generator, fit: str = "richardson", gates: str = "all", assignments=None,
                  base_counts=None, directory=None, options=None, confirm: bool = False, progress=None) -> dict:
    """:func:`run_folded` then :func:`zne_from_run`: the zero-noise E_B and ergotropy of
    ``program`` placed by ``prepared`` with their errors, intervals, per-factor values, device
    reference and shot cost, plus "counts" (per factor, per PUB) and "metadata" (the run's)."""
    if fit not in FITS:
        raise InputError("zne_fit", f"must be one of {FITS}, got {fit!r}")
    run = run_folded(program, prepared, factors=factors, shots=shots, seed=seed, gates=gates, base_counts=base_counts,
                     directory=directory, options=options, confirm=confirm, progress=progress)
    return {**zne_from_run(program, run, fit=fit, bootstrap=bootstrap, rng=rng, assignments=assignments),
            "counts": run.counts, "metadata": run.metadata}
