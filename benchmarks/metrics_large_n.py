"""Ergotropy metrics at N = 1000, against plain-Python exact peers (the speed claims that used to
be wall-clock assertions in tests/test_metrics_ergotropy.py; the star solver's N = 1000 speed is
in benchmarks/reference_manybody.py).

1. n_copy_ergotropy(rho, h, N) of the physics.md R2 qutrit state, N = 200 and 1000.  Peer: the
   exact-integer two-pointer pairing of the sorted eigenvalue runs with the sorted energy runs
   (multinomial multiplicities as Python integers, eigenvalues as logarithms; the tests'
   reference).
2. passive_energy(pops, energies, multiplicities) for N = 1000 spins (levels m = 0..N with
   multiplicity C(N, m) up to ~2.7e299) and N + 2 populations.  Peer: the greedy fill in plain
   Python (largest population to the lowest free level, integer multiplicities).
Both print the time of each, the ratio peer / qbhw and the largest difference.

    .venv/bin/python benchmarks/metrics_large_n.py
"""

import math
import time

import numpy as np

from qbhw.metrics import n_copy_ergotropy, passive_energy

R2_LEVELS = np.array([0.0, 0.579, 1.0])
R2_PASSIVE = np.array([0.538, 0.237, 0.224]) / 0.999


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def pairing_n_copy(p, eps, n) -> float:
    """Per-copy ergotropy of the N-copy state of diag(p) with levels eps, exactly (module doc)."""
    comps = [(a, b, n - a - b) for a in range(n + 1) for b in range(n + 1 - a)]
    mult = [math.comb(n, a) * math.comb(n - a, b) for a, b, _ in comps]
    # log eigenvalues: p^N and C(N, k) leave the float range at N = 1000, their products do not
    lam = sorted(((sum(k * math.log(pj) for k, pj in zip(c, p)), m) for c, m in zip(comps, mult)), key=lambda t: -t[0])
    lev = sorted((sum(k * e for k, e in zip(c, eps)), m) for c, m in zip(comps, mult))
    i = j = 0
    left_l, left_e, passive = lam[0][1], lev[0][1], 0.0
    while i < len(lam):
        c = min(left_l, left_e)
        passive += math.exp(lam[i][0] + math.log(c)) * lev[j][0]
        left_l, left_e = left_l - c, left_e - c
        if left_l == 0:
            i += 1
            left_l = lam[i][1] if i < len(lam) else 0
        if left_e == 0:
            j += 1
            left_e = lev[j][1] if j < len(lev) else 0
    return float(np.dot(p, eps)) - passive / n


def greedy_passive_energy(pops, energies, mult) -> float:
    """Plain-Python passive energy: populations in decreasing order fill the levels upwards."""
    order = sorted(range(len(energies)), key=lambda k: energies[k])
    level, free, out = 0, mult[order[0]], 0.0
    for p in sorted(pops, reverse=True):
        while free == 0:
            level += 1
            free = mult[order[level]]
        out += p * energies[order[level]]
        free -= 1
    return out


def main():
    rho, h = np.diag(R2_PASSIVE), np.diag(R2_LEVELS)
    print("1. n-copy ergotropy of the R2 qutrit state")
    for n in (200, 1000):
        t_ours, ours = timed(lambda: n_copy_ergotropy(rho, h, n))
        t_peer, peer = timed(lambda: pairing_n_copy(R2_PASSIVE, R2_LEVELS, n))
        print(f"   N = {n:4d}: qbhw {t_ours * 1e3:9.1f} ms   exact pairing {t_peer * 1e3:9.1f} ms   "
              f"ratio {t_peer / t_ours:7.1f}x   |diff| {abs(ours - peer):.1e}")
    n = 1000
    pops = np.random.default_rng(17).dirichlet(np.ones(n + 2))
    energies = np.arange(n + 1.0)
    mult = [math.comb(n, m) for m in range(n + 1)]
    t_ours, ours = timed(lambda: passive_energy(pops, energies, mult))
    t_peer, peer = timed(lambda: greedy_passive_energy(list(pops), list(energies), mult))
    print("2. passive energy, N = 1000 spins, integer multiplicities C(N, m)")
    print(f"   qbhw {t_ours * 1e3:9.2f} ms   greedy fill {t_peer * 1e3:9.2f} ms   ratio {t_peer / t_ours:7.1f}x   "
          f"|diff| {abs(ours - peer):.1e}")


if __name__ == "__main__":
    main()
