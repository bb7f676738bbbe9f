"""Ergotropy at the quantum limit (issue 17, in progress): the quantum Cramer-Rao bound for
single-copy measurements (:mod:`.bound`, any battery dimension, closed form for a qubit) and the
two-stage adaptive qubit estimator that approaches it (:mod:`.adaptive`).  Not yet wired into
the circuits (the optimal axis as extra PUBs) nor into run_experiment."""

from .adaptive import optimal_axis, two_stage_ergotropy
from .bound import ergotropy_bound, qubit_ergotropy_bound

__all__ = ["ergotropy_bound", "qubit_ergotropy_bound", "optimal_axis", "two_stage_ergotropy"]
