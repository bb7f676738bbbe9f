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

Encoded models (oscillators in binary, collective spins as Dicke states or in binary, see
:mod:`.encoding`) evolve on the code space W W^T.  An encoded jump W L W^T carries the
projector onto it and is no sum of qubit excitation numbers, but the dynamics never leaves the
code space (up to Trotter leakage, which the split error measures): each jump is emulated as
the diagonal L' = c + sum_k w_k n_k with L' W = W L, e.g. n_C beside Dicke-state batteries.

Jumps that are not diagonal dephasing (amplitude damping, thermal pumping, a collective S^-)
are emulated by ancilla collisions with reset (:mod:`.dissipation`) in the same slots; the
``ancillas`` option says whether each block of jumps has its own ancillas ("parallel"), all
share one register ("sequential"), or a simulator applies the channel ("channel").

Initial states: a computational basis state (X gates), a diagonal mixed state (thermal, Gibbs)
as a classical mixture drawn per realization (systematic sampling; RX(pi b) with bits b as
parameter rows, so the mixture's weights enter the realization bootstrap), a pure state
(state preparation: a coherent state of a binary-encoded oscillator, a dark state), or any other
mixed state by purification: state preparation of sum_k sqrt(l_k) |v_k> (x) |k> on the model
qubits and ceil(log2 rank) ancillas that are never touched again (the last circuit qubits).

Protocol events (Model.recharge_times): the step grid of a time point is split at the events
before it, each interval with its own symmetric steps, and the chargers are reset (+ X) between
two intervals' slots; the error bound is then the sum of the intervals' exact errors (each from
the exact state after its event; every averaged step is contractive).

Step counts: per time point the fewest steps whose split error is <= accuracy ("splitting"), or,
given the device's predicted fault probability per (time, steps), the count of least predicted
total error (:mod:`.noise_aware`; the splitting count is searched first and bounds it).

Cost before work: the circuit count, the random angles held in parameter arrays and the
two-qubit gates of the deepest circuit (estimated from the Pauli terms, first with the fewest
steps max_step allows, then with the step counts found) are checked against the limits below
before any circuit is built; ResourceError names the key to change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from qiskit import transpile
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate, StatePreparation
from qiskit.quantum_info import SparsePauliOp

from ..errors import InputError, ResourceError
from ..models import Jump, Model
from ..reference import evolve
from . import dissipation, noise_aware
from .dephasing import (
    DEPHASING,
    DETERMINISTIC,
    PER_REALIZATION_CIRCUITS,
    dephasing_channel,
    kick_angles,
    measurement_pattern,
    weak_angle,
)
from .encoding import COLLECTIVE_ENCODINGS, encode_qubits, encoded_width, encoding_isometry
from .noise_aware import StepChoice
from .trotter import (
    EXACT_LIMIT,
    LAB_FRAME_LIMIT,
    MAX_STEPS,
    _dephasing_decay,
    dissipation_constant,
    error_constant,
    exact_split_error,
    exact_steps,
    step_hamiltonian,
    steps_for,
    synthesis,
    two_qubit_gates_per_step,
)

MAX_QUBITS = 12
# Work limits, checked before any circuit is built (ResourceError naming the key to change).
# Circuits per program (times x 3^k bases, x realizations for "mcm"): each is synthesised,
# transpiled (up to seconds, see below) and sent as one PUB; 10 000 is far above a useful
# experiment (100 times x 81 bases of 4 measured qubits) and refuses a runaway grid at once.
MAX_CIRCUITS = 10_000
# Random angles in the parameter arrays, summed over PUBs (realizations x slots x jumps each:
# every PUB is serialised and bound with its own array): 5e7 float64 = 400 MB, and as many
# bound circuit executions per slot; beyond that the realizations, not the physics, dominate.
MAX_PARAMETER_VALUES = 50_000_000
# Default limit on two-qubit gates per circuit (CX/CZ before optimisation, about twice the
# count after transpiling at level 2).  At a two-qubit error of ~3e-3 (IBM Heron CZ) 2000 gates
# already leave ~e^-6 of the signal, so this is ten times past any device result while ideal
# Aer can still validate deep programs; a 16 000-CZ circuit takes ~1.5 s to transpile at level 2
# (tls_oscillator at t = 1.7, this machine), times 3^k bases per time point.
MAX_TWO_QUBIT_GATES = 20_000
TRANSPILE_BASIS = ("cz", "rz", "sx", "x")  # gate set of the "auto" collective-encoding comparison


@dataclass(frozen=True)
class PubInfo:
    """What one PUB measures: time index and value, Pauli basis per measured qubit
    (character i for measured qubit i), the measured qubits and the Trotter steps used."""

    time_index: int
    time: float
    basis: str
    measured_qubits: tuple[int, ...]
    steps: int
    axis: tuple[float, float, float] | None = None  # basis "axis": every measured qubit along it

    @property
    def setting(self):
        """The key of this PUB's counts in tomography data: the Pauli label, or the
        :class:`qbhw.tomography.settings.Axis` of an axis setting."""
        from ..tomography.settings import Axis

        return self.basis if self.axis is None else Axis(*self.axis)


@dataclass(frozen=True, eq=False)
class Program:
    """Circuits + parameter arrays (``pubs``) with their metadata (``info``; with "mcm"
    dephasing several PUBs share one (time, basis), one per realization); ``ancillas``: circuit
    qubits beyond the model's (the "weak" method's measured ancilla).  ``model`` is the
    encoded all-qubit model; ``collective_encoding`` says how its collective subsystems were
    encoded, ``encoding_costs`` (for "auto") the two-qubit gates of each encoding's last-time
    circuit transpiled to TRANSPILE_BASIS at optimization level 2.  ``dissipation``: the blocks
    of non-dephasing jumps (:mod:`.dissipation`) with their kind, qubits and ancillas;
    ``ancilla_use`` the ``ancillas`` option; ``splitting_order`` the order in dt of the
    averaged step (1 with first-order collisions, else 2 or the formula's); ``step_choices`` the
    noise-aware step choice per time point > 0 (:class:`.noise_aware.StepChoice`), None for
    splitting-only steps."""

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
    collective_encoding: str = "qubits"
    encoding_costs: Mapping[str, int] | None = None
    dissipation: tuple[Mapping, ...] = ()
    ancilla_use: str = "parallel"
    splitting_order: int | None = None
    step_choices: tuple[StepChoice, ...] | None = None  # noise-aware steps per time point > 0 (.noise_aware)

    @property
    def battery_levels(self):
        """(energies, multiplicities) over which the battery's ergotropy is computed, or None
        when H_B's own spectrum (``model.h_battery``) is the full one (encoding.py)."""
        return self.model.battery_levels


@dataclass(frozen=True)
class Dephased:
    """A dephasing jump emulated on the code space as L' = c + sum_k w_k n_k (diagonal, linear
    in the qubits' excitation numbers: e.g. an oscillator's n = sum_k 2^k n_k in binary, or
    n_C for a charger beside Dicke-state batteries) at rate gamma; the constant c drops out of
    the dissipator.  ``spread``: max - min of L' over the code space, so gamma spread^2 is the
    fastest coherence decay the dynamics sees.  ``qubit`` is set when L' = +-n_q on one qubit:
    only then can flips, measurements or the channel emulate it; kicks RZ(w_k phi) with one
    phi ~ N(0, gamma tau) emulate any such L'."""

    weights: tuple[tuple[int, float], ...]
    gamma: float
    spread: float

    @property
    def qubit(self) -> int | None:  # D[-n] = D[n]: the sign of the weight does not matter
        return self.weights[0][0] if len(self.weights) == 1 and abs(abs(self.weights[0][1]) - 1) < 1e-12 else None

    def operator(self, n: int) -> np.ndarray:
        """sum_k w_k n_k on n qubits (dense, diagonal)."""
        bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
        return np.diag(bits[:, [k for k, _ in self.weights]] @ np.array([w for _, w in self.weights]))


def _dephased(model: Model, isometry: np.ndarray | None, method: str) -> tuple[list[Dephased], list[Jump]]:
    """The encoded model's diagonal jumps emulated on the code space: L' diagonal with
    L' W = L W for each encoded jump L (W the encoding isometry, None for an unencoded qubit
    model), so L' preserves the code space and acts there as the original jump; and the jumps
    that no such L' matches (left to the dissipation's collisions).  InputError for jumps that
    ``method`` cannot emulate."""
    n, d = len(model.subsystems), model.dimension
    design = np.c_[np.ones(d), (np.arange(d)[:, None] >> np.arange(n)[None, :]) & 1]  # 1, then bit k of each state
    code = np.ones(d, bool) if isometry is None else np.abs(isometry).max(axis=1) > 1e-12
    if isometry is not None:
        rows = np.flatnonzero(code)
        cols = np.abs(isometry[rows]).argmax(axis=1)  # a level each code row belongs to
    out, unmatched = [], []
    for j in model.jumps:
        if j.rate == 0:
            continue
        op = np.asarray(j.operator)
        if isometry is None:
            values, target = np.diag(op), op
        else:
            target = op @ isometry
            values = target[rows, cols] / isometry[rows, cols]
        coef = np.linalg.lstsq(design[code], values.real, rcond=None)[0]
        fit = design @ coef
        emulated = np.diag(fit) if isometry is None else fit[:, None] * isometry
        if np.abs(emulated - target).max() > 1e-9:  # e.g. a level projector |j><j| in binary
            unmatched.append(j)
            continue
        weights = np.round(coef[1:], 12)  # least squares leaves ~1e-16 noise on exact weights like 2
        dephased = Dephased(tuple((k, float(w)) for k, w in enumerate(weights) if w != 0), float(j.rate),
                            float(np.ptp(fit[code])))
        if not dephased.weights:  # constant on the code space: D[c] = 0, nothing to emulate
            continue
        if dephased.qubit is None and method not in ("kicks", "none"):
            raise InputError("dephasing", f"jump {j.label!r} dephases several qubits (an encoded oscillator's "
                                          f"number operator): only dephasing='kicks' emulates it, not {method!r}")
        out.append(dephased)
    return out, unmatched


@dataclass(frozen=True, eq=False)
class Preparation:
    """How a circuit starts in the model's rho0: ``kind`` "basis" (state ``index``), "mixture"
    (a diagonal rho0: basis state k with probability ``probabilities[k]``, drawn per realization),
    "pure" (state preparation of ``vector``) or "purified" (any other mixed rho0 = sum_k l_k
    |v_k><v_k|: state preparation of sum_k sqrt(l_k) |v_k> (x) |k> on the model qubits and
    ``purifiers`` ancilla qubits, the higher bits of ``vector``, never touched again)."""

    kind: str
    index: int = 0
    probabilities: np.ndarray | None = None
    vector: np.ndarray | None = None
    purifiers: int = 0


def _preparation(model: Model) -> Preparation:
    """The :class:`Preparation` of the model's initial state."""
    rho0 = np.asarray(model.rho0)
    p = np.clip(np.real(np.diag(rho0)), 0.0, None)
    k = int(np.argmax(p))
    if abs(rho0[k, k] - 1) < 1e-9:
        return Preparation("basis", index=k)
    if np.abs(rho0 - np.diag(np.diag(rho0))).max() < 1e-12:
        return Preparation("mixture", probabilities=p / p.sum())
    values, vectors = np.linalg.eigh(rho0)
    if values[-1] > 1 - 1e-9:
        return Preparation("pure", vector=vectors[:, -1])
    kept = values > 1e-12
    weights, vectors = values[kept] / values[kept].sum(), vectors[:, kept]
    m = max(1, math.ceil(math.log2(weights.size)))
    psi = np.zeros((2**m, rho0.shape[0]), complex)  # row k: the ancillas' |k> (higher bits)
    psi[:weights.size] = (vectors * np.sqrt(weights)).T
    return Preparation("purified", vector=psi.reshape(-1), purifiers=m)


TOMOGRAPHY = ("battery", "battery+charger", "permutation")


def tomography_settings(tomography: str, k: int) -> list:
    """The measurement settings of ``k`` measured qubits: the 3^k Pauli bases ("battery",
    "battery+charger"), or for "permutation" the (k+1)(k+2)/2 directions of
    :func:`qbhw.tomography.permutation.pi_settings`, each measured on every qubit (Toth et al.,
    PRL 105, 250403 (2010); the permutation-invariant part of the battery state)."""
    if tomography != "permutation":
        return pauli_bases(k)
    if k < 2:
        raise InputError("tomography", "permutation-invariant tomography is for batteries of several qubits; "
                                       "use 'battery' for one")
    from ..tomography.permutation import pi_settings

    return [tuple(map(float, d)) for d in pi_settings(k)]


def pauli_bases(k: int) -> list[str]:
    """All 3^k measurement bases of k qubits, e.g. ["XX", "XY", ..., "ZZ"] for k = 2."""
    labels = [""]
    for _ in range(k):
        labels = [b + c for b in labels for c in "XYZ"]
    return labels


def _size_key(model: Model) -> str:
    """The model parameter that sets its qubit count (for InputError keys)."""
    if any(s.kind == "oscillator" for s in model.subsystems):
        return "n_max"
    return next((k for k in ("n_batteries", "n_spins", "n_cells", "n") if k in model.params), "model")


def _check_arguments(dephasing, tomography, realizations, accuracy, max_step, times, collective_encoding,
                     max_two_qubit_gates, ancillas, collision_time) -> np.ndarray:
    """InputError for malformed arguments; returns ``times`` as an array."""
    if dephasing not in DEPHASING:
        raise InputError("dephasing", f"got {dephasing!r}; dephasing must be one of {DEPHASING}")
    if ancillas not in dissipation.ANCILLAS:
        raise InputError("compile.ancillas", f"must be one of {dissipation.ANCILLAS}, got {ancillas!r}")
    if collision_time is not None and not collision_time > 0:
        raise InputError("compile.collision_time", f"must be > 0, got {collision_time!r}")
    if tomography not in TOMOGRAPHY:
        raise InputError("tomography", f"tomography must be one of {TOMOGRAPHY}, got {tomography!r}")
    if tomography == "permutation" and collective_encoding != "qubits":
        raise InputError("tomography", "permutation-invariant tomography measures every battery qubit; it needs "
                                       "collective_encoding = 'qubits'")
    if isinstance(realizations, bool) or not isinstance(realizations, (int, np.integer)) or realizations < 1:
        raise InputError("realizations", f"realizations must be an integer >= 1, got {realizations!r}")
    if not accuracy > 0:
        raise InputError("accuracy", f"accuracy must be > 0, got {accuracy!r}")
    if max_step is not None and not max_step > 0:
        raise InputError("max_step", f"max_step must be > 0 or None, got {max_step!r}")
    if collective_encoding not in COLLECTIVE_ENCODINGS + ("auto",):
        raise InputError("collective_encoding", f"must be one of {COLLECTIVE_ENCODINGS + ('auto',)}, "
                                                f"got {collective_encoding!r}")
    if isinstance(max_two_qubit_gates, bool) or not isinstance(max_two_qubit_gates, (int, np.integer)) \
            or max_two_qubit_gates < 0:
        raise InputError("compile.max_two_qubit_gates", f"must be an integer >= 0, got {max_two_qubit_gates!r}")
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)) or np.any(times < 0) \
            or np.any(np.diff(times) <= 0):
        raise InputError("times", "times must be a non-empty 1-D, finite, non-negative, strictly increasing sequence")
    return times


