"""Trotter steps of a model's rotating-frame Hamiltonian and the step count from error bounds.

Product formulas are qiskit's (LieTrotter, SuzukiTrotter of order 2 or 4) applied through
``PauliEvolutionGate``.  Step count: the commutator bounds of Childs et al. (PRX 11, 011020,
2021) for H = sum_k H_k (Pauli groups in synthesis order), with the dephasing dissipator D
(norm gamma) treated as one more term of the symmetric splitting:

    order 1:  ||U - V|| <= t^2/(2n) sum_i ||[H_i, H_{>i}]||
    order 2:  ||U - V|| <= t^3/(12 n^2) sum_i ||[H_{>i}, [H_{>i}, H_i]]||
                           + t^3/(24 n^2) sum_i ||[H_i, [H_i, H_{>i}]]||
    order 4:  ||U - V|| <= (Lambda t)^5 / n^4 with Lambda = sum of |Pauli coefficients| (crude)

These bound the unitaries' operator-norm distance; the trace-norm distance of the states, what
``Program.error_bound`` reports, can be twice that (measured 1.99x at order 1), so every
constant is doubled.  The dissipative contribution (symmetric kicks: second order for every
product-formula order, so order 4 carries it as a separate t^3/n^2 term) adds
2 t^3/n^2 (gamma^2 ||H|| / 6 + gamma ||H||^2 / 6) (tests/test_trotter_bound.py measures both).  These bounds are loose (hundreds of steps
where a few dozen suffice), so for Hilbert dimension <= EXACT_LIMIT the step count comes
instead from the EXACT trace-norm error of the averaged split evolution of the model's own
initial state (``exact_split_error``: density matrices propagated by the synthesised formula's
unitary and the elementwise dephasing factor, no superoperators); the bound is the fallback
above that size.  Drives that no rotating frame removes are compiled as piecewise-constant
lab-frame steps (midpoint rule); their step count always comes from the exact error, so they
are limited to LAB_FRAME_LIMIT.
"""

from __future__ import annotations

import math

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm as scipy_expm
from qiskit.synthesis import LieTrotter, SuzukiTrotter

from ..errors import InputError

MAX_STEPS = 400  # per time point; deeper circuits are refused with advice


def synthesis(order: int):
    if order == 1:
        return LieTrotter(reps=1)
    if order in (2, 4):
        return SuzukiTrotter(order=order, reps=1)
    raise InputError("order", f"order must be 1, 2 or 4 (product-formula order), got {order!r}")


def two_qubit_gates_per_step(h: SparsePauliOp, order: int) -> int:
    """Two-qubit gates of one product-formula step of ``h`` in a CX/CZ basis before any
    cancellation: a Pauli exponential of weight w costs 2 (w - 1) (a CX ladder); a step has
    T (order 1), 2T - 1 (order 2: the last term unsplit) or 5 (2T - 1) (order 4) exponentials."""
    weight = np.count_nonzero(h.paulis.x | h.paulis.z, axis=1)
    cost = 2 * np.maximum(weight - 1, 0)
    if order == 1 or cost.size == 0:
        return int(cost.sum())
    symmetric = 2 * int(cost.sum()) - int(cost[-1])
    return symmetric if order == 2 else 5 * symmetric


def _hermitian_norm(m: np.ndarray) -> float:
    """Spectral norm of a Hermitian matrix (its largest |eigenvalue|)."""
    return float(np.abs(np.linalg.eigvalsh(m)).max(initial=0.0))


