"""Job manifests: written before submission, atomic files, resume without re-execution,
retries for transient errors only, no credentials."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qbhw.calibration import load
from qbhw.execute.manifest import (
    LocalNoisyExecutor,
    PermanentSubmissionError,
    load_results,
    resume,
    run_with_manifest,
)
from qbhw.execute.noisy import prepare_pubs

CAL = Path(__file__).resolve().parents[1] / "calibrations"
FEZ = load(CAL / "fake_fez-2025-02-26.json")
SHOTS = 400


class Killed(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


def _pubs(n=4):
    th = Parameter("th")
    qc = QuantumCircuit(2, 2)
    qc.rx(th, 0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return prepare_pubs([(qc, [[0.3 * (i + 1)], [0.1 * i]]) for i in range(n)], FEZ, initial_layout=[5, 6])


class Counting(LocalNoisyExecutor):
    """Counts executions per PUB (shared Counter across 'processes'); optionally dies before
    executing the ``kill_at``-th submission; checks the manifest is on disk first."""

    def __init__(self, pubs, executions, directory, kill_at=None):
        super().__init__(pubs, FEZ, shots=SHOTS)
        self.executions, self.directory, self.kill_at, self.calls = executions, Path(directory), kill_at, 0

    def submit(self, indices, seeds):
        manifest = json.loads((self.directory / "manifest.json").read_text())
        intent = manifest["jobs"][-1]
        assert intent["state"] == "submitting" and intent["pub_indices"] == list(indices)
        self.calls += 1
        if self.kill_at is not None and self.calls == self.kill_at:
            raise Killed
        self.executions.update(indices)
        return super().submit(indices, seeds)


def test_killed_run_resumes_to_the_same_counts_without_rerunning(tmp_path):
    pubs = _pubs()
    ref = run_with_manifest(tmp_path / "ref", pubs, LocalNoisyExecutor(pubs, FEZ, shots=SHOTS), shots=SHOTS, seed=7, chunk_size=1)
    executions = Counter()
    run_dir = tmp_path / "run"
    with pytest.raises(Killed):
        run_with_manifest(run_dir, pubs, Counting(pubs, executions, run_dir, kill_at=2), shots=SHOTS, seed=7, chunk_size=1)
    assert sorted(p.name for p in (run_dir / "results").iterdir()) == ["pub-00000.npy"]
    assert not list(run_dir.rglob("*.tmp"))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [j["state"] for j in manifest["jobs"]] == ["done", "submitting"]
    with pytest.raises(ValueError, match="no results yet"):
        load_results(run_dir)
    # a new process: fresh executor, no memory of the old jobs
    got = resume(run_dir, Counting(pubs, executions, run_dir), chunk_size=3)
    assert executions == Counter(range(len(pubs)))  # every PUB executed exactly once
    assert all(np.array_equal(a, b) for a, b in zip(ref, got))
    assert all(c.shape == (2, 4) and np.all(c.sum(axis=1) == SHOTS) for c in got)
    # resuming a finished run executes nothing
    assert all(np.array_equal(a, b) for a, b in zip(ref, resume(run_dir, Counting(pubs, executions, run_dir))))
    assert executions == Counter(range(len(pubs)))


def test_chunking_does_not_change_results(tmp_path):
    pubs = _pubs(3)
    a = run_with_manifest(tmp_path / "a", pubs, LocalNoisyExecutor(pubs, FEZ, shots=SHOTS), shots=SHOTS, seed=2, chunk_size=1)
    b = run_with_manifest(tmp_path / "b", pubs, LocalNoisyExecutor(pubs, FEZ, shots=SHOTS), shots=SHOTS, seed=2, chunk_size=10)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


class Flaky(LocalNoisyExecutor):
    def __init__(self, pubs, errors):
        super().__init__(pubs, FEZ, shots=SHOTS)
        self.errors, self.attempts = list(errors), 0

    def submit(self, indices, seeds):
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return super().submit(indices, seeds)


def test_transient_errors_are_retried_with_backoff(tmp_path):
    pubs = _pubs(1)
    sleeps = []
    ex = Flaky(pubs, [ConnectionError("reset by peer"), TimeoutError("slow")])
    run_with_manifest(tmp_path, pubs, ex, shots=SHOTS, seed=1, backoff=0.5, sleep=sleeps.append)
    assert ex.attempts == 3 and sleeps == [0.5, 1.0]


def test_permanent_errors_stop_at_once_and_retries_are_bounded(tmp_path):
    pubs = _pubs(1)
    ex = Flaky(pubs, [ValueError("circuit too deep")])
    with pytest.raises(PermanentSubmissionError, match="circuit too deep"):
        run_with_manifest(tmp_path / "a", pubs, ex, shots=SHOTS, seed=1, sleep=lambda s: None)
    assert ex.attempts == 1
    ex = Flaky(pubs, [ConnectionError("down")] * 5)
    with pytest.raises(PermanentSubmissionError, match="after 3 attempts"):
        run_with_manifest(tmp_path / "b", pubs, ex, shots=SHOTS, seed=1, retries=2, sleep=lambda s: None)


def test_no_credentials_and_no_foreign_runs(tmp_path):
    pubs = _pubs(2)
    ex = LocalNoisyExecutor(pubs, FEZ, shots=SHOTS)
    with pytest.raises(ValueError, match="options.service.token"):
        run_with_manifest(tmp_path, pubs, ex, shots=SHOTS, seed=1, options={"service": {"token": "x"}})
    run_with_manifest(tmp_path, pubs, ex, shots=SHOTS, seed=1, options={"default_shots": SHOTS})
    text = (tmp_path / "manifest.json").read_text()
    assert "token" not in text.lower()
    with pytest.raises(ValueError, match="different run"):
        run_with_manifest(tmp_path, _pubs(3), ex, shots=SHOTS, seed=1)