def _refuse_circuits(n_times: int, n_bases: int, per_realization: int) -> None:
    """ResourceError when the program would hold more than MAX_CIRCUITS circuits."""
    circuits = n_times * n_bases * per_realization
    if circuits <= MAX_CIRCUITS:
        return
    key = "realizations" if n_times * n_bases <= MAX_CIRCUITS else "times"
    raise ResourceError(key, f"{circuits} circuits ({n_times} times x {n_bases} measurement bases"
                             + (f" x {per_realization} realizations, one circuit each with 'mcm'" if per_realization > 1
                                else "") + f") exceed the limit of {MAX_CIRCUITS}; use fewer "
                             + ("realizations or another dephasing method" if key == "realizations" else "time points"))


def _floor_steps(times: np.ndarray, max_step: float | None) -> list[int]:
    """Fewest Trotter steps any accuracy allows: ceil(t / max_step), at least 1 for t > 0."""
    return [0 if t == 0 else max(1, math.ceil(t / max_step - 1e-9)) if max_step else 1 for t in times]


def compile_program(model: Model, times, *, order: int = 2, accuracy: float = 1e-2, max_step: float | None = 0.5,
                    dephasing: str = "kicks", realizations: int = 100, tomography: str = "battery",
                    seed: int | None = None, collective_encoding: str = "qubits",
                    max_two_qubit_gates: int = MAX_TWO_QUBIT_GATES, ancillas: str = "parallel",
                    collision_time: float | None = None,
                    fault_probability: Callable[[float, int], float] | None = None,
                    step_counts: Sequence[int] | None = None) -> Program:
    """Compile ``model`` at ``times`` (units 1/omega_B) into a Program (see module docstring).

    accuracy: target product-formula error bound per time point (trace norm); max_step: largest
    Trotter step (1/omega_B); realizations: dephasing realizations per circuit;
    collective_encoding: "qubits" (N physical qubits, Dicke states), "binary"
    (ceil(log2(N + 1)) qubits) or "auto" (both compiled, the one with fewer two-qubit gates
    kept, see Program.encoding_costs); max_two_qubit_gates: refuse (ResourceError) programs whose
    deepest circuit is estimated above it; ancillas: "parallel", "sequential" or "channel"
    (:mod:`.dissipation`); collision_time: largest step of programs with first-order collisions.
    fault_probability(t, k): predicted probability of a device fault in the placed circuit of
    time t with k steps; given, each time point gets the step count of least predicted total
    error (:mod:`.noise_aware`, at most the splitting-only count; ``Program.step_choices``),
    max_step notwithstanding; step_counts: explicit steps per time point instead of the search
    (both need a program without recharge events).  Bad input raises InputError, work beyond
    the module's limits ResourceError, both before any circuit is built.
    """
    times = _check_arguments(dephasing, tomography, realizations, accuracy, max_step, times, collective_encoding,
                             max_two_qubit_gates, ancillas, collision_time)
    gate_synthesis = synthesis(order)
    if collective_encoding == "auto":
        return _shallower_encoding(model, times, order=order, accuracy=accuracy, max_step=max_step,
                                   dephasing=dephasing, realizations=realizations, tomography=tomography, seed=seed,
                                   max_two_qubit_gates=max_two_qubit_gates, ancillas=ancillas,
                                   collision_time=collision_time, fault_probability=fault_probability,
                                   step_counts=step_counts)
    needed = sum(encoded_width(s, collective_encoding) for s in model.subsystems)
    if needed > MAX_QUBITS:
        raise InputError(_size_key(model), f"model {model.name!r} needs {needed} qubits; at most {MAX_QUBITS} "
                                           "are compiled (use fewer batteries or a smaller n_max)")
    original = model
    isometry = None if model.is_qubits else encoding_isometry(model, collective_encoding)
    model = encode_qubits(model, collective_encoding)  # oscillators in binary, collective spins by the encoding
    n = len(model.subsystems)
    start = _preparation(model)
    roles = model.battery + (model.charger if tomography == "battery+charger" else ())
    measured = tuple(sorted(roles))
    settings = tomography_settings(tomography, len(measured))
    n_bases = len(settings)
    diagonal, other = _split_jumps(model)
    dephased, unmatched = _dephased(replace(model, jumps=diagonal), isometry, dephasing) if dephasing != "none" \
        else ([], [])
    dissipated = [*other, *unmatched] if dephasing != "none" else []
    blocks = dissipation.blocks([(np.asarray(j.operator), j.rate, j.label) for j in dissipated])
    if blocks and model.dimension > EXACT_LIMIT:
        raise InputError(_size_key(model), f"model {model.name!r} has jumps that are not dephasing "
                                           f"({blocks[0].labels}); they are compiled up to Hilbert dimension "
                                           f"{EXACT_LIMIT} (got {model.dimension}): use a smaller model")
    weak = dephasing == "weak" and bool(dephased)
    units = dissipation.units(blocks, n + int(weak), ancillas)
    width = n + int(weak) + dissipation.ancilla_count(units) + start.purifiers  # purifiers: the last qubits
    if width > MAX_QUBITS:
        purified = f", {start.purifiers} purifying the mixed initial state" if start.purifiers else ""
        raise ResourceError("compile.ancillas", f"{width} qubits ({n} model, {width - n - start.purifiers} ancillas "
                                                f"for {len(blocks)} blocks of jumps{purified}) exceed the limit of "
                                                f"{MAX_QUBITS}; use ancillas='sequential' (one shared register), fewer "
                                                "jumps or a purer initial state")
    randomized = (bool(dephased) and dephasing not in DETERMINISTIC) or start.kind == "mixture"
    per_realization = bool(dephased) and dephasing in PER_REALIZATION_CIRCUITS
    _refuse_circuits(times.size, n_bases, realizations if per_realization else 1)
    h_rot = model.rotating_frame()  # None: piecewise-constant lab-frame steps (trotter.step_hamiltonian)
    frame = "lab" if h_rot is None else "rotating"
    if h_rot is None and not model.drives:
        h_rot = np.asarray(model.h0)
    if h_rot is None and model.dimension > LAB_FRAME_LIMIT:
        raise InputError("model", f"model {model.name!r} has a drive that no rotating frame removes; lab-frame "
                                  f"steps are compiled up to Hilbert dimension {LAB_FRAME_LIMIT} (got "
                                  f"{model.dimension}): use a resonant, excitation-conserving drive or a smaller model")
    # fastest coherence decay on the code space: gamma (max L' - min L')^2
    gamma_max = max((d.gamma * d.spread**2 for d in dephased), default=0.0)
    terms = _step_terms(model, h_rot)
    per_step = two_qubit_gates_per_step(terms, order)
    per_slot = 2 * len(dephased) if dephasing == "weak" else 0  # one controlled RY (2 CX) per jump and slot
    if ancillas != "channel":
        per_slot += sum(u.two_qubit_gates(n, order) for u in units)
    angle_rows = randomized and not per_realization  # realizations as parameter rows
    parameters_per_slot = len(dephased) * realizations if angle_rows else 0

    def refuse_work(steps: list[int], at_least: bool) -> None:
        """Step limit (InputError), gates and parameter memory (ResourceError) of ``steps``;
        ``at_least``: the counts are lower bounds (the step search stopped early)."""
        _refuse_steps(steps, times, accuracy, max_step, gamma_max, at_least)
        deepest = int(np.argmax(steps))
        gates = per_step * steps[deepest] + per_slot * (steps[deepest] + 1)
        if gates > max_two_qubit_gates:
            raise ResourceError("compile.max_two_qubit_gates", (
                f"the deepest circuit (t = {times[deepest]:g}: {steps[deepest]} Trotter steps of {per_step} two-qubit "
                f"gates each) needs {'at least' if at_least else 'about'} {gates} two-qubit gates (CX/CZ before "
                f"optimisation), above the limit of {max_two_qubit_gates}; shorten the final time, relax accuracy "
                "or raise max_step (fewer steps), or raise max_two_qubit_gates"))
        values = parameters_per_slot * n_bases * sum(s + 1 for s in steps if s)
        if values > MAX_PARAMETER_VALUES:
            raise ResourceError("realizations", f"{realizations} realizations need {'at least ' if at_least else ''}"
                                                f"{values:.3g} random angles over {times.size * n_bases} circuits "
                                                f"(limit {MAX_PARAMETER_VALUES:.3g}, "
                                                f"{8 * MAX_PARAMETER_VALUES / 1e6:.0f} MB): use fewer realizations "
                                                "or fewer time points")

    def gate(h_step: np.ndarray, dt: float) -> PauliEvolutionGate:
        return PauliEvolutionGate(model.pauli(h_step), time=dt, synthesis=gate_synthesis)

    collisions = [b for b in blocks if b.kind == "collision"]
    if collisions and collision_time is not None:
        max_step = min(max_step, collision_time) if max_step else collision_time
    floor = _floor_steps(times, max_step)
    _refuse_collisions(collisions, times, floor)
    refuse_work(floor, at_least=True)  # before the step search, which may itself be slow
    # largest step count that passes the limits: the step search stops beyond it
    cap = max(0, min(MAX_STEPS, (max_two_qubit_gates - per_slot) // (per_step + per_slot) if per_step + per_slot
                     else MAX_STEPS))
    events = model.recharge_times
    if (step_counts is not None or fault_probability is not None) and events:
        raise InputError("compile.steps", f"model {model.name!r} recharges its chargers at {list(events)}: its steps "
                                          "are searched per interval between events; use steps = 'splitting'")
    if step_counts is not None and (len(step_counts) != times.size or any(
            int(k) != k or k < (t > 0) or (t == 0 and k) for k, t in zip(step_counts, times))):
        raise InputError("compile.step_counts", f"need one integer per time point, >= 1 for t > 0 and 0 at t = 0; "
                                                f"got {list(step_counts)} for {times.size} times")
    if model.dimension <= EXACT_LIMIT:
        # the circuits' averaged evolution (emulated jumps L') against the exact states of the
        # model as given, on the code space: the two agree wherever the steps do not leak
        emulated = replace(model, jumps=tuple(Jump(d.operator(n), d.gamma) for d in dephased))
        grid = np.union1d(times, [e for e in events if e < times[-1]])
        exact = dict(zip(grid, _exact_states(original if dephasing != "none" else replace(original, jumps=()), grid,
                                             isometry, frame)))
        slot = _slot_channel(emulated, units, n, gate_synthesis)
        rate = 1 if collisions else None
        searched: dict[tuple[float, float, float], tuple[int, float]] = {}

        def segment(begin: float, end: float, share: float) -> tuple[int, float]:
            """Steps and exact error of one interval between events, from the exact state after
            the event at ``begin``; errors add up over intervals (every step is contractive)."""
            if (begin, end, share) not in searched:
                start_state = model.rho0 if begin == 0 else model.recharged(exact[begin])
                searched[begin, end, share] = exact_steps(replace(emulated, rho0=start_state), h_rot, gate, order,
                                                          end - begin, share, max_step, limit=cap, exact=exact[end],
                                                          slot=slot, rate=rate)
            return searched[begin, end, share]

        def split_error(t: float, k: int) -> float:
            return exact_split_error(emulated, h_rot, gate, order, t, k, exact=exact[t], slot=slot)

        plans, bound = [], []
        for ti, t in enumerate(times):
            intervals = _intervals(float(t), events)
            if step_counts is not None:
                found = [(int(step_counts[ti]), split_error(float(t), int(step_counts[ti])))] if intervals else []
            else:
                found = [segment(b, e, accuracy / len(intervals)) for b, e in intervals]
            plans.append([(b, e, k) for (b, e), (k, _) in zip(intervals, found)])
            bound.append(sum(err for _, err in found))
            if sum(k for k, _ in found) > cap:
                break
        at_least = sum(k for _, _, k in plans[-1]) > cap
    else:
        t_last = float(times[-1])
        # a constant above ``stop`` means more than cap steps at t_last (refused below): stop early
        stop = accuracy * (cap + 1) ** order / t_last ** (order + 1) if t_last > 0 else math.inf
        const = error_constant(terms, order, gamma_max, stop_above=stop)
        # order 4: the kicks' splitting of the dissipator stays second order (t^3 / n^2)
        dis = dissipation_constant(float(np.linalg.norm(terms.to_matrix(), 2)), gamma_max) if order == 4 and gamma_max else 0.0

        def split_error(t: float, k: int) -> float:
            return const * t ** (order + 1) / k**order + dis * t**3 / k**2

        plans, bound = [], []
        for ti, t in enumerate(times):
            intervals = _intervals(float(t), events)
            share = accuracy / max(1, len(intervals))
            plans.append([(b, e, int(step_counts[ti]) if step_counts is not None else
                           steps_for(e - b, const, order, share, max_step, dis)) for b, e in intervals])
            bound.append(sum(split_error(e - b, k) for b, e, k in plans[-1]))
        at_least = const > stop and step_counts is None
    steps, bound = [sum(k for _, _, k in plan) for plan in plans], tuple(bound)
    refuse_work(steps, at_least)
    choices = None
    if fault_probability is not None:  # splitting-only counts first (refused above if too deep), then the trade-off
        choices = tuple(noise_aware.choose_steps(float(t), k, lambda j, t=float(t): split_error(t, j),
                                                 lambda j, t=float(t): fault_probability(t, j), accuracy,
                                                 k_min=f if collisions else 1)
                        for t, k, f in zip(times, steps, floor) if k)
        chosen = {c.time: c for c in choices}
        plans = [[(0.0, float(t), chosen[float(t)].steps)] if k else [] for t, k in zip(times, steps)]
        bound = tuple(chosen[float(t)].split_error if k else 0.0 for t, k in zip(times, steps))
        steps = [chosen[float(t)].steps if k else 0 for t, k in zip(times, steps)]
    rng = np.random.default_rng(seed)
    ancilla_qubits = tuple(range(n, width))
    pieces = dissipation.Pieces(units, n, gate_synthesis, ancillas)
    pubs, info = [], []
    recharge = _recharge_circuit(model) if events else None
    for ti, (t, n_steps, plan) in enumerate(zip(times, steps, plans)):
        # per interval between recharges, slot durations dt/2, dt, ..., dt, dt/2 (merged half
        # slots; none at t = 0) around its steps; a recharge circuit between intervals.  The
        # synthesized product formula, not the PauliEvolutionGate itself: Statevector and
        # Operator apply that gate as the exact exponential, Aer as the product formula
        durations, slot_index, step_circuits = [], [], []
        for begin, end, k in plan:
            dt = (end - begin) / k
            durations += [dt / 2, *[dt] * (k - 1), dt / 2]
            slot_index += list(range(k + 1))  # as exact_steps numbers them (units reversed in odd slots)
            if step_circuits:
                step_circuits.append(recharge)
            if h_rot is not None:
                step_circuits += [gate(h_rot, dt).definition] * k
            else:
                step_circuits += [gate(step_hamiltonian(model, None, begin + (j + 0.5) * dt), dt).definition
                                  for j in range(k)]
        durations = np.asarray(durations, dtype=float)
        evolution = _Evolution(n, width, len(measured), start, step_circuits, durations, slot_index, dephased,
                               dephasing, pieces)
        kicked = bool(dephased and n_steps) and dephasing not in DETERMINISTIC
        draws = _systematic_draws(rng, start.probabilities, realizations) if start.kind == "mixture" else None
        if kicked and per_realization:
            variants = [(evolution.build(patterns=[measurement_pattern(rng, d.gamma, durations) for d in dephased],
                                         start=None if draws is None else int(draws[r])), None)
                        for r in range(realizations)]
        elif kicked or draws is not None:
            params = ([[Parameter(f"phi_{j}_{i}") for i in range(durations.size)] for j in range(len(dephased))]
                      if kicked else [])
            columns = [kick_angles(rng, dephasing, d.gamma, durations, realizations) for d in dephased] if kicked else []
            bits = [Parameter(f"init_{q}") for q in range(n)] if draws is not None else []
            if bits:
                columns.append(np.pi * ((draws[:, None] >> np.arange(n)[None, :]) & 1))
            values = np.concatenate(columns, axis=1)
            qc = evolution.build(params=params or None, start_bits=bits or None)
            column = {p: c for c, p in enumerate([p for row in params for p in row] + bits)}
            variants = [(qc, values[:, [column[p] for p in qc.parameters]])]  # columns follow qc.parameters
        else:
            variants = [(evolution.build(), None)]
        for basis in settings:
            for qc, values in variants:
                pubs.append((with_tomography(qc, measured, basis), values))
                info.append(PubInfo(ti, float(t), basis, measured, n_steps) if isinstance(basis, str) else
                            PubInfo(ti, float(t), "axis", measured, n_steps, axis=tuple(map(float, basis))))
    return Program(model, times, tuple(pubs), tuple(info), order, dephasing, realizations if randomized else 1,
                   tuple(steps), bound, ancilla_qubits, collective_encoding,
                   dissipation=tuple(u.report() for u in units), ancilla_use=ancillas,
                   splitting_order=1 if collisions else (min(order, 2) if blocks or dephased else order),
                   step_choices=choices)


