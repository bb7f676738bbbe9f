"""QPU cost on IBM devices without a network: the repetition delay rule against hand
computations from the embedded fake_fez snapshot, the usage jobs report, the per-account
ledger and budget guard, and that no token reaches the ledger or the run metadata."""

import json
import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qbhw import execute
from qbhw.calibration import full_target, load
from qbhw.compile import compile_program
from qbhw.errors import InputError
from qbhw.execute.budget import (
    LOCAL_SOURCE,
    BudgetError,
    Ledger,
    account_id,
    backend_account,
    choose_rep_delay,
    job_usage,
    ledger_path,
)
from qbhw.execute.targets import CostError
from qbhw.models import tls_pair

FEZ = load(Path(__file__).resolve().parents[1] / "calibrations" / "fake_fez-2025-02-26.json")
SECRET = "qbhwTestToken0123456789abcdefNotReal"
CHANNEL, INSTANCE = "ibm_quantum_platform", "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:inst-42::"


# --- repetition delay -------------------------------------------------------------------------

def _hand_delay(qubits):
    """exp(-d/T1_q) <= eps_q on every qubit, solved by hand: d = max_q T1_q ln(1/eps_q)."""
    return max(FEZ.qubits[q].t1 * math.log(1 / FEZ.qubits[q].readout_error) for q in qubits)


def test_rep_delay_with_init_lets_the_excitation_decay_to_the_reset_error():
    # qubits 87 and 101 have short T1 (27 us, 48 us): the rule lands inside the range, below the default
    qubits = (87, 101)
    delay, reason = choose_rep_delay(FEZ, qubits)
    low, high = FEZ.rep_delay_range
    assert low <= delay < FEZ.default_rep_delay <= high
    assert delay == pytest.approx(4.8441e-05 * math.log(1 / 0.057373), rel=1e-4)  # qubit 101's numbers, by hand
    assert delay == pytest.approx(_hand_delay(qubits), rel=1e-12)
    for q in qubits:  # every qubit's leftover excitation is at most its reset error, the binding one exactly
        assert math.exp(-delay / FEZ.qubits[q].t1) <= FEZ.qubits[q].readout_error * (1 + 1e-9)
    assert math.exp(-delay / FEZ.qubits[101].t1) == pytest.approx(FEZ.qubits[101].readout_error, rel=1e-9)
    assert "qubit 101" in reason and "138 us" in reason


def test_rep_delay_never_above_the_default_nor_below_the_minimum():
    # qubits 5, 6: T1 ~ 200 us, eps < 1 %: T1 ln(1/eps) ~ 1.1 ms, the default 250 us caps it
    assert _hand_delay((5, 6)) > FEZ.default_rep_delay
    delay, reason = choose_rep_delay(FEZ, (5, 6))
    assert delay == FEZ.default_rep_delay and "clipped to the device default" in reason
    raised = replace(FEZ, rep_delay_range=(200e-6, 500e-6))
    delay, reason = choose_rep_delay(raised, (87, 101))
    assert delay == 200e-6 and "clipped to the allowed minimum" in reason


def test_rep_delay_without_init_waits_five_t1_max_clipped_to_the_range():
    t1_max = max(FEZ.qubits[q].t1 for q in (87, 101))
    delay, reason = choose_rep_delay(FEZ, (87, 101), init_qubits=False)
    assert delay == pytest.approx(5 * t1_max) and "without qubit initialisation" in reason and "clipped" not in reason
    delay, _ = choose_rep_delay(FEZ, (5, 6), init_qubits=False)
    assert delay == FEZ.rep_delay_range[1]  # 5 T1 ~ 1 ms > 500 us: the range's maximum, above the default


def test_rep_delay_falls_back_to_the_default_when_numbers_are_missing():
    assert choose_rep_delay(replace(FEZ, rep_delay_range=None), (87,))[0] == FEZ.default_rep_delay
    assert choose_rep_delay(replace(FEZ, rep_delay_range=None, default_rep_delay=None), (87,))[0] == 250e-6
    no_t1 = replace(FEZ, qubits=tuple(replace(q, t1=None) if i == 101 else q for i, q in enumerate(FEZ.qubits)))
    delay, reason = choose_rep_delay(no_t1, (87, 101))
    assert delay == FEZ.default_rep_delay and "not reported" in reason


