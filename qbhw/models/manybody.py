"""Cavity-charged many-body batteries (physics.md M9): the Dicke battery and its parallel
comparison, N independent Rabi batteries.

Convention (the M9 factor-2 flag): every TLS has splitting omega_0, i.e. (omega_0/2) sigma^z up
to a constant, and energies are counted from the ground state,

    H_Dicke = omega_c a^dag a + omega_0 sum_i sigma_i^+ sigma_i^- + g (a + a^dag) sum_i sigma_i^x
            = omega_c a^dag a + omega_0 K + g (a + a^dag)(S^+ + S^-),

so S3 Eq. 28's "omega_0 sigma^z" is read as (omega_0/2) sigma^z (resonance omega_0 = omega_c) and
g multiplies sigma^x = sigma^+ + sigma^- (S1's 2 omega_c lambda J_x with J = sigma/2 is g =
omega_c lambda).  rwa=True keeps g (a S^+ + a^dag S^-) (Tavis-Cummings); normalise=True uses the
thermodynamic coupling g/sqrt(N) (S3 Eq. 38).  H_B = omega_0 K, H_C = omega_c a^dag a, no
dissipation.  Spins start in |g...g> and stay in the symmetric sector (one collective
subsystem of dim N+1, ergotropy over the full 2^N spectrum via ``battery_levels``); the cavity
starts in the Fock state |photons> (default N) and is truncated at n_max.  Subsystem 0 is the
cavity (charger), subsystem 1 the batteries.  Units: hbar = 1, energies in omega_0 units.
"""

from __future__ import annotations

from math import comb

import numpy as np

from . import validate as check
from .base import Model, Subsystem
from .collective import collective_raising
from .operators import basis_projector, embed, embed_many, lowering, number, product_state


def _default_n_max(photons: int, n: int, rwa: bool) -> int:
    # RWA conserves a^dag a + K, so photons + ... never exceeds photons + n; counter-rotating
    # terms populate higher levels: keep a margin (evolve() raises TruncationError if short;
    # qbhw.reference.resolve_cutoff finds the cutoff that given times need)
    return photons + 1 if rwa else max(2 * n, photons + n) + 8  # +1: top level stays empty


def dicke(n_spins, g, omega_c=1.0, omega_0=1.0, photons=None, rwa=False, normalise=False, *,
          n_max=None) -> Model:
    """Dicke battery: N TLSs (symmetric sector) in one cavity prepared in |photons> (module
    docstring for H and the factor-2 convention).  n_max: cavity truncation (default
    max(2N, photons + N) + 8, or photons + 1 with rwa=True, where a^dag a + K is conserved)."""
    n = check.integer("n_spins", n_spins, 1)
    g = check.finite("g", g)
    omega_c = check.positive("omega_c", omega_c)
    omega_0 = check.positive("omega_0", omega_0)
    photons = n if photons is None else check.integer("photons", photons, 0)
    rwa = bool(rwa)
    n_max = _default_n_max(photons, n, rwa) if n_max is None else check.integer("n_max", n_max, 1)
    if n_max < photons:
        raise ValueError(f"n_max must be >= photons = {photons}, got {n_max}")
    coupling = g / np.sqrt(n) if normalise else g
    dims = (n_max + 1, n + 1)
    a, sp = lowering(n_max + 1), collective_raising(n)  # local operators; products via embed_many
    if rwa:
        h0 = embed_many({0: a, 1: sp}, dims)
        h0 += embed_many({0: a.conj().T, 1: sp.conj().T}, dims)
    else:
        h0 = embed_many({0: a + a.conj().T, 1: sp + sp.conj().T}, dims)
    h0 *= coupling
    # basis index = k (n_max + 1) + m for m photons and k excited spins (the cavity is rightmost)
    photons_of = np.tile(np.arange(n_max + 1, dtype=float), n + 1)
    excitations_of = np.repeat(np.arange(n + 1, dtype=float), n_max + 1)
    h0[np.diag_indices_from(h0)] += omega_c * photons_of + omega_0 * excitations_of
    return Model(
        name="dicke",
        subsystems=(Subsystem("cavity", "charger", n_max + 1, "oscillator", omega_c),
                    Subsystem("batteries", "battery", n + 1, "collective", omega_0)),
        h0=h0, drives=(), jumps=(), h_battery=omega_0 * number(n + 1),
        h_charger=omega_c * number(n_max + 1),
        rho0=product_state([basis_projector(n_max + 1, photons), basis_projector(n + 1, 0)]),
        number_operator=np.diag(photons_of + excitations_of),
        params=dict(n_spins=n, g=g, omega_c=omega_c, omega_0=omega_0, photons=photons, rwa=rwa,
                    normalise=bool(normalise), n_max=n_max),
        battery_levels=(omega_0 * np.arange(n + 1, dtype=float), [comb(n, j) for j in range(n + 1)]),
    )