def _intervals(t: float, events: tuple[float, ...]) -> list[tuple[float, float]]:
    """(begin, end) of the evolution between the recharge events strictly before t (none at t = 0)."""
    bounds = [0.0, *(e for e in events if e < t), t]
    return [] if t == 0 else list(pairwise(bounds))


def _recharge_circuit(model: Model) -> QuantumCircuit:
    """Model.recharged on the circuit: reset the charger qubits, X where their initial state has a 1
    (InputError unless the chargers start in one basis state)."""
    chargers = model.charger
    p = np.real(np.diag(model.reduce(model.rho0, "charger")))
    k = int(np.argmax(p))
    if abs(p[k] - 1) > 1e-9:
        raise InputError("model", f"model {model.name!r} recharges chargers that start in a superposition or mixture; "
                                  "the circuits re-prepare basis states only (reset + X)")
    qc = QuantumCircuit(len(model.subsystems), name="recharge")
    for i, q in enumerate(chargers):  # bit i of k: charger i (the reduced state's lowest index rightmost)
        qc.reset(q)
        if (k >> i) & 1:
            qc.x(q)
    return qc


def _systematic_draws(rng: np.random.Generator, probabilities: np.ndarray, m: int) -> np.ndarray:
    """m basis states drawn from ``probabilities`` by systematic sampling (positions (k + u)/m,
    one uniform u): each draw is marginally exact, and state k appears floor or ceil of m p_k
    times, so the mixture adds no more than 1/m of scatter (plain i.i.d. draws: sqrt(p (1-p) / m)).
    The realization bootstrap treats them as independent, which overstates that scatter."""
    positions = (np.arange(m) + rng.random()) / m
    return np.minimum(np.searchsorted(np.cumsum(probabilities), positions, side="right"), probabilities.size - 1)


