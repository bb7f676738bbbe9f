"""One call from a model to measured battery figures of merit beside the exact references:

    result = run_experiment(tls_pair(1.0, 0.5, 1.0), np.linspace(0, 10, 20), seed=1)
    result.battery_energy, result.battery_energy_err, result.reference.battery_energy

Pipeline: compile_program (Trotter + emulated dephasing + battery tomography) -> execute
(any target of :mod:`qbhw.execute`) -> optional readout mitigation -> linear inversion +
projection onto physical states -> energy and ergotropy.  Standard errors and 95 % bias-corrected
percentile intervals come from a bootstrap over dephasing realizations (each realization's counts carry
its shot noise, so both sources are resampled), or over shots with one realization.
Ergotropy is nonlinear and biased upwards near passive states: ``battery_ergotropy_bias`` is
the bootstrap mean minus the point estimate.

On device targets the result also carries the device reference: (a) ``device_reference``,
the same circuits with the same parameter values simulated as density matrices under the
snapshot's noise model without sampling and analysed by the same estimator (readout error
included unless mitigated), and (b) ``decoherence_reference``, the exact Lindblad model with
the chosen qubits' T1/T2 added as channels.  The gap between (a) and (b) is what the gates
themselves cost.  All references are in the drive's rotating frame, the frame the circuits
run in (battery energy and ergotropy equal the lab frame's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from qiskit.circuit import ClassicalRegister, QuantumCircuit

from . import execute
from .compile import Program, compile_program
from .metrics import energy, ergotropy
from .models import Model, with_qubit_decoherence
from .reference import Trajectory, evolve
from .tomography import (assignment_from_counts, assignments_from_snapshot, bc_interval, linear_inversion,
                         mitigate_counts, project_physical, realization_weights, resample_rows)

MITIGATION = ("none", "snapshot", "measured")
CONFIDENCE = 0.95


@dataclass(frozen=True, eq=False)
class DeviceReference:
    """Noise-exact prediction (a) of battery energy/ergotropy at the program's times, and the
    Lindblad model with the qubits' T1/T2 (b); ``seconds_per_unit`` maps model time (1/omega_B)
    to device seconds (estimated duration of the longest circuit / its model time)."""

    battery_energy: np.ndarray
    battery_ergotropy: np.ndarray
    decoherence: Trajectory
    seconds_per_unit: float


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Measured battery energy/ergotropy (arrays over ``times``) with standard errors, 95 %
    bootstrap intervals (shape (T, 2)) and ergotropy bias; the reconstructed battery states;
    the exact reference of the ideal model; on device targets the device reference; the
    program that was run and the run's metadata (target, backend, qubits and why, seeds)."""

    times: np.ndarray
    battery_energy: np.ndarray
    battery_energy_err: np.ndarray
    battery_energy_ci: np.ndarray
    battery_ergotropy: np.ndarray
    battery_ergotropy_err: np.ndarray
    battery_ergotropy_ci: np.ndarray
    battery_ergotropy_bias: np.ndarray
    battery_states: np.ndarray
    reference: Trajectory
    device_reference: DeviceReference | None
    program: Program
    metadata: dict


def circuit_frame(model: Model) -> str:
    """The frame the circuits run in: the drive's rotating frame, or the lab frame of an
    undriven model (time independent already) or of a drive no frame removes."""
    return "rotating" if model.drives and model.rotating_frame() is not None else "lab"


def per_time(program: Program, rows) -> list[dict[str, np.ndarray]]:
    """Per time point, {basis: (realizations, 2**k) rows} of the "meas" register (counts or
    probabilities): mid-circuit outcomes, in the higher clbits, are summed over, and the PUBs
    that share a (time, basis) (one per realization with "mcm" dephasing) are stacked."""
    out = [dict() for _ in program.times]
    for info, c in zip(program.info, rows):
        c = np.asarray(c)
        c = c.reshape(c.shape[0], -1, 1 << len(info.measured_qubits)).sum(axis=1)
        data = out[info.time_index]
        data[info.basis] = np.concatenate([data[info.basis], c]) if info.basis in data else c
    return out


def _estimates(data: dict[str, np.ndarray], assignments) -> tuple[np.ndarray, np.ndarray]:
    """(linear-inversion estimate, its projection onto physical states) from {basis: (..., K)}
    summed counts or probabilities.  The energy is read from the first (linear in the counts,
    hence unbiased), the ergotropy from the second (it needs a state); projecting a nearly
    pure estimate moves weight to excited levels and biases E_B upwards by about the noise."""
    if assignments is not None:
        data = {b: mitigate_counts(c, assignments) for b, c in data.items()}
    rho = linear_inversion(data)
    return rho, project_physical(rho)


