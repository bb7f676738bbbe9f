"""Batteries charged by their dissipation (physics.md M16, M21), for the open-system circuits.

dissipative_charging (Barra 2019, M16): a TLS battery (omega) hit by a stream of ancilla TLSs
(omega) in the Gibbs state G_beta[H_A], one collision each, V = g (sigma_B^+ sigma_A^+ + h.c.)
(the recipe [H_B, B] = lambda B, [H_A, A] = lambda A with H'_B = -H_B).  In the short-collision
limit (g tau -> 0 at fixed collision rate x g^2 tau^2 = Gamma) an ancilla in |g> (probability
p_g = 1 / (1 + e^{-beta omega})) raises the battery and one in |e> lowers it:

    drho/dt = -i[omega n, rho] + Gamma (p_g D[sigma^+] + p_e D[sigma^-]) rho,

so P_e(t) = p_g + (P_e(0) - p_g) e^{-Gamma t} and the fixed point is G_beta[-H_B]
(p_e/p_g = e^{beta omega}: active, ergotropy (p_g - p_e) omega).  D is the standard
dissipator.  The battery starts in its Gibbs state at beta_start (inf: ground), a diagonal
mixture the circuits draw per realization.

dark_state_charging (Quach & Munro 2020, M21): N_B battery and N_C charger TLSs (gap omega)
in one thermal optical bath,

    drho/dt = -i omega [J_B^z + J_C^z, rho] + gamma (nbar + 1) D_-[rho] + gamma nbar D_+[rho],
    D_+-[rho] = 2 O rho O^dag - {O^dag O, rho},  O = J_B^+- + J_C^+-,  nbar = 1/(e^{beta omega} - 1),

whose D_+- is TWICE the standard dissipator: the jumps are O at rate 2 gamma (nbar + 1) and 2
gamma nbar in qbhw's convention.  Every spin is its own qubit subsystem (the collective O acts
on both groups, so no single symmetric subsystem holds it); H_B = omega sum n over the battery
(J^z up to a constant).  Start |G>_B (x) |E>_C.  At nbar = 0 the dark (singlet-like) part of
the initial state never decays: for N_B = N_C = 1, E_B(inf) = omega / 4.

dfs_ring (Liu, Segal, Hanna 2019, M20): one excitation on a 6-site ring (sites 1..6 = levels
0..5 of one d-level subsystem, binary-encoded on 3 qubits),
    H_B = sum_j E_j |j><j| + J_0 sum_j (|j><j+1| + h.c.) - e_0,
bulk sites 2, 3, 5, 6 at E_bulk, sites 1 and 4 at E_bulk + delta, e_0 the lowest eigenvalue
(ground energy 0).  physics.md gives no bath model or rates; CHOSEN here: the bath couples
through S = {|1><1|, |4><4|} as pure dephasing, jumps L_1 = |1><1| and L_4 = |4><4| at rate
gamma each (white-noise fluctuations of the two site energies).  The dark states
|psi_+-> = (|6> - |2> +- |5> -+ |3>)/2 are eigenstates of H_B (energies E_bulk +- J_0, before
the shift) with no weight on sites 1 and 4, so they are stationary: their energy and
ergotropy are stored forever, while a state with weight on sites 1, 4 dephases.  On qubits
the projectors |j><j| are no sums of qubit numbers, so they compile to first-order collisions.

nmr_star (Joshi & Mahesh 2022, physics.md section 3 and R63; colloquium, lecture 4): one battery
spin S (subsystem 0) and N charger spins I^i (subsystems 1..N), all at Larmor frequency omega,

    H = omega (n_B + sum_i n_i) + J (S_x I_x + S_y I_y) = omega N + (J/2) sum_i (sigma_B^+ sigma_i^- + h.c.),

chargers inverted (|1>) and battery in |0> at t = 0; at ``recharge_time`` (the delay Delta; None: never) the
chargers are re-inverted: traced out and re-prepared in |1> (Model.recharge_times; reset + X on
circuits).  Closed form without relaxation: the state stays in span{|0>|1..1>, |1>|W>} (|W> the
symmetric one-hole charger state), so P_B(t) = sin^2(sqrt(N) J t / 2) up to the recharge; there
rho_B is diagonal, the |1>|1..1> part is dark (no flip-flop partner) and the |0> part recharges:
P_B(t) = 1 - (1 - P_B(Delta)) cos^2(sqrt(N) J (t - Delta) / 2) after it.  Optional relaxation
(physics.md: T1(charger) = 3.3 s, T1(battery) = 115.4 s at 298 K, where k_B T >> omega): the
infinite-temperature T1 channel D[sigma^-] + D[sigma^+], each at rate gamma / 2, so populations
relax to 1/2 at rate gamma = 1/T1 (``gamma_charger``, ``gamma_battery``, units omega).
"""