def _split_jumps(model: Model) -> tuple[tuple[Jump, ...], tuple[Jump, ...]]:
    """The encoded model's active jumps: (diagonal in the qubit basis: dephasing, the rest)."""
    active = [j for j in model.jumps if j.rate > 0]
    diagonal = tuple(j for j in active if np.abs(j.operator - np.diag(np.diag(j.operator))).max() < 1e-12)
    return diagonal, tuple(j for j in active if not any(j is d for d in diagonal))


def _refuse_collisions(collisions, times: np.ndarray, floor: list[int]) -> None:
    """InputError when a first-order collision's expansion parameter r tau ||L||^2 exceeds
    dissipation.MAX_ANGLE2 at the longest step."""
    for b in collisions:
        for t, s in zip(times, floor):
            if s and b.angle2(t / s) > dissipation.MAX_ANGLE2:
                limit = dissipation.MAX_ANGLE2 * (t / s) / b.angle2(t / s)
                raise InputError("compile.collision_time", (
                    f"jump {b.labels!r}: rate x step x ||L||^2 = {b.angle2(t / s):.2g} at step {t / s:g} exceeds "
                    f"{dissipation.MAX_ANGLE2:g}, where the first-order collision expansion breaks down; use "
                    f"collision_time (and max_step) <= {limit:.3g}"))


