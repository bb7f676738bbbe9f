"""The main package's side of the pulse worker: start it, send requests, read states.

    with PulseWorker() as worker:            # one process per run, started on demand
        states = worker.solve(request)       # reused for every point of a scan

The worker runs ``worker.py`` with the interpreter of ``.venv-pulse`` (``QBHW_PULSE_PYTHON``
overrides it).  Errors, never hangs: a missing environment raises PulseEnvironmentError naming
the command that builds it (:data:`BUILD_COMMAND`); a worker that dies, answers garbage or
takes longer than its timeout is killed and raises PulseWorkerError with the worker's own
message (the tail of its stderr, or the error it answered).
"""

from __future__ import annotations

import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from . import contract

REPOSITORY = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("worker.py")
BUILD_COMMAND = "./dev pulse-env"
START_TIMEOUT = 180.0  # s: imports of jax + qiskit-dynamics (about 3 s warm, more on a cold disk)
SOLVE_TIMEOUT = 900.0  # s per request


class PulseEnvironmentError(RuntimeError):
    """``.venv-pulse`` is missing: the message names the one command that builds it."""


class PulseWorkerError(RuntimeError):
    """The worker crashed, timed out or refused a request; the message carries its reason."""


def pulse_python() -> Path:
    """The interpreter of the pulse environment (``QBHW_PULSE_PYTHON`` or ``.venv-pulse``)."""
    return Path(os.environ.get("QBHW_PULSE_PYTHON") or REPOSITORY / ".venv-pulse" / "bin" / "python")


def _tail(path: Path, chars: int = 2000) -> str:
    text = path.read_text(errors="replace").strip() if path.exists() else ""
    return text[-chars:] if text else "(no output on stderr)"


class PulseWorker:
    """One worker process (module doc); ``hello`` holds the versions it reported at start."""

    def __init__(self, python=None, *, script=WORKER, start_timeout: float = START_TIMEOUT,
                 solve_timeout: float = SOLVE_TIMEOUT):
        python = Path(python) if python is not None else pulse_python()
        if not python.exists():
            raise PulseEnvironmentError(f"the pulse environment is missing ({python} does not exist); "
                                        f"build it with `{BUILD_COMMAND}` in {REPOSITORY}")
        self.solve_timeout = solve_timeout
        self._stderr_file = Path(tempfile.mkstemp(prefix="qbhw-pulse-worker-", suffix=".log")[1])
        # small problems: one XLA thread per worker (the suite runs two pytest processes on 2 cores)
        env = {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1", **os.environ,
               "PYTHONPATH": "", "JAX_PLATFORMS": "cpu"}
        with open(self._stderr_file, "wb") as err:
            self._process = subprocess.Popen([str(python), str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=err, env=env)
        try:
            self.hello = self._receive(start_timeout, "starting")
        except PulseWorkerError:
            self.close()
            raise

    def _receive(self, timeout: float, doing: str) -> dict:
        box: queue.Queue = queue.Queue()

        def read():
            try:
                box.put(contract.read_message(self._process.stdout))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                box.put(exc)

        threading.Thread(target=read, daemon=True).start()
        try:
            message = box.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise PulseWorkerError(f"pulse worker gave no answer within {timeout:g} s while {doing}; killed. "
                                   f"Its stderr: {_tail(self._stderr_file)}") from None
        if isinstance(message, contract.ContractError):
            self._kill()
            raise PulseWorkerError(f"pulse worker broke the contract while {doing}: {message}") from None
        if message is None or isinstance(message, Exception):
            code = self._process.wait(timeout=10)
            raise PulseWorkerError(f"pulse worker exited (code {code}) while {doing}: {_tail(self._stderr_file)}")
        if message.get("error"):
            raise PulseWorkerError(f"pulse worker refused the request while {doing}: {message['error']}")
        return message

    def solve(self, request: dict) -> dict:
        """Send one request (contract module doc; checked here first) and return the response
        fields: ``states`` (B, T, D[, D]) and ``seconds`` (B,)."""
        checked = contract.check_request(request)
        if self._process.poll() is not None:
            raise PulseWorkerError(f"pulse worker is not running (exit code {self._process.returncode}): "
                                   f"{_tail(self._stderr_file)}")
        try:
            contract.write_message(self._process.stdin, checked)
        except (BrokenPipeError, OSError):
            code = self._process.wait(timeout=10)
            raise PulseWorkerError(f"pulse worker exited (code {code}) before the request: "
                                   f"{_tail(self._stderr_file)}") from None
        response = self._receive(self.solve_timeout, "solving")
        return {"states": np.asarray(response["states"]), "seconds": np.asarray(response["seconds"])}

    def _kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def close(self) -> None:
        """End the worker (closing its stdin ends it cleanly; killed if it does not) and remove its log."""
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
        self._stderr_file.unlink(missing_ok=True)

    def __enter__(self) -> PulseWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
