"""The execution contract: counts per PUB with the metadata of the run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True, eq=False)
class ExecutionResult:
    """``counts[i]``: int64 array (M_i, 2**num_clbits_i) for PUB i (M_i parameter rows, 1
    without parameters); column index = integer value of the circuit's classical bits, clbit 0
    the least significant.  ``metadata``: target, backend, physical qubits, shots, seed, ..."""

    counts: tuple[np.ndarray, ...]
    metadata: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "counts", tuple(self.counts))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
