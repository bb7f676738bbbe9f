"""Why qbhw reconstructs states with its own batched linear inversion.

Workload: what one charging curve's analysis needs, i.e. T time points x (1 + B bootstrap
resamples) battery states from Pauli-basis counts (3^k bases, k = 1 or 2 battery qubits),
each made physical.  qbhw: ``linear_inversion`` + ``project_physical`` (Smolin-Gambetta-Smith
projection) vectorised over the whole stack.  Peer: qiskit-experiments'
``fitters.linear_inversion`` + ``postprocess_fitter(make_positive=True)``, the pieces its
``StateTomographyAnalysis`` uses, called once per state (its API fits one state per call).
Both results are compared state by state (max abs difference printed).

Run: .venv/bin/pip install -e .[bench]; OMP_NUM_THREADS=1 .venv/bin/python benchmarks/tomography_fitters.py
"""

from __future__ import annotations

import argparse
import time
from itertools import product

import numpy as np
from qiskit.quantum_info import random_density_matrix

from qbhw.tomography import linear_inversion, project_physical

PAULI = {"X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1.0, -1.0])}


def probabilities(rho: np.ndarray, label: str) -> np.ndarray:
    """Outcome probabilities of Pauli basis ``label`` (char i: qubit i; bit i of the outcome)."""
    k = len(label)
    out = []
    for v in range(2**k):
        proj = np.ones((1, 1))
        for i in reversed(range(k)):
            proj = np.kron(proj, (np.eye(2) + (1 - 2 * ((v >> i) & 1)) * PAULI[label[i]]) / 2)
        out.append(np.real(np.trace(proj @ rho)))
    p = np.clip(out, 0, None)
    return p / p.sum()


def peer(counts: dict[str, np.ndarray], labels: list[str]) -> np.ndarray:
    from qiskit_experiments.library.tomography import fitters
    from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis

    index = {"Z": 0, "X": 1, "Y": 2}
    k = len(labels[0])
    outcomes = np.array([counts[b] for b in labels], dtype=float)[None]
    shots = outcomes[0].sum(axis=1)
    meas = np.array([[index[b[i]] for i in range(k)] for b in labels])
    fit, meta = fitters.linear_inversion(outcomes, shots, meas, np.zeros((len(labels), 0), int),
                                         measurement_basis=PauliMeasurementBasis())
    return fitters.postprocess_fitter(fit, meta, make_positive=True)[0][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=21)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--shots", type=int, default=20000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    for k in (1, 2):
        labels = ["".join(p) for p in product("XYZ", repeat=k)]
        n = args.times * (1 + args.bootstrap)
        # nearly passive / nearly pure states, where projection matters most
        states = [random_density_matrix(2**k, rank=1 + (i % 2), seed=int(rng.integers(1 << 30))).data for i in range(n)]
        data = {b: np.stack([rng.multinomial(args.shots, probabilities(r, b)) for r in states]) for b in labels}
        t0 = time.perf_counter()
        ours = project_physical(linear_inversion(data))
        t_ours = time.perf_counter() - t0
        m = min(n, 400)  # the peer on a subset, extrapolated linearly (it is one call per state)
        t0 = time.perf_counter()
        theirs = np.array([peer({b: data[b][i] for b in labels}, labels) for i in range(m)])
        t_peer = (time.perf_counter() - t0) * n / m
        diff = np.abs(ours[:m] - theirs).max()
        print(f"k = {k} battery qubit(s), {n} states ({args.times} times x {1 + args.bootstrap}): qbhw {t_ours:.3f} s | "
              f"qiskit-experiments {t_peer:.2f} s (from {m} states) | ratio {t_peer / t_ours:.0f}x | "
              f"max |rho_qbhw - rho_qe| = {diff:.1e}")


if __name__ == "__main__":
    main()
