"""Execution of Programs: counts per PUB with metadata, on Aer (ideal or with a calibration
snapshot's noise), qiskit-ibm-runtime's local mode on fake backends, IBM Quantum, or the
pulse-level simulation of the same model (:mod:`qbhw.pulse`).  See
:mod:`.targets` for the one entry point :func:`run` (and how shots are split), and
:mod:`.executors` for which executor runs which target."""

from . import resources
from .exact import exact_probabilities
from .result import ExecutionResult
from .targets import (
    CONFIRM_QPU_SECONDS,
    DEFAULT_CALIBRATION,
    PULSE_TARGET,
    TARGETS,
    CostError,
    Device,
    Prepared,
    choose_qubits,
    device,
    prepare,
    run,
    run_on_device,
    run_prepared,
)

__all__ = ["CONFIRM_QPU_SECONDS", "DEFAULT_CALIBRATION", "PULSE_TARGET", "TARGETS", "CostError", "Device", "ExecutionResult", "Prepared",
           "choose_qubits", "device", "resources", "exact_probabilities", "prepare", "run",
           "run_on_device", "run_prepared"]
