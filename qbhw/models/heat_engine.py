"""Three-level-maser heat engines as chargers (Lecture 4; Ito, Purkait, Watanabe; physics.md M5).

Explicit model (small N): N engines, each reduced to its lasing transition {|0>, |1>} with
frequency omega_0, kept at the negative temperature beta_e (p1/p0 = e^{-beta_e omega_0} > 1) by
their baths, L = sigma_E^- at rate kappa p0 and sigma_E^+ at rate kappa p1; coupled to N TLS
batteries (symmetric sector) by the lecture's
    K = sum_j i (g/sqrt N)(|1><0|_Ej S^- - |0><1|_Ej S^+).
Adiabatic elimination (kappa >> g): each engine's coherence decays at kappa/2, so an engine in
|0> (|1>) removes (adds) a battery excitation at rate 4 (g^2/N) / kappa through S^- (S^+); the N
independent engines add up to the effective equation

    drho/dt = -i[H_B, rho] + Gamma_e (D[S^-] + e^{-beta_e omega_0} D[S^+]) rho,
    Gamma_e = 4 g^2 p0 / kappa,

with corrections of order Gamma_e / kappa.  ``heat_engine_explicit`` takes Gamma_e and kappa and
sets g = sqrt(Gamma_e kappa / (4 p0)).  Engines start in their steady state, batteries in ground.
"""

from __future__ import annotations

import numpy as np

from . import validate as check
from .base import Jump, Model, Subsystem
from .collective import _symmetric_levels, collective_raising
from .operators import basis_projector, embed, lowering, number, product_state

EXPLICIT_LIMIT = 4  # engines: Hilbert dimension 2^N (N+1)


def heat_engine_chargers(n, beta_e_omega_0, gamma_e, omega_0=1.0) -> Model:
    """N TLS batteries charged by collectively coupled maser heat engines, effective equation
    (module doc):

        drho/dt = -i[H_B, rho] + Gamma_e (D[S^-] + e^{-beta_e omega_0} D[S^+]) rho,

    D[L] the standard dissipator L rho L^dag - 1/2{L^dag L, rho} (the lecture does not define D;
    steady states do not depend on this choice, time scales do), batteries start in ground,
    symmetric representation (one collective subsystem of dim N+1; no charger subsystem).
    beta_e omega_0 < 0 is the engines' negative temperature.
    """
    n = check.integer("n", n, 1)
    b = check.finite("beta_e_omega_0", beta_e_omega_0)
    gamma_e = check.nonnegative("gamma_e", gamma_e)
    omega_0 = check.positive("omega_0", omega_0)
    sp = collective_raising(n)
    h_b = omega_0 * number(n + 1)
    return Model(
        name="heat_engine_chargers",
        subsystems=(Subsystem("batteries", "battery", n + 1, "collective", omega_0),),
        h0=h_b, drives=(), jumps=(Jump(sp.conj().T, gamma_e, "collective emission D[S^-]"),
                                  Jump(sp, gamma_e * np.exp(-b), "collective pumping e^{-beta_e w0} D[S^+]")),
        h_battery=h_b, h_charger=np.zeros((1, 1)), rho0=basis_projector(n + 1, 0),
        number_operator=number(n + 1),
        params=dict(n=n, beta_e_omega_0=b, gamma_e=gamma_e, omega_0=omega_0),
        battery_levels=_symmetric_levels(n, omega_0))


def heat_engine_explicit(n, beta_e_omega_0, gamma_e, kappa, omega_0=1.0) -> Model:
    """N explicit engines (subsystems 0..N-1, role "charger") + N batteries (subsystem N,
    symmetric sector) whose elimination limit kappa -> infinity is
    ``heat_engine_chargers(n, beta_e_omega_0, gamma_e)`` (module doc)."""
    n = check.integer("n", n, 1)
    if n > EXPLICIT_LIMIT:
        raise ValueError(f"n = {n} engines: at most {EXPLICIT_LIMIT} explicit engines (dimension 2^N (N+1)); "
                         "use heat_engine_chargers for the effective equation")
    b = check.finite("beta_e_omega_0", beta_e_omega_0)
    gamma_e = check.nonnegative("gamma_e", gamma_e)
    kappa = check.positive("kappa", kappa)
    omega_0 = check.positive("omega_0", omega_0)
    p1 = 1.0 / (1.0 + np.exp(b))  # p1/p0 = e^{-b}
    p0 = 1.0 - p1
    g = np.sqrt(gamma_e * kappa / (4 * p0))
    dims = (2,) * n + (n + 1,)
    s_minus = embed(collective_raising(n).conj().T, n, dims)
    engines = [embed(lowering(2), j, dims) for j in range(n)]  # sigma_Ej^-
    h0 = omega_0 * (sum(e.conj().T @ e for e in engines) + embed(number(n + 1), n, dims))
    for e in engines:
        h0 = h0 + 1j * (g / np.sqrt(n)) * (e.conj().T @ s_minus - e @ s_minus.conj().T)
    jumps = tuple(Jump(e, kappa * p0, f"engine {j} bath: decay") for j, e in enumerate(engines)) + tuple(
        Jump(e.conj().T, kappa * p1, f"engine {j} bath: pumping") for j, e in enumerate(engines))
    engine_state = np.diag([p0, p1]).astype(complex)
    h_engines = omega_0 * sum(embed(number(2), j, (2,) * n) for j in range(n))
    return Model(
        name="heat_engine_explicit",
        subsystems=tuple(Subsystem(f"engine_{j}", "charger", 2, "qubit", omega_0) for j in range(n))
        + (Subsystem("batteries", "battery", n + 1, "collective", omega_0),),
        h0=h0, drives=(), jumps=jumps, h_battery=omega_0 * number(n + 1), h_charger=h_engines,
        rho0=product_state([engine_state] * n + [basis_projector(n + 1, 0)]),
        number_operator=sum(embed(number(d), k, dims) for k, d in enumerate(dims)),
        params=dict(n=n, beta_e_omega_0=b, gamma_e=gamma_e, kappa=kappa, omega_0=omega_0, g=g),
        battery_levels=_symmetric_levels(n, omega_0))