from __future__ import annotations

import math

import numpy as np

from . import validate as check
from .base import Jump, Model, Subsystem
from .operators import basis_projector, embed, lowering, number, product_state

RING_STARTS = ("dark_plus", "dark_minus", "site_1", "site_2")
NMR_LIMIT = 6  # chargers: Hilbert dimension 2^(N + 1) <= 128, and N + 1 <= 12 circuit qubits with ancillas to spare
DARK_LIMIT = 6  # spins: Hilbert dimension 2^(N_B + N_C) <= 64, what the open-system circuits compile


def dissipative_charging(gamma, beta_omega, omega=1.0, beta_start_omega=math.inf) -> Model:
    """Barra's collisional charging in the short-collision limit (module doc): one battery
    qubit, collision rate ``gamma`` (units omega), ancillas at beta omega = ``beta_omega``,
    battery starting in its Gibbs state at beta_start omega (inf: ground)."""
    gamma = check.nonnegative("gamma", gamma)
    b = check.finite("beta_omega", beta_omega)
    omega = check.positive("omega", omega)
    if not (isinstance(beta_start_omega, (int, float)) and (beta_start_omega == math.inf or math.isfinite(beta_start_omega))):
        raise ValueError(f"beta_start_omega must be a number or inf, got {beta_start_omega!r}")
    p_g = 1.0 / (1.0 + math.exp(-b))  # ancilla ground population
    p_e_start = 0.0 if beta_start_omega == math.inf else 1.0 / (1.0 + math.exp(beta_start_omega))
    h = omega * number(2)
    sm = lowering(2)
    return Model(
        name="dissipative_charging", subsystems=(Subsystem("battery", "battery", 2, "qubit", omega),),
        h0=h, drives=(), jumps=(Jump(sm.conj().T, gamma * p_g, "ancilla in |g>: D[sigma^+]"),
                                Jump(sm, gamma * (1 - p_g), "ancilla in |e>: D[sigma^-]")),
        h_battery=h, h_charger=np.zeros((1, 1)), rho0=np.diag([1 - p_e_start, p_e_start]),
        number_operator=number(2),
        params=dict(gamma=gamma, beta_omega=b, omega=omega, beta_start_omega=beta_start_omega))


def dark_state_charging(n_b, n_c, gamma, nbar, omega=1.0) -> Model:
    """Quach-Munro dark-state charging (module doc): battery spins are subsystems 0..N_B-1,
    chargers N_B..N_B+N_C-1 (role "charger"), all qubits."""
    n_b = check.integer("n_b", n_b, 1)
    n_c = check.integer("n_c", n_c, 1)
    if n_b + n_c > DARK_LIMIT:
        raise ValueError(f"n_b + n_c = {n_b + n_c} spins: at most {DARK_LIMIT} (dimension 2^(N_B + N_C))")
    gamma = check.nonnegative("gamma", gamma)
    nbar = check.nonnegative("nbar", nbar)
    omega = check.positive("omega", omega)
    n = n_b + n_c
    dims = (2,) * n
    o_minus = sum(embed(lowering(2), k, dims) for k in range(n))
    numbers = sum(embed(number(2), k, dims) for k in range(n))
    h_b = omega * sum(embed(number(2), k, (2,) * n_b) for k in range(n_b))
    h_c = omega * sum(embed(number(2), k, (2,) * n_c) for k in range(n_c))
    return Model(
        name="dark_state_charging",
        subsystems=tuple(Subsystem(f"battery_{k}", "battery", 2, "qubit", omega) for k in range(n_b))
        + tuple(Subsystem(f"charger_{k}", "charger", 2, "qubit", omega) for k in range(n_c)),
        h0=omega * numbers, drives=(),
        jumps=(Jump(o_minus, 2 * gamma * (nbar + 1), "collective emission D_-"),
               Jump(o_minus.conj().T, 2 * gamma * nbar, "collective absorption D_+")),
        h_battery=h_b, h_charger=h_c,
        rho0=product_state([basis_projector(2, 0)] * n_b + [basis_projector(2, 1)] * n_c),
        number_operator=numbers, params=dict(n_b=n_b, n_c=n_c, gamma=gamma, nbar=nbar, omega=omega))


