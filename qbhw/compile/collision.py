"""Heat-engine chargers as a collision model: engine qubits are prepared, interact with the
batteries for one collision, and are reset, over and over (physics.md M5).

Each collision of duration tau: every engine qubit is reset to |0>, rotated by RY(theta) with
sin^2(theta/2) = p1 = 1 / (1 + e^{beta_e omega_0}) (population inversion for beta_e < 0), and its
coherence removed, leaving the engine's thermal state diag(p0, p1), by one of
    "measure": a mid-circuit measurement of the engine (deterministic: no realizations; one
               measurement per engine and collision, ~1.5 us on IBM hardware), or
    "flips":   a random Z flip with probability 1/2 (a parameter bound per realization; virtual
               on IBM hardware, but the realizations scatter: ~0.2 in E_B each),
    "kicks":   a random RZ(phi), phi uniform in [0, 2 pi) (parameter rows like "flips"; the
               full-strength limit of the Gaussian kicks of ``dephasing.py``),
then all engines and the N battery qubits evolve for tau under the lecture's resonant coupling
(interaction picture, so omega_0 drops out)

    K = sum_j i (J / sqrt N) (sigma_Ej^+ S^- - sigma_Ej^- S^+),   S^- = sum_k sigma_Bk^-,

through one second-order product-formula step.  To second order in J tau each collision maps the
batteries by rho -> rho + J^2 tau^2 (p0 D[S^-] + p1 D[S^+]) rho (engine cross terms vanish on the
averaged, coherence-free engines), so J = sqrt(Gamma_e / (p0 tau)) reproduces the effective
equation of ``heat_engine_chargers``

    drho/dt = Gamma_e (D[S^-] + e^{-beta_e omega_0} D[S^+]) rho

with an error that vanishes as tau -> 0 (first order in Gamma_e tau).  The batteries are N
physical qubits starting in |0...0>, which stays in the symmetric sector; their tomography is
over all 3^N Pauli bases.

``Program.error_bound`` is exact: the trace-norm distance between the battery state after the
ensemble-averaged collisions (each Tr_E[U (sigma_E (x) rho_B) U^dag], U the synthesized step)
and the effective equation's exact state, both on the N battery qubits.
"""

from __future__ import annotations

import math

import numpy as np
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate

from ..models import Model
from ..models.base import Subsystem
from ..models.operators import basis_projector, embed, lowering, number, product_state
from .program import Program, PubInfo, pauli_bases, with_tomography
from .trotter import synthesis

MAX_ENGINES = 3  # 2N qubits, 3^N tomography bases


def collision_qubits(n: int, gamma_e: float, p0: float, tau: float, omega_0: float) -> Model:
    """The circuit's qubits as a Model: engines 0..N-1 (role "charger"), batteries N..2N-1,
    h0 = the collision coupling K for a collision of duration tau (interaction picture),
    h_battery = omega_0 sum_k n_Bk; no drives or jumps (the resets are the dissipation)."""
    dims = (2,) * (2 * n)
    coupling = math.sqrt(gamma_e / (p0 * tau)) if gamma_e > 0 else 0.0
    s_minus = sum(embed(lowering(2), n + k, dims) for k in range(n))
    k_op = sum(1j * (coupling / math.sqrt(n)) * (embed(lowering(2).T, j, dims) @ s_minus
                                                  - embed(lowering(2), j, dims) @ s_minus.conj().T) for j in range(n))
    battery_dims = (2,) * n
    return Model(
        name="heat_engine_collisions",
        subsystems=tuple(Subsystem(f"engine_{j}", "charger", 2, "qubit", omega_0) for j in range(n))
        + tuple(Subsystem(f"battery_{k}", "battery", 2, "qubit", omega_0) for k in range(n)),
        h0=k_op, drives=(), jumps=(),
        h_battery=omega_0 * sum(embed(number(2), k, battery_dims) for k in range(n)),
        h_charger=omega_0 * sum(embed(number(2), j, battery_dims) for j in range(n)),
        rho0=product_state([basis_projector(2, 0)] * (2 * n)),
        number_operator=sum(embed(number(2), k, dims) for k in range(2 * n)),
        params=dict(n=n, gamma_e=gamma_e, p0=p0, collision_time=tau, coupling=coupling))


PREPARATION = ("measure", "flips", "kicks")
RANDOM_PREPARATION = ("flips", "kicks")


