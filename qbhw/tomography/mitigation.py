"""Per-qubit readout-error mitigation for Pauli-basis counts (format of :mod:`.mle`).

An assignment matrix is A[measured, prepared] for one qubit:
``[[1 - P(1|0), P(0|1)], [P(1|0), 1 - P(0|1)]]``; columns sum to 1.  Matrices come from a
calibration snapshot's asymmetric readout numbers or from measured assignment counts
(prepare |0>, prepare |1>, count outcomes).  Mitigation applies the tensor product of the
inverses to each basis' counts (qubit i on bit i); the result is a quasi-count vector that
can be slightly negative; :func:`qbhw.tomography.mle.fit_mle` with ``assignments`` is the
constrained alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["apply_assignments", "assignment_matrix", "assignments_from_snapshot", "assignment_from_counts", "mitigate_counts", "mitigate_data"]


def assignment_matrix(prob_meas1_prep0: float, prob_meas0_prep1: float) -> np.ndarray:
    """2x2 A[measured, prepared] from P(1|0) and P(0|1) (each in [0, 0.5))."""
    for name, p in (("prob_meas1_prep0", prob_meas1_prep0), ("prob_meas0_prep1", prob_meas0_prep1)):
        if not (np.isfinite(p) and 0 <= p < 0.5):
            raise ValueError(f"{name} must be in [0, 0.5), got {p!r}")
    return np.array([[1 - prob_meas1_prep0, prob_meas0_prep1], [prob_meas1_prep0, 1 - prob_meas0_prep1]])


def assignments_from_snapshot(snapshot, physical_qubits: Sequence[int]) -> tuple[np.ndarray, ...]:
    """One assignment matrix per measured qubit (measured qubit i = ``physical_qubits[i]``)."""
    out = []
    for q in physical_qubits:
        if not 0 <= int(q) < snapshot.num_qubits:
            raise ValueError(f"physical_qubits: {q} outside 0..{snapshot.num_qubits - 1}")
        c = snapshot.qubits[int(q)]
        out.append(assignment_matrix(c.prob_meas1_prep0, c.prob_meas0_prep1))
    return tuple(out)


def assignment_from_counts(counts_prep0, counts_prep1) -> np.ndarray:
    """A[measured, prepared] of one qubit from outcome counts (length 2) after preparing |0>
    and after preparing |1>."""
    c0, c1 = np.asarray(counts_prep0, dtype=float), np.asarray(counts_prep1, dtype=float)
    for name, c in (("counts_prep0", c0), ("counts_prep1", c1)):
        if c.shape != (2,) or np.any(c < 0) or c.sum() <= 0:
            raise ValueError(f"{name} must be 2 non-negative counts with a positive sum, got {c!r}")
    return assignment_matrix(c0[1] / c0.sum(), c1[0] / c1.sum())


def apply_assignments(probs, assignments: Sequence[np.ndarray]) -> np.ndarray:
    """(A_{k-1} x ... x A_0) applied over the last axis of (..., 2**k) counts or probabilities
    (qubit i on bit i): what readout with assignment matrices ``assignments`` does to them."""
    c = np.asarray(probs, dtype=float)
    k = len(assignments)
    if c.shape[-1:] != (2**k,):
        raise ValueError(f"counts must have last axis {2**k} for {k} assignment matrices, got {c.shape}")
    lead = c.ndim - 1
    t = c.reshape(c.shape[:-1] + (2,) * k)  # axis lead+j <-> qubit k-1-j (qubit 0: bit 0)
    for i, a in enumerate(assignments):
        a = np.asarray(a, dtype=float)
        if a.shape != (2, 2):
            raise ValueError(f"assignments[{i}] must be a 2x2 matrix")
        axis = lead + k - 1 - i
        t = np.moveaxis(np.tensordot(a, t, axes=([1], [axis])), 0, axis)
    return t.reshape(c.shape)


def mitigate_counts(counts, assignments: Sequence[np.ndarray]) -> np.ndarray:
    """Quasi-counts (..., 2**k) = (A_{k-1} x ... x A_0)^-1 counts over the last axis (same
    totals)."""
    for i, a in enumerate(assignments):
        a = np.asarray(a, dtype=float)
        if a.shape != (2, 2) or not np.allclose(a.sum(axis=0), 1):
            raise ValueError(f"assignments[{i}] must be a 2x2 matrix with columns summing to 1")
    return apply_assignments(counts, [np.linalg.inv(a) for a in assignments])


def mitigate_data(data: Mapping[str, np.ndarray], assignments: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`mitigate_counts` applied to every basis of a tomography data set."""
    return {label: mitigate_counts(c, assignments) for label, c in data.items()}
