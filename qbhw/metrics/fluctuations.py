"""Energy fluctuations of a state (S3 Eq. 45; hbar = 1)."""

from __future__ import annotations

import math

import numpy as np

from . import _validate as _v

__all__ = ["energy_variance", "energy_fluctuation"]


def energy_variance(rho, h) -> float:
    """``Tr[h^2 rho] - Tr[h rho]^2`` (units of h^2); negative round-off clipped to 0."""
    rho, h = _v.state_and_hamiltonian(rho, h)
    e1 = float(np.real(np.sum(h * rho.T)))
    e2 = float(np.real(np.sum((h @ h) * rho.T)))
    return max(0.0, e2 - e1 * e1)


def energy_fluctuation(rho, h) -> float:
    """Energy standard deviation ``sqrt(energy_variance(rho, h))`` (units of h)."""
    return math.sqrt(energy_variance(rho, h))
