"""Job manifests: written before submission, atomic files, resume without re-execution,
retries for transient errors only, no credentials; and the shots every PUB runs with, on
every executor, as the manifest records them."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qbhw import execute
from qbhw.calibration import load
from qbhw.compile import compile_program
from qbhw.execute.executors import LocalNoisyExecutor
from qbhw.execute.manifest import PermanentSubmissionError, load_results, resume, run_with_manifest
from qbhw.execute.noisy import prepare_pubs
from qbhw.models import tls_pair

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


# --- shots per PUB: every (time, basis) gets the documented total, on every executor ---------

MODEL = tls_pair(1.0, 0.5, 1.41)
TOTAL = 400


def _program(dephasing="kicks"):
    """t = 0 (one circuit, no parameters) and t = 0.5 (4 realizations: 4 rows, or 4 circuits)."""
    return compile_program(MODEL, [0.0, 0.5], dephasing=dephasing, realizations=4, seed=1)


def _totals(program, counts) -> Counter:
    totals = Counter()
    for info, c in zip(program.info, counts):
        totals[(info.time, info.basis)] += int(c.sum())
    return totals


def _manifest_totals(program, directory) -> Counter:
    totals = Counter()
    for info, pub in zip(program.info, json.loads((Path(directory) / "manifest.json").read_text())["pubs"]):
        totals[(info.time, info.basis)] += pub["shots"] * pub["num_values"]
    return totals


@pytest.mark.parametrize("target", ["aer-ideal", "aer-noisy"])
@pytest.mark.parametrize("dephasing", ["kicks", "flips", "mcm"])
def test_every_time_and_basis_gets_the_total_shots(target, dephasing, tmp_path):
    """A PUB with one parameter row (t = 0) gets all the shots, M rows or "mcm"'s M circuits
    shots/M each; the manifest records them.  Regression: t = 0 got shots / realizations."""
    program = _program(dephasing)
    device = {"backend": FEZ, "directory": tmp_path} if target == "aer-noisy" else {}
    result = execute.run(program, target=target, shots=TOTAL, seed=1, **device)
    assert set(_totals(program, result.counts).values()) == {TOTAL}
    assert all(c.shape[0] == 1 for info, c in zip(program.info, result.counts) if info.time == 0)
    assert result.metadata["shots"] == TOTAL
    if device:
        assert set(_manifest_totals(program, tmp_path).values()) == {TOTAL}


def test_fake_local_runs_every_pub_with_its_shots():
    """qiskit-ibm-runtime's local mode (executor Sampler, a small fake backend), whose jobs
    must hold PUBs of one shot count: jobs are cut where the shots change."""
    program = _program()
    result = execute.run(program, target="fake-local", backend="fake_manila_v2", shots=TOTAL, seed=1)
    assert set(_totals(program, result.counts).values()) == {TOTAL}


class RecordingSampler:
    """Stands for the runtime's executor Sampler on IBM hardware: records each job's PUBs,
    refuses a job with mixed shots as the real one does, and runs it on ideal Aer."""

    jobs: list = []

    def __init__(self, mode, options):
        self.options = options

    def run(self, pubs, dry_run=False):
        from qiskit_aer.primitives import SamplerV2

        if len({pub[2] for pub in pubs}) != 1:
            raise ValueError("All pubs must have the same number of shots")
        RecordingSampler.jobs.append(pubs)
        return SamplerV2(seed=3).run(pubs)


def test_ibm_jobs_carry_every_pubs_shots(tmp_path, monkeypatch):
    """The IBM path without a network: the submitted PUB tuples carry their own shots, jobs
    hold one shot count each, and the manifest records every PUB's shots."""
    from dataclasses import replace

    from qbhw.calibration import full_target

    class Hardware:
        name = "ibm_stub"
        target = full_target(FEZ)

    class NoBatch:
        def close(self):
            pass

    monkeypatch.setattr("qbhw.execute.runtime.sampler_class", lambda kind: RecordingSampler)
    monkeypatch.setattr("qbhw.execute.executors.open_batch", lambda dev: NoBatch())
    RecordingSampler.jobs = []
    program = _program()
    placed = execute.prepare(program, execute.device("aer-noisy", FEZ))
    hardware = replace(placed, device=execute.Device("ibm", FEZ, Hardware()))
    result = execute.run_prepared(program, hardware, shots=TOTAL, seed=1, directory=tmp_path, confirm=True)
    assert [[pub[2] for pub in job] for job in RecordingSampler.jobs] == [[TOTAL] * 3, [TOTAL // 4] * 3]
    assert set(_totals(program, result.counts).values()) == {TOTAL}
    assert set(_manifest_totals(program, tmp_path).values()) == {TOTAL}


class FakeService:
    """Stands for QiskitRuntimeService on the IBM path (no network): jobs by id, and a record of
    every submission and every fetch."""

    def __init__(self):
        self.jobs, self.submitted, self.fetched = {}, [], []

    def job(self, job_id):
        self.fetched.append(job_id)
        return self.jobs[job_id]


class FakeIBMJob:
    """A runtime job whose result is computed by Aer's SamplerV2; ``dies`` makes the first
    result() raise Killed (the process is killed while waiting for the job)."""

    def __init__(self, job_id, pubs, dies):
        self.id, self.pubs, self.dies = job_id, pubs, dies

    def job_id(self):
        return self.id

    def result(self):
        if self.dies:
            self.dies = False
            raise Killed
        from qiskit_aer.primitives import SamplerV2

        return SamplerV2(seed=3, default_shots=SHOTS).run(self.pubs).result()


def test_killed_after_the_job_id_was_recorded_resume_fetches_it_and_never_resubmits(tmp_path, monkeypatch):
    from qbhw.execute import executors, runtime

    service = FakeService()
    backend = type("FakeIBMBackend", (), {"name": "ibm_fake", "service": service})()
    pubs = _pubs(2)

    def submit(isa_pubs, backend, options, **kwargs):
        job_id = f"job-{len(service.submitted)}"
        service.submitted.append(job_id)
        service.jobs[job_id] = FakeIBMJob(job_id, [p.sampler_pub(full=True) for p in isa_pubs], dies=True)
        return service.jobs[job_id]

    monkeypatch.setattr(runtime, "submit", submit)
    with pytest.raises(Killed):  # killed while waiting for the first job, whose id is on disk
        run_with_manifest(tmp_path, pubs, executors.RuntimeExecutor(pubs, backend, {}), shots=SHOTS, seed=1,
                          chunk_size=2)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [j["job_id"] for j in manifest["jobs"]] == ["job-0"]
    got = resume(tmp_path, executors.RuntimeExecutor(pubs, backend, {}))  # a new process: no jobs in memory
    assert service.submitted == ["job-0"] and service.fetched == ["job-0"]  # fetched by id, never resubmitted
    assert [c.shape for c in got] == [(2, 4), (2, 4)] and all(np.all(c.sum(axis=1) == SHOTS) for c in got)
