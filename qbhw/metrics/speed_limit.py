"""Bures angle and the quantum speed limit time (S3 Eq. 12; hbar = 1)."""

from __future__ import annotations

import math

import numpy as np

from . import _validate as _v

__all__ = ["bures_angle", "quantum_speed_limit_time"]


def _sqrtm_psd(rho: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(rho)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.conj().T


def _root_fidelity(rho: np.ndarray, sigma: np.ndarray) -> float:
    """``Tr|sqrt(rho) sqrt(sigma)|`` = sqrt of the Uhlmann fidelity, clipped to [0, 1]."""
    s = np.linalg.svd(_sqrtm_psd(rho) @ _sqrtm_psd(sigma), compute_uv=False)
    return float(np.clip(np.sum(s), 0.0, 1.0))


def _density(rho, name: str) -> np.ndarray:
    arr = _v.hermitian(rho, name)
    _v.density_eigenvalues(arr, name)
    return arr


def bures_angle(rho, sigma) -> float:
    """Bures angle ``arccos(sqrt(F))`` in radians, F the Uhlmann fidelity
    ``(Tr|sqrt(rho) sqrt(sigma)|)^2``; ``arccos|<psi|phi>|`` for pure states."""
    rho = _density(rho, "rho")
    sigma = _density(sigma, "sigma")
    if rho.shape != sigma.shape:
        raise ValueError(
            f"rho has shape {rho.shape} but sigma has shape {sigma.shape}; they must match"
        )
    return float(math.acos(_root_fidelity(rho, sigma)))


def quantum_speed_limit_time(rho_initial, rho_final, times, states, hamiltonian) -> float:
    """Quantum speed limit time ``arccos(sqrt(F)) / min(<E>, <dE>)`` (S3 Eq. 12).

    Parameters
    ----------
    rho_initial, rho_final
        d x d density matrices; F is their Uhlmann fidelity.
    times
        Strictly increasing sample times, length T >= 2.
    states
        rho(t) at ``times``, shape (T, d, d).
    hamiltonian
        H, shape (d, d), or H(t) at ``times``, shape (T, d, d).

    ``E(t) = Tr[H rho(t)] - (ground energy of H(t))`` and
    ``dE(t) = sqrt(Tr[H^2 rho] - Tr[H rho]^2)``; ``<.>`` is the trapezoid time average
    over ``times`` divided by ``t_end - t0``.  Returns 0 if the states coincide and
    ``np.inf`` if min(<E>, <dE>) = 0 while they differ.  Units: 1/(units of H).

    Caveat: the ``<E>`` (Margolus-Levitin) branch is a rigorous bound only when the
    final state is orthogonal to the initial one.  For partial evolutions the value can
    exceed the actual time (e.g. H = 1.7|e><e|, psi0 = cos(0.3)|g> + sin(0.3)|e>,
    T = 1.3 gives tau_QSL = 3.56); the ``<dE>`` (Mandelstam-Tamm) branch alone,
    ``arccos(sqrt(F))/<dE>``, is always a bound for pure states.
    """
    rho0 = _density(rho_initial, "rho_initial")
    rho1 = _density(rho_final, "rho_final")
    if rho0.shape != rho1.shape:
        raise ValueError(
            f"rho_initial has shape {rho0.shape} but rho_final has shape {rho1.shape}; "
            "they must match"
        )
    d = rho0.shape[0]
    t = _v.time_grid(times, "times")
    st = np.asarray(states)
    if st.ndim != 3 or st.shape != (t.size, d, d):
        raise ValueError(
            f"states must have shape (len(times), d, d) = {(t.size, d, d)}, got {st.shape}"
        )
    if not np.all(np.isfinite(st)):
        raise ValueError("states must contain only finite values (no nan/inf)")
    hs = np.asarray(hamiltonian)
    if hs.ndim == 2 and hs.shape == (d, d):
        hs = np.broadcast_to(_v.hermitian(hs, "hamiltonian"), (t.size, d, d))
    elif hs.ndim == 3 and hs.shape == (t.size, d, d):
        for k in range(t.size):
            _v.hermitian(hs[k], f"hamiltonian[{k}]")
    else:
        raise ValueError(
            f"hamiltonian must have shape (d, d) = {(d, d)} or (len(times), d, d) = "
            f"{(t.size, d, d)}, got {hs.shape}"
        )
    ground = np.linalg.eigvalsh(hs)[:, 0]
    e1 = np.real(np.einsum("tij,tji->t", hs, st))
    e2 = np.real(np.einsum("tij,tjk,tki->t", hs, hs, st))
    e_above = e1 - ground
    de = np.sqrt(np.clip(e2 - e1 * e1, 0.0, None))
    duration = t[-1] - t[0]
    speed = min(np.trapezoid(e_above, t) / duration, np.trapezoid(de, t) / duration)
    angle = math.acos(_root_fidelity(rho0, rho1))
    if angle == 0.0:
        return 0.0
    if speed <= 0.0:
        return math.inf
    return float(angle / speed)