def analyse(program: Program, counts, *, bootstrap: int, rng: np.random.Generator, assignments=None) -> dict:
    """Battery energy/ergotropy with bootstrap errors from counts per PUB (see module doc)."""
    hb = np.asarray(program.model.h_battery)
    cols = {k: [] for k in ("states", "e", "e_err", "e_ci", "w", "w_err", "w_ci", "w_bias")}
    for data in per_time(program, counts):
        linear, point = _estimates({b: c.sum(axis=0) for b, c in data.items()}, assignments)
        m = next(iter(data.values())).shape[0]
        weights = realization_weights(m, bootstrap, rng) if m > 1 else None  # shared by all bases
        boot_linear, boot = _estimates({b: resample_rows(c, weights, bootstrap, rng) for b, c in data.items()},
                                       assignments)
        e_boot, w_boot = energy(boot_linear, hb), ergotropy(boot, hb)
        e_point, w_point = energy(linear, hb), ergotropy(point, hb)
        for key, value in (("states", point), ("e", e_point), ("e_err", e_boot.std(ddof=1)),
                           ("e_ci", bc_interval(e_boot, e_point, CONFIDENCE)), ("w", w_point),
                           ("w_err", w_boot.std(ddof=1)), ("w_ci", bc_interval(w_boot, w_point, CONFIDENCE)),
                           ("w_bias", w_boot.mean() - w_point)):
            cols[key].append(value)
    return {k: np.array(v) for k, v in cols.items()}


def device_reference(program: Program, prepared, *, readout: bool) -> DeviceReference:
    """(a) and (b) of the module doc for a program placed on a device (``prepared``)."""
    snapshot = prepared.device.snapshot
    probs = execute.exact_probabilities(prepared.isa, snapshot, readout=readout, keep="meas")
    hb = np.asarray(program.model.h_battery)
    averaged = [{b: p.mean(axis=0) for b, p in data.items()} for data in per_time(program, probs)]  # over realizations
    linear, states = (np.array(x) for x in zip(*(_estimates(data, None) for data in averaged)))
    t_last = float(program.times[-1])
    seconds_per_unit = prepared.duration(-1) / t_last if t_last > 0 else 1e-9
    q = [snapshot.qubits[p] for p in prepared.qubits[:len(program.model.subsystems)]]  # model qubits, not ancillas
    noisy_model = with_qubit_decoherence(program.model, [c.t1 for c in q], [min(c.t2, 2 * c.t1) for c in q],
                                         seconds_per_unit)
    return DeviceReference(energy(linear, hb), ergotropy(states, hb),
                           evolve(noisy_model, program.times, frame=circuit_frame(noisy_model)), seconds_per_unit)


def with_assignment_circuits(program: Program, shots: int) -> Program:
    """``program`` plus two PUBs at the end, run in the same batch: every measured qubit
    prepared in |0>, then in |1>, measured into ``meas`` with ``shots`` shots each."""
    n, measured = program.pubs[0][0].num_qubits, program.info[0].measured_qubits
    extra = []
    for excited in (False, True):
        qc = QuantumCircuit(n, name=f"assignment_prep{int(excited)}")
        qc.add_register(ClassicalRegister(len(measured), "meas"))
        if excited:
            qc.x(list(measured))
        qc.measure(list(measured), range(len(measured)))
        extra.append((qc, None, int(shots)))
    return replace(program, pubs=program.pubs + tuple(extra))


