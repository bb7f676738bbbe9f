"""Driven, dephased charger + battery pairs of Lecture 4 (physics.md M1-M3).

    H(t) = w_C n_C + w_B n_B + g (a_C^dag a_B + a_B^dag a_C)
           + F (a_C e^{+i w_d t} + a_C^dag e^{-i w_d t})
    dephasing on the charger: L = n_C (sigma_C^+ sigma_C^- for a TLS), rate gamma_c,
    i.e. (gamma_c/2)(2 L rho L - {L^2, rho}); charger coherences decay at gamma_c/2.

Subsystem 0 is the charger (Qiskit qubit 0), subsystem 1 the battery.  Both start empty.
With ``counter_rotating=True`` the coupling becomes g (a_C + a_C^dag)(a_B + a_B^dag) (for
TLSs: g X_C X_B); it does not conserve excitations, so no frame removes the drive and the
references solve the time-dependent lab-frame problem.
"""

from __future__ import annotations

from . import validate as check
from .base import Drive, Jump, Model, Subsystem
from .operators import basis_projector, coherent_projector, embed, lowering, number, product_state


def _pair(name, charger_dim, battery_dim, kinds, g, F, gamma_c, omega_b, omega_c, omega_d,
          counter_rotating, extra_params, battery_start=None) -> Model:
    g, F = check.coupling_and_drive(g, F)
    gamma_c = check.nonnegative("gamma_c", gamma_c)
    omega_b = check.positive("omega_b", omega_b)
    omega_c = check.positive("omega_c", omega_c)
    omega_d = check.finite("omega_d", omega_d)
    dims = (charger_dim, battery_dim)
    a_c = embed(lowering(charger_dim), 0, dims)
    a_b = embed(lowering(battery_dim), 1, dims)
    n_c = embed(number(charger_dim), 0, dims)
    n_b = embed(number(battery_dim), 1, dims)
    if counter_rotating:
        x_c, x_b = a_c + a_c.conj().T, a_b + a_b.conj().T
        coupling = g * x_c @ x_b
    else:
        coupling = g * (a_c.conj().T @ a_b + a_b.conj().T @ a_c)
    h0 = omega_c * n_c + omega_b * n_b + coupling
    subsystems = (
        Subsystem("charger", "charger", charger_dim, kinds[0], omega_c),
        Subsystem("battery", "battery", battery_dim, kinds[1], omega_b),
    )
    rho0 = product_state([basis_projector(charger_dim, 0),
                          basis_projector(battery_dim, 0) if battery_start is None else battery_start])
    params = dict(g=g, F=F, gamma_c=gamma_c, omega_b=omega_b, omega_c=omega_c, omega_d=omega_d,
                  counter_rotating=bool(counter_rotating), **extra_params)
    return Model(
        name=name,
        subsystems=subsystems,
        h0=h0,
        drives=(Drive(F * a_c.conj().T, omega_d),),
        jumps=(Jump(n_c, gamma_c, "charger dephasing"),),
        h_battery=omega_b * number(battery_dim),
        h_charger=omega_c * number(charger_dim),
        rho0=rho0,
        number_operator=n_c + n_b,
        params=params,
    )


def tls_pair(g, F, gamma_c, omega_b=1.0, omega_c=1.0, omega_d=1.0, *, counter_rotating=False) -> Model:
    """Two-level charger driven at omega_d, two-level battery, charger dephasing (M1).

    At resonance the rotating frame gives H = g (XX + YY)/2 + F X_C exactly.
    """
    return _pair("tls_pair", 2, 2, ("qubit", "qubit"), g, F, gamma_c, omega_b, omega_c, omega_d,
                 counter_rotating, {})


def tls_oscillator(g, F, gamma_c, n_max=10, omega_b=1.0, omega_c=1.0, omega_d=1.0, *,
                   counter_rotating=False, alpha_b=0.0) -> Model:
    """Two-level charger, harmonic-oscillator battery truncated to Fock states 0..n_max (M3).
    The battery starts in the coherent state |alpha_b> (real amplitude, truncated to n_max and
    renormalised; 0: the vacuum), prepared on the circuits by state preparation."""
    n_max = check.integer("n_max", n_max, 1)
    alpha_b = check.finite("alpha_b", alpha_b)
    return _pair("tls_oscillator", 2, n_max + 1, ("qubit", "oscillator"), g, F, gamma_c, omega_b,
                 omega_c, omega_d, counter_rotating, {"n_max": n_max, "alpha_b": alpha_b},
                 battery_start=coherent_projector(n_max + 1, alpha_b) if alpha_b else None)


def oscillator_pair(g, F, gamma_c, n_max=5, omega_b=1.0, omega_c=1.0, omega_d=1.0, *,
                    counter_rotating=False) -> Model:
    """Harmonic-oscillator charger and battery, each truncated to Fock states 0..n_max (M2).

    The charger jump operator is L = a_C^dag a_C (physics.md M2 flag: the lecture does not say).
    """
    n_max = check.integer("n_max", n_max, 1)
    return _pair("oscillator_pair", n_max + 1, n_max + 1, ("oscillator", "oscillator"), g, F,
                 gamma_c, omega_b, omega_c, omega_d, counter_rotating, {"n_max": n_max})
