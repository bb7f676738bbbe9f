"""Many-battery models with collective couplings (Lecture 4): the star configuration (the
heat-engine chargers are in ``heat_engine.py``).

Symmetric representation: N identical TLS batteries that start in |g...g> and couple only
through collective operators S^+- = sum_i sigma_i^+- stay in the j = N/2 sector, stored as ONE
subsystem of dimension N+1 with basis |k> = symmetric state with k excitations:
    S^+ |k> = sqrt((k+1)(N-k)) |k+1>,   H_B = omega_b k.
``Model.battery_levels`` = (omega_b k, C(N, k)) is the FULL 2^N spectrum of H_B, so ergotropy
is computed over it (the passive state may use non-symmetric levels; DESIGN.md).
"""

from __future__ import annotations

from math import comb

import numpy as np

from . import validate as check
from .base import Drive, Jump, Model, Subsystem
from .operators import basis_projector, embed, lowering, number, product_state

FULL_LIMIT = 10  # batteries up to which the 2^N-dimensional full representation is allowed


def collective_raising(n: int) -> np.ndarray:
    """S^+ = sum_i sigma_i^+ on the symmetric sector, basis |k> (k excitations), (N+1)x(N+1)."""
    k = np.arange(n)
    return np.diag(np.sqrt((k + 1.0) * (n - k)), -1).astype(complex)


def _symmetric_levels(n: int, omega: float):
    return omega * np.arange(n + 1, dtype=float), np.array([comb(n, k) for k in range(n + 1)], dtype=object)


def star(n_batteries, g, F, gamma_c, omega_b=1.0, omega_c=1.0, omega_d=1.0, *, representation="auto") -> Model:
    """One driven, dephased TLS charger (subsystem 0) coupled to N TLS batteries (M4).

    H = w_C n_C + w_B sum_i n_i + g (sigma_C^- S^+ + sigma_C^+ S^-) + F(sigma_C^- e^{i w_d t} + h.c.),
    charger dephasing L = n_C at rate gamma_c, all ground.  representation: "symmetric" (one
    collective battery subsystem of dim N+1), "full" (N qubit subsystems, N <= FULL_LIMIT), or
    "auto" (= symmetric: the couplings and initial state are permutation symmetric).
    """
    n = check.integer("n_batteries", n_batteries, 1)
    g, F = check.coupling_and_drive(g, F)
    gamma_c = check.nonnegative("gamma_c", gamma_c)
    omega_b = check.positive("omega_b", omega_b)
    omega_c = check.positive("omega_c", omega_c)
    omega_d = check.finite("omega_d", omega_d)
    if representation not in ("auto", "symmetric", "full"):
        raise ValueError(f"representation must be 'auto', 'symmetric' or 'full', got {representation!r}")
    params = dict(n_batteries=n, g=g, F=F, gamma_c=gamma_c, omega_b=omega_b, omega_c=omega_c,
                  omega_d=omega_d, representation="full" if representation == "full" else "symmetric")
    if representation == "full":
        if n > FULL_LIMIT:
            raise ValueError(f"n_batteries = {n} is too large for representation='full' "
                             f"(at most {FULL_LIMIT}: 2^(N+1)-dimensional matrices); use 'symmetric'")
        dims = (2,) * (n + 1)
        s_minus = sum(embed(lowering(2), i, dims) for i in range(1, n + 1))
        n_b = sum(embed(number(2), i, dims) for i in range(1, n + 1))
        bdims = (2,) * n
        h_battery = omega_b * sum(embed(number(2), i, bdims) for i in range(n))
        subsystems = (Subsystem("charger", "charger", 2, "qubit", omega_c),) + tuple(
            Subsystem(f"battery_{i}", "battery", 2, "qubit", omega_b) for i in range(1, n + 1))
        levels = None
    else:
        dims = (2, n + 1)
        s_minus = embed(collective_raising(n).conj().T, 1, dims)
        n_b = embed(number(n + 1), 1, dims)
        h_battery = omega_b * number(n + 1)
        subsystems = (Subsystem("charger", "charger", 2, "qubit", omega_c),
                      Subsystem("batteries", "battery", n + 1, "collective", omega_b))
        levels = _symmetric_levels(n, omega_b)
    a_c = embed(lowering(2), 0, dims)
    n_c = embed(number(2), 0, dims)
    h0 = omega_c * n_c + omega_b * n_b + g * (a_c @ s_minus.conj().T + a_c.conj().T @ s_minus)
    rho0 = product_state([basis_projector(d, 0) for d in dims])
    return Model(name="star", subsystems=subsystems, h0=h0, drives=(Drive(F * a_c.conj().T, omega_d),),
                 jumps=(Jump(n_c, gamma_c, "charger dephasing"),), h_battery=h_battery,
                 h_charger=omega_c * number(2), rho0=rho0, number_operator=n_c + n_b, params=params,
                 battery_levels=levels)
