"""Hardware decoherence added to a model: the interpretation face of the device reference.

Each qubit k of a processor relaxes with T1 and dephases with T2 (seconds).  A circuit that
emulates model time t takes ``seconds_per_unit * t`` of device time, so in model units

    amplitude damping  L = sigma^-          rate 1/T1                      (per model time unit:
    pure dephasing     L = sigma^+ sigma^-  rate 2/T2 - 1/T1                x seconds_per_unit)

which makes populations decay at 1/T1 and coherences at 1/(2 T1) + (2/T2 - 1/T1)/2 = 1/T2.
T2 <= 2 T1 is required (physical qubits); the model's own channels are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from . import validate as check
from .base import Jump, Model
from .operators import number, sigma_minus


def with_qubit_decoherence(model: Model, t1: Sequence[float], t2: Sequence[float],
                           seconds_per_unit: float) -> Model:
    """``model`` with T1/T2 channels on every qubit subsystem (t1[k], t2[k] for subsystem k).

    seconds_per_unit: device seconds per unit of model time (1/omega_B), from the compiled
    program (circuit duration per Trotter step / model time per step).
    """
    scale = check.positive("seconds_per_unit", seconds_per_unit)
    if len(t1) != len(model.subsystems) or len(t2) != len(model.subsystems):
        raise ValueError(f"t1 and t2 need one entry per subsystem ({len(model.subsystems)}), "
                         f"got {len(t1)} and {len(t2)}")
    jumps = list(model.jumps)
    for k, s in enumerate(model.subsystems):
        T1 = check.positive(f"t1[{k}]", t1[k])
        T2 = check.positive(f"t2[{k}]", t2[k])
        if s.dim != 2:
            raise ValueError(f"subsystem {k} ({s.name}) is not a qubit; encode it on qubits first")
        if T2 > 2 * T1 * (1 + 1e-9):
            raise ValueError(f"t2[{k}] = {T2:g} s exceeds 2 t1[{k}] = {2 * T1:g} s, which no qubit allows")
        jumps.append(Jump(model.local(sigma_minus(), k), scale / T1, f"T1 of {s.name}"))
        dephasing = max(0.0, 2.0 / T2 - 1.0 / T1)
        if dephasing > 0:
            jumps.append(Jump(model.local(number(2), k), scale * dephasing, f"T2 of {s.name}"))
    params: Mapping = {**model.params, "t1": tuple(t1), "t2": tuple(t2), "seconds_per_unit": scale}
    return replace(model, name=f"{model.name}+T1/T2", jumps=tuple(jumps), params=params)