def dfs_ring(gamma, J0=1.0, E_bulk=2.0, delta=0.5, initial="dark_plus") -> Model:
    """The 6-site decoherence-free ring (module doc); initial: "dark_plus", "dark_minus"
    (|psi_+->, prepared on the circuits), "site_1" or "site_2" (one site excited)."""
    gamma = check.nonnegative("gamma", gamma)
    J0 = check.finite("J0", J0)
    E_bulk = check.finite("E_bulk", E_bulk)
    delta = check.finite("delta", delta)
    if initial not in RING_STARTS:
        raise ValueError(f"initial must be one of {RING_STARTS}, got {initial!r}")
    h = np.diag([E_bulk + delta, E_bulk, E_bulk, E_bulk + delta, E_bulk, E_bulk]).astype(complex)
    for j in range(6):
        h[j, (j + 1) % 6] = h[(j + 1) % 6, j] = J0
    h = h - np.linalg.eigvalsh(h)[0] * np.eye(6)
    site = np.eye(6)
    sign = 1.0 if initial == "dark_plus" else -1.0
    psi = (0.5 * (site[5] - site[1] + sign * site[4] - sign * site[2]) if initial.startswith("dark")
           else site[int(initial[-1]) - 1])
    return Model(
        name="dfs_ring", subsystems=(Subsystem("ring", "battery", 6, "levels", 1.0),),
        h0=h, drives=(), jumps=(Jump(np.diag(site[0]), gamma, "bath at site 1"),
                                Jump(np.diag(site[3]), gamma, "bath at site 4")),
        h_battery=h, h_charger=np.zeros((1, 1)), rho0=np.outer(psi, psi),
        number_operator=np.diag(np.arange(6.0)),  # the level index (no drive: no frame uses it)
        params=dict(gamma=gamma, J0=J0, E_bulk=E_bulk, delta=delta, initial=initial))


def nmr_star(n_chargers, J, recharge_time=None, omega=1.0, gamma_charger=0.0, gamma_battery=0.0) -> Model:
    """The NMR star (module doc): battery spin 0, chargers 1..N, coupling ``J`` (units omega),
    chargers re-inverted at ``recharge_time`` (units 1/omega; None: never)."""
    n = check.integer("n_chargers", n_chargers, 1)
    if n > NMR_LIMIT:
        raise ValueError(f"n_chargers = {n}: at most {NMR_LIMIT} (dimension 2^(N + 1))")
    J = check.finite("J", J)
    omega = check.positive("omega", omega)
    if recharge_time is not None:
        recharge_time = check.positive("recharge_time", recharge_time)
    rates = {0: check.nonnegative("gamma_battery", gamma_battery)}
    rates.update({k: check.nonnegative("gamma_charger", gamma_charger) for k in range(1, n + 1)})
    dims = (2,) * (n + 1)
    sm = lowering(2)
    numbers = sum(embed(number(2), k, dims) for k in range(n + 1))
    flip_flop = sum(embed(sm.conj().T, 0, dims) @ embed(sm, k, dims) for k in range(1, n + 1))
    jumps = tuple(Jump(embed(op, k, dims), rates[k] / 2, f"T1 {'battery' if k == 0 else f'charger {k}'} {name}")
                  for k in range(n + 1) if rates[k] > 0 for op, name in ((sm, "down"), (sm.conj().T, "up")))
    return Model(
        name="nmr_star",
        subsystems=(Subsystem("battery", "battery", 2, "qubit", omega),)
        + tuple(Subsystem(f"charger_{k}", "charger", 2, "qubit", omega) for k in range(1, n + 1)),
        h0=omega * numbers + (J / 2) * (flip_flop + flip_flop.conj().T), drives=(), jumps=jumps,
        h_battery=omega * number(2), h_charger=omega * sum(embed(number(2), k, (2,) * n) for k in range(n)),
        rho0=product_state([basis_projector(2, 0)] + [basis_projector(2, 1)] * n), number_operator=numbers,
        params=dict(n_chargers=n, J=J, recharge_time=recharge_time, omega=omega, gamma_charger=rates[n],
                    gamma_battery=rates[0]),
        recharge_times=() if recharge_time is None else (recharge_time,))
