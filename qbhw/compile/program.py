"""Model + times -> Program: parameterised circuits, parameter arrays and their meaning.

One circuit per (time point, measurement basis).  Dephasing of the charger is emulated by
random Z rotations whose angles are circuit Parameters; the M realizations are rows of the
PUB's parameter array (bound at run time by SamplerV2), never M circuits.  Each Trotter step
is wrapped symmetrically: half kick, unitary product-formula step, half kick (adjacent half
kicks merged), which makes the averaged step second order (DESIGN.md).

Kick statistics for L = sigma^+ sigma^- at rate gamma over a duration tau (the charger
coherence must decay by e^{-gamma tau / 2}; RZ(phi) multiplies it by e^{-i phi}):
    "kicks": phi ~ Normal(0, gamma tau)               (E e^{-i phi} = e^{-gamma tau / 2})
    "flips": phi = pi with probability (1 - e^{-gamma tau / 2}) / 2, else 0   (a Z flip)
    "channel": the exact dephasing channel rho -> (1-p) rho + p Z rho Z, p = (1 - e^{-gamma tau/2})/2,
             as a Kraus instruction (one circuit, no realizations; simulators only)
    "none":  no dephasing (coherent evolution only)
Times are in units of 1/omega_B; circuits act in the drive's rotating frame, whose battery
energy and ergotropy equal the lab frame's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.quantum_info import Kraus

from ..models import Model
from .encoding import encode_qubits, encoded_width
from .trotter import EXACT_LIMIT, MAX_STEPS, error_constant, exact_steps, steps_for, synthesis

DEPHASING = ("kicks", "flips", "channel", "none")
SIMULATOR_ONLY = ("channel",)  # dephasing methods no quantum processor can run
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
    """Circuits + parameter arrays (``pubs``) with their metadata (``info``)."""

    model: Model
    times: np.ndarray
    pubs: tuple
    info: tuple[PubInfo, ...]
    order: int
    dephasing: str
    realizations: int
    steps: tuple[int, ...]
    error_bound: tuple[float, ...]  # trace-norm state error per time: exact (small systems) or a bound


def _dephased_qubits(model: Model) -> list[tuple[int, float]]:
    """(qubit, gamma) for every jump that is n_k = sigma_k^+ sigma_k^- on one qubit."""
    out = []
    for j in model.jumps:
        if j.rate == 0:
            continue
        for k in range(len(model.subsystems)):
            if np.allclose(j.operator, model.local(np.diag([0.0, 1.0]), k), atol=1e-12):
                out.append((k, j.rate))
                break
        else:
            raise ValueError(f"jump {j.label!r} is not single-qubit dephasing sigma^+ sigma^-: the kick "
                             "methods cannot emulate it (use a model without it, or dephasing='none')")
    return out


def _kick_angles(rng, method: str, gamma: float, durations: np.ndarray, m: int) -> np.ndarray:
    if method == "kicks":
        return rng.normal(0.0, 1.0, size=(m, durations.size)) * np.sqrt(gamma * durations)
    p = (1.0 - np.exp(-gamma * durations / 2)) / 2
    return np.pi * (rng.random((m, durations.size)) < p)


def dephasing_channel(gamma: float, tau: float) -> Kraus:
    """exp(tau D) for L = n (rate gamma) on one qubit: coherences times e^{-gamma tau / 2}."""
    p = (1.0 - np.exp(-gamma * tau / 2)) / 2
    return Kraus([np.sqrt(1 - p) * np.eye(2), np.sqrt(p) * np.diag([1.0, -1.0])])


def _initial_basis_state(model: Model) -> int:
    """Index of the computational basis state the model starts in (ValueError otherwise)."""
    rho0 = np.asarray(model.rho0)
    k = int(np.argmax(np.real(np.diag(rho0))))
    if abs(rho0[k, k] - 1) > 1e-9:
        raise ValueError(f"model {model.name!r} starts in a state that is not a computational basis state; "
                         "preparing it is not implemented (start from a product of basis states)")
    return k


def _bases(k: int) -> list[str]:
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
    h_rot = model.rotating_frame()
    if h_rot is None:
        if model.drives:
            raise ValueError(f"model {model.name!r} has a drive that no rotating frame removes; piecewise-"
                             "constant lab-frame steps are not implemented yet")
        h_rot = np.asarray(model.h0)
    h = model.pauli(h_rot)
    dephased = _dephased_qubits(model) if dephasing != "none" else []
    gamma_max = max((g for _, g in dephased), default=0.0)
    gate_synthesis = synthesis(order)
    if model.dimension <= EXACT_LIMIT:
        model_for_error = model if dephasing != "none" else replace(model, jumps=())
        found = [exact_steps(model_for_error, h_rot, lambda dt: PauliEvolutionGate(h, time=dt, synthesis=gate_synthesis),
                             order, t, accuracy, max_step) for t in times]
        steps, bound = [n for n, _ in found], tuple(e for _, e in found)
    else:
        const = error_constant(h, order, gamma_max)
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
    pubs, info = [], []
    n = len(model.subsystems)
    for ti, (t, n_steps) in enumerate(zip(times, steps)):
        dt = t / n_steps if n_steps else 0.0
        # kick durations: dt/2, dt, ..., dt, dt/2 (merged half kicks); none at t = 0
        durations = np.r_[dt / 2, np.full(n_steps - 1, dt), dt / 2] if n_steps else np.zeros(0)
        channel = dephasing == "channel"
        params = {} if channel else {q: [Parameter(f"phi_{q}_{i}") for i in range(durations.size)] for q, _ in dephased}
        base = QuantumCircuit(n)
        for q in (q for q in range(n) if (start >> q) & 1):  # initial basis state (qubit q = bit q)
            base.x(q)
        # the synthesized product formula, not the PauliEvolutionGate itself: Statevector and
        # Operator apply that gate as the exact exponential, Aer as the product formula
        step = PauliEvolutionGate(h, time=dt, synthesis=gate_synthesis).definition if n_steps else None
        for s in range(n_steps + 1 if n_steps else 0):
            for q, gamma in dephased:
                if channel:
                    base.append(dephasing_channel(gamma, durations[s]), [q])
                else:
                    base.rz(params[q][s], q)
            if s < n_steps:
                base.compose(step, qubits=range(n), inplace=True)
        values = None
        if dephased and n_steps and not channel:
            blocks = [_kick_angles(rng, dephasing, g, durations, realizations) for _, g in dephased]
            values = np.concatenate(blocks, axis=1)
        ordered = [p for q, _ in dephased for p in params[q]] if n_steps and not channel else []
        for basis in _bases(len(measured)):
            qc = base.copy()
            creg = ClassicalRegister(len(measured), "meas")
            qc.add_register(creg)
            for i, (q, b) in enumerate(zip(measured, basis)):
                if b == "X":
                    qc.h(q)
                elif b == "Y":
                    qc.sdg(q)
                    qc.h(q)
                qc.measure(q, creg[i])
            if ordered:  # parameter columns follow qc.parameters (sorted by name)
                index = {p: c for c, p in enumerate(ordered)}
                pubs.append((qc, values[:, [index[p] for p in qc.parameters]]))
            else:
                pubs.append((qc, None))
            info.append(PubInfo(ti, float(t), basis, measured, n_steps))
    return Program(model, times, tuple(pubs), tuple(info), order, dephasing,
                   realizations if dephased and dephasing not in SIMULATOR_ONLY else 1, tuple(steps), bound)
