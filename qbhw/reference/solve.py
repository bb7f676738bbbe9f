"""Exact solutions of a model's master equation: ``evolve`` and ``steady_state``.

Method, chosen per model:
- a drive that a frame U = exp(i w_d N t) removes exactly (``Model.rotating_frame``), or no
  drive at all: a time-independent Liouvillian, propagated with ``expm`` (dense, Hilbert
  dimension <= DENSE_LIMIT) or ``expm_multiply`` (sparse) between the requested times;
- any other drive: the time-dependent lab-frame equation with an adaptive 8th-order
  Runge-Kutta (DOP853, rtol 1e-10, atol 1e-12).

``steady_state`` returns the long-time limit REACHED FROM THE MODEL'S INITIAL STATE: the
initial state projected onto the Liouvillian kernel along its range, P0 = R (Lf^H R)^-1 Lf^H
with R / Lf the right / left null spaces (dense, Hilbert dimension <= STEADY_DENSE_LIMIT), or,
above that, the closed-form commutant projection of ``unital.py`` where it applies (resonant
star of any size; rates are then not computed).  Charger dephasing conserves quantities, so the
kernel is degenerate (dimension 2 for the TLS pair) and a generic null vector is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.sparse.linalg import expm_multiply

from ..metrics import energy, ergotropy, passive_energy
from ..models import Model
from .liouvillian import hamiltonian_part, liouvillian
from .unital import block_offdiagonal_long_time

DENSE_LIMIT = 64  # Hilbert-space dimension up to which Liouvillians are built dense
STEADY_DENSE_LIMIT = 40  # null-space solves use dense SVD/eig (D^2 x D^2): ~10 s at 36
_ODE_TOL = dict(rtol=1e-10, atol=1e-12)


class TruncationError(ValueError):
    """An oscillator's highest kept Fock level is populated: n_max is too small."""


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Reference trajectory.  States are in ``frame`` ("lab" or "rotating"); energies and
    ergotropies are frame independent.  ``states`` is None unless full_state=True."""

    model: Model
    times: np.ndarray
    battery_energy: np.ndarray
    battery_ergotropy: np.ndarray
    charger_energy: np.ndarray
    battery_states: np.ndarray
    charger_states: np.ndarray
    states: np.ndarray | None
    frame: str
    method: str


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


def _is_uniform(t: np.ndarray) -> bool:
    if t.size < 3:
        return True
    dt = np.diff(t)
    return bool(np.allclose(dt, dt[0], rtol=1e-9, atol=0.0))


def _propagate_static(h: np.ndarray, model: Model, times: np.ndarray) -> tuple[np.ndarray, str]:
    d = h.shape[0]
    v0 = np.asarray(model.rho0).reshape(-1)
    out = np.empty((times.size, d * d), dtype=complex)
    if d <= DENSE_LIMIT:
        lv = liouvillian(h, _jumps(model))
        v = la.expm(lv * times[0]) @ v0 if times[0] > 0 else v0
        out[0] = v
        step = la.expm(lv * (times[1] - times[0])) if times.size > 1 and _is_uniform(times) else None
        for k in range(1, times.size):
            prop = step if step is not None else la.expm(lv * (times[k] - times[k - 1]))
            v = prop @ v
            out[k] = v
        return out, "dense expm"
    lv = liouvillian(h, _jumps(model), sparse=True).tocsc()
    v = expm_multiply(lv * times[0], v0) if times[0] > 0 else v0
    if times.size > 1 and _is_uniform(times):
        out[:] = expm_multiply(lv, v, start=0.0, stop=times[-1] - times[0], num=times.size, endpoint=True)
    else:
        out[0] = v
        for k in range(1, times.size):
            v = expm_multiply(lv * (times[k] - times[k - 1]), v)
            out[k] = v
    return out, "sparse expm_multiply"


def _propagate_driven(model: Model, times: np.ndarray) -> tuple[np.ndarray, str]:
    d = model.dimension
    sparse = d > DENSE_LIMIT
    l0 = liouvillian(np.asarray(model.h0), _jumps(model), sparse=sparse)
    terms = []  # (frequency, superoperator of -i[A, .]) ; H(t) = h0 + sum A e^{-iwt} + h.c.
    for drive in model.drives:
        a = np.asarray(drive.operator)
        terms.append((drive.frequency, hamiltonian_part(a, sparse=sparse), hamiltonian_part(a.conj().T, sparse=sparse)))

    def rhs(t, v):
        out = l0 @ v
        for w, ka, kad in terms:
            out = out + np.exp(-1j * w * t) * (ka @ v) + np.exp(1j * w * t) * (kad @ v)
        return out

    v0 = np.asarray(model.rho0, dtype=complex).reshape(-1)
    sol = solve_ivp(rhs, (0.0, float(times[-1])), v0, t_eval=times, method="DOP853", **_ODE_TOL)
    if not sol.success:
        raise RuntimeError(f"time-dependent integration failed: {sol.message}")
    return sol.y.T, "lab-frame DOP853 (rtol 1e-10, atol 1e-12)"


def _to_lab(states: np.ndarray, model: Model, times: np.ndarray) -> np.ndarray:
    """rho_lab(t) = U^dag rho_rot U with U = exp(i w_d N t); N is diagonal in the model basis."""
    n = np.real(np.diag(np.asarray(model.number_operator)))
    w = model.drive_frequency
    phase = np.exp(-1j * w * times[:, None, None] * (n[None, :, None] - n[None, None, :]))
    return states * phase


def _check_truncation(model: Model, states: np.ndarray, times: np.ndarray, tol: float) -> None:
    for k, s in enumerate(model.subsystems):
        if s.kind != "oscillator":
            continue
        from ..models.operators import partial_trace

        top = partial_trace(states, [k], model.dims)[..., -1, -1].real
        i = int(np.argmax(top))
        if top[i] > tol:
            when = f"t = {times[i]:g}" if times is not None else "the steady state"
            raise TruncationError(
                f"{s.name} truncated at n_max = {s.dim - 1} is too small: population of "
                f"|n_max> reaches {top[i]:.2e} at {when} (truncation_tol = {tol:g}); "
                f"increase n_max (e.g. to {2 * (s.dim - 1)}) or shorten the times"
            )


def _observables(model: Model, states: np.ndarray):
    rho_b = model.reduce(states, "battery")
    rho_c = model.reduce(states, "charger")
    hb = np.asarray(model.h_battery)
    e_b = energy(rho_b, hb)
    if model.battery_levels is None:
        w_b = ergotropy(rho_b, hb)
    else:  # reduced representation: passive energy over the full battery spectrum
        levels, mult = model.battery_levels
        w_b = np.array([e - passive_energy(np.linalg.eigvalsh(r), levels, mult)
                        for e, r in zip(e_b, rho_b)]).clip(min=0.0)
    return rho_b, rho_c, e_b, w_b, energy(rho_c, np.asarray(model.h_charger))


# --- public -------------------------------------------------------------------------------


def evolve(model: Model, times, *, frame: str = "lab", full_state: bool = False,
           truncation_tol: float = 1e-5) -> Trajectory:
    """Solve the model's master equation from its initial state at t = 0 and sample ``times``.

    frame: "lab" (default) or "rotating" (the frame exp(i w_d N t) of a drive it removes).
    full_state: keep the full density matrices in ``Trajectory.states``.
    truncation_tol: largest allowed population of any oscillator's top Fock level.
    """
    if frame not in ("lab", "rotating"):
        raise ValueError(f"frame must be 'lab' or 'rotating', got {frame!r}")
    t = _check_times(times)
    h, native = _static_generator(model)
    if frame == "rotating" and native != "rotating":
        raise ValueError(
            f"model {model.name!r} has no rotating frame that makes it time independent "
            "(no drive, or a drive that does not conserve excitations); use frame='lab'"
        )
    if h is None:
        vecs, method = _propagate_driven(model, t)
    else:
        vecs, method = _propagate_static(h, model, t)
    d = model.dimension
    states = vecs.reshape(t.size, d, d)
    states = 0.5 * (states + states.conj().transpose(0, 2, 1))
    if native == "rotating" and frame == "lab":
        states = _to_lab(states, model, t)
    _check_truncation(model, states, t, truncation_tol)
    rho_b, rho_c, e_b, w_b, e_c = _observables(model, states)
    return Trajectory(model, t, e_b, w_b, e_c, rho_b, rho_c, states if full_state else None,
                      frame, f"{method} in the {native} frame")


def steady_state(model: Model, *, truncation_tol: float = 1e-5, atol: float = 1e-9) -> SteadyState:
    """Long-time limit of the model from its own initial state (see module docstring)."""
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
        rho_b, rho_c, e_b, w_b, e_c = _observables(model, closed_form[None])
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
    _check_truncation(model, rho[None], None, truncation_tol)
    rho_b, rho_c, e_b, w_b, e_c = _observables(model, rho[None])
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
