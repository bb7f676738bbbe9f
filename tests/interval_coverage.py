"""Coverage of the pipeline's own intervals (issues 12 and 17), shared by
tests/test_interval_coverage.py (reduced size) and benchmarks/acceptance_interval_coverage.py
(full size).

The counts are sampled from the exact output distribution of the compiled protocol, so the
splitting error does not enter: a pool of kick realizations of the TLS-pair program is compiled
once and every (realization, setting) row's outcome probabilities are computed exactly (Aer
density matrix, parameter binds).  One repetition draws m realizations from the pool with
replacement, samples shots/m shots of each of their rows, and runs ``qbhw.analysis.analyse``
(the function ``run_experiment`` uses).  Drawing from the pool makes the pool's mean the truth:
the estimator applied to the pool-averaged probabilities of every setting (exact for linear
inversion, which is linear in them; the adaptive weighted least-squares fit of exact
probabilities returns the exact Bloch vector of the pool too), its energy and ergotropy.
Coverage = fraction of repetitions whose interval holds the truth.

Estimators (``qbhw.experiment.run_experiment``'s ``estimator``): "pauli", the X, Y, Z bases;
"adaptive", the program with one more setting per time point
(:func:`qbhw.compile.program.with_axes`), the optimal axis of the exact reference's battery
state in the circuits' frame (:func:`qbhw.experiment.optimal_axes`), as ``run_experiment``
builds it; every setting gets ``shots`` shots, so the adaptive runs spend 4/3 of the Pauli shots.
"""

from __future__ import annotations

import numpy as np
from qiskit import transpile
from qiskit_aer import AerSimulator

from qbhw.analysis import analyse, estimates
from qbhw.compile import compile_program
from qbhw.compile.encoding import battery_energy_max
from qbhw.compile.program import with_axes
from qbhw.experiment import circuit_frame, optimal_axes
from qbhw.metrics import energy, ergotropy
from qbhw.models import dissipative_charging, tls_pair
from qbhw.reference import evolve

FIELDS = {"e": "E_B (physical state, clipped E_lin)", "e_linear": "linear energy",
          "w": "ergotropy of the physical state"}
ESTIMATORS = ("pauli", "adaptive")


def pool_probabilities(model, t: float, size: int, seed: int, estimator: str = "pauli"):
    """(program, [per PUB: (size, 2^k) exact outcome probabilities of its rows]) of the
    ``estimator``'s program (module doc)."""
    program = compile_program(model, [t], realizations=size, seed=seed)
    if estimator == "adaptive":
        program = with_axes(program, optimal_axes(evolve(model, [t], frame=circuit_frame(model))))
    elif estimator != "pauli":
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    sim = AerSimulator(method="density_matrix")  # exact through resets (collision ancillas), unlike a statevector
    out = []
    for (qc, values, *_), info in zip(program.pubs, program.info):
        bare = qc.remove_final_measurements(inplace=False)
        bare.save_probabilities(list(info.measured_qubits))
        bare = transpile(bare, sim, optimization_level=0)
        if values is None:
            p = np.asarray(sim.run(bare).result().data()["probabilities"])[None, :]
            out.append(np.repeat(p, size, axis=0))
            continue
        binds = [{par: values[:, j] for j, par in enumerate(bare.parameters)}]
        res = sim.run([bare], parameter_binds=binds).result()
        out.append(np.array([np.asarray(res.data(i)["probabilities"]) for i in range(size)]))
    return program, out


def truth(program, pool) -> dict[str, float]:
    """{field: value} of the estimator applied to the pool-averaged probabilities per setting."""
    hb = np.asarray(program.model.h_battery)
    data = {info.setting: p.mean(axis=0) for info, p in zip(program.info, pool)}
    linear, physical = estimates(data, hb, None, battery_energy_max(program.model))
    return {"e": float(energy(physical, hb)), "e_linear": float(energy(linear, hb)),
            "w": float(ergotropy(linear, hb))}