def test_init_qubits_option_reaches_the_sampler_options():
    from qiskit_ibm_runtime.options_models import SamplerOptions

    from qbhw.execute.runtime import build_options

    assert SamplerOptions(**build_options(shots=10)).execution.init_qubits is True
    opts = SamplerOptions(**build_options(shots=10, init_qubits=False, rep_delay=5e-4))
    assert opts.execution.init_qubits is False and opts.execution.rep_delay == 5e-4
    with pytest.raises(ValueError, match="init_qubits"):
        build_options(shots=10, init_qubits="yes")


# --- usage a job reports --------------------------------------------------------------------

class MetricsJob:
    def __init__(self, usage):
        self._usage = usage

    def metrics(self):
        return {"timestamps": {}, "usage": self._usage}


class UsageOnlyJob:
    def __init__(self, seconds):
        self.seconds = seconds

    def metrics(self):
        raise ConnectionError("metrics endpoint unreachable")

    def usage(self):
        return self.seconds


def test_job_usage_across_client_versions():
    assert job_usage(MetricsJob({"qpu_charge_time_seconds": 7, "status": "complete"})) == 7.0  # runtime 0.4x/0.5x
    assert job_usage(MetricsJob({"quantum_seconds": 3.5, "seconds": 4})) == 3.5  # older clients
    assert job_usage(MetricsJob({"qpu_charge_time_seconds": 0, "status": "pending"})) is None  # not final yet
    assert job_usage(UsageOnlyJob(2.25)) == 2.25
    assert job_usage(UsageOnlyJob(None)) is None and job_usage(object()) is None
    assert job_usage(UsageOnlyJob(0)) is None  # usage() says 0 until the usage is computed
    assert job_usage(MetricsJob({"status": "complete"})) is None  # metrics without a time: not reported


def test_local_mode_jobs_report_no_usage():
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    job = Sampler(mode=FakeManilaV2(), options={"default_shots": 10}).run([qc])
    job.result()
    assert job.usage() == 0  # the client's local job says 0 ...
    assert job_usage(job) is None  # ... which is "not reported", not "free"


# --- ledger ---------------------------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("QBHW_HOME", str(tmp_path / "qbhw-home"))
    return tmp_path / "qbhw-home"


def test_ledger_round_trip_window_and_dedup(home):
    assert ledger_path() == home / "usage.json"
    ledger, acc = Ledger(), account_id(CHANNEL, INSTANCE)
    now = datetime.now(timezone.utc)
    assert ledger.used(acc) == 0.0 and not (home / "usage.json").exists()
    assert ledger.record(acc, 12.5, job_ids=["j1"], backend="ibm_fez", when=now - timedelta(days=30))
    assert ledger.record(acc, 3.0, job_ids=["j2"], backend="ibm_fez", when=now - timedelta(days=1))
    assert ledger.record(acc, 1.5, job_ids=["j3"], backend="ibm_fez", estimated=True)
    assert not ledger.record(acc, 3.0, job_ids=["j2"], backend="ibm_fez")  # a resumed run: not counted twice
    reread = Ledger(home / "usage.json")  # a new process
    assert reread.used(acc) == 4.5  # the 28-day window drops the 30-day-old job
    assert reread.used(acc, since=now - timedelta(days=31)) == 17.0
    assert reread.accounts() == {acc: acc}  # no label given: the id stands for it
    reread.set_budget(acc, 600, window_days=40, label="ibm_quantum_platform open-instance")
    assert reread.accounts() == {acc: "ibm_quantum_platform open-instance"}
    assert reread.used(acc) == 17.0
    assert "17 QPU s in the last 40 days" in reread.summary(acc) and "583 s left" in reread.summary(acc)
    assert "(2 s of it qbhw's estimate" in reread.summary(acc)  # j3's 1.5 s
    assert not list(home.glob("*.tmp"))  # atomic writes leave no temporary files
    with pytest.raises(InputError, match="already recorded"):
        reread.record(acc, 1.0, job_ids=["j3", "j4"], backend="ibm_fez")