def _slot_channel(emulated: Model, units, n: int, gate_synthesis):
    """(rho, tau, slot index) -> one averaged slot on the n model qubits: the dephasing's
    exact channel, then the dissipation units as the circuit applies them."""
    decay: dict[float, np.ndarray] = {}
    dissipate = dissipation.slot_map(units, n, gate_synthesis)

    def slot(rho: np.ndarray, tau: float, index: int) -> np.ndarray:
        if tau not in decay:
            decay[tau] = _dephasing_decay(emulated, tau)
        return dissipate(decay[tau] * rho, tau, index)
    return slot


def _exact_states(model: Model, times: np.ndarray, isometry: np.ndarray | None, frame: str) -> np.ndarray:
    """reference.evolve's states of the unencoded ``model`` at ``times`` in ``frame``, on the
    encoded qubits (W rho W^T); truncation is the model's business, not the compiler's."""
    states = evolve(model, times, frame=frame, full_state=True, truncation_tol=1.0).states
    return states if isometry is None else isometry @ states @ isometry.T


def _step_terms(model: Model, h_rot: np.ndarray | None):
    """Pauli terms a Trotter step synthesises: those of ``h_rot``, or, for lab-frame steps,
    every term H(t) can hold (static part and both quadratures of each drive)."""
    if h_rot is not None:
        return model.pauli(h_rot)
    quadratures = [(d.operator + d.operator.conj().T, 1j * (d.operator - d.operator.conj().T)) for d in model.drives]
    parts = [np.asarray(model.h0)] + [q for pair in quadratures for q in pair]
    labels = set().union(*(model.pauli(p).paulis.to_labels() for p in parts))
    return SparsePauliOp(sorted(labels))


