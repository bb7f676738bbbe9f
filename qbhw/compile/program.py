"""Model + times -> Program: parameterised circuits, parameter arrays and their meaning.

One circuit per (time point, measurement basis).  Dephasing of the charger is emulated by one
of the methods of :mod:`.dephasing`; for "kicks" and "flips" the random angles are circuit
Parameters and the M realizations are rows of the PUB's parameter array (bound at run time by
SamplerV2), never M circuits ("mcm" is the exception: a measurement cannot be a parameter).
Each Trotter step is wrapped symmetrically: half slot, unitary product-formula step, half slot
(adjacent half slots merged), which makes the averaged step second order (DESIGN.md).
Times are in units of 1/omega_B; circuits act in the drive's rotating frame, whose battery
energy and ergotropy equal the lab frame's, or, for a drive no frame removes (counter-rotating
coupling, several drive frequencies), in the lab frame with piecewise-constant steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate

from ..models import Model
from .dephasing import (DEPHASING, DETERMINISTIC, PER_REALIZATION_CIRCUITS, dephasing_channel, kick_angles,
                        measurement_pattern, weak_angle)
from .encoding import encode_qubits, encoded_width
from .trotter import EXACT_LIMIT, MAX_STEPS, error_constant, exact_steps, step_hamiltonian, steps_for, synthesis

MAX_QUBITS = 12


@dataclass(frozen=True)
class PubInfo:
    """What one PUB measures: time index and value, Pauli basis per measured qubit
    (character i for measured qubit i), the measured qubits and the Trotter steps used."""

    time_index: int
    time: float
    basis: str
    measured_qubits: tuple[int, ...]
    steps: int


@dataclass(frozen=True, eq=False)
class Program:
    """Circuits + parameter arrays (``pubs``) with their metadata (``info``; with "mcm"
    dephasing several PUBs share one (time, basis), one per realization); ``ancillas``: circuit
    qubits beyond the model's (the "weak" method's measured ancilla)."""

    model: Model
    times: np.ndarray
    pubs: tuple
    info: tuple[PubInfo, ...]
    order: int
    dephasing: str
    realizations: int
    steps: tuple[int, ...]
    error_bound: tuple[float, ...]  # trace-norm state error per time: exact (small systems) or a bound
    ancillas: tuple[int, ...] = ()


@dataclass(frozen=True)
class Dephased:
    """A dephasing jump L = c + sum_k w_k n_k (diagonal, linear in the qubits' excitation
    numbers, e.g. an oscillator's n = sum_k 2^k n_k in binary) at rate gamma.  ``qubit`` is
    set when L = n_q on one qubit: only then can flips, measurements or the channel emulate it;
    kicks RZ(w_k phi) with one phi ~ N(0, gamma tau) emulate any such L."""

    weights: tuple[tuple[int, float], ...]
    gamma: float

    @property
    def qubit(self) -> int | None:
        return self.weights[0][0] if len(self.weights) == 1 and abs(self.weights[0][1] - 1) < 1e-12 else None


def _dephased(model: Model, method: str) -> list[Dephased]:
    """The model's dephasing jumps in qubit form (ValueError for jumps ``method`` cannot emulate)."""
    n = len(model.subsystems)
    bits = (np.arange(model.dimension)[:, None] >> np.arange(n)[None, :]) & 1  # bit k of each basis state
    design = np.c_[np.ones(model.dimension), bits]
    out = []
    for j in model.jumps:
        if j.rate == 0:
            continue
        op = np.asarray(j.operator)
        diag = np.real(np.diag(op))
        coef = np.linalg.lstsq(design, diag, rcond=None)[0]
        if np.abs(op - np.diag(diag)).max() > 1e-12 or np.abs(design @ coef - diag).max() > 1e-9:
            raise ValueError(f"jump {j.label!r} is not dephasing by a sum of qubit excitation numbers: no "
                             "method emulates it (use a model without it, or dephasing='none')")
        weights = np.round(coef[1:], 12)  # least squares leaves ~1e-16 noise on exact weights like 2
        d = Dephased(tuple((k, float(w)) for k, w in enumerate(weights) if w != 0), float(j.rate))
        if d.qubit is None and method not in ("kicks", "none"):
            raise ValueError(f"jump {j.label!r} dephases several qubits (an encoded oscillator's number "
                             f"operator): only dephasing='kicks' emulates it, not {method!r}")
        out.append(d)
    return out


def _initial_basis_state(model: Model) -> int:
    """Index of the computational basis state the model starts in (ValueError otherwise)."""
    rho0 = np.asarray(model.rho0)
    k = int(np.argmax(np.real(np.diag(rho0))))
    if abs(rho0[k, k] - 1) > 1e-9:
        raise ValueError(f"model {model.name!r} starts in a state that is not a computational basis state; "
                         "preparing it is not implemented (start from a product of basis states)")
    return k


def pauli_bases(k: int) -> list[str]:
    """All 3^k measurement bases of k qubits, e.g. ["XX", "XY", ..., "ZZ"] for k = 2."""
    labels = [""]
    for _ in range(k):
        labels = [b + c for b in labels for c in "XYZ"]
    return labels


def compile_program(model: Model, times, *, order: int = 2, accuracy: float = 1e-2, max_step: float | None = 0.5,
                    dephasing: str = "kicks", realizations: int = 100, tomography: str = "battery",
                    seed: int | None = None) -> Program:
    """Compile ``model`` at ``times`` (units 1/omega_B) into a Program (see module docstring).

    accuracy: target product-formula error bound per time point (trace norm); max_step: largest
    Trotter step (1/omega_B); realizations: dephasing realizations per circuit.
    """
    needed = sum(encoded_width(s) for s in model.subsystems)
    if needed > MAX_QUBITS:
        raise ValueError(f"model {model.name!r} needs {needed} qubits; at most {MAX_QUBITS} "
                         "are compiled (use fewer batteries or a smaller n_max)")
    model = encode_qubits(model)  # oscillators in binary, collective spins as Dicke states
    if len(model.subsystems) > MAX_QUBITS:
        raise ValueError(f"model {model.name!r} needs {len(model.subsystems)} qubits; at most {MAX_QUBITS} "
                         "are compiled (use fewer batteries)")
    if dephasing not in DEPHASING:
        raise ValueError(f"dephasing must be one of {DEPHASING}, got {dephasing!r}")
    if tomography not in ("battery", "battery+charger"):
        raise ValueError(f"tomography must be 'battery' or 'battery+charger', got {tomography!r}")
    if not isinstance(realizations, int) or realizations < 1:
        raise ValueError(f"realizations must be an integer >= 1, got {realizations!r}")
    if not accuracy > 0:
        raise ValueError(f"accuracy must be > 0, got {accuracy!r}")
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a 1-D, non-negative, strictly increasing sequence")
    h_rot = model.rotating_frame()  # None: piecewise-constant lab-frame steps (trotter.step_hamiltonian)
    if h_rot is None and not model.drives:
        h_rot = np.asarray(model.h0)
    if h_rot is None and model.dimension > EXACT_LIMIT:
        raise ValueError(f"model {model.name!r} has a drive that no rotating frame removes; lab-frame steps "
                         f"are compiled up to Hilbert dimension {EXACT_LIMIT} (got {model.dimension}): use a "
                         "resonant, excitation-conserving drive or a smaller model")
    dephased = _dephased(model, dephasing) if dephasing != "none" else []
    # largest dephasing rate seen by a coherence: gamma (m - m')^2 <= gamma (sum_k |w_k|)^2
    gamma_max = max((d.gamma * sum(abs(w) for _, w in d.weights) ** 2 for d in dephased), default=0.0)
    gate_synthesis = synthesis(order)

    def gate(h_step: np.ndarray, dt: float) -> PauliEvolutionGate:
        return PauliEvolutionGate(model.pauli(h_step), time=dt, synthesis=gate_synthesis)

    if model.dimension <= EXACT_LIMIT:
        model_for_error = model if dephasing != "none" else replace(model, jumps=())
        found = [exact_steps(model_for_error, h_rot, gate, order, t, accuracy, max_step) for t in times]
        steps, bound = [n for n, _ in found], tuple(e for _, e in found)
    else:
        const = error_constant(model.pauli(h_rot), order, gamma_max)
        steps = [steps_for(t, const, order, accuracy, max_step) for t in times]
        bound = tuple(const * t ** (order + 1) / s**order if s else 0.0 for t, s in zip(times, steps))
    if max(steps) > MAX_STEPS:
        split = (f"; at the step limit gamma*dt = {gamma_max * times[-1] / MAX_STEPS:.2g}: the kicks between "
                 "Hamiltonian steps no longer track dephasing acting during them" if gamma_max else "")
        raise ValueError(f"{max(steps)} Trotter steps would be needed at t = {times[-1]:g} for accuracy "
                         f"{accuracy:g} (limit {MAX_STEPS}{split}); lower the dephasing rate or the final time, "
                         "or relax accuracy")
    start = _initial_basis_state(model)
    roles = model.battery + (model.charger if tomography == "battery+charger" else ())
    measured = tuple(sorted(roles))
    rng = np.random.default_rng(seed)
    n = len(model.subsystems)
    ancillas = (n,) if dephasing == "weak" and dephased else ()
    pubs, info = [], []
    for ti, (t, n_steps) in enumerate(zip(times, steps)):
        dt = t / n_steps if n_steps else 0.0
        # slot durations: dt/2, dt, ..., dt, dt/2 (merged half slots); none at t = 0
        durations = np.r_[dt / 2, np.full(n_steps - 1, dt), dt / 2] if n_steps else np.zeros(0)
        # the synthesized product formula, not the PauliEvolutionGate itself: Statevector and
        # Operator apply that gate as the exact exponential, Aer as the product formula
        if h_rot is not None:
            step_circuits = [gate(h_rot, dt).definition] * n_steps
        else:
            step_circuits = [gate(step_hamiltonian(model, None, (k + 0.5) * dt), dt).definition for k in range(n_steps)]
        evolution = _Evolution(n, n + len(ancillas), len(measured), start, step_circuits, durations, dephased, dephasing)
        if not (dephased and n_steps) or dephasing in DETERMINISTIC:
            variants = [(evolution.build(), None)]
        elif dephasing in PER_REALIZATION_CIRCUITS:
            variants = [(evolution.build(patterns=[measurement_pattern(rng, d.gamma, durations) for d in dephased]), None)
                        for _ in range(realizations)]
        else:
            params = [[Parameter(f"phi_{d.weights[0][0]}_{i}") for i in range(durations.size)] for d in dephased]
            values = np.concatenate([kick_angles(rng, dephasing, d.gamma, durations, realizations) for d in dephased],
                                    axis=1)
            qc = evolution.build(params=params)
            column = {p: c for c, p in enumerate(p for row in params for p in row)}
            variants = [(qc, values[:, [column[p] for p in qc.parameters]])]  # columns follow qc.parameters
        for basis in pauli_bases(len(measured)):
            for qc, values in variants:
                pubs.append((with_tomography(qc, measured, basis), values))
                info.append(PubInfo(ti, float(t), basis, measured, n_steps))
    return Program(model, times, tuple(pubs), tuple(info), order, dephasing,
                   realizations if dephased and dephasing not in DETERMINISTIC else 1, tuple(steps), bound, ancillas)


class _Evolution:
    """Builds the time evolution of one time point: basis-state preparation, then n_steps
    product-formula steps with a dephasing slot before, between and after them.  The "meas"
    register comes first (clbits 0..k-1, filled by ``with_tomography``); mid-circuit outcomes
    ("mcm", "weak") go to registers after it."""

    def __init__(self, n_model, width, k, start, steps, durations, dephased, method):
        self.n_model, self.width, self.k, self.start, self.steps = n_model, width, k, start, steps
        self.durations, self.dephased, self.method = durations, dephased, method

    def build(self, params=None, patterns=None) -> QuantumCircuit:
        n_model = self.n_model
        qc = QuantumCircuit(self.width)
        qc.add_register(ClassicalRegister(self.k, "meas"))
        for q in (q for q in range(n_model) if (self.start >> q) & 1):  # initial basis state (qubit q = bit q)
            qc.x(q)
        slots = self.durations.size
        extra = None
        if self.method == "weak" and self.dephased and slots:
            extra = ClassicalRegister(slots * len(self.dephased), "weak")
        elif patterns is not None and sum(int(p.sum()) for p in patterns):
            extra = ClassicalRegister(sum(int(p.sum()) for p in patterns), "mcm")
        if extra is not None:
            qc.add_register(extra)
        bit = iter(extra) if extra is not None else None
        for s in range(slots):
            for j, d in enumerate(self.dephased):
                tau, q = self.durations[s], d.qubit
                if self.method == "channel":
                    qc.append(dephasing_channel(d.gamma, tau), [q])
                elif self.method == "weak":
                    ancilla = self.width - 1
                    qc.cry(weak_angle(d.gamma, tau), q, ancilla)
                    qc.measure(ancilla, next(bit))
                    qc.reset(ancilla)
                elif patterns is not None:
                    if patterns[j][s]:
                        qc.measure(q, next(bit))
                elif params is not None:  # RZ(w phi) on each qubit: exp(i phi L) up to a global phase
                    for k, w in d.weights:
                        qc.rz(params[j][s] if w == 1 else w * params[j][s], k)
            if s < slots - 1:
                qc.compose(self.steps[s], qubits=range(n_model), inplace=True)
        return qc


def with_tomography(evolution: QuantumCircuit, measured, basis: str) -> QuantumCircuit:
    """``evolution`` followed by the Pauli-basis rotations of ``basis`` and the measurements of
    the measured qubits into "meas" (character i of ``basis`` for measured qubit i)."""
    qc = evolution.copy()
    meas = qc.cregs[0]
    for i, (q, b) in enumerate(zip(measured, basis)):
        if b == "X":
            qc.h(q)
        elif b == "Y":
            qc.sdg(q)
            qc.h(q)
        qc.measure(q, meas[i])
    return qc
