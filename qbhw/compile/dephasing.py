"""Emulated charger dephasing: what one dephasing slot of duration tau puts in a circuit.

Target channel for L = n = sigma^+ sigma^- at rate gamma acting for tau: the qubit's coherence
is multiplied by e^{-gamma tau / 2}, i.e. rho -> (1 - p) rho + p Z rho Z with
p = (1 - e^{-gamma tau / 2}) / 2.  Each method reproduces it on average (or exactly):

    "kicks":   RZ(phi), phi ~ Normal(0, gamma tau)           E e^{-i phi} = e^{-gamma tau/2}
    "flips":   RZ(pi) with probability p, else nothing       (a random Z flip)
    "mcm":     measure the qubit in its energy basis with probability q = 2p = 1 - e^{-gamma tau/2}
               (a forgotten projective measurement is rho -> (rho + Z rho Z)/2)
    "weak":    controlled RY(theta) from the qubit onto an ancilla in |0>, measure the ancilla,
               reset it; cos(theta/2) = e^{-gamma tau/2}, deterministic (no realizations)
    "channel": the channel itself as a Kraus instruction (density-matrix simulators only)
    "none":    nothing

"kicks" and "flips" are parameter values bound per realization (RZ is virtual on IBM
hardware: no gate time).  "mcm" places its measurements per realization, so each realization
is its own circuit: a measurement cannot be switched off by a parameter.  "weak" costs an
ancilla, a two-qubit gate, a measurement and a reset per slot (microseconds on hardware).
"""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import Kraus

DEPHASING = ("kicks", "flips", "mcm", "weak", "channel", "none")
SIMULATOR_ONLY = ("channel",)  # dephasing methods no quantum processor can run
PER_REALIZATION_CIRCUITS = ("mcm",)  # realizations are separate circuits, not parameter rows
DETERMINISTIC = ("weak", "channel", "none")  # one circuit, no realizations


def flip_probability(gamma: float, tau) -> np.ndarray:
    """p of rho -> (1 - p) rho + p Z rho Z for dephasing rate gamma over tau."""
    return (1.0 - np.exp(-gamma * np.asarray(tau, dtype=float) / 2)) / 2


def kick_angles(rng: np.random.Generator, method: str, gamma: float, durations: np.ndarray, m: int) -> np.ndarray:
    """(m, slots) RZ angles of ``m`` realizations for the "kicks" or "flips" method."""
    if method == "kicks":
        return rng.normal(0.0, 1.0, size=(m, durations.size)) * np.sqrt(gamma * durations)
    if method == "flips":
        return np.pi * (rng.random((m, durations.size)) < flip_probability(gamma, durations))
    raise ValueError(f"kick angles exist for 'kicks' and 'flips', not {method!r}")


def measurement_pattern(rng: np.random.Generator, gamma: float, durations: np.ndarray) -> np.ndarray:
    """Boolean per slot: measure the qubit there ("mcm", probability 2p)."""
    return rng.random(durations.size) < 2 * flip_probability(gamma, durations)


def weak_angle(gamma: float, tau: float) -> float:
    """theta of the controlled RY whose forgotten ancilla outcome dephases by e^{-gamma tau/2}."""
    return float(2 * np.arccos(np.exp(-gamma * tau / 2)))


def dephasing_channel(gamma: float, tau: float) -> Kraus:
    """exp(tau D) for L = n (rate gamma) on one qubit: coherences times e^{-gamma tau / 2}."""
    p = float(flip_probability(gamma, tau))
    return Kraus([np.sqrt(1 - p) * np.eye(2), np.sqrt(p) * np.diag([1.0, -1.0])])
