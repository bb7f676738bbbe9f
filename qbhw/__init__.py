"""qbhw: quantum-battery experiments on quantum processors.

Layers (imports point downwards only):
    models, metrics                 physics as data and pure functions
    reference, compile, execute,    exact solutions; circuits; runs; state reconstruction
    tomography
    experiment, report, cli         user-facing (``qbhw.run_experiment``)
"""

__version__ = "0.1.0"


def __getattr__(name):  # lazy: importing qbhw must not pull in qiskit
    if name == "run_experiment":
        from .experiment import run_experiment

        return run_experiment
    raise AttributeError(f"module 'qbhw' has no attribute {name!r}")