def analysed_runs(program, pool, *, m: int, shots: int, repetitions: int, bootstrap: int, seed: int):
    """Per repetition, the analysed values: {field: (values, lows, highs)} of FIELDS and
    {"w_corrected": values} (module doc)."""
    rng = np.random.default_rng(seed)
    size = pool[0].shape[0]
    per_row = shots // m
    cols = {k: [] for k in (*FIELDS, *(f"{k}_ci" for k in FIELDS), "w_corrected")}
    for _ in range(repetitions):
        rows = rng.integers(0, size, m)
        counts = [rng.multinomial(per_row, p[rows] / p[rows].sum(axis=1, keepdims=True)) for p in pool]
        a = analyse(program, counts, bootstrap=bootstrap, rng=rng)
        for k, column in cols.items():
            column.append(a[k][0])
    return {k: np.array(v) for k, v in cols.items()}


def coverage_of(values: dict, true: dict[str, float]) -> dict[str, float]:
    """Fraction of ``values`` (:func:`analysed_runs`) whose FIELDS' interval holds ``true``."""
    return {k: float(np.mean((values[f"{k}_ci"][:, 0] - 1e-12 <= true[k]) & (true[k] <= values[f"{k}_ci"][:, 1] + 1e-12)))
            for k in FIELDS}


def misses(values: dict, true: dict[str, float]) -> dict[str, tuple[float, float]]:
    """{field: (fraction with the truth below the low end, fraction above the high end)}."""
    return {k: (float(np.mean(true[k] < values[f"{k}_ci"][:, 0] - 1e-12)),
                float(np.mean(true[k] > values[f"{k}_ci"][:, 1] + 1e-12))) for k in FIELDS}


def coverage(program, pool, *, m: int, shots: int, repetitions: int, bootstrap: int, seed: int) -> dict[str, float]:
    """Fraction of repetitions whose interval (FIELDS) holds the truth (module doc)."""
    values = analysed_runs(program, pool, m=m, shots=shots, repetitions=repetitions, bootstrap=bootstrap, seed=seed)
    return coverage_of(values, truth(program, pool))


#: (label, model, time), in the order of W over the spread of the reported W (Pauli, 2000 shots
#: per setting, m = 20; benchmarks/acceptance_interval_coverage.py prints it): an active state
#: (W 0.24, W/sd 5.9); an active DIAGONAL one (the qubit charged by ancillas past inversion, W
#: 0.39 without coherence); the main job's early t = 1.0 (W 0.032, W/sd 7.3); strong charger
#: dephasing (gamma_c = 10) keeps the battery almost diagonal: t = 3, 1, 0.5, 0.25 (W/sd 2.8,
#: 2.4, 1.7, 0.74); an exactly passive mixed state (the qubit charged by ancillas at beta omega
#: = 1 before inversion: diagonal, ground 0.54, W = 0); t = 0 (the pure ground state, ergotropy
#: exactly 0, deterministic counts); and a nearly pure state just off the ground state (t = 0.5:
#: E_B 3.4e-3, W/E_B 0.90), where the physical state's ergotropy is clipped by W <= E_B and
#: biased downwards (qbhw.analysis doc: its own bootstrap interval covered 0.905 at m = 20, 0.862
#: at m = 100)
CASES = (("active", tls_pair(1.0, 0.5, 1.41), 2.5),
         ("active diagonal", dissipative_charging(1.0, 1.0), 3.0),
         ("main t=1", tls_pair(1.0, 0.5, 1.41), 1.0),
         ("dephased t=3", tls_pair(1.0, 0.5, 10.0), 3.0),
         ("nearly passive", tls_pair(1.0, 0.5, 10.0), 1.0),
         ("dephased t=0.5", tls_pair(1.0, 0.5, 10.0), 0.5),
         ("dephased t=0.25", tls_pair(1.0, 0.5, 10.0), 0.25),
         ("passive mixed", dissipative_charging(1.0, 1.0), 1.0),
         ("t = 0", tls_pair(1.0, 0.5, 1.41), 0.0),
         ("nearly pure", tls_pair(1.0, 0.5, 1.41), 0.5))
CASE = {label: (model, t) for label, model, t in CASES}
#: cases whose counts are deterministic (the truth is exactly representable: coverage 1)
DETERMINISTIC = ("t = 0",)
