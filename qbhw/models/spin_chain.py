"""Spin-chain battery of Le et al., PRA 97, 022106 (2018) (physics.md M10, S1 Eqs. 27-28),
charged directly by a transverse field.

    H_B^(0) = B sum_i sigma_i^z - sum_{i<j} g_ij [sigma_i^z sigma_j^z + alpha (sigma_i^x sigma_j^x
              + sigma_i^y sigma_j^y)],     sigma^z = |e><e| - |g><g|  (|0> = g, |1> = e),
    g_ij = J for |i-j| = 1 ("nearest"), J / |i-j|^p ("power_law"), J ("uniform").

Convention (the M10 flag): during charging the Zeeman term is switched off and the
interactions stay on, H_charge = H_g + omega sum_i sigma_i^x; the battery starts in the ground
state of H_B^(0) and its energy is measured with H_B^(0) - E_ground (ground energy 0).  Each
spin's splitting is 2B (B = 1/2 gives omega_B = 1).  All spins are batteries (no charger
subsystem, no dissipation).  The ground state must be non-degenerate.
"""

from __future__ import annotations

import numpy as np

from . import validate as check
from .base import Model, Subsystem
from .operators import embed, number, sigma_x, sigma_y, sigma_z

COUPLINGS = ("nearest", "power_law", "uniform")
MAX_SPINS = 12


def couplings(n: int, J: float, coupling: str, p: float) -> np.ndarray:
    """Symmetric (n, n) matrix g_ij (zero diagonal)."""
    d = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    if coupling == "nearest":
        g = np.where(d == 1, J, 0.0)
    elif coupling == "power_law":
        g = np.where(d > 0, J / np.where(d > 0, d, 1.0) ** p, 0.0)
    else:
        g = np.where(d > 0, J, 0.0)
    return g


def _interactions(n: int, g: np.ndarray, alpha: float) -> np.ndarray:
    dims = (2,) * n
    h = np.zeros((2**n, 2**n), dtype=complex)
    for i in range(n):
        for j in range(i + 1, n):
            if g[i, j]:
                pair = lambda s: embed(s, i, dims) @ embed(s, j, dims)
                h -= g[i, j] * (pair(sigma_z()) + alpha * (pair(sigma_x()) + pair(sigma_y())))
    return h


def spin_chain(n, J, alpha_xxz, coupling="nearest", *, B=0.5, omega=1.0, p=1.0) -> Model:
    """The n-spin chain battery charged by omega sum sigma^x with the interactions on (module
    doc); coupling "nearest", "power_law" (g_ij = J/|i-j|^p) or "uniform"."""
    n = check.integer("n", n, 1)
    if n > MAX_SPINS:
        raise ValueError(f"n = {n} spins: at most {MAX_SPINS} (dense 2^n matrices)")
    J = check.finite("J", J)
    alpha = check.finite("alpha_xxz", alpha_xxz)
    B = check.positive("B", B)
    omega = check.finite("omega", omega)
    p = check.positive("p", p)
    if coupling not in COUPLINGS:
        raise ValueError(f"coupling must be one of {COUPLINGS}, got {coupling!r}")
    dims = (2,) * n
    h_g = _interactions(n, couplings(n, J, coupling, p), alpha)
    zeeman = B * sum(embed(sigma_z(), i, dims) for i in range(n))
    h_b0 = zeeman + h_g
    w, v = np.linalg.eigh(h_b0)
    if w[1] - w[0] < 1e-9:
        raise ValueError(f"H_B^(0) has a degenerate ground state (gap {w[1] - w[0]:.2e}); "
                         "raise B or change J, alpha_xxz")
    ground = v[:, :1]
    h_charge = h_g + omega * sum(embed(sigma_x(), i, dims) for i in range(n))
    return Model(
        name="spin_chain",
        subsystems=tuple(Subsystem(f"spin_{i}", "battery", 2, "qubit", 2 * B) for i in range(n)),
        h0=h_charge, drives=(), jumps=(), h_battery=h_b0 - w[0] * np.eye(2**n),
        h_charger=np.zeros((1, 1)), rho0=ground @ ground.conj().T,
        number_operator=sum(embed(number(2), i, dims) for i in range(n)),
        params=dict(n=n, J=J, alpha_xxz=alpha, coupling=coupling, B=B, omega=omega, p=p),
    )
