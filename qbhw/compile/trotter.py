"""Trotter steps of a model's rotating-frame Hamiltonian and the step count from error bounds.

Product formulas are qiskit's (LieTrotter, SuzukiTrotter of order 2 or 4) applied through
``PauliEvolutionGate``.  Step count: the commutator bounds of Childs et al. (PRX 11, 011020,
2021) for H = sum_k H_k (Pauli groups in synthesis order), with the dephasing dissipator D
(norm gamma) treated as one more term of the symmetric splitting:

    order 1:  error(t) <= t^2/(2n) sum_i ||[H_i, H_{>i}]||
    order 2:  error(t) <= t^3/(12 n^2) sum_i ||[H_{>i}, [H_{>i}, H_i]]||
                          + t^3/(24 n^2) sum_i ||[H_i, [H_i, H_{>i}]]||
    order 4:  error(t) <= (Lambda t)^5 / n^4 with Lambda = sum of |Pauli coefficients| (crude)

The dissipative contribution (second order, symmetric kicks) adds
t^3/n^2 (gamma^2 ||H|| / 6 + gamma ||H||^2 / 6).  These bounds are loose (hundreds of steps
where a few dozen suffice), so for Hilbert dimension <= EXACT_LIMIT the step count comes
instead from the EXACT trace-norm error of the averaged split evolution of the model's own
initial state (``exact_split_error``); the bound is the fallback above that size.  Drives that
no rotating frame removes are compiled as piecewise-constant lab-frame steps (midpoint rule);
their step count always comes from the exact error, so they are limited to EXACT_LIMIT.
"""

from __future__ import annotations

import math

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm as scipy_expm
from qiskit.synthesis import LieTrotter, SuzukiTrotter

MAX_STEPS = 400  # per time point; deeper circuits are refused with advice


def synthesis(order: int):
    if order == 1:
        return LieTrotter(reps=1)
    if order in (2, 4):
        return SuzukiTrotter(order=order, reps=1)
    raise ValueError(f"order must be 1, 2 or 4 (product-formula order), got {order!r}")


def _norm(m: np.ndarray) -> float:
    return float(np.linalg.norm(m, 2))


def error_constant(h: SparsePauliOp, order: int, dephasing_rate: float) -> float:
    """c with error(t, n) <= c t^(p+1) / n^p for the splitting of ``h`` (+ dephasing)."""
    terms = [t.to_matrix() for t in h]
    lam = float(np.abs(h.coeffs).sum())
    h_norm = _norm(h.to_matrix())
    if order == 4:
        return lam**5
    c = 0.0
    for i, hi in enumerate(terms):
        rest = sum(terms[i + 1:], np.zeros_like(hi))
        comm = hi @ rest - rest @ hi
        if order == 1:
            c += _norm(comm) / 2
        else:
            c += _norm(rest @ comm - comm @ rest) / 12 + _norm(hi @ comm - comm @ hi) / 24
    if order == 1:
        c += dephasing_rate * h_norm / 2
    else:
        c += dephasing_rate**2 * h_norm / 6 + dephasing_rate * h_norm**2 / 6
    return c


def steps_for(time: float, constant: float, order: int, accuracy: float, max_step: float | None) -> int:
    """Fewest steps n with constant t^(p+1)/n^p <= accuracy (and t/n <= max_step)."""
    if time == 0:
        return 0
    n = math.ceil((constant * time ** (order + 1) / accuracy) ** (1.0 / order) - 1e-9) if constant > 0 else 1
    if max_step is not None:
        n = max(n, math.ceil(time / max_step - 1e-9))
    return max(n, 1)


EXACT_LIMIT = 16  # Hilbert dimension up to which the splitting error is computed exactly


def step_hamiltonian(model, h_rot: np.ndarray | None, t_mid: float) -> np.ndarray:
    """Hamiltonian of the Trotter step centred on ``t_mid``: the rotating-frame ``h_rot`` (time
    independent), or, without a frame, the lab-frame H(t_mid) held constant over the step
    (piecewise-constant midpoint rule, second order in dt like the symmetric splitting)."""
    return h_rot if h_rot is not None else model.hamiltonian(t_mid)


def exact_split_error(model, h_rot: np.ndarray | None, gate, order: int, time: float, n: int) -> float:
    """Trace-norm error of the model's state at ``time`` after n split steps, exactly: the
    ensemble-averaged kick is the exact half-step dephasing channel exp(D dt/2), so the
    averaged step is exp(D dt/2) U_p(dt) exp(D dt/2) with U_p the product formula's unitary
    (``gate(h, dt)``, h the step Hamiltonian of :func:`step_hamiltonian`).  The exact state is
    exp(L t) rho0 in the frame, or reference.evolve's lab-frame solution without one."""
    from qiskit.quantum_info import Operator

    from ..reference import evolve
    from ..reference.liouvillian import dissipator, liouvillian

    d = model.dimension
    jumps = [(np.asarray(j.operator), j.rate) for j in model.jumps]
    v0 = np.asarray(model.rho0).reshape(-1)
    if h_rot is not None:
        exact = scipy_expm(liouvillian(h_rot, jumps) * time) @ v0
    else:
        exact = np.asarray(evolve(model, [0.0, time], frame="lab", full_state=True).states[-1]).reshape(-1)
    dt = time / n
    half = scipy_expm(dissipator(jumps, d) * dt / 2)
    approx = v0
    unitary = None
    for k in range(n):
        if unitary is None or h_rot is None:  # the synthesized product formula: Operator(gate) is exact
            u = Operator(gate(step_hamiltonian(model, h_rot, (k + 0.5) * dt), dt).definition).data
            unitary = half @ np.kron(u, u.conj()) @ half
        approx = unitary @ approx
    diff = (approx - exact).reshape(d, d)
    return float(np.abs(np.linalg.eigvalsh(0.5 * (diff + diff.conj().T))).sum())


def exact_steps(model, h_rot, gate, order, time, accuracy, max_step) -> tuple[int, float]:
    """Fewest steps (at least time/max_step) whose exact split error is <= accuracy."""
    if time == 0:
        return 0, 0.0
    n = max(1, math.ceil(time / max_step - 1e-9)) if max_step else 1
    err = exact_split_error(model, h_rot, gate, order, time, n)
    rate = order if h_rot is not None else min(order, 2)  # the midpoint rule is second order
    while err > accuracy:
        if n > MAX_STEPS:
            return n, err
        n = max(n + 1, math.ceil(n * (err / accuracy) ** (1.0 / rate)))
        err = exact_split_error(model, h_rot, gate, order, time, n)
    return n, err