def _refuse_steps(steps, times, accuracy, max_step, gamma_max, at_least) -> None:
    """InputError naming what to change when a time point needs more than MAX_STEPS steps."""
    deepest = int(np.argmax(steps))
    if steps[deepest] <= MAX_STEPS:
        return
    t = times[deepest]
    forced = bool(max_step) and t / max_step > MAX_STEPS  # max_step alone asks for too many steps
    split = (f"; at the step limit gamma*dt = {gamma_max * t / MAX_STEPS:.2g}: the kicks between Hamiltonian steps "
             "no longer track dephasing acting during them" if gamma_max else "")
    advice = ("raise max_step or shorten the final time (times)" if forced else
              "relax accuracy, shorten the final time (times)" + (" or lower the dephasing rate" if gamma_max else ""))
    raise InputError("max_step" if forced else "accuracy",
                     f"{'at least ' if at_least else ''}{steps[deepest]} Trotter steps would be needed at t = {t:g} "
                     f"for accuracy {accuracy:g}" + (f" and max_step {max_step:g}" if max_step else "")
                     + f" (limit {MAX_STEPS}{split}); {advice}")


def _two_qubit_count(program: Program) -> int:
    """Two-qubit gates of the last time point's first circuit transpiled to TRANSPILE_BASIS
    (optimization level 2, no coupling map); Kraus channels ("channel") are left out."""
    last = next(i for i, info in enumerate(program.info) if info.time_index == program.times.size - 1)
    qc = program.pubs[last][0]
    unitary = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name != "kraus":
            unitary.append(inst)
    isa = transpile(unitary, basis_gates=list(TRANSPILE_BASIS), optimization_level=2, seed_transpiler=0)
    return sum(1 for inst in isa.data if inst.operation.num_qubits == 2)