MAX_PARALLEL_DIM = 4096  # Hilbert dimension up to which rabi_parallel builds the product model


def rabi_parallel(n_cells, g, omega_c=1.0, omega_0=1.0, rwa=False, *, n_max=None) -> Model:
    """N independent Rabi batteries (S3 Eq. 33 with the same factor-2 convention as ``dicke``):
    cell i = its own cavity in |1> and one TLS, H = sum_i [omega_c a_i^dag a_i + omega_0 n_i +
    g (a_i + a_i^dag) sigma_i^x].  Subsystems: cavity_1, tls_1, cavity_2, tls_2, ... (cavity_1
    is subsystem 0).  The cells never interact, so E_B(t) and the power are exactly N times a
    single cell's (``dicke(1, g, photons=1)``); this product model exists to check that, and
    is limited to Hilbert dimension MAX_PARALLEL_DIM.  n_max: per-cavity truncation (default 6)."""
    n = check.integer("n_cells", n_cells, 1)
    g = check.finite("g", g)
    omega_c = check.positive("omega_c", omega_c)
    omega_0 = check.positive("omega_0", omega_0)
    n_max = 6 if n_max is None else check.integer("n_max", n_max, 1)
    dims = (n_max + 1, 2) * n
    if np.prod(dims, dtype=float) > MAX_PARALLEL_DIM:
        raise ValueError(f"n_cells = {n} with n_max = {n_max} gives Hilbert dimension "
                         f"{int(np.prod(dims, dtype=float))} > {MAX_PARALLEL_DIM}; use N x dicke(1, g, photons=1)")
    h0 = np.zeros((int(np.prod(dims)),) * 2, dtype=complex)
    a, s = lowering(n_max + 1), lowering(2)
    for i in range(n):
        c, q = 2 * i, 2 * i + 1  # this cell's cavity and TLS
        if rwa:
            h1 = embed_many({c: a, q: s.conj().T}, dims) + embed_many({c: a.conj().T, q: s}, dims)
        else:
            h1 = embed_many({c: a + a.conj().T, q: s + s.conj().T}, dims)
        h0 += omega_c * embed(number(n_max + 1), c, dims) + omega_0 * embed(number(2), q, dims) + g * h1
    bdims = (2,) * n
    tls = tuple(2 * i + 1 for i in range(n))
    subsystems = sum(((Subsystem(f"cavity_{i}", "charger", n_max + 1, "oscillator", omega_c),
                       Subsystem(f"tls_{i}", "battery", 2, "qubit", omega_0)) for i in range(1, n + 1)), ())
    number_op = sum(embed(number(d), j, dims) for j, d in enumerate(dims))
    return Model(
        name="rabi_parallel", subsystems=subsystems, h0=h0, drives=(), jumps=(),
        h_battery=omega_0 * sum(embed(number(2), i, bdims) for i in range(n)),
        h_charger=omega_c * sum(embed(number(n_max + 1), i, (n_max + 1,) * n) for i in range(n)),
        rho0=product_state([basis_projector(n_max + 1, 1) if j % 2 == 0 else basis_projector(2, 0)
                            for j in range(2 * n)]),
        number_operator=number_op,
        params=dict(n_cells=n, g=g, omega_c=omega_c, omega_0=omega_0, rwa=bool(rwa), n_max=n_max,
                    battery_subsystems=tls),
    )
