"""Pauli-basis state tomography: linear inversion and projection onto physical states.

Data: for each basis label b (character i = Pauli measured on measured qubit i), a counts
array over outcomes (index bit i = outcome of measured qubit i, 0 <-> eigenvalue +1).  States
are ordered with measured qubit 0 as the RIGHTMOST Kronecker factor (Qiskit order).  Arrays
may carry leading batch axes (..., 2**k), e.g. time points or bootstrap resamples.
"""

from __future__ import annotations

from itertools import product

import numpy as np

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
         "Z": np.diag([1.0, -1.0])}


def _pauli_matrix(label: str) -> np.ndarray:
    out = np.ones((1, 1))
    for ch in reversed(label):  # label[i] acts on qubit i; qubit 0 rightmost
        out = np.kron(out, PAULI[ch])
    return out


def linear_inversion(counts: dict[str, np.ndarray]) -> np.ndarray:
    """rho = 2^-k sum_P <P> P with each <P> averaged over every basis that measures it."""
    labels = list(counts)
    k = len(labels[0])
    outcomes = np.arange(2**k)
    bits = (outcomes[:, None] >> np.arange(k)[None, :]) & 1  # (2^k, k)
    rho = 0
    for pauli in product("IXYZ", repeat=k):
        p = "".join(pauli)
        support = [i for i, c in enumerate(p) if c != "I"]
        sign = (-1.0) ** bits[:, support].sum(axis=1) if support else np.ones(2**k)
        estimates = []
        for b in labels:
            if all(b[i] == p[i] for i in support):
                c = np.asarray(counts[b], dtype=float)
                estimates.append((c @ sign) / c.sum(axis=-1))
        if not estimates:
            raise ValueError(f"no basis in {labels} measures Pauli {p}: tomographically incomplete")
        rho = rho + np.mean(estimates, axis=0)[..., None, None] * _pauli_matrix(p)
    return rho / 2**k


def project_physical(rho: np.ndarray) -> np.ndarray:
    """Nearest density matrix in Frobenius norm: eigenvalues projected onto the probability
    simplex (Smolin, Gambetta, Smith, PRL 108, 070502, 2012), eigenvectors kept."""
    rho = 0.5 * (rho + np.swapaxes(rho, -1, -2).conj())
    w, v = np.linalg.eigh(rho)
    u = np.sort(w, axis=-1)[..., ::-1]
    css = np.cumsum(u, axis=-1) - 1.0
    idx = np.arange(1, w.shape[-1] + 1)
    rho_count = ((u - css / idx) > 0).sum(axis=-1, keepdims=True)
    theta = np.take_along_axis(css, rho_count - 1, axis=-1) / rho_count
    w = np.clip(w - theta, 0.0, None)
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2).conj()


def _extreme_eigenspace_state(rho: np.ndarray, h: np.ndarray, top: bool) -> np.ndarray:
    """The physical state nearest to ``rho`` inside the lowest (or highest) eigenspace of h."""
    w, v = np.linalg.eigh(h)
    edge = w[-1] if top else w[0]
    v = v[:, np.abs(w - edge) <= 1e-9 * max(1.0, np.abs(w).max())]
    inner = project_physical(np.swapaxes(v.conj(), 0, 1) @ rho @ v)
    return v @ inner @ np.swapaxes(v.conj(), 0, 1)


def project_physical_with_energy(rho: np.ndarray, h: np.ndarray, energy, *, rtol: float = 1e-10,
                                 iterations: int = 60) -> np.ndarray:
    """Nearest density matrix to ``rho`` (Frobenius norm) whose energy Tr[h sigma] is ``energy``
    (clipped to h's spectrum); works on stacks (..., d, d) with ``energy`` of shape (...).

    By the optimality conditions sigma = P(rho - mu h), P the projection of
    :func:`project_physical`; f(mu) = Tr[h P(rho - mu h)] falls monotonically from max(h) to
    min(h) as mu runs over the reals.  mu is bracketed (growing by 10 from the scale 1/gap) and
    found by the Illinois false-position method to |f - energy| <= rtol * (max - min) (~10
    projections); an energy at either end of the spectrum is the nearest state inside that
    eigenspace.  With ``energy`` the unbiased linear-inversion energy, sigma is one physical
    state that keeps it: the energy and ergotropy read from it are a consistent pair."""
    rho = 0.5 * (rho + np.swapaxes(rho, -1, -2).conj())
    h = np.asarray(h)
    w = np.linalg.eigvalsh(h)
    span = w[-1] - w[0]
    target = np.clip(np.asarray(energy, dtype=float), w[0], w[-1]) * np.ones(rho.shape[:-2])
    tol = rtol * max(span, 1e-300)
    out = np.empty_like(rho)
    low_edge, high_edge = target <= w[0] + tol, target >= w[-1] - tol
    out[low_edge] = _extreme_eigenspace_state(rho[low_edge], h, top=False)
    out[high_edge] = _extreme_eigenspace_state(rho[high_edge], h, top=True)
    inside = ~(low_edge | high_edge)
    if not inside.any():
        return out
    r, e = rho[inside], target[inside]
    f = lambda mu: np.einsum("nij,ji->n", project_physical(r - mu[:, None, None] * h), h).real - e  # noqa: E731
    gaps = np.diff(w)
    scale = 1.0 / gaps[gaps > 1e-9 * max(1.0, span)].min()
    lo, hi = np.full(e.shape, -scale), np.full(e.shape, scale)
    f_lo, f_hi = f(lo), f(hi)
    for _ in range(40):  # f(lo) > 0 > f(hi) brackets the root
        grow_lo, grow_hi = f_lo <= 0, f_hi >= 0
        if not (grow_lo.any() or grow_hi.any()):
            break
        lo, hi = np.where(grow_lo, lo * 10, lo), np.where(grow_hi, hi * 10, hi)
        f_lo, f_hi = np.where(grow_lo, f(lo), f_lo), np.where(grow_hi, f(hi), f_hi)
    mu = 0.5 * (lo + hi)
    side = np.zeros(e.shape, dtype=int)
    for _ in range(iterations):
        mu = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        f_mu = f(mu)
        if np.all(np.abs(f_mu) <= tol):
            break
        pos = f_mu > 0  # the root lies above mu
        f_hi = np.where(pos & (side == 1), f_hi / 2, f_hi)  # Illinois: halve the stale end
        f_lo = np.where(~pos & (side == -1), f_lo / 2, f_lo)
        lo, f_lo = np.where(pos, mu, lo), np.where(pos, f_mu, f_lo)
        hi, f_hi = np.where(pos, hi, mu), np.where(pos, f_hi, f_mu)
        side = np.where(pos, 1, -1)
    out[inside] = project_physical(r - mu[:, None, None] * h)
    return out
