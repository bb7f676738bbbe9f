"""Permutation-invariant (PI) tomography vs full Pauli tomography for N-qubit star batteries.

State: a charged, damped star battery (identical RY/RZ on every qubit, RZZ on every pair,
identical RX, amplitude damping gamma = 0.15 on each qubit through an ancilla), exact from
qiskit's Statevector; permutation invariant, so both methods target the same state.
At EQUAL TOTAL shots (split evenly over the settings / the 3^N Pauli bases), counts are drawn
with numpy's multinomial from the exact outcome probabilities, the linear estimates are
projected onto physical states (project_physical) and the full-spectrum ergotropy of
H = sum_i |1><1|_i is compared with the exact one (RMSE over repetitions).  Peer: qbhw's
full linear inversion (linear_inversion) on the same total shots, same run.
"s/state" is the linear estimate plus projection of the whole batch of repetitions divided
by the repetitions (the precomputation of the first PI call is printed separately); "F" the
mean Uhlmann fidelity of the projected estimates with the exact state.

Run: .venv/bin/python benchmarks/pi_tomography.py   (BLAS limited to one thread inside, as for both peers)
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import product
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from qbhw.metrics import ergotropy
from qbhw.tomography import linear_inversion, project_physical
from qbhw.tomography.permutation import pi_conditioning, pi_linear_estimate, pi_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_permutation_tomography import charged_star_state  # noqa: E402  (the tests' charged star battery)

PAULI_TO_Z = {"X": np.array([[1, 1], [1, -1]]) / np.sqrt(2),  # H
              "Y": np.array([[1, -1j], [1, 1j]]) / np.sqrt(2),  # H S^dagger
              "Z": np.eye(2)}


def direction_to_z(d) -> np.ndarray:
    """Single-qubit unitary R with R^dagger Z R = sigma.d (outcome 0 <-> +1)."""
    theta, phi = np.arccos(np.clip(d[2], -1, 1)), np.arctan2(d[1], d[0])
    plus = np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])
    minus = np.array([-np.exp(-1j * phi) * np.sin(theta / 2), np.cos(theta / 2)])
    return np.array([plus.conj(), minus.conj()])


def outcome_probabilities(rho: np.ndarray, rotations) -> np.ndarray:
    """p(v) after rotating qubit i by rotations[i] (qubit 0 the rightmost factor)."""
    u = np.ones((1, 1))
    for r in reversed(rotations):
        u = np.kron(u, r)
    p = np.clip(np.real(np.diag(u @ rho @ u.conj().T)), 0, None)
    return p / p.sum()


def sample(rng, p, shots, reps) -> np.ndarray:
    return rng.multinomial(shots, p, size=reps).astype(float)


def fidelity(states: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Uhlmann fidelity of each state of a stack with ``target``."""
    w, v = np.linalg.eigh(target)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.conj().T
    lam = np.linalg.eigvalsh(root @ states @ root)
    return np.sqrt(np.clip(lam, 0, None)).sum(axis=-1) ** 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-shots", type=int, default=40_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--pauli-max-n", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(2010)
    print(f"total shots per state {args.total_shots}, {args.reps} repetitions, ergotropy of H = sum_i |1><1|_i")
    print(f"{'N':>2} {'PI K':>5} {'3^N':>5} {'cond':>6} {'W exact':>8} {'RMSE PI':>8} {'RMSE Pauli':>10} {'ratio':>6} "
          f"{'F PI':>6} {'F Pauli':>7} {'s/state PI':>10} {'s/state Pauli':>13}")
    for n in range(2, 7):
        _, rho = charged_star_state(n)
        h = np.diag([float(v.bit_count()) for v in range(2**n)])
        w_exact = ergotropy(rho, h)
        settings = pi_settings(n)
        shots = args.total_shots // len(settings)
        data = {tuple(d): sample(rng, outcome_probabilities(rho, [direction_to_z(d)] * n), shots, args.reps)
                for d in settings}
        t0 = time.perf_counter()
        pi_linear_estimate(data, n)  # first call: builds and caches the pseudo-inverse
        t1 = time.perf_counter()
        pi = project_physical(pi_linear_estimate(data, n))
        t_pi = (time.perf_counter() - t1) / args.reps
        rmse_pi = np.sqrt(np.mean((ergotropy(pi, h) - w_exact) ** 2))
        f_pi = np.mean(fidelity(pi, rho))
        row = (f"{n:>2} {len(settings):>5} {3**n:>5} {pi_conditioning(settings, n):>6.2f} {w_exact:>8.4f} "
               f"{rmse_pi:>8.4f}")
        if n <= args.pauli_max_n:
            labels = ["".join(b) for b in product("XYZ", repeat=n)]
            p_shots = args.total_shots // len(labels)
            counts = {b: sample(rng, outcome_probabilities(rho, [PAULI_TO_Z[c] for c in b]), p_shots, args.reps)
                      for b in labels}
            t2 = time.perf_counter()
            full = project_physical(linear_inversion(counts))
            t_full = (time.perf_counter() - t2) / args.reps
            rmse_full = np.sqrt(np.mean((ergotropy(full, h) - w_exact) ** 2))
            row += (f" {rmse_full:>10.4f} {rmse_pi / rmse_full:>6.2f} {f_pi:>6.4f} {np.mean(fidelity(full, rho)):>7.4f}"
                    f" {t_pi:>10.2e} {t_full:>13.2e}")
        else:
            row += f" {'-':>10} {'-':>6} {f_pi:>6.4f} {'-':>7} {t_pi:>10.2e} {'-':>13}"
        print(row + f"   (PI first call incl. precompute {t1 - t0:.2f} s)")
    conds = []
    for n in range(1, 9):
        k = (n + 1) * (n + 2) // 2
        random = np.median([pi_conditioning(rng.normal(size=(k, 3)), n) for _ in range(20)])
        conds.append(f"n={n}: {pi_conditioning(pi_settings(n), n):.2f} ({random:.0f})")
    print("cond(M) of pi_settings (median of 20 random direction sets): " + ", ".join(conds))
    n = 6
    data = {tuple(d): sample(rng, np.full(2**n, 2.0**-n), 1000, 200) for d in pi_settings(n)}
    t = time.perf_counter()
    for _ in range(10):
        pi_linear_estimate(data, n)
    print(f"pi_linear_estimate, n = 6, 200 resamples per call: {(time.perf_counter() - t) / 10 * 1e3:.1f} ms per call "
          f"(linear estimate only, no projection)")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
