"""Energy, passive states, ergotropy and related bounds (hbar = 1).

Conventions
-----------
* ``rho`` is a d x d Hermitian matrix (a density matrix where stated), ``h`` the
  d x d Hermitian battery Hamiltonian.  Energies are in the units of ``h``.
* Passive state (S3 Eq. 6): eigenvalues of ``rho`` sorted non-increasing placed on
  the eigenvectors of ``h`` sorted by non-decreasing energy.  Everything is done in
  ``h``'s eigenbasis (``numpy.linalg.eigh``), so ``h`` need not be diagonal and may be
  degenerate (degeneracy does not change the ergotropy).
* Ergotropy (S3 Eq. 4): ``Tr[h rho] - min_U Tr[h U rho U^dagger]``; it is >= 0 by
  definition, so negative round-off is clipped to 0.
* Entropies use the natural logarithm (k_B = 1), so ``beta`` is in 1/(units of h).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, logsumexp

from . import _validate as _v

__all__ = [
    "energy",
    "passive_state",
    "passive_energy",
    "ergotropy",
    "incoherent_ergotropy",
    "coherent_ergotropy",
    "equal_entropy_beta",
    "gibbs_bound",
    "n_copy_ergotropy",
]

#: Relative gap below which eigenvalues of ``h`` count as one degenerate level.
DEGENERACY_RTOL = 1e-10
#: Largest number of occupation-number compositions ``n_copy_ergotropy`` will enumerate.
MAX_COMPOSITIONS = 5_000_000


def _trace_product(a: np.ndarray, b: np.ndarray) -> complex:
    """Tr[a b] without forming the product."""
    return np.sum(a * b.T)


def _scalar_or_array(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else x


def energy(rho, h):
    """Mean energy ``Re Tr[h rho]`` (units of ``h``); ``rho`` may be a stack (..., d, d),
    then an array of energies is returned."""
    rho, h = _v.state_and_hamiltonian(rho, h, stack=True)
    return _scalar_or_array(np.einsum("...ij,ji->...", rho, h).real)


def passive_state(rho, h) -> np.ndarray:
    """Passive state of ``rho`` w.r.t. ``h`` (S3 Eq. 6), as a d x d matrix.

    Eigenvalues of ``rho`` sorted descending are placed on the eigenvectors of ``h``
    sorted by ascending energy.  For degenerate ``h`` the eigenvectors chosen by
    ``eigh`` inside a degenerate level are used (any choice gives the same energy).
    """
    rho, h = _v.state_and_hamiltonian(rho, h)
    _, vecs = np.linalg.eigh(h)  # ascending energies
    r = np.linalg.eigvalsh(rho)[::-1]  # descending populations
    return (vecs * r) @ vecs.conj().T


def _check_multiplicity(m, i: int) -> int | float:
    """One multiplicity: a non-negative integer (Python int, numpy int or integral float)."""
    if isinstance(m, (bool, np.bool_)):
        raise ValueError(f"multiplicities must be non-negative integers, entry {i} is {m!r}")
    if isinstance(m, numbers.Integral):
        m = int(m)
    elif isinstance(m, numbers.Real):
        m = float(m)
        if not math.isfinite(m) or not m.is_integer():
            raise ValueError(
                f"multiplicities must be finite non-negative integers, entry {i} is {m!r}"
            )
    else:
        raise ValueError(f"multiplicities must be non-negative integers, entry {i} is {m!r}")
    if m < 0:
        raise ValueError(f"multiplicities must be non-negative integers, entry {i} is {m!r}")
    return m


def passive_energy(populations, energies, multiplicities=None) -> float:
    """Energy of the passive state, ``sum_k r_k(desc) * eps_k(asc)``.

    Parameters
    ----------
    populations
        Eigenvalues of the state, any order, zeros allowed.  May be SHORTER than the
        number of levels (the missing eigenvalues are 0); may not be longer.
    energies
        Level energies, any order, repeats allowed.
    multiplicities
        Optional non-negative integer degeneracy of each entry of ``energies``
        (Python ints of any size, numpy ints or integral floats).  The levels are
        never expanded: the sorted levels are walked until every population has a
        slot, so e.g. N = 1000 spins with multiplicities C(1000, m) ~ 1e299 is cheap.
    """
    p = _v.real_vector(populations, "populations")
    eps = _v.real_vector(energies, "energies")
    n_pop = p.size
    order = np.argsort(eps, kind="stable")
    eps = eps[order]
    if multiplicities is None:
        if n_pop > eps.size:
            raise ValueError(
                f"populations has {n_pop} entries but energies only {eps.size} levels; "
                "populations may not be longer than the number of levels"
            )
        slot_energies = eps[:n_pop]
    else:
        mult_arr = np.asarray(multiplicities, dtype=object)
        if mult_arr.ndim != 1 or mult_arr.size != eps.size:
            raise ValueError(
                f"multiplicities must be a 1-D sequence with one entry per energy "
                f"({eps.size} energies), got shape {mult_arr.shape}"
            )
        mult = mult_arr.tolist()
        # Cap every multiplicity at n_pop (exact for Python ints of any size).
        caps = np.array(
            [min(_check_multiplicity(m, i), n_pop) for i, m in enumerate(mult)], dtype=np.int64
        )[order]
        cum = np.cumsum(caps)
        if n_pop > 0 and (cum.size == 0 or cum[-1] < n_pop):
            raise ValueError(
                f"populations has {n_pop} entries but the levels (energies with "
                f"multiplicities) hold only {int(cum[-1]) if cum.size else 0}; "
                "populations may not be longer than the number of levels"
            )
        last = int(np.searchsorted(cum, n_pop, side="left"))
        slot_energies = np.repeat(eps[: last + 1], caps[: last + 1])[:n_pop]
    r = np.sort(p)[::-1]
    return float(np.dot(r, slot_energies))


def _spectral_ergotropy(e_mean: float, pops, levels) -> float:
    return float(max(0.0, e_mean - passive_energy(pops, levels)))


def ergotropy(rho, h):
    """Ergotropy ``Tr[h rho] - Tr[h sigma_rho]`` (S3 Eq. 4-6), >= 0 (round-off clipped).

    ``rho`` may be a stack (..., d, d) of states; then an array is returned."""
    rho, h = _v.state_and_hamiltonian(rho, h, stack=True)
    e_mean = np.einsum("...ij,ji->...", rho, h).real
    passive = np.linalg.eigvalsh(rho)[..., ::-1] @ np.linalg.eigvalsh(h)
    return _scalar_or_array(np.maximum(e_mean - passive, 0.0))


def _level_blocks(eps: np.ndarray) -> list[slice]:
    """Slices of the ascending spectrum ``eps`` grouping (near-)degenerate levels."""
    tol = DEGENERACY_RTOL * float(np.max(np.abs(eps)))
    breaks = np.flatnonzero(np.diff(eps) > tol) + 1
    edges = [0, *breaks.tolist(), eps.size]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def incoherent_ergotropy(rho, h) -> float:
    """Incoherent ergotropy (Francica et al., PRL 125, 180603 (2020)).

    The ergotropy of ``rho`` dephased in the energy eigenSPACES of ``h``, i.e. of the
    block-diagonal part of ``rho`` in ``h``'s eigenbasis (the pinching onto each
    eigenspace).  For non-degenerate ``h`` this is the usual fully dephased state.  For
    degenerate ``h`` coherences INSIDE a degenerate level are kept: they cost no energy
    to rotate away, the result does not depend on the basis chosen inside the level, and
    it equals the largest incoherent ergotropy over all eigenbases of ``h``.  Dephasing
    preserves the mean energy, so this is >= 0 and <= :func:`ergotropy`.
    """
    rho, h = _v.state_and_hamiltonian(rho, h)
    eps, vecs = np.linalg.eigh(h)
    rho_e = vecs.conj().T @ rho @ vecs
    e_mean = float(np.real(np.sum(eps * np.diag(rho_e))))
    pops = np.concatenate([np.linalg.eigvalsh(rho_e[s, s]) for s in _level_blocks(eps)])
    return _spectral_ergotropy(e_mean, pops, eps)


def coherent_ergotropy(rho, h) -> float:
    """Coherent ergotropy ``ergotropy - incoherent_ergotropy`` (Francica et al. 2020), >= 0."""
    return float(max(0.0, ergotropy(rho, h) - incoherent_ergotropy(rho, h)))


def _entropy(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-np.sum(q * np.log(q)))


def _gibbs_populations(beta: float, eps: np.ndarray) -> np.ndarray:
    """Gibbs populations exp(-beta eps)/Z on the ascending spectrum ``eps``."""
    if np.isinf(beta):
        ground = eps <= eps[0] + DEGENERACY_RTOL * float(np.max(np.abs(eps)))
        return ground / ground.sum()
    logw = -beta * (eps - eps[0])
    return np.exp(logw - logsumexp(logw))


def _gibbs_entropy(beta: float, eps: np.ndarray) -> float:
    e = eps - eps[0]
    logw = -beta * e
    log_z = logsumexp(logw)
    p = np.exp(logw - log_z)
    return float(beta * np.dot(p, e) + log_z)


def equal_entropy_beta(rho, h) -> float:
    """Inverse temperature ``beta >= 0`` with ``S(exp(-beta h)/Z) = S(rho)``.

    ``rho`` must be a density matrix.  Entropies use the natural log.  Returns 0 for
    the maximally mixed state and ``np.inf`` when ``S(rho)`` is at or below the log of
    the ground-level degeneracy (the Gibbs family cannot go lower).
    """
    rho, h = _v.state_and_hamiltonian(rho, h)
    s_target = _entropy(_v.density_eigenvalues(rho))
    eps = np.linalg.eigvalsh(h)
    d = eps.size
    g0 = _level_blocks(eps)[0].stop
    tol = 1e-12
    if s_target >= math.log(d) - tol:
        return 0.0
    if s_target <= math.log(g0) + tol:
        return math.inf

    def f(beta: float) -> float:
        return _gibbs_entropy(beta, eps) - s_target

    hi = 1.0 / float(eps[-1] - eps[0])
    for _ in range(2000):
        if f(hi) < 0:
            break
        hi *= 2.0
    return float(brentq(f, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def gibbs_bound(rho, h) -> float:
    """Equal-entropy Gibbs bound ``Tr[h rho] - Tr[h G_beta]`` on the ergotropy (S3 Eq. 7).

    ``beta`` is :func:`equal_entropy_beta`; the bound is tight for d = 2 and is the
    n -> infinity limit of :func:`n_copy_ergotropy`.  ``rho`` must be a density matrix.
    """
    beta = equal_entropy_beta(rho, h)
    rho, h = _v.state_and_hamiltonian(rho, h)
    eps = np.linalg.eigvalsh(h)
    e_mean = float(np.real(_trace_product(h, rho)))
    return e_mean - float(np.dot(_gibbs_populations(beta, eps), eps))


def _compositions(n: int, d: int) -> np.ndarray:
    """All occupation vectors k (shape (M, d)) with k_j >= 0 and sum k = n."""
    rows = np.zeros((1, 0), dtype=np.int64)
    rem = np.array([n], dtype=np.int64)
    for _ in range(d - 1):
        counts = rem + 1
        idx = np.repeat(np.arange(rem.size), counts)
        starts = np.cumsum(counts) - counts
        kj = np.arange(idx.size, dtype=np.int64) - np.repeat(starts, counts)
        rows = np.hstack([rows[idx], kj[:, None]])
        rem = rem[idx] - kj
    return np.hstack([rows, rem[:, None]])


def n_copy_ergotropy(rho, h, n: int) -> float:
    """Ergotropy per copy of ``rho^{(x)n}`` w.r.t. ``H^(n) = sum_i h_i`` (S3 Eq. 9).

    ``(1/n) [Tr(H^(n) rho^{(x)n}) - Tr(H^(n) sigma)]`` with ``sigma`` the passive state
    of ``rho^{(x)n}``.  ``rho`` must be a density matrix.  Computed from occupation
    vectors k (sum k = n): eigenvalue ``prod p_j^k_j`` and energy ``sum k_j eps_j``, each
    with multinomial multiplicity, in log space; the passive pairing is done by an Abel
    summation over the sorted energy runs, so no d^n object is built.  Cost grows like
    C(n+d-1, d-1) (n ~ 1000 is fine for d = 2, 3).  Tends to :func:`gibbs_bound` as
    n -> infinity.
    """
    n = _v.positive_int(n, "n")
    rho, h = _v.state_and_hamiltonian(rho, h)
    p = _v.density_eigenvalues(rho)
    eps = np.linalg.eigvalsh(h)
    d = eps.size
    n_comp = math.comb(n + d - 1, d - 1)
    if n_comp > MAX_COMPOSITIONS:
        raise ValueError(
            f"n = {n} is too large for d = {d}: {n_comp} occupation vectors exceed the "
            f"limit of {MAX_COMPOSITIONS}"
        )
    e_mean = float(np.real(_trace_product(h, rho)))
    e_shift = eps - eps[0]  # energies >= 0 for the summation

    k = _compositions(n, d)
    log_mult = gammaln(n + 1) - gammaln(k + 1).sum(axis=1)

    # Eigenvalue runs (drop zero eigenvalues: they sit last and contribute nothing).
    pos = p > 0
    zero_hit = (k[:, ~pos] > 0).any(axis=1)
    log_p = np.log(np.where(pos, p, 1.0))
    log_lam = (k * log_p).sum(axis=1)[~zero_hit]
    log_m = log_mult[~zero_hit]
    order = np.argsort(-log_lam, kind="stable")
    log_lam, log_m = log_lam[order], log_m[order]
    log_c = np.logaddexp.accumulate(log_m)  # cumulative slot counts (log)
    prob_cum = np.cumsum(np.exp(log_lam + log_m))  # cumulative probability
    p_total = prob_cum[-1]

    # Energy runs, ascending.
    e_run = k @ e_shift
    order = np.argsort(e_run, kind="stable")
    e_run, log_n = e_run[order], log_mult[order]
    log_d = np.logaddexp.accumulate(log_n)[:-1]  # cumulative counts before each step
    de = np.diff(e_run)

    # Lambda(D) = sum of the D largest eigenvalues (piecewise linear in D).
    a = np.searchsorted(log_c, log_d, side="left")
    inside = a < log_c.size
    lam_cum = np.full(log_d.shape, p_total)
    ai = a[inside]
    prev_prob = np.where(ai > 0, prob_cum[ai - 1], 0.0)
    prev_cnt = np.where(ai > 0, np.exp(log_lam[ai] + log_c[np.maximum(ai - 1, 0)]), 0.0)
    val = prev_prob + np.exp(log_lam[ai] + log_d[inside]) - prev_cnt
    lam_cum[inside] = np.clip(val, prev_prob, prob_cum[ai])

    passive_shifted = e_run[-1] * p_total - float(np.dot(de, lam_cum))
    passive = passive_shifted + n * eps[0] * p_total
    return float(max(0.0, e_mean - passive / n))
