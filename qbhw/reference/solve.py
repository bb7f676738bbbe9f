"""Exact solutions of a model's master equation: ``evolve`` and ``steady_state``.

``evolve`` picks the method from the problem; ``Trajectory.method`` names it:

closed system (no jump with a nonzero rate) from a pure initial state |psi0>: the ket, never rho,
restricted to the invariant subspace psi0 lives in (the components of H's coupling graph that
hold psi0: one parity sector of the Dicke model, for instance)
- "ket eigh": time-independent H (no drive, or a drive the frame U = exp(i w_d N t) removes,
  ``Model.rotating_frame``): H = V diag(E) V^dag once, then psi(t) = V (e^{-iEt} * V^dag psi0)
  at every time point in one matrix product;
- "ket lanczos": the same H when that is predicted to be faster (a large subspace, short
  times: ``_eigh_is_cheaper``): Lanczos steps of KRYLOV_DIM vectors with dense output, error
  <= KRYLOV_TOL per unit time;
- "ket DOP853": a drive that no frame removes, i dpsi/dt = H(t) psi (adaptive 8th-order
  Runge-Kutta, rtol 1e-10, atol 1e-12).
otherwise the density matrix and the Liouvillian L (row-major vec, ``liouvillian.py``)
- "liouvillian eig": time independent, Hilbert dimension <= LIOUVILLIAN_EIG_LIMIT:
  L = R diag(w) R^-1 once, vec rho(t) = R (e^{wt} * c) with R c = vec rho0, any time grid.
  Near an exceptional point L is (nearly) defective, R ill conditioned and c large with
  cancelling terms: when sum_k |c_k| > EIG_MAX_AMPLIFICATION |vec rho0| (rounding error
  ~ 1e-16 times that) one of the next two is used instead;
- "liouvillian expm": time independent, dimension <= LIOUVILLIAN_DENSE_LIMIT, uniform grid:
  one dense propagator expm(L dt) applied from point to point;
- "liouvillian expm_multiply": otherwise time independent: sparse L, scipy's truncated
  Taylor action on vec rho;
- "liouvillian DOP853": a drive that no frame removes (same integrator as for kets).
Reduced states come from the kets directly (rho_B = M M^dag with M the ket reshaped to
battery x rest), so a ket path never builds the D x D states unless ``full_state=True``.

A model with protocol events (``Model.recharge_times``) is evolved piecewise: the method above
from event to event, the chargers traced out and re-prepared (``Model.recharged``) at each;
``method`` then ends in " + recharges".  Its long-time limit is the steady state reached from
the state after the last event.

``steady_state`` returns the long-time limit REACHED FROM THE MODEL'S INITIAL STATE: the
initial state projected onto the Liouvillian kernel along its range, P0 = R (Lf^H R)^-1 Lf^H
with R / Lf the right / left null spaces (dense, Hilbert dimension <= STEADY_DENSE_LIMIT), or,
above that, the closed-form commutant projection of ``unital.py`` where it applies (resonant
star of any size; rates are then not computed).  Charger dephasing conserves quantities, so the
kernel is degenerate (dimension 2 for the TLS pair) and a generic null vector is wrong.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import expm_multiply

from ..errors import InputError
from ..metrics import ergotropy
from ..models import Model
from ..models.operators import partial_trace
from .liouvillian import hamiltonian_part, liouvillian
from .unital import block_offdiagonal_long_time

DENSE_LIMIT = 64  # Hilbert dimension up to which H(t) is applied dense (ket ODE); charging.py's limit
LIOUVILLIAN_EIG_LIMIT = 16  # Hilbert dimension up to which L (D^2 x D^2) is diagonalised
LIOUVILLIAN_DENSE_LIMIT = 24  # dense L (expm) up to here, sparse expm_multiply beyond (1000 times:
#                              0.11 s vs 0.26 s at D = 20, 82 s vs 0.2 s at D = 64)
KRYLOV_DIM = 30  # Lanczos basis size per step ("ket lanczos")
KRYLOV_TOL = 1e-11  # error (norm of the ket) per unit time allowed in the Lanczos steps
EIG_MAX_AMPLIFICATION = 1e6  # sum_k |c_k| / |rho0| above which R is too ill conditioned
STEADY_DENSE_LIMIT = 40  # null-space solves use dense SVD/eig (D^2 x D^2): ~10 s at 36
_ODE_TOL = dict(rtol=1e-10, atol=1e-12)
_PURE_ATOL = 1e-12  # largest 1 - Tr rho0^2 of an initial state that counts as pure


class TruncationError(InputError):
    """An oscillator's highest kept Fock level is populated: n_max is too small."""

    def __init__(self, message: str):
        super().__init__("model.n_max", message)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Reference trajectory.  States are in ``frame`` ("lab" or "rotating"); energies and
    ergotropies are frame independent.  ``states`` is None unless full_state=True;
    ``charger_states`` is computed on first access (T x d_C^2 numbers: large for a cavity).
    ``method`` is one of the names in the module docstring ("ket eigh", "liouvillian eig", ...)."""

    model: Model
    times: np.ndarray
    battery_energy: np.ndarray
    battery_ergotropy: np.ndarray
    charger_energy: np.ndarray
    battery_states: np.ndarray
    states: np.ndarray | None
    frame: str
    method: str
    _charger_states: Callable[[], np.ndarray] = field(repr=False)

    @cached_property
    def charger_states(self) -> np.ndarray:
        return self._charger_states()


@dataclass(frozen=True, eq=False)
class SteadyState:
    """Long-time limit from the initial state: the attributes of ``Trajectory`` at t -> inf
    (scalars and single matrices), in the frame where the generator is time independent.
    ``relaxation_rate`` is the Liouvillian gap; ``energy_relaxation_rate`` the slowest rate
    that actually appears in E_B(t) from this initial state (nan if not resolvable)."""

    model: Model
    battery_energy: float
    battery_ergotropy: float
    charger_energy: float
    battery_states: np.ndarray
    charger_states: np.ndarray
    state: np.ndarray
    frame: str
    kernel_dimension: int
    relaxation_rate: float
    energy_relaxation_rate: float


# --- helpers ------------------------------------------------------------------------------


def _check_times(times) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D sequence, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("times must be finite")
    if t[0] < 0:
        raise ValueError(f"times must be >= 0 (the model's initial state is at t = 0), got {t[0]}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing")
    return t


def _static_generator(model: Model) -> tuple[np.ndarray | None, str]:
    """(time-independent Hamiltonian, its frame) or (None, 'lab') for a genuinely driven model."""
    h_rot = model.rotating_frame()
    if h_rot is not None:
        return h_rot, "rotating"
    if not model.drives:
        return np.asarray(model.h0), "lab"
    return None, "lab"


def _jumps(model: Model):
    return [(np.asarray(j.operator), j.rate) for j in model.jumps]


def _pure_ket(model: Model) -> np.ndarray | None:
    """psi0 with rho0 = |psi0><psi0| for a closed model from a pure state (Tr rho0^2 = 1), else None."""
    if any(j.rate != 0.0 for j in model.jumps):
        return None
    rho = np.asarray(model.rho0)
    if abs(np.vdot(rho, rho).real - 1.0) > _PURE_ATOL:
        return None
    j = int(np.argmax(np.real(np.diag(rho))))
    return rho[:, j] / np.sqrt(rho[j, j].real)


def _is_uniform(t: np.ndarray) -> bool:
    if t.size < 3:
        return True
    dt = np.diff(t)
    return bool(np.allclose(dt, dt[0], rtol=1e-9, atol=0.0))


def _expm_multiply_series(gen, v0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """exp(gen t) v0 at every time (rows), gen sparse."""
    v = expm_multiply(gen * times[0], v0) if times[0] > 0 else v0
    if times.size > 1 and _is_uniform(times):
        return expm_multiply(gen, v, start=0.0, stop=times[-1] - times[0], num=times.size, endpoint=True)
    out = np.empty((times.size, v0.size), dtype=complex)
    out[0] = v
    for k in range(1, times.size):
        v = expm_multiply(gen * (times[k] - times[k - 1]), v)
        out[k] = v
    return out


def _expm_steps(gen: np.ndarray, v0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """exp(gen t) v0 at every time (rows), gen dense: one propagator per distinct step."""
    out = np.empty((times.size, v0.size), dtype=complex)
    v = la.expm(gen * times[0]) @ v0 if times[0] > 0 else v0
    out[0] = v
    step = la.expm(gen * (times[1] - times[0])) if times.size > 1 and _is_uniform(times) else None
    for k in range(1, times.size):
        prop = step if step is not None else la.expm(gen * (times[k] - times[k - 1]))
        v = prop @ v
        out[k] = v
    return out


def _eig_series(gen: np.ndarray, v0: np.ndarray, times: np.ndarray) -> np.ndarray | None:
    """exp(gen t) v0 at every time from one eigendecomposition, or None if it is ill conditioned."""
    w, r = la.eig(gen)
    try:
        with warnings.catch_warnings():  # a defective generator (dark states) makes r singular
            warnings.simplefilter("error", la.LinAlgWarning)
            c = la.solve(r, v0)
    except (la.LinAlgError, la.LinAlgWarning):
        return None
    if not np.all(np.isfinite(c)) or np.abs(c).sum() > EIG_MAX_AMPLIFICATION * np.linalg.norm(v0):
        return None
    return (r @ (np.exp(np.outer(w, times)) * c[:, None])).T


def _reachable(h: np.ndarray, psi0: np.ndarray) -> np.ndarray:
    """Basis indices of the smallest sum of H's coupling-graph components holding psi0: the
    invariant subspace the ket never leaves (e.g. one parity sector of the Dicke model)."""
    _, labels = connected_components(sp.csr_matrix(h != 0), directed=False)
    return np.flatnonzero(np.isin(labels, labels[psi0 != 0]))


def _real_if_real(a: np.ndarray) -> np.ndarray:
    return a.real if not np.iscomplexobj(a) or not np.any(a.imag) else a


def _times_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with a complex, b real or complex: two real products when b is real."""
    return a.real @ b + 1j * (a.imag @ b) if not np.iscomplexobj(b) else a @ b