def _shallower_encoding(model: Model, times, **options) -> Program:
    """collective_encoding="auto": compile both encodings of the collective subsystems and keep
    the one whose last-time circuit has fewer two-qubit gates (both counts recorded); an
    encoding that is refused (too many qubits or gates) leaves the other."""
    if not any(s.kind == "collective" and s.dim > 2 for s in model.subsystems):
        return compile_program(model, times, collective_encoding="qubits", **options)
    programs, refusals = {}, []
    for encoding in COLLECTIVE_ENCODINGS:
        try:
            programs[encoding] = compile_program(model, times, collective_encoding=encoding, **options)
        except InputError as refused:
            refusals.append(refused)
    if not programs:
        raise refusals[0]
    costs = {encoding: _two_qubit_count(p) for encoding, p in programs.items()}
    return replace(programs[min(costs, key=costs.get)], encoding_costs=costs)


class _Evolution:
    """Builds the time evolution of one time point: state preparation, then n_steps
    product-formula steps with a dephasing + dissipation slot before, between and after them
    (``steps`` may hold recharge circuits: between two intervals' slots; ``slot_index``
    numbers the slots within their interval).
    The "meas" register comes first (clbits 0..k-1, filled by ``with_tomography``); mid-circuit
    outcomes ("mcm", "weak") go to registers after it."""

    def __init__(self, n_model, width, k, start, steps, durations, slot_index, dephased, method, pieces):
        self.n_model, self.width, self.k, self.start, self.steps = n_model, width, k, start, steps
        self.durations, self.slot_index = durations, slot_index
        self.dephased, self.method, self.pieces = dephased, method, pieces

    def _prepare(self, qc: QuantumCircuit, start: int | None, start_bits) -> None:
        """Initial state: basis state ``start`` (X gates), RX(pi b) bits as parameters (a
        mixture drawn per realization), or the model's own preparation (pure, or purified on
        the last qubits)."""
        if start_bits is not None:
            for q, bit in enumerate(start_bits):
                qc.rx(bit, q)
            return
        p = self.start
        if start is None and p.kind == "pure":
            qc.append(StatePreparation(p.vector), range(self.n_model))
            return
        if p.kind == "purified":
            qc.append(StatePreparation(p.vector), [*range(self.n_model), *range(self.width - p.purifiers, self.width)])
            return
        index = p.index if start is None else start
        for q in (q for q in range(self.n_model) if (index >> q) & 1):  # qubit q = bit q
            qc.x(q)

    def build(self, params=None, patterns=None, start: int | None = None, start_bits=None) -> QuantumCircuit:
        n_model = self.n_model
        qc = QuantumCircuit(self.width)
        qc.add_register(ClassicalRegister(self.k, "meas"))
        self._prepare(qc, start, start_bits)
        slots = self.durations.size
        extra = None
        if self.method == "weak" and self.dephased and slots:
            extra = ClassicalRegister(slots * len(self.dephased), "weak")
        elif patterns is not None and sum(int(p.sum()) for p in patterns):
            extra = ClassicalRegister(sum(int(p.sum()) for p in patterns), "mcm")
        if extra is not None:
            qc.add_register(extra)
        bit = iter(extra) if extra is not None else None
        dirty: set[int] = set()  # ancillas used since their last reset
        for s in range(slots):
            for j, d in enumerate(self.dephased):
                tau, q = self.durations[s], d.qubit
                if self.method == "channel":
                    qc.append(dephasing_channel(d.gamma, tau), [q])
                elif self.method == "weak":
                    ancilla = n_model
                    qc.cry(weak_angle(d.gamma, tau), q, ancilla)
                    qc.measure(ancilla, next(bit))
                    qc.reset(ancilla)
                elif patterns is not None:
                    if patterns[j][s]:
                        qc.measure(q, next(bit))
                elif params is not None:  # RZ(w phi) on each qubit: exp(i phi L) up to a global phase
                    for k, w in d.weights:
                        qc.rz(params[j][s] if w == 1 else w * params[j][s], k)
            self.pieces.apply(qc, float(self.durations[s]), dirty, self.slot_index[s])
            if s < slots - 1:
                qc.compose(self.steps[s], qubits=range(n_model), inplace=True)
        return qc


