"""qbhw: quantum-battery experiments on quantum processors.

Layers (imports point downwards only):
    models, metrics                 physics as data and pure functions
    reference, compile, execute,    exact solutions; circuits; runs; state reconstruction
    tomography
    experiment, report, cli         user-facing (``qbhw.run_experiment``)

Importing qbhw is light: each submodule (``qbhw.models``, ``qbhw.reference``, ...) and
``qbhw.run_experiment`` are imported on first access.
"""

import importlib
import pkgutil

__version__ = "0.1.0"


def __getattr__(name):  # lazy: importing qbhw must not pull in qiskit
    if name == "run_experiment":
        from .experiment import run_experiment

        return run_experiment
    if not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'qbhw' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), "run_experiment", *(m.name for m in pkgutil.iter_modules(__path__))})