def _lanczos(h, v: np.ndarray, m: int):
    """Orthonormal Krylov basis (rows) and tridiagonal (alpha, beta) of Hermitian h from v
    (full reorthogonalisation); fewer than m rows when span{v, hv, ...} closes earlier."""
    basis = np.empty((m, v.size), dtype=complex)
    basis[0] = v / np.linalg.norm(v)
    alpha, beta = np.empty(m), np.empty(m - 1)
    for j in range(m):
        w = h @ basis[j]
        alpha[j] = np.vdot(basis[j], w).real
        if j == m - 1:
            break
        for _ in range(2):  # classical Gram-Schmidt, twice
            w = w - basis[: j + 1].T @ (basis[: j + 1] @ w.conj()).conj()
        beta[j] = np.linalg.norm(w)
        if beta[j] <= 1e-13 * max(1.0, abs(alpha[j])):
            return basis[: j + 1], alpha[: j + 1], beta[:j]
        basis[j + 1] = w / beta[j]
    return basis, alpha, beta


def _lanczos_series(h, psi0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """e^{-iht} psi0 at every time (rows) by Lanczos steps with dense output.

    Each step spans K_m = {psi, h psi, ..., h^{m-1} psi} (m = KRYLOV_DIM) and gives
    psi(t + tau) = |psi| V exp(-i tau T_m) e_1 for every requested time in the step; the step
    tau is the largest with |y_m(tau) - y_{m-1}(tau)| |psi| <= KRYLOV_TOL tau (the difference of
    the m- and (m-1)-dimensional approximations, which overestimates the error of the first)."""
    out = np.empty((times.size, psi0.size), dtype=complex)
    psi, now, k, tau = psi0.astype(complex), 0.0, 0, None
    while k < times.size:
        basis, alpha, beta = _lanczos(h, psi, KRYLOV_DIM)
        norm = np.linalg.norm(psi)
        theta, q = la.eigh_tridiagonal(alpha, beta)
        exact = basis.shape[0] < KRYLOV_DIM  # an invariant subspace: no truncation error
        if not exact:
            theta_s, q_s = la.eigh_tridiagonal(alpha[:-1], beta[:-1])

        def coefficients(taus):  # (len(basis), len(taus)) of the m-dimensional approximation
            return norm * q @ (np.exp(-1j * np.outer(theta, taus)) * q[0][:, None])

        def error(step):
            if exact:
                return 0.0
            small = norm * q_s @ (np.exp(-1j * theta_s * step) * q_s[0])
            y = coefficients([step])[:, 0]
            return float(np.sqrt(np.sum(np.abs(y[:-1] - small) ** 2) + abs(y[-1]) ** 2))

        remaining = times[-1] - now
        tau = min(remaining, 2.0 * tau if tau else KRYLOV_DIM / (2.0 * max(1e-12, np.abs(theta).max())))
        while error(tau) > KRYLOV_TOL * tau:
            tau *= 0.7
            if tau < 1e-12 * max(1.0, times[-1]):
                raise RuntimeError("Lanczos propagation stalled (no step meets KRYLOV_TOL)")
        end = times[-1] if tau >= remaining else now + tau
        stop = int(np.searchsorted(times, end, side="right"))
        if stop > k:
            out[k:stop] = (basis.T @ coefficients(times[k:stop] - now)).T
            k = stop
        psi = basis.T @ coefficients([end - now])[:, 0]
        now = end
    return out


def _eigh_is_cheaper(h: np.ndarray, times: np.ndarray) -> bool:
    """Predicted seconds (one core) of "ket eigh", ~2.7e-10 D^3 + 4e-10 D^2 T, against
    "ket lanczos", ~(1 + |H|_1 t_max / KRYLOV_DIM) steps x (2e-3 + 3e-6 D) + 2e-8 D T: the
    Lanczos step covers about KRYLOV_DIM / |H|_1 in time (measured on the Dicke model)."""
    d, n_t = h.shape[0], times.size
    steps = 1.0 + np.abs(h).sum(axis=0).max() * times[-1] / KRYLOV_DIM
    return 2.7e-10 * d**3 + 4e-10 * d**2 * n_t <= steps * (2e-3 + 3e-6 * d) + 2e-8 * d * n_t


def _kets_static(h: np.ndarray, psi0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, str]:
    """psi(t) = e^{-iHt} psi0 on the invariant subspace of psi0 (zero elsewhere)."""
    idx = _reachable(h, psi0)
    hs, p0 = _real_if_real(h[np.ix_(idx, idx)]), psi0[idx]
    kets = np.zeros((times.size, h.shape[0]), dtype=complex)
    if _eigh_is_cheaper(hs, times):
        e, v = la.eigh(hs)
        amplitudes = np.exp(-1j * np.outer(times, e)) * (v.conj().T @ p0)
        kets[:, idx] = _times_matrix(amplitudes, v.T)
        return kets, "ket eigh"
    kets[:, idx] = _lanczos_series(sp.csr_matrix(hs), p0, times)
    return kets, "ket lanczos"


def _liouvillian_series(lv, v0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, str]:
    """exp(L t) v0 at every time without an eigendecomposition (L dense or sparse)."""
    if not sp.issparse(lv) and _is_uniform(times):
        return _expm_steps(lv, v0, times), "liouvillian expm"
    return _expm_multiply_series(sp.csc_matrix(lv), v0, times), "liouvillian expm_multiply"


def _states_static(h: np.ndarray, model: Model, times: np.ndarray) -> tuple[np.ndarray, str]:
    d = h.shape[0]
    v0 = np.asarray(model.rho0).reshape(-1)
    lv = liouvillian(h, _jumps(model), sparse=d > LIOUVILLIAN_DENSE_LIMIT)
    if d <= LIOUVILLIAN_EIG_LIMIT:
        out = _eig_series(lv, v0, times)
        if out is not None:
            return out, "liouvillian eig"
    return _liouvillian_series(lv, v0, times)


def _integrate(g0, terms, v0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """dv/dt = (g0 + sum_k e^{-i w_k t} A_k + e^{+i w_k t} B_k) v from v(0) = v0 (rows: times)."""

    def rhs(t, v):
        out = g0 @ v
        for w, ga, gb in terms:
            out = out + np.exp(-1j * w * t) * (ga @ v) + np.exp(1j * w * t) * (gb @ v)
        return out

    sol = solve_ivp(rhs, (0.0, float(times[-1])), v0.astype(complex), t_eval=times, method="DOP853",
                    **_ODE_TOL)
    if not sol.success:
        raise RuntimeError(f"time-dependent integration failed: {sol.message}")
    return sol.y.T


def _kets_driven(model: Model, psi0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, str]:
    """i dpsi/dt = H(t) psi, H(t) = h0 + sum_k A_k e^{-i w_k t} + h.c."""
    as_op = sp.csr_matrix if model.dimension > DENSE_LIMIT else np.asarray
    terms = [(d.frequency, -1j * as_op(d.operator), -1j * as_op(np.asarray(d.operator).conj().T))
             for d in model.drives]
    return _integrate(-1j * as_op(model.h0), terms, psi0, times), "ket DOP853"


def _states_driven(model: Model, times: np.ndarray) -> tuple[np.ndarray, str]:
    sparse = model.dimension > LIOUVILLIAN_DENSE_LIMIT
    l0 = liouvillian(np.asarray(model.h0), _jumps(model), sparse=sparse)
    terms = [(d.frequency, hamiltonian_part(np.asarray(d.operator), sparse=sparse),
              hamiltonian_part(np.asarray(d.operator).conj().T, sparse=sparse)) for d in model.drives]
    return _integrate(l0, terms, np.asarray(model.rho0).reshape(-1), times), "liouvillian DOP853"


def _lab_phases(model: Model, times: np.ndarray) -> np.ndarray:
    """e^{-i w_d n_i t} (times x basis): psi_lab = U^dag psi_rot with U = exp(i w_d N t)."""
    n = np.real(np.diag(np.asarray(model.number_operator)))
    return np.exp(-1j * model.drive_frequency * np.outer(times, n))


def _ket_matrices(kets: np.ndarray, keep, dims) -> np.ndarray:
    """Kets (T, D) as matrices (T, d_keep, d_rest): rows index the subsystems ``keep`` (ordered
    as ``partial_trace``: lowest kept index rightmost), so rho_keep = M M^dag."""
    rev = list(reversed(range(len(dims))))  # tensor axis (after the time axis) -> subsystem
    tensor = kets.reshape(kets.shape[0], *[dims[k] for k in rev])
    kept = [1 + a for a, k in enumerate(rev) if k in keep]
    rest = [1 + a for a, k in enumerate(rev) if k not in keep]
    dk = int(np.prod([dims[k] for k in keep]))
    return tensor.transpose(0, *kept, *rest).reshape(kets.shape[0], dk, -1)


def _gram(m: np.ndarray) -> np.ndarray:
    return m @ m.conj().transpose(0, 2, 1)


def _check_truncation(model: Model, top_population, when, tol: float) -> None:
    """top_population(k): population of subsystem k's highest level at each time (array)."""
    for k, s in enumerate(model.subsystems):
        if s.kind != "oscillator":
            continue
        top = np.asarray(top_population(k))
        i = int(np.argmax(top))
        if top[i] > tol:
            raise TruncationError(
                f"{s.name} truncated at n_max = {s.dim - 1} is too small: population of "
                f"|n_max> reaches {top[i]:.2e} at {when(i)} (truncation_tol = {tol:g}); "
                f"increase n_max (e.g. to {2 * (s.dim - 1)}) or shorten the times"
            )


def _top_of_states(states: np.ndarray, dims, k: int) -> np.ndarray:
    """Population of subsystem k's highest level in each state."""
    return partial_trace(states, [k], dims)[..., -1, -1].real


def _top_of_kets(kets: np.ndarray, dims, k: int) -> np.ndarray:
    return _populations(kets, [k], dims)[:, -1]


def _populations(kets: np.ndarray, keep, dims) -> np.ndarray:
    """Basis populations (T, d_keep) of the subsystems ``keep`` (ordered as ``partial_trace``)."""
    n = len(dims)
    probs = (np.abs(kets) ** 2).reshape(kets.shape[0], *reversed(dims))
    summed = tuple(1 + a for a in range(n) if n - 1 - a not in keep)
    return probs.sum(axis=summed).reshape(kets.shape[0], -1)


def _charger_energy_of_kets(model: Model, kets: np.ndarray, m_c: np.ndarray) -> np.ndarray:
    """<psi|H_C|psi> at every time; from the charger populations when H_C is diagonal."""
    h_c = np.asarray(model.h_charger)
    diagonal = np.diag(h_c)
    if not np.any(h_c - np.diag(diagonal)):
        return _populations(kets, model.charger, model.dims) @ diagonal.real
    return np.einsum("tir,tir->t", m_c.conj(), h_c @ m_c).real


def _passive_slots(model: Model, d: int) -> np.ndarray:
    """The d lowest energies of the FULL battery spectrum (``Model.battery_levels``), ascending."""
    levels, mult = model.battery_levels
    order = np.argsort(levels, kind="stable")
    counts = [min(int(mult[i]), d) for i in order]
    return np.repeat(np.asarray(levels, dtype=float)[order], counts)[:d]


def _hermitian(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + a.conj().transpose(0, 2, 1))


def _energies(states: np.ndarray, h) -> np.ndarray:
    """Re Tr[h rho] for a stack of states that are Hermitian by construction."""
    return np.einsum("tij,ji->t", states, np.asarray(h)).real


def _battery_observables(model: Model, rho_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E_B and ergotropy of a stack of battery states."""
    e_b = _energies(rho_b, model.h_battery)
    if model.battery_levels is None:
        return e_b, ergotropy(rho_b, np.asarray(model.h_battery))
    pops = np.linalg.eigvalsh(rho_b)[:, ::-1]  # reduced representation: the full spectrum's levels
    return e_b, np.maximum(e_b - pops @ _passive_slots(model, rho_b.shape[-1]), 0.0)


# --- public -------------------------------------------------------------------------------


def evolve(model: Model, times, *, frame: str = "lab", full_state: bool = False,
           truncation_tol: float = 1e-5) -> Trajectory:
    """Solve the model's master equation from its initial state at t = 0 and sample ``times``
    (method chosen from the problem, see the module docstring and ``Trajectory.method``).

    frame: "lab" (default) or "rotating" (the frame exp(i w_d N t) of a drive it removes).
    full_state: keep the full density matrices in ``Trajectory.states``.
    truncation_tol: largest allowed population of any oscillator's top Fock level.
    """
    if frame not in ("lab", "rotating"):
        raise ValueError(f"frame must be 'lab' or 'rotating', got {frame!r}")
    t = _check_times(times)
    if model.recharge_times:
        return _evolve_recharged(model, t, frame, full_state, truncation_tol)
    h, native = _static_generator(model)
    if frame == "rotating" and native != "rotating":
        raise ValueError(
            f"model {model.name!r} has no rotating frame that makes it time independent "
            "(no drive, or a drive that does not conserve excitations); use frame='lab'"
        )
    to_lab = native == "rotating" and frame == "lab"
    psi0 = _pure_ket(model)
    if psi0 is not None:
        kets, method = _kets_static(h, psi0, t) if h is not None else _kets_driven(model, psi0, t)
        if to_lab:
            kets = kets * _lab_phases(model, t)
        rho_b = _gram(_ket_matrices(kets, model.battery, model.dims))
        m_c = _ket_matrices(kets, model.charger, model.dims)
        e_c = _charger_energy_of_kets(model, kets, m_c)
        charger_states = partial(_gram, m_c)
        top = partial(_top_of_kets, kets, model.dims)
        states = np.einsum("ti,tj->tij", kets, kets.conj()) if full_state else None
    else:
        vecs, method = _states_static(h, model, t) if h is not None else _states_driven(model, t)
        d = model.dimension
        states = _hermitian(vecs.reshape(t.size, d, d))
        if to_lab:
            phases = _lab_phases(model, t)
            states = states * phases[:, :, None] * phases[:, None, :].conj()
        rho_b, rho_c = model.reduce(states, "battery"), model.reduce(states, "charger")
        e_c = _energies(rho_c, model.h_charger)
        charger_states = partial(np.asarray, rho_c)
        top = partial(_top_of_states, states, model.dims)
    _check_truncation(model, top, lambda i: f"t = {t[i]:g}", truncation_tol)
    e_b, w_b = _battery_observables(model, rho_b)
    return Trajectory(model, t, e_b, w_b, e_c, rho_b, states if full_state else None, frame, method,
                      charger_states)


def _evolve_recharged(model: Model, t: np.ndarray, frame: str, full_state: bool, truncation_tol: float) -> Trajectory:
    """``evolve`` of a model with recharge events: each interval (e_k, e_k+1] from the state
    after event k (the interval from 0 includes t = 0); Model.recharge_times has the convention."""
    bounds = [0.0, *(e for e in model.recharge_times if e < t[-1])]
    start, parts = np.asarray(model.rho0), []
    for k, begin in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else float(t[-1])
        inside = t[(t > begin) | (k == 0)] if k + 1 == len(bounds) else t[((t > begin) | (k == 0)) & (t <= end)]
        local = np.unique(np.r_[inside - begin, end - begin])  # the interval's end: the next start
        piece = evolve(replace(model, rho0=start, recharge_times=()), local, frame=frame, full_state=True,
                       truncation_tol=truncation_tol)
        keep = np.isin(local, inside - begin)
        parts.append((piece, keep))
        start = model.recharged(piece.states[-1])

    def pick(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name)[keep] for p, keep in parts])
    states = pick("states")
    return Trajectory(model, t, pick("battery_energy"), pick("battery_ergotropy"), pick("charger_energy"),
                      pick("battery_states"), states if full_state else None, frame,
                      f"{parts[0][0].method} + recharges", partial(pick, "charger_states"))


def steady_state(model: Model, *, truncation_tol: float = 1e-5, atol: float = 1e-9) -> SteadyState:
    """Long-time limit of the model from its own initial state (see module docstring)."""
    if model.recharge_times:
        last = model.recharge_times[-1]
        after = model.recharged(evolve(model, [last], full_state=True, truncation_tol=truncation_tol).states[-1])
        ss = steady_state(replace(model, rho0=after, recharge_times=()), truncation_tol=truncation_tol, atol=atol)
        return replace(ss, model=model)
    h, native = _static_generator(model)
    if h is None:
        raise ValueError(
            f"model {model.name!r} has a drive that no frame removes: its long-time state is a "
            "limit cycle, not a steady state; use evolve() over long times instead"
        )
    d = model.dimension
    closed_form = block_offdiagonal_long_time(model, h)
    if d > STEADY_DENSE_LIMIT or (closed_form is not None and d > 16):  # rates only when cheap
        if closed_form is None:
            raise ValueError(
                f"steady_state solves dense null spaces up to Hilbert dimension {STEADY_DENSE_LIMIT}; "
                f"model {model.name!r} has {d}: with local (non-collective) dissipation that means at most "
                f"{int(np.log2(STEADY_DENSE_LIMIT))} qubits, or one qubit and a {STEADY_DENSE_LIMIT // 2}-level "
                "collective battery (reduce N or n_max, or use evolve() to long times)"
            )
        rho_b, rho_c = model.reduce(closed_form[None], "battery"), model.reduce(closed_form[None], "charger")
        (e_b, w_b), e_c = _battery_observables(model, rho_b), _energies(rho_c, model.h_charger)
        return SteadyState(model, float(e_b[0]), float(w_b[0]), float(e_c[0]), rho_b[0], rho_c[0],
                           closed_form, native, d // 2, np.nan, np.nan)
    lv = liouvillian(h, _jumps(model))
    v0 = np.asarray(model.rho0).reshape(-1)
    w, vr = la.eig(lv)
    scale = max(1.0, np.abs(w).max())
    slow = np.abs(w.real) < atol * scale
    oscillating = slow & (np.abs(w.imag) > atol * scale)
    coeffs = np.linalg.solve(vr, v0)  # expansion of rho0 in eigenmodes; trusted only if accurate
    if not (np.abs(coeffs).max() < 1e8 and np.abs(vr @ coeffs - v0).max() < 1e-8):
        coeffs = None
    if oscillating.any():
        if coeffs is None or np.abs(coeffs[oscillating]).max() > 1e-8:
            raise ValueError(
                f"model {model.name!r} has undamped oscillations (purely imaginary Liouvillian "
                "eigenvalues) that the initial state excites: there is no steady state "
                "(is every dephasing/decay rate zero?)"
            )
    right = la.null_space(lv, rcond=atol)
    left = la.null_space(lv.conj().T, rcond=atol)
    if right.shape[1] != left.shape[1] or right.shape[1] == 0:
        raise RuntimeError("could not resolve the Liouvillian kernel; try a different atol")
    kernel = right.shape[1]
    if closed_form is not None:  # exact even where slow modes hide below the null-space tolerance
        rho, kernel = closed_form, d // 2
    else:
        v = right @ np.linalg.solve(left.conj().T @ right, left.conj().T @ v0)
        rho = v.reshape(d, d)
        rho = 0.5 * (rho + rho.conj().T)
        rho = rho / np.trace(rho).real
    _check_truncation(model, partial(_top_of_states, rho[None], model.dims), lambda i: "the steady state",
                      truncation_tol)
    rho_b, rho_c = model.reduce(rho[None], "battery"), model.reduce(rho[None], "charger")
    (e_b, w_b), e_c = _battery_observables(model, rho_b), _energies(rho_c, model.h_charger)
    decaying = w.real < -atol * scale
    gap = float(-w.real[decaying].max()) if decaying.any() else np.nan
    energy_rate = np.nan
    if coeffs is not None:
        hb = np.asarray(model.h_battery)
        modes = vr.T.reshape(-1, d, d)
        weight = np.array([abs(c) * abs(np.trace(hb @ model.reduce(m, "battery")))
                           for c, m in zip(coeffs, modes)])
        relevant = decaying & (weight > 1e-9 * max(1.0, weight.max()))
        if relevant.any():
            energy_rate = float(-w.real[relevant].max())
    return SteadyState(model, float(e_b[0]), float(w_b[0]), float(e_c[0]), rho_b[0], rho_c[0], rho,
                       native, kernel, gap, energy_rate)
