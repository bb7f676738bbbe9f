"""Long-time state of dephasing-driven (unital) dynamics without a superoperator.

If the only dissipation is dephasing by a projector P (L = P, e.g. L = n_C of a charger qubit)
and the time-independent Hamiltonian is block off-diagonal, H = [[0, V], [V^dag, 0]] in the
(P, 1-P) split (the resonant star: V = F + g S^+), the dynamics is unital and its kernel is the
commutant of {H, P}: diag(f(V V^dag), f(V^dag V)).  With V = U Sigma W^dag (distinct singular
values) that commutant is spanned by the orthogonal rank-2 projectors
P_k = u_k u_k^dag (+) w_k w_k^dag, left and right kernels coincide, and

    rho(inf) = sum_k Tr[P_k rho0] / 2 * P_k .

Cost: one SVD of the (dim P) x (dim P) block instead of a (D^2 x D^2) null space, so N = 1000
star batteries take about a second.  Purely imaginary Liouvillian eigenvalues cannot occur
here (a block-diagonal eigenoperator of ad_H would have to be block off-diagonal too).
"""

from __future__ import annotations

import numpy as np

from ..models import Model


MIN_CONDITION = 1e-7  # smallest sigma_min / sigma_max for which the limit is computed


def singular_pairs(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(U, s, W) with V = U diag(s) W^dag.  When V is real and mirror symmetric up to
    transposition (J V^T J = V, J the reversal; the resonant star's V = F + g S^-), V J is
    real symmetric and its eigenpairs (lam, a) give s = |lam|, u = a, w = sign(lam) J a: unlike
    a plain SVD this separates the exponentially close singular-value pairs (lam ~ +-s) that
    the mirror symmetry produces.  Otherwise a plain SVD.  Order of the pairs: unspecified."""
    v = np.asarray(v)
    scale = max(np.abs(v).max(), 1e-300)
    if np.abs(v.imag).max(initial=0.0) <= 1e-14 * scale and np.allclose(v[::-1, ::-1].T, v, atol=1e-14 * scale):
        lam, a = np.linalg.eigh(v.real[:, ::-1])
        return a, np.abs(lam), np.where(lam >= 0, 1.0, -1.0) * a[::-1]
    u, s, wh = np.linalg.svd(v)
    return u, s, wh.conj().T


def block_offdiagonal_long_time(model: Model, h: np.ndarray, rtol: float = 1e-9) -> np.ndarray | None:
    """rho(inf) from the model's initial state, or None when the structure above is absent.

    Raises ValueError when V is so ill-conditioned (sigma_min < MIN_CONDITION sigma_max) that
    the slowest modes relax at rates ~ sigma_min^2 that no computation or experiment resolves:
    the star at large N and weak drive (physics.md R21 flag).  In double precision those modes
    are indistinguishable from conserved ones, so any answer would be a metastable state."""
    active = [j for j in model.jumps if j.rate > 0]
    if len(active) != 1:
        return None
    p = np.asarray(active[0].operator)
    diag = np.real(np.diag(p))
    if (np.abs(p - np.diag(diag)).max() > 1e-12 or not np.all(np.isclose(diag, 0) | np.isclose(diag, 1))):
        return None  # only a diagonal projector is handled
    inside, outside = np.flatnonzero(diag > 0.5), np.flatnonzero(diag < 0.5)
    if inside.size != outside.size:
        return None
    scale = max(1.0, np.abs(h).max())
    if (np.abs(h[np.ix_(inside, inside)]).max() > 1e-12 * scale
            or np.abs(h[np.ix_(outside, outside)]).max() > 1e-12 * scale):
        return None
    u, s, w = singular_pairs(h[np.ix_(inside, outside)])
    if s.min() < MIN_CONDITION * s.max():
        raise ValueError(
            f"model {model.name!r}: the slowest modes relax at rates ~ sigma_min^2 with sigma_min / "
            f"sigma_max = {s.min() / s.max():.1e} < {MIN_CONDITION:g}, so the t -> inf limit is not "
            "reached on any resolvable time scale; evolve() to the times you care about instead")
    if np.min(np.diff(np.sort(s))) < rtol * s.max():
        return None  # degenerate V: the commutant is larger (use the general solver)
    rho0 = np.asarray(model.rho0)
    weights = (np.einsum("ik,ij,jk->k", u.conj(), rho0[np.ix_(inside, inside)], u).real
               + np.einsum("ik,ij,jk->k", w.conj(), rho0[np.ix_(outside, outside)], w).real) / 2
    rho = np.zeros_like(rho0, dtype=complex)
    rho[np.ix_(inside, inside)] = (u * weights) @ u.conj().T
    rho[np.ix_(outside, outside)] = (w * weights) @ w.conj().T
    return rho