def measured_assignments(counts0: np.ndarray, counts1: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Per measured qubit, A[measured, prepared] from the two assignment PUBs' counts."""
    c0, c1 = counts0.sum(axis=0), counts1.sum(axis=0)
    bit = lambda c, i: np.array([c[[v for v in range(c.size) if not (v >> i) & 1]].sum(),
                                 c[[v for v in range(c.size) if (v >> i) & 1]].sum()])
    return tuple(assignment_from_counts(bit(c0, i), bit(c1, i)) for i in range(k))


def _gate_sets(program, prepared, backend, fractional: bool):
    """The run's placement and the other gate set (CZ <-> fractional RZZ) on the same qubits of
    the Heron snapshot, CZ first (:func:`qbhw.execute.resources.gate_set_costs`)."""
    other = execute.prepare(program, execute.device("aer-noisy", backend, fractional=not fractional), prepared.qubits)
    cz, rzz = (other, prepared) if fractional else (prepared, other)
    return execute.resources.gate_set_costs(program, cz) + execute.resources.gate_set_costs(program, rzz)


def run_experiment(model: Model, times, *, dephasing: str = "kicks", realizations: int = 100,
                   shots: int = 4000, target: str = "aer-ideal", backend=None, qubits=None,
                   seed: int | None = None, order: int = 2, accuracy: float = 1e-2,
                   max_step: float | None = 0.5, bootstrap: int = 200, mitigation: str = "none",
                   fractional: bool = False, directory=None, options=None, confirm: bool = False,
                   progress=None) -> ExperimentResult:
    """Run ``model`` at ``times`` (units 1/omega_B) on ``target`` and analyse it (module doc).

    shots: total per circuit, split over ``realizations``; backend, qubits, directory,
    options, confirm, progress: see :func:`qbhw.execute.run`; mitigation: "snapshot" inverts
    the calibration's readout assignment matrices, "measured" those measured by two extra
    circuits (all |0>, all |1>) run in the same batch with ``shots`` shots each (device
    targets only); fractional: two-qubit terms as IBM's fractional RZZ gates (Heron devices,
    see :func:`qbhw.execute.device`)."""
    if not isinstance(bootstrap, int) or bootstrap < 2:
        raise ValueError(f"bootstrap must be an integer >= 2, got {bootstrap!r}")
    if mitigation not in MITIGATION:
        raise ValueError(f"mitigation must be one of {MITIGATION}, got {mitigation!r}")
    if target not in execute.TARGETS:
        raise ValueError(f"target must be one of {execute.TARGETS}, got {target!r}")
    if mitigation != "none" and target == "aer-ideal":
        raise ValueError("mitigation: the ideal simulator has no readout error; use mitigation='none'")
    seeds = np.random.SeedSequence(seed).generate_state(3)
    program = compile_program(model, times, order=order, accuracy=accuracy, max_step=max_step,
                              dephasing=dephasing, realizations=realizations, seed=int(seeds[0]))
    run_seed = int(seeds[1])
    prepared = assignments = dev_ref = resources = gate_sets = None
    if target == "aer-ideal":
        run = execute.run(program, target=target, shots=shots, seed=run_seed, progress=progress, fractional=fractional)
    else:
        runnable = with_assignment_circuits(program, shots) if mitigation == "measured" else program
        prepared = execute.prepare(runnable, execute.device(target, backend, fractional=fractional), qubits)
        run = execute.run_prepared(runnable, prepared, shots=shots, seed=run_seed, directory=directory,
                                   options=options, confirm=confirm, progress=progress)
        k = len(program.info[0].measured_qubits)
        if mitigation == "snapshot":
            measured = [prepared.qubits[q] for q in program.info[0].measured_qubits]
            assignments = assignments_from_snapshot(prepared.device.snapshot, measured)
        elif mitigation == "measured":
            assignments = measured_assignments(run.counts[-2], run.counts[-1], k)
            prepared = replace(prepared, isa=prepared.isa[:-2])
        dev_ref = device_reference(program, prepared, readout=mitigation == "none")
        resources = [asdict(r) for r in execute.resources.report(program, prepared)]
        if target == "aer-noisy" and prepared.device.snapshot.processor_family.startswith("Heron"):
            gate_sets = [asdict(r) for r in _gate_sets(program, prepared, backend, fractional)]
    a = analyse(program, run.counts[:len(program.pubs)], bootstrap=bootstrap, rng=np.random.default_rng(seeds[2]), assignments=assignments)
    reference = evolve(model, program.times, frame=circuit_frame(model))
    meta = {**run.metadata, "steps": program.steps, "trotter_error": program.error_bound, "dephasing": dephasing,
            "bootstrap": bootstrap, "confidence": CONFIDENCE, "mitigation": mitigation, "fractional": fractional, "seed": seed,
            "assignments": None if assignments is None else [a.tolist() for a in assignments],
            "resources": resources, "gate_sets": gate_sets}
    return ExperimentResult(program.times, a["e"], a["e_err"], a["e_ci"], a["w"], a["w_err"], a["w_ci"], a["w_bias"],
                            a["states"], reference, dev_ref, program, meta)