def error_constant(h: SparsePauliOp, order: int, dephasing_rate: float, stop_above: float = math.inf) -> float:
    """c with error(t, n) <= c t^(p+1) / n^p for the splitting of ``h`` (+ dephasing).

    The sum over terms stops as soon as it exceeds ``stop_above`` (the value returned is then
    a lower bound on c, enough to refuse a step count).  Terms are sparse Pauli matrices, so
    each nested commutator costs one dense product."""
    lam = float(np.abs(h.coeffs).sum())
    if order == 4:  # the dephasing part is second order even here: dissipation_constant
        return 2 * lam**5
    rest = h.to_matrix()  # H minus the terms up to term i: the terms after it
    h_norm = _hermitian_norm(rest)
    c = dephasing_rate * h_norm / 2 if order == 1 else dissipation_constant(h_norm, dephasing_rate) / 2
    for term in h:  # in synthesis order, so the largest commutators (longest rest) come first
        if c > stop_above:
            break
        hi = term.to_matrix(sparse=True)
        rest -= hi.toarray()
        comm = np.asarray(hi @ rest) - np.asarray(rest @ hi)  # [H_i, H_>i], anti-Hermitian
        if order == 1:
            c += _hermitian_norm(1j * comm) / 2
        else:
            outer = rest @ comm  # [H_>i, [H_>i, H_i]] = -(outer + outer^dag)
            inner = np.asarray(hi @ comm) - np.asarray(comm @ hi)
            c += _hermitian_norm(outer + outer.conj().T) / 12 + _hermitian_norm(inner) / 24
    # the commutator sums bound ||U - V||; the trace-norm distance of the states is up to twice that
    return 2 * c


def dissipation_constant(h_norm: float, dephasing_rate: float) -> float:
    """d with trace-norm error <= d t^3 / n^2 from splitting the dephasing symmetrically around
    each unitary step (second order whatever the product formula's order; 2x the operator-norm
    estimate gamma^2 ||H|| / 6 + gamma ||H||^2 / 6)."""
    return 2 * (dephasing_rate**2 * h_norm / 6 + dephasing_rate * h_norm**2 / 6)


def steps_for(time: float, constant: float, order: int, accuracy: float, max_step: float | None,
              dissipation: float = 0.0) -> int:
    """Fewest steps n with constant t^(p+1)/n^p + dissipation t^3/n^2 <= accuracy (each part
    given half of it when both are present) and t/n <= max_step."""
    if time == 0:
        return 0
    share = accuracy / 2 if dissipation > 0 else accuracy
    n = math.ceil((constant * time ** (order + 1) / share) ** (1.0 / order) - 1e-9) if constant > 0 else 1
    if dissipation > 0:
        n = max(n, math.ceil((dissipation * time**3 / share) ** 0.5 - 1e-9))
    if max_step is not None:
        n = max(n, math.ceil(time / max_step - 1e-9))
    return max(n, 1)


EXACT_LIMIT = 64  # Hilbert dimension up to which the splitting error is computed exactly
LAB_FRAME_LIMIT = 16  # ... and lab-frame steps compiled (their exact error needs an ODE solution)


def step_hamiltonian(model, h_rot: np.ndarray | None, t_mid: float) -> np.ndarray:
    """Hamiltonian of the Trotter step centred on ``t_mid``: the rotating-frame ``h_rot`` (time
    independent), or, without a frame, the lab-frame H(t_mid) held constant over the step
    (piecewise-constant midpoint rule, second order in dt like the symmetric splitting)."""
    return h_rot if h_rot is not None else model.hamiltonian(t_mid)


def formula_unitary(evolution) -> np.ndarray:
    """Unitary of the circuit qiskit synthesises for the PauliEvolutionGate ``evolution``: the
    product of its synthesis' Pauli rotations exp(-i theta/2 P) (``expand``, the list the
    circuit is built from), each applied as a signed permutation, so no circuit is built."""
    d = 2**evolution.num_qubits
    rows = np.arange(d)
    u = np.eye(d, dtype=complex)
    for label, qubits, angle in evolution.synthesis.expand(evolution):
        x = sum(1 << q for c, q in zip(label, qubits) if c in "XY")
        z = sum(1 << q for c, q in zip(label, qubits) if c in "ZY")
        source = rows ^ x  # P = i^{#Y} X^x Z^z maps |c ^ x> to |c>, with sign (-1)^{(c ^ x).z}
        sign = 1 - 2 * (np.bitwise_count(source & z).astype(int) & 1)
        pu = (1j ** label.count("Y")) * sign[:, None] * u[source]
        u = np.cos(float(angle) / 2) * u - 1j * np.sin(float(angle) / 2) * pu
    return u