def rotate_to_z(qc: QuantumCircuit, qubit: int, axis) -> None:
    """Append to ``qc`` the rotation after which a Z measurement of ``qubit`` measures
    sigma . ``axis`` (unit vector (x, y, z), qiskit's Bloch convention: +1 = outcome 0):
    RZ(-phi) then RY(-theta), theta and phi the axis's polar and azimuthal angles."""
    x, y, z = (float(v) for v in np.asarray(axis, dtype=float) / np.linalg.norm(axis))
    qc.rz(-float(np.arctan2(y, x)), qubit)
    qc.ry(-float(np.arctan2(np.hypot(x, y), z)), qubit)


def with_axes(program: Program, axes) -> Program:
    """``program`` with one more setting per time point: its single measured qubit measured
    along ``axes[time_index]`` (unit 3-vectors; the adaptive estimator's optimal axis,
    :mod:`qbhw.estimation.adaptive`), a sibling of every Z-basis PUB with the same parameter
    rows (realizations), PubInfo basis "axis"."""
    if len(program.info[0].measured_qubits) != 1:
        raise ValueError("an extra measurement axis is defined for one measured qubit")
    pubs, info = list(program.pubs), list(program.info)
    for (qc, values, *_), i in zip(program.pubs, program.info):
        if i.basis == "Z":
            axis = tuple(float(v) for v in np.asarray(axes[i.time_index], float) / np.linalg.norm(axes[i.time_index]))
            pubs.append((with_tomography(_evolution_of(qc), i.measured_qubits, axis), values))
            info.append(replace(i, basis="axis", axis=axis))
    return replace(program, pubs=tuple(pubs), info=tuple(info))


def _evolution_of(measured_circuit: QuantumCircuit) -> QuantumCircuit:
    """A Z-basis tomography circuit without its final measurements into "meas"."""
    qc = measured_circuit.copy()
    meas = set(qc.cregs[0])
    while qc.data and qc.data[-1].operation.name == "measure" and qc.data[-1].clbits[0] in meas:
        qc.data.pop()
    return qc


def with_tomography(evolution: QuantumCircuit, measured, basis) -> QuantumCircuit:
    """``evolution`` followed by the rotations of ``basis`` and the measurements of the
    measured qubits into "meas": a Pauli label (character i for measured qubit i) or an axis
    (unit 3-vector, every measured qubit rotated by :func:`rotate_to_z`)."""
    qc = evolution.copy()
    meas = qc.cregs[0]
    if not isinstance(basis, str):
        for i, q in enumerate(measured):
            rotate_to_z(qc, q, basis)
            qc.measure(q, meas[i])
        return qc
    for i, (q, b) in enumerate(zip(measured, basis)):
        if b == "X":
            qc.h(q)
        elif b == "Y":
            qc.sdg(q)
            qc.h(q)
        qc.measure(q, meas[i])
    return qc