def compile_collisions(model: Model, times, *, collision_time: float = 0.05, preparation: str = "measure",
                       realizations: int = 100, seed: int | None = None) -> Program:
    """Program for ``heat_engine_chargers(n, beta_e_omega_0, gamma_e)`` (n <= MAX_ENGINES) at
    ``times`` (units 1/omega_0) as a collision model (module doc).  collision_time: the largest
    collision duration tau; each time point uses t / ceil(t / tau).  preparation: how the engines
    lose their coherence ("measure" or "flips", module doc); with "flips" the realizations are
    parameter rows.  The returned Program's model is the circuit's qubits
    (:func:`collision_qubits` at the requested tau), so its analysis gives N-qubit battery states."""
    if model.name != "heat_engine_chargers":
        raise ValueError(f"compile_collisions compiles heat_engine_chargers models, not {model.name!r}")
    n, b = model.params["n"], model.params["beta_e_omega_0"]
    gamma_e, omega_0 = model.params["gamma_e"], model.params["omega_0"]
    if n > MAX_ENGINES:
        raise ValueError(f"n = {n} engines need {2 * n} qubits and {3 ** n} tomography bases; at most "
                         f"{MAX_ENGINES} engines are compiled")
    if not collision_time > 0:
        raise ValueError(f"collision_time must be > 0, got {collision_time!r}")
    if preparation not in PREPARATION:
        raise ValueError(f"preparation must be one of {PREPARATION}, got {preparation!r}")
    if not isinstance(realizations, int) or isinstance(realizations, bool) or realizations < 1:
        raise ValueError(f"realizations must be an integer >= 1, got {realizations!r}")
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a 1-D, non-negative, strictly increasing sequence")
    p1 = 1.0 / (1.0 + math.exp(b))
    p0 = 1.0 - p1
    if gamma_e * collision_time / p0 > 0.5:
        raise ValueError(f"collision_time {collision_time:g}: J tau = sqrt(Gamma_e tau / p0) = "
                         f"{math.sqrt(gamma_e * collision_time / p0):.2f} is not small; the collision model "
                         "only matches the effective equation for Gamma_e tau / p0 << 1 (lower collision_time)")
    theta = 2 * math.asin(math.sqrt(p1))
    engines, batteries = list(range(n)), list(range(n, 2 * n))
    rng = np.random.default_rng(seed)
    pubs, info, steps = [], [], []
    for ti, t in enumerate(times):
        n_coll = math.ceil(t / collision_time - 1e-9) if t > 0 else 0
        steps.append(n_coll)
        qc = QuantumCircuit(2 * n)
        qc.add_register(ClassicalRegister(n, "meas"))
        flipped = preparation in RANDOM_PREPARATION and n_coll > 0
        flips = [[Parameter(f"flip_{j}_{c}") for c in range(n_coll)] for j in engines] if flipped else None
        if preparation == "measure" and n_coll:
            engine_record = ClassicalRegister(n * n_coll, "engines")
            qc.add_register(engine_record)
        if n_coll:
            tau = t / n_coll
            h = collision_qubits(n, gamma_e, p0, tau, omega_0)
            step = PauliEvolutionGate(h.pauli(h.h0), time=tau, synthesis=synthesis(2)).definition
            for c in range(n_coll):
                if c:
                    qc.reset(engines)
                for j in engines:
                    qc.ry(theta, j)
                    if flipped:
                        qc.rz(flips[j][c], j)
                    else:
                        qc.measure(j, engine_record[c * n + j])
                qc.compose(step, qubits=range(2 * n), inplace=True)
        values = None
        if flipped:
            shape = (realizations, n * n_coll)
            angles = np.pi * (rng.random(shape) < 0.5) if preparation == "flips" else 2 * np.pi * rng.random(shape)
            column = {p: k for k, p in enumerate(p for row in flips for p in row)}
            values = angles[:, [column[p] for p in qc.parameters]]
        for basis in pauli_bases(n):
            pubs.append((with_tomography(qc, batteries, basis), values))
            info.append(PubInfo(ti, float(t), basis, tuple(batteries), n_coll))
    qubits = collision_qubits(n, gamma_e, p0, collision_time, omega_0)
    errors = tuple(collision_error(model, p0, t, c) for t, c in zip(times, steps))
    return Program(qubits, times, tuple(pubs), tuple(info), 2, f"collisions ({preparation})",
                   realizations if preparation in RANDOM_PREPARATION else 1, tuple(steps), errors)


def collision_error(model: Model, p0: float, time: float, collisions: int) -> float:
    """Trace-norm distance on the N battery qubits between ``collisions`` averaged collisions of
    duration time/collisions (module doc) and the effective equation's exact state at ``time``."""
    from qiskit.quantum_info import Operator
    from scipy.linalg import expm

    from ..reference.liouvillian import liouvillian
    from .encoding import dicke_isometry

    n, omega_0, gamma_e = model.params["n"], model.params["omega_0"], model.params["gamma_e"]
    w = dicke_isometry(n)
    rho = w @ np.asarray(model.rho0) @ w.T
    if collisions:
        tau = time / collisions
        h = collision_qubits(n, gamma_e, p0, tau, omega_0)
        u = Operator(PauliEvolutionGate(h.pauli(h.h0), time=tau, synthesis=synthesis(2)).definition).data
        engine = product_state([np.diag([p0, 1 - p0])] * n)
        d = 2**n
        for _ in range(collisions):  # engines are the low qubits: full = kron(batteries, engines)
            full = u @ np.kron(rho, engine) @ u.conj().T
            rho = np.einsum("aebe->ab", full.reshape(d, d, d, d))
    # the effective equation in the interaction picture (H_B commutes with every jump)
    jumps = [(np.asarray(j.operator), j.rate) for j in model.jumps]
    m = model.dimension
    exact = (expm(liouvillian(np.zeros((m, m)), jumps) * time) @ np.asarray(model.rho0).reshape(-1)).reshape(m, m)
    diff = rho - w @ exact @ w.T
    return float(np.abs(np.linalg.eigvalsh(0.5 * (diff + diff.conj().T))).sum())
