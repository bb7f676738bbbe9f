"""Execution of Programs: counts per PUB with metadata.  Targets: "aer-ideal" (noise models,
fake backends and IBM Quantum are the execution issue's work)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .aer import run_pubs

TARGETS = ("aer-ideal",)


@dataclass(frozen=True, eq=False)
class ExecutionResult:
    """counts[i]: int64 array (M_i, 2**num_clbits_i) for PUB i (M_i parameter rows), index =
    integer value of the classical register with clbit 0 the least significant bit."""

    counts: tuple[np.ndarray, ...]
    metadata: dict = field(default_factory=dict)


def run(program, *, target: str = "aer-ideal", shots: int = 4000, seed: int | None = None) -> ExecutionResult:
    """Execute ``program.pubs``; ``shots`` per PUB in total, split evenly over its realizations."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if not isinstance(shots, int) or shots < 1:
        raise ValueError(f"shots must be an integer >= 1, got {shots!r}")
    per = max(1, math.ceil(shots / program.realizations))
    counts = run_pubs(program.pubs, per, seed)
    return ExecutionResult(counts, {"target": target, "backend": "aer_simulator", "seed": seed,
                                    "shots_per_realization": per, "realizations": program.realizations})


__all__ = ["ExecutionResult", "TARGETS", "run"]
