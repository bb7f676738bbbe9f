"""Charger-battery energy balance of a measured (or exact) charging curve.

With the bare energy H_0 = H_C + H_B (charger and battery Hamiltonians, ground energy 0) and
the generator H (the rotating-frame Hamiltonian of a resonant drive, or the static one) with
Lindblad jumps L_j at rates r_j, the Heisenberg equation splits the change of H_0 into flows,
each the expectation of a fixed Hermitian operator (so each is LINEAR in the state):

    dE_C/dt + dE_B/dt = P_drive + P_coupling + P_bath,
    P_drive    = Tr[rho i[H_d, H_0]]                         (H_d = H - h0 + w_d N: the drive terms),
    P_coupling = Tr[rho i[h0 - H_0, H_0]]                    (0 for an excitation-exchange coupling),
    P_bath     = sum_j r_j Tr[rho (L_j^dag H_0 L_j - {L_j^dag L_j, H_0}/2)]   (0 for dephasing by n_C).

H_0 commutes with the frame's number operator N, so every term is the same in the rotating and
the lab frame.  :func:`energy_balance` integrates each flow over the sampled times (trapezoid
rule) and returns the residual E_C + E_B - E_C(0) - E_B(0) - sum of the integrated flows, which
is zero for the exact states up to the trapezoid's O(dt^2) error: on measured states, the
check that the charger's measured coherences (which carry P_drive) account for the energy the
populations show.  Energies in the units of ``h0`` (omega_B), times in 1/omega_B.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.integrate import cumulative_trapezoid

FLOWS = ("drive", "coupling", "bath")


def flow_operators(h: np.ndarray, h0: np.ndarray, h_bare: np.ndarray,
                   jumps: Sequence[tuple[np.ndarray, float]]) -> dict[str, np.ndarray]:
    """{flow: G} with P_flow = Tr[rho G] (module doc): ``h`` the generator, ``h0`` the static
    lab-frame Hamiltonian, ``h_bare`` = H_C + H_B, ``jumps`` (L, rate) pairs."""
    comm = lambda a: 1j * (a @ h_bare - h_bare @ a)
    coupling = h0 - h_bare
    bath = np.zeros_like(h_bare, dtype=complex)
    for op, rate in jumps:
        ld = op.conj().T
        bath += rate * (ld @ h_bare @ op - 0.5 * (ld @ op @ h_bare + h_bare @ ld @ op))
    # the frame term -w_d N commutes with h_bare, so the drive's flow is that of h - h0
    return {"drive": comm(h - h0), "coupling": comm(coupling), "bath": bath}


def energy_balance(times, states, h_charger: np.ndarray, h_battery: np.ndarray,
                   flows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per time: ``charger_energy``, ``battery_energy``, each flow integrated from 0
    (``work_<flow>``) and the ``residual`` (module doc), from full-space ``states`` (T, D, D) at
    ``times`` (t[0] = 0) and full-space charger/battery Hamiltonians; works on stacks
    (..., T, D, D), integrating along the time axis."""
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size < 2 or times[0] != 0:
        raise ValueError("times must be a 1-D grid of at least two points starting at 0")
    states = np.asarray(states)
    expect = lambda op: np.real(np.einsum("...ij,ji->...", states, op))
    e_c, e_b = expect(h_charger), expect(h_battery)
    out = {"charger_energy": e_c, "battery_energy": e_b}
    supplied = 0.0
    for name in FLOWS:
        work = cumulative_trapezoid(expect(flows[name]), times, axis=-1, initial=0.0)
        out[f"work_{name}"] = work
        supplied = supplied + work
    out["residual"] = e_c + e_b - (e_c[..., :1] + e_b[..., :1]) - supplied
    return out