def test_budget_guard_names_used_estimate_budget_and_the_fix(home):
    ledger, acc = Ledger(), account_id(CHANNEL, INSTANCE)
    ledger.check(acc, 1e6)  # no budget set: nothing to guard
    ledger.set_budget(acc, 600)
    ledger.record(acc, 550, job_ids=["a"], backend="ibm_fez")
    ledger.check(acc, 50)  # 550 + 50 = 600: at the budget, allowed
    with pytest.raises(BudgetError) as info:
        ledger.check(acc, 51)
    message = str(info.value)
    assert isinstance(info.value, CostError)  # the CLI's exit 3
    assert all(s in message for s in ("550 s used", "51 s estimated", "601 s", "budget 600 s", "qbhw budget set"))


def test_corrupt_ledger_is_a_clear_error(home):
    home.mkdir()
    (home / "usage.json").write_text("{not json")
    with pytest.raises(InputError, match="usage.json is not valid JSON"):
        Ledger().used("x")
    (home / "usage.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a qbhw usage ledger"):
        Ledger().record("x", 1.0, job_ids=["j"], backend="b")


class StubAccount:
    token = SECRET


class StubService:
    """Stands for QiskitRuntimeService: channel and active instance, and a token it must not leak."""

    channel = CHANNEL
    _account = StubAccount()

    def active_instance(self):
        return INSTANCE

    def active_account(self):
        return {"channel": CHANNEL, "instance": INSTANCE, "token": SECRET}


def test_account_id_comes_from_channel_and_instance_only():
    key, label = backend_account(type("B", (), {"service": StubService()})())
    assert key == account_id(CHANNEL, INSTANCE) and len(key) == 16 and INSTANCE in label
    assert SECRET not in key + label and key != account_id(CHANNEL, "other-instance")
    assert backend_account(object()) == ("default", "default")


# --- through the run -----------------------------------------------------------------------

MODEL = tls_pair(1.0, 0.5, 1.41)


def test_fake_local_run_records_no_reported_usage(tmp_path, home):
    program = compile_program(MODEL, [0.5], dephasing="kicks", realizations=2, seed=1)
    result = execute.run(program, target="fake-local", backend="fake_manila_v2", shots=40, seed=1, directory=tmp_path)
    usage = result.metadata["qpu_usage"]
    assert usage["reported_seconds"] is None and usage["source"] == LOCAL_SOURCE == "not reported in local mode"
    assert sum(j["pubs"] for j in usage["jobs"]) == len(program.pubs)
    assert sum(j["estimated_seconds"] for j in usage["jobs"]) == pytest.approx(result.metadata["estimated_qpu_seconds"])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [j["reported_qpu_seconds"] for j in manifest["jobs"]] == [None] * len(usage["jobs"])
    assert manifest["options"]["execution"] == {"init_qubits": True}
    assert not (home / "usage.json").exists()  # local mode spends no QPU time: nothing in the ledger
    rep = result.metadata["rep_delay"]
    assert rep["init_qubits"] and not rep["given"] and rep["seconds"] == 250e-6  # fake_manila's default, as run


def test_run_metadata_names_the_chosen_rep_delay(home):
    program = compile_program(MODEL, [0.5], dephasing="kicks", realizations=2, seed=1)
    result = execute.run(program, target="aer-noisy", backend=FEZ, shots=40, seed=1, qubits=[87, 101])
    rep = result.metadata["rep_delay"]
    assert rep["seconds"] == FEZ.default_rep_delay and not rep["given"]
    assert rep["chosen_seconds"] == pytest.approx(_hand_delay((87, 101)), rel=1e-12)
    assert result.metadata["qpu_usage"] == {"reported_seconds": None, "jobs": [],
                                            "source": "not run on a QPU (aer-noisy emulation)"}


REPORTED = 4.75  # QPU seconds each stub job reports


