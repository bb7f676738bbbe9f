"""Error types shared by every layer (bottom of the import graph: imports nothing of qbhw).

``InputError``: bad input found by a layer below the experiment file (compile time, model
construction, cutoff resolution); ``key`` names the argument or experiment-file key to change
(``"n_max"``, ``"run.realizations"``), and the message starts with it.  The CLI exits 2 on it.
``ResourceError``: the work asked for would exceed a memory, time or gate-count limit; refused
before anything is compiled or run.  Also exit 2, and distinct from ``execute.CostError`` (the
QPU-time confirmation, exit 3).
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input; ``key`` names what to change (also the start of the message)."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"{key}: {message}")


class ResourceError(InputError):
    """The requested work exceeds a stated limit (memory, time, gates); nothing was run."""
