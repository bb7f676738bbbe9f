"""Global versus parallel charging of n cells under the same operator-norm constraint
(physics.md M7, R6; S1 Eqs. 18-20).

Each cell is a TLS, H_B = omega sum_l n_l, from |G> = |g...g> to |E> = |e...e|
(work n omega).  The charging Hamiltonians (S1's form, without -H_0):
    parallel  H_par  = (E_max / n) sum_l sigma_l^x          (||H_par||  = E_max)
    global    H_glob = E_max (|E><G| + |G><E|)             (||H_glob|| = E_max)
Parallel charging completes at T_par = n pi / (2 E_max), global at T_glob = pi / (2 E_max):
the global drive is n times more powerful.
"""

from __future__ import annotations

import numpy as np

from . import validate as check
from .base import Model, Subsystem
from .operators import basis_projector, embed, number, product_state, sigma_x

MAX_CELLS = 12


def _cells(n: int, name: str, h_charge: np.ndarray, omega: float, e_max: float) -> Model:
    dims = (2,) * n
    n_total = sum(embed(number(2), i, dims) for i in range(n))
    return Model(
        name=name, subsystems=tuple(Subsystem(f"cell_{i}", "battery", 2, "qubit", omega) for i in range(n)),
        h0=h_charge, drives=(), jumps=(), h_battery=omega * n_total, h_charger=np.zeros((1, 1)),
        rho0=product_state([basis_projector(2, 0)] * n), number_operator=n_total,
        params=dict(n_cells=n, e_max=e_max, omega=omega))


def global_vs_parallel(n_cells, e_max=1.0, omega=1.0) -> tuple[Model, Model]:
    """(global, parallel) charging models of ``n_cells`` TLS cells, both with ||H|| = e_max."""
    n = check.integer("n_cells", n_cells, 1)
    if n > MAX_CELLS:
        raise ValueError(f"n_cells = {n}: at most {MAX_CELLS} (dense 2^n matrices)")
    e_max = check.positive("e_max", e_max)
    omega = check.positive("omega", omega)
    dims = (2,) * n
    parallel = (e_max / n) * sum(embed(sigma_x(), i, dims) for i in range(n))
    glob = np.zeros((2**n, 2**n), dtype=complex)
    glob[0, -1] = glob[-1, 0] = e_max  # |E> = |1...1> is the last basis state
    return _cells(n, "global_charging", glob, omega, e_max), _cells(n, "parallel_charging", parallel, omega, e_max)