class MeteredSampler:
    """Stands for the runtime's Sampler on IBM hardware: runs on ideal Aer, its jobs report
    REPORTED QPU seconds through metrics()."""

    jobs: list = []

    def __init__(self, mode, options):
        self.options = options

    def run(self, pubs, dry_run=False):
        from qiskit_aer.primitives import SamplerV2

        MeteredSampler.jobs.append(pubs)
        return MeteredJob(SamplerV2(seed=3).run(pubs))


class MeteredJob:
    def __init__(self, job):
        self._job = job

    def job_id(self):
        return self._job.job_id()

    def result(self):
        return self._job.result()

    def metrics(self):
        return {"usage": {"qpu_charge_time_seconds": REPORTED, "status": "complete"}}


def _ibm_run(tmp_path, monkeypatch, directory):
    class Hardware:
        name = "ibm_stub"
        target = full_target(FEZ)
        service = StubService()

    class NoBatch:
        def close(self):
            pass

    monkeypatch.setenv("QISKIT_IBM_TOKEN", SECRET)
    monkeypatch.setattr("qbhw.execute.runtime.sampler_class", lambda kind: MeteredSampler)
    monkeypatch.setattr("qbhw.execute.executors.open_batch", lambda dev: NoBatch())
    program = compile_program(MODEL, [0.0, 0.5], dephasing="kicks", realizations=4, seed=1)
    placed = execute.prepare(program, execute.device("aer-noisy", FEZ))
    hardware = replace(placed, device=execute.Device("ibm", FEZ, Hardware()))
    return execute.run_prepared(program, hardware, shots=400, seed=1, directory=directory, confirm=True)


def test_ibm_run_records_reported_usage_per_account_and_never_the_token(tmp_path, monkeypatch, home):
    MeteredSampler.jobs = []
    result = _ibm_run(tmp_path, monkeypatch, tmp_path / "run")
    usage = result.metadata["qpu_usage"]
    n_jobs = len(MeteredSampler.jobs)
    assert n_jobs == 2  # t = 0 with all shots, t = 0.5 with a quarter per row: two shot counts
    assert usage["reported_seconds"] == pytest.approx(n_jobs * REPORTED)
    assert usage["source"] == "reported by the runtime for all 2 jobs"
    acc = account_id(CHANNEL, INSTANCE)
    assert Ledger().used(acc) == pytest.approx(n_jobs * REPORTED)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert [j["reported_qpu_seconds"] for j in manifest["jobs"]] == [REPORTED] * n_jobs
    # the same run folder again: nothing resubmitted, the usage kept, nothing counted twice, and the
    # budget guard counts only what is left to run (nothing), not the whole run's estimate
    Ledger().set_budget(acc, n_jobs * REPORTED + 0.5)
    assert result.metadata["estimated_qpu_seconds"] > 0.5
    again = _ibm_run(tmp_path, monkeypatch, tmp_path / "run")
    assert len(MeteredSampler.jobs) == n_jobs and again.metadata["qpu_usage"] == usage
    assert Ledger().used(acc) == pytest.approx(n_jobs * REPORTED)
    texts = [(home / "usage.json").read_text(), json.dumps(result.metadata, default=str),
             (tmp_path / "run" / "manifest.json").read_text()]
    assert all(SECRET not in text for text in texts)


def test_ibm_run_over_budget_is_refused_before_submission(tmp_path, monkeypatch, home):
    MeteredSampler.jobs = []
    Ledger().set_budget(account_id(CHANNEL, INSTANCE), 1.0)  # less than the 2 s overhead of one job
    with pytest.raises(BudgetError, match="budget 1 s"):
        _ibm_run(tmp_path, monkeypatch, None)  # confirm=True does not override a budget
    assert MeteredSampler.jobs == []
    Ledger().set_budget(account_id(CHANNEL, INSTANCE), 600)
    result = _ibm_run(tmp_path, monkeypatch, None)  # in memory: the executor's fetched jobs carry the usage
    assert result.metadata["qpu_usage"]["reported_seconds"] == pytest.approx(2 * REPORTED)
    assert Ledger().used(account_id(CHANNEL, INSTANCE)) == pytest.approx(2 * REPORTED)