def _dephasing_decay(model, tau: float) -> np.ndarray:
    """exp(tau D) as an elementwise factor on rho, for jumps diagonal in the qubit basis (the
    emulated L' of compile_program): D[L] rho_xy = r (l_x l_y^* - (|l_x|^2 + |l_y|^2)/2) rho_xy."""
    rate = np.zeros((model.dimension,) * 2)
    for j in model.jumps:
        op = np.asarray(j.operator)
        l = np.diag(op)
        if np.abs(op - np.diag(l)).max(initial=0.0) > 1e-12:
            raise ValueError(f"jump {j.label!r} is not diagonal: the split error takes diagonal (dephasing) jumps")
        p = np.abs(l) ** 2
        rate = rate + j.rate * (l[:, None] * l.conj()[None, :] - (p[:, None] + p[None, :]) / 2)
    return np.exp(rate * tau)


def exact_split_error(model, h_rot: np.ndarray | None, gate, order: int, time: float, n: int,
                      exact: np.ndarray | None = None, slot=None) -> float:
    """Trace-norm error of the model's state at ``time`` after n split steps, exactly: the
    ensemble-averaged kick is the exact dephasing channel exp(D tau), so the averaged evolution
    is S(dt/2) U_p(dt) S(dt) U_p(dt) ... U_p(dt) S(dt/2) (the circuit's merged slots) with U_p
    the product formula's unitary (``gate(h, dt)``, h the step Hamiltonian of
    :func:`step_hamiltonian`) and S(tau) the slot channel: ``slot(rho, tau, slot index)``, by default
    exp(D tau) of the model's jumps, which must then be diagonal.  ``exact``: the exact state
    at ``time`` (d x d); by default exp(L t) rho0 in the frame, or reference.evolve's lab-frame
    solution without one."""
    from ..reference import evolve
    from ..reference.liouvillian import liouvillian

    rho0 = np.asarray(model.rho0)
    if exact is None and h_rot is not None:
        jumps = [(np.asarray(j.operator), j.rate) for j in model.jumps]
        exact = (scipy_expm(liouvillian(h_rot, jumps) * time) @ rho0.reshape(-1)).reshape(rho0.shape)
    elif exact is None:
        exact = np.asarray(evolve(model, [0.0, time], frame="lab", full_state=True).states[-1])
    if slot is None:
        decay: dict[float, np.ndarray] = {}

        def slot(rho, tau, index):
            if tau not in decay:
                decay[tau] = _dephasing_decay(model, tau)
            return decay[tau] * rho
    dt = time / n
    rho, u = slot(rho0, dt / 2, 0), None
    for k in range(n):
        if u is None or h_rot is None:
            u = formula_unitary(gate(step_hamiltonian(model, h_rot, (k + 0.5) * dt), dt))
        rho = slot(u @ rho @ u.conj().T, dt if k < n - 1 else dt / 2, k + 1)
    diff = rho - exact
    return float(np.abs(np.linalg.eigvalsh(0.5 * (diff + diff.conj().T))).sum())


def exact_steps(model, h_rot, gate, order, time, accuracy, max_step, limit: int = MAX_STEPS,
                exact: np.ndarray | None = None, slot=None, rate: int | None = None) -> tuple[int, float]:
    """Fewest steps (at least time/max_step) whose exact split error is <= accuracy; the search
    stops at the first count above ``limit`` (returned with its error).  ``exact``, ``slot``:
    see :func:`exact_split_error`; ``rate``: the splitting's order in dt, if lower than the
    formula's (first-order collisions)."""
    if time == 0:
        return 0, 0.0
    n = max(1, math.ceil(time / max_step - 1e-9)) if max_step else 1
    err = exact_split_error(model, h_rot, gate, order, time, n, exact, slot)
    if rate is None:
        rate = order if h_rot is not None else min(order, 2)  # the midpoint rule is second order
    while err > accuracy:
        if n > limit:
            return n, err
        n = min(limit + 1, max(n + 1, math.ceil(n * (err / accuracy) ** (1.0 / rate))))
        err = exact_split_error(model, h_rot, gate, order, time, n, exact, slot)
    return n, err
