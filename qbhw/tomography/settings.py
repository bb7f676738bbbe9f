"""Tomography data with settings beyond the Pauli bases, and the estimate each kind of data gets.

A data mapping {setting: counts (..., 2**k)} (outcome index bit i = measured qubit i, 0 <->
eigenvalue +1; leading axes e.g. bootstrap resamples) has settings of two kinds:

- a Pauli label (str, character i = Pauli measured on measured qubit i): the 3^k bases of
  :func:`.linear.linear_inversion`;
- an :class:`Axis` (x, y, z): EVERY measured qubit measured along that unit direction.

The estimate, by the settings present (:func:`linear_estimate`):

- Pauli labels only: linear inversion.
- one qubit with Axis settings besides X, Y, Z (the adaptive estimator's extra axis,
  :mod:`qbhw.estimation.adaptive`): the weighted least-squares Bloch vector of all settings,
  weights from the X, Y, Z estimate (:func:`qbhw.estimation.adaptive.fit_bloch`); linear in
  the counts for fixed weights, so unbiased to first order.
- k > 1 qubits, Axis settings only: the permutation-invariant part of the state
  (:func:`.permutation.pi_linear_estimate`, Toth et al., PRL 105, 250403 (2010)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..estimation.adaptive import PAULI_AXES, fit_bloch
from .linear import PAULI, linear_inversion

__all__ = ["Axis", "linear_estimate", "bloch_state"]


class Axis(NamedTuple):
    """A measurement direction (unit vector, qiskit's Bloch convention) applied to every
    measured qubit; hashable, so it keys tomography data beside Pauli labels."""

    x: float
    y: float
    z: float


def bloch_state(r) -> np.ndarray:
    """(1 + r . sigma) / 2 for Bloch vectors ``r`` (..., 3)."""
    r = np.asarray(r, dtype=float)
    sigma = np.array([PAULI["X"], PAULI["Y"], PAULI["Z"]])
    return 0.5 * (np.eye(2) + np.einsum("...i,ijk->...jk", r, sigma))


def _qubit_fit(data) -> np.ndarray:
    pauli = {"X": 0, "Y": 1, "Z": 2}
    keys = list(data)
    axes = np.array([PAULI_AXES[pauli[k]] if isinstance(k, str) else np.asarray(k, float) for k in keys])
    counts = np.stack([np.asarray(data[k], dtype=float) for k in keys], axis=-2)  # (..., settings, 2)
    total = counts.sum(axis=-1)
    # the weights' prior from Perks-smoothed means (1/2 a count per outcome): a setting that shows
    # one outcome only would otherwise get weight N / 1e-4 and pin the fit to its noise-free look
    smoothed = (counts[..., 0] - counts[..., 1]) / (total + 1.0)
    prior = np.stack([smoothed[..., keys.index(k)] for k in "XYZ"], axis=-1)
    return bloch_state(fit_bloch(axes, counts, prior))


def linear_estimate(data) -> np.ndarray:
    """The linear (possibly unphysical) state estimate of ``data`` (module doc), (..., 2**k, 2**k)."""
    keys = list(data)
    if all(isinstance(k, str) for k in keys):
        return linear_inversion(data)
    k = int(np.log2(np.asarray(data[keys[0]]).shape[-1]))
    if k == 1:
        if not {"X", "Y", "Z"} <= set(keys):
            raise ValueError(f"a qubit fit with extra axes needs the X, Y and Z bases, got {keys}")
        return _qubit_fit(data)
    if any(isinstance(key, str) for key in keys):
        raise ValueError("Pauli bases and axis settings are not mixed on more than one qubit")
    from .permutation import pi_linear_estimate

    return pi_linear_estimate(data, k)
