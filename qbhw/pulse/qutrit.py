"""The superconducting qutrit battery (Hu et al., QST 7, 045018 (2022); physics.md M14): one
transmon charged |0> -> |2> by a pump P on the 0-1 transition and a Stokes drive S on 1-2.

Pulse level, in the frame rotating at f01 (model time = ns, energies in rad/ns):

    H = (alpha/2) n (n - 1) + sum_{j = P, S} (Omega_j(t)/2) (a e^{i Delta_j t} + a^dag e^{-i Delta_j t})
    Delta_P = 0, Delta_S = alpha;  Omega_S is divided by sqrt(2) so that both transitions have
    Rabi frequency Omega_j (<2|a^dag|1> = sqrt 2).

Both drives act on the whole ladder: P also drives 1-2 (detuned by alpha), S also 0-1 (AC Stark
shifts, crosstalk), which the carrier envelopes, sampled every ``dt_ns``, keep (no RWA per drive).
Gaussian envelopes of width sigma = duration / 8, cut at the window:

    "resonant"  P then S, each a pi pulse (area pi inside the window), centred at T/4 and 3T/4;
    "stirap"    the counter-intuitive order: S centred at T/2 - sigma, P at T/2 + sigma, both
                of peak Rabi frequency ``peak_mhz`` (2 pi x MHz).

``amplitude_scales`` (a scan of amplitude errors, one envelope row each) multiply both drives.
The battery Hamiltonian is the transmon's own, in units of f01: H_B = diag(0, 1, 2 + alpha/f01).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..metrics import ergotropy
from .device import DeviceModel, Scale, Transmon, typical_transmon
from .program import PulseProgram, solve_states

PROTOCOLS = ("resonant", "stirap")
NS = Scale(g_model=1.0, g_hz=1e9 / (2 * math.pi))  # model time 1 = 1 ns, model angular frequency 1 = 1 rad/ns


def _gaussian(t, centre, sigma, peak):
    return peak * np.exp(-0.5 * ((t - centre) / sigma) ** 2)


def envelopes(protocol: str, t: np.ndarray, duration: float, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """(Omega_P(t), Omega_S(t)) in rad/ns (module doc)."""
    sigma = duration / 8
    if protocol == "resonant":
        inside = (1 + math.erf(math.sqrt(2))) / 2  # each Gaussian is cut 2 sigma before its centre
        pi_peak = math.pi / (sigma * math.sqrt(2 * math.pi) * inside)  # area pi within the window
        return _gaussian(t, duration / 4, sigma, pi_peak), _gaussian(t, 3 * duration / 4, sigma, pi_peak)
    if protocol == "stirap":
        return _gaussian(t, duration / 2 + sigma, sigma, peak), _gaussian(t, duration / 2 - sigma, sigma, peak)
    raise InputError("protocol", f"must be one of {PROTOCOLS}, got {protocol!r}")


def battery_hamiltonian(transmon: Transmon) -> np.ndarray:
    """diag(0, 1, 2 + alpha/f01): the transmon's levels in units of f01."""
    return np.diag([0.0, 1.0, 2.0 + transmon.anharmonicity / transmon.frequency]).astype(complex)


def qutrit_program(protocol: str, *, duration_ns: float = 1000.0, peak_mhz: float = 15.0,
                   transmon: Transmon | None = None, amplitude_scales=(1.0,), dt_ns: float = 0.25,
                   times=None) -> PulseProgram:
    """The pulse program of one qutrit charging protocol (module doc); ``times`` in ns
    (default: 0 and the end; multiples of ``dt_ns``).  Samples every ``dt_ns`` (0.25 ns: 13 per
    period of the Stokes carrier at 310 MHz; STIRAP's P2 moves by 1e-4 from 0.1 ns, 6x faster),
    solved exactly sample by sample (contract method "expm": one matrix exponential per sample;
    JAX odeint at rtol 1e-9 was 2.3e-6 off over the 4000 sample jumps, and 45x slower)."""
    tr = transmon or typical_transmon()
    dev = DeviceModel((tr,), 3, (), NS)
    samples = math.ceil(duration_ns / dt_ns)
    t = (np.arange(samples) + 0.5) * dt_ns
    omega_p, omega_s = envelopes(protocol, t, duration_ns, 2 * math.pi * peak_mhz * 1e-3)
    alpha = NS.angular(tr.anharmonicity)
    in_phase = omega_p / 2 + omega_s / (2 * math.sqrt(2)) * np.cos(alpha * t)
    quadrature = omega_s / (2 * math.sqrt(2)) * np.sin(alpha * t)
    env = np.array([[s * in_phase, s * quadrature] for s in amplitude_scales])
    i_op, q_op = dev.drive_quadratures(0)
    dissipators = dev.dissipators()
    y0 = np.eye(3, dtype=complex)[0]
    times = np.array([0.0, duration_ns] if times is None else times, dtype=float)
    if np.any(np.abs(times / dt_ns - np.round(times / dt_ns)) > 1e-9):
        raise InputError("times", f"the qutrit's times must be multiples of the sample width {dt_ns:g} ns")
    params = {"protocol": protocol, "duration_ns": duration_ns, "peak_mhz": peak_mhz, "sigma_ns": duration_ns / 8,
              "dt_ns": dt_ns, "amplitude_scales": [float(s) for s in amplitude_scales], "device": dev.parameters()}
    return PulseProgram(dev, dev.static_hamiltonian(), np.array([i_op, q_op]), ("drive I", "drive Q"), "samples", env,
                        dt_ns, np.array(dissipators).reshape(-1, 3, 3), np.outer(y0, y0) if dissipators else y0,
                        times, max_dt=dt_ns, charger=0, battery=0, parameters=params, method="expm")


def charge(program: PulseProgram, worker=None) -> dict:
    """Final populations (B, 3), energy, ergotropy (units of f01) and average power (per ns)
    of every envelope row of a :func:`qutrit_program`."""
    states, _ = solve_states(program, worker)
    final = states[:, -1]
    hb = battery_hamiltonian(program.device.transmons[0])
    energy = np.real(np.einsum("bij,ji->b", final, hb))
    return {"populations": np.real(np.diagonal(final, axis1=-2, axis2=-1)), "energy": energy,
            "ergotropy": np.array([ergotropy(r, hb) for r in final]),
            "power_per_ns": energy / program.parameters["duration_ns"]}
