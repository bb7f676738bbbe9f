"""Calibration snapshots, noise models restricted to the used qubits, qubit selection.

Times are in seconds and frequencies in hertz everywhere in this package.
"""

from .noise import compact_circuit, full_target, noise_model, sub_target, used_qubits
from .selection import MIN_COHERENCE, QubitChoice, check_coherence, select_chain, select_pair, select_star
from .snapshot import (
    with_fractional_gates,
    without_fractional_gates,
    CalibrationSnapshot,
    GateCalibration,
    QubitCalibration,
    available,
    default_filename,
    find,
    load,
    save,
    snapshot_backend,
)

__all__ = [
    "CalibrationSnapshot",
    "GateCalibration",
    "QubitCalibration",
    "snapshot_backend",
    "save",
    "load",
    "default_filename",
    "available",
    "find",
    "noise_model",
    "sub_target",
    "full_target",
    "used_qubits",
    "compact_circuit",
    "QubitChoice",
    "select_pair",
    "select_star",
    "select_chain",
    "check_coherence",
    "with_fractional_gates",
    "without_fractional_gates",
    "MIN_COHERENCE",
]
