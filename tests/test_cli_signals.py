"""Ctrl-C (SIGINT) of a real `qbhw run` process at any moment.

Whatever moment the signal hits (interpreter start, imports, the reference, compiling,
simulating, writing), the outcome is one of: finished (exit 0, complete folder); resumable
(exit 3, the one error line says "continue with: qbhw resume DIR", DIR exists and `qbhw resume
DIR` completes with exit 0); or nothing to resume (exit 130, no folder left, or the run was
already complete).  Never a traceback from qbhw's code (one from the interpreter's own
start-up, before qbhw's first line runs, is Python's default and cannot be caught).  Which
phase a fixed delay hits depends on the machine's load, so each case checks the consistency
of what happened, and the mid-run case waits for the job manifest to be on disk first.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from specs import TLS_PAIR

EXPERIMENT = TLS_PAIR + """[times]
stop = 3.0
num = 4
[run]
target = "aer-noisy"
shots = 2000
realizations = 10
bootstrap = 20
seed = 11
"""


def qbhw(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "qbhw.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def outcome(proc, folder) -> str:
    """Wait for ``proc`` and check that its exit code, message and ``folder`` agree."""
    _, err = proc.communicate(timeout=600)
    if "Traceback" in err and f"{os.sep}qbhw{os.sep}" not in err:
        # the signal came during the interpreter's own start-up, before qbhw's first line ran
        # (a loaded machine can take 0.3 s to get there): Python's default, nothing to keep
        assert proc.returncode == -signal.SIGINT and not folder.exists()
        return "nothing kept"
    assert "Traceback" not in err, err
    if proc.returncode == 0:
        assert (folder / "results.json").exists()
        return "finished"
    lines = [line for line in err.splitlines() if line.startswith("qbhw: error: ")]
    assert len(lines) == 1, err
    if "continue with: qbhw resume" in lines[0]:
        assert proc.returncode == 3 and lines[0].endswith(f"qbhw resume {folder.name}")
        assert (folder / "experiment.toml").exists()
        resume = subprocess.run([sys.executable, "-m", "qbhw.cli", "resume", folder.name, "--quiet"],
                                cwd=folder.parent, capture_output=True, text=True, timeout=600)
        assert resume.returncode == 0, resume.stderr
        assert (folder / "results.json").exists()
        return "resumed"
    assert proc.returncode == 130 and "resume" not in lines[0], err
    if "after the run was complete" in lines[0]:
        assert (folder / "results.json").exists()
        return "finished"
    assert not folder.exists()
    return "nothing kept"


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.6, 3.0])
def test_interrupt_at_a_fixed_delay_is_consistent(delay, tmp_path):
    (tmp_path / "e.toml").write_text(EXPERIMENT)
    proc = qbhw("run", "e.toml", "--out", "o", "--quiet", cwd=tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    assert outcome(proc, tmp_path / "o") in ("finished", "resumed", "nothing kept")


def test_interrupt_once_the_job_manifest_exists_is_resumable(tmp_path):
    (tmp_path / "e.toml").write_text(EXPERIMENT)
    proc = qbhw("run", "e.toml", "--out", "o", "--quiet", cwd=tmp_path)
    manifest = tmp_path / "o" / "jobs" / "manifest.json"
    deadline = time.monotonic() + 300
    while not manifest.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    assert outcome(proc, tmp_path / "o") == "resumed"
