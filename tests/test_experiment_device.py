"""Device targets end to end: qubit choice, noise-exact device reference (density matrices,
no sampling) against sampled counts, measured curves inside their bootstrap intervals, a
killed run resumed to identical results, and the CLI's calibration commands and one-line
errors."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qbhw import execute, run_experiment
from qbhw.calibration import find, load, snapshot_backend
from qbhw.calibration.snapshot import to_dict
from qbhw.compile import compile_program
from qbhw.execute.executors import LocalNoisyExecutor
from qbhw.models import tls_pair

ROOT = Path(__file__).resolve().parents[1]
FEZ = find("fake_fez-2025-02-26")
MODEL = tls_pair(1.0, 0.5, 1.41)


def test_qubit_choice_is_a_coupled_pair_with_the_charger_where_the_model_has_it():
    program = compile_program(MODEL, [0.0, 2.0], realizations=4, seed=1)
    layout, reason = execute.choose_qubits(program, FEZ)
    assert FEZ.edge_error(*layout) < 0.05  # coupled by a calibrated cz (KeyError otherwise)
    charger, battery = layout[MODEL.charger[0]], layout[MODEL.battery[0]]
    assert reason.startswith(f"pair (charger, battery) ({charger}, {battery})")
    assert FEZ.qubits[battery].t2 >= FEZ.qubits[charger].t2  # the battery keeps the longer T2


def test_weak_dephasing_estimator_consistency():
    """The sampled points and the device reference (a) share one probability computation:
    this checks sampling and the estimator only (the independent checks of the probabilities
    are in tests/test_execute_independent.py)."""
    r = run_experiment(MODEL, [0.0, 2.0, 5.0], dephasing="weak", realizations=1, shots=20000, target="aer-noisy",
                       backend=FEZ, seed=4, bootstrap=100)
    assert len(r.metadata["qubits"]) == 3  # charger, battery, ancilla
    d = r.device_reference
    assert np.all(np.abs(r.battery_energy - d.battery_energy) <= 4 * r.battery_energy_err + 1e-9)


def test_noisy_run_estimator_consistency_and_ideal_gap():
    """Intervals hold the device reference (a), which shares the sampled points' probabilities
    (an estimator check), and (a) lies below the independent T1/T2-only reference (b), which lies
    below the ideal model at late times."""
    times = np.linspace(0, 8, 6)
    r = run_experiment(MODEL, times, realizations=40, shots=16000, target="aer-noisy", backend=FEZ, seed=11,
                       bootstrap=150)
    d = r.device_reference
    for value, ci, ref in ((r.battery_energy, r.battery_energy_ci, d.battery_energy),
                           (r.battery_ergotropy[1:], r.battery_ergotropy_ci[1:], d.battery_ergotropy[1:])):
        inside = (ref >= ci[:, 0] - 1e-9) & (ref <= ci[:, 1] + 1e-9)
        assert inside.sum() >= len(inside) - 1, (ref, ci)
    # ergotropy at late times: gate noise costs much more than T1/T2 alone, which costs some
    late = times > 4
    ideal, deco = r.reference.battery_ergotropy[late], d.decoherence.battery_ergotropy[late]
    assert np.all(d.battery_ergotropy[late] < deco) and np.all(deco < ideal)
    assert r.metadata["qubits"] == list(execute.choose_qubits(r.program, FEZ)[0])
    assert 1e-7 < d.seconds_per_unit < 1e-5  # ~2 us of device time per unit of model time


class Interrupting(LocalNoisyExecutor):
    """Counts every PUB execution; raises KeyboardInterrupt (a kill) at submission ``stop``."""

    calls: list = []
    stop = None

    def submit(self, indices, seeds):
        if Interrupting.stop is not None and len(Interrupting.calls) >= Interrupting.stop:
            Interrupting.stop = None
            raise KeyboardInterrupt
        Interrupting.calls.append(list(indices))
        return super().submit(indices, seeds)


def test_interrupted_run_resumes_to_identical_results_without_rerunning(tmp_path, monkeypatch):
    monkeypatch.setattr("qbhw.execute.executors.executor_for",
                        lambda dev, isa, per, opts, batch: Interrupting(isa, dev.snapshot, shots=per))
    kwargs = dict(realizations=10, shots=2000, target="aer-noisy", backend=FEZ, seed=3, bootstrap=20)
    times = np.linspace(0, 6, 9)  # 27 PUBs: chunks of 21 + 6
    Interrupting.calls, Interrupting.stop = [], 1
    with pytest.raises(KeyboardInterrupt):
        run_experiment(MODEL, times, directory=tmp_path / "a", **kwargs)
    assert Interrupting.calls == [list(range(21))]
    resumed = run_experiment(MODEL, times, directory=tmp_path / "a", **kwargs)
    executed = [i for call in Interrupting.calls for i in call]
    assert sorted(executed) == list(range(27))  # nothing twice
    straight = run_experiment(MODEL, times, directory=tmp_path / "b", **kwargs)
    np.testing.assert_array_equal(resumed.battery_energy, straight.battery_energy)
    np.testing.assert_array_equal(resumed.battery_ergotropy_ci, straight.battery_ergotropy_ci)


SPEC = """
[model]
kind = "tls_pair"
g = 1.0
F = 0.5
gamma_c = 1.41
[times]
stop = 6.0
num = 14
[run]
target = "aer-noisy"
backend = "fake_fez"
shots = 4000
realizations = 20
bootstrap = 20
seed = 9
"""


def qbhw(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "qbhw.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


@pytest.mark.slow
def test_cli_run_killed_after_its_first_job_then_resumed(tmp_path):
    """SIGKILL once the manifest shows a finished job; ``qbhw resume`` must not rerun it and
    must give the results.json of an uninterrupted run (same seed)."""
    (tmp_path / "e.toml").write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "qbhw.cli", "run", "e.toml", "--out", "killed", "--quiet"],
                            cwd=tmp_path)
    manifest = tmp_path / "killed" / "jobs" / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and any(j["state"] == "done" for j in json.loads(manifest.read_text())["jobs"]):
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    done = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "killed" / "jobs" / "results").glob("*.npy")}
    assert done and not (tmp_path / "killed" / "results.json").exists()
    r = qbhw("resume", "killed", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "killed" / "jobs" / "results").glob("*.npy")}
    assert all(after[name] == t for name, t in done.items())  # finished PUBs were not executed again
    assert len(after) == 42
    r = qbhw("run", "e.toml", "--out", "straight", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("killed", "straight"))
    for key in ("battery_energy", "battery_ergotropy", "device_reference", "qubits"):
        assert a[key] == b[key]
    # Heron snapshot: the report compares the CZ and fractional-RZZ compilations on the run's qubits
    gate_sets = {(row["gate_set"], row["time"]) for row in a["gate_sets"]}
    assert {name for name, _ in gate_sets} == {"cz", "rzz"} and len(gate_sets) == 2 * len(a["times"])
    assert "fractional = true" in (tmp_path / "straight" / "report.md").read_text()
    assert qbhw("resume", "killed", cwd=tmp_path).returncode == 2  # complete: nothing to resume


def test_embedded_snapshot_equals_fake_fez_and_list_and_show_name_it(tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeFez

    assert to_dict(snapshot_backend(FakeFez())) == to_dict(load(ROOT / "calibrations" / "fake_fez-2025-02-26.json"))
    r = qbhw("calibrations", "list", cwd=tmp_path)
    assert r.returncode == 0 and "fake_fez-2025-02-26" in r.stdout and "Eagle r3" in r.stdout
    r = qbhw("calibrations", "show", "fake_sherbrooke", cwd=tmp_path)
    assert r.returncode == 0 and "127 qubits" in r.stdout and "ecr" in r.stdout


@pytest.mark.parametrize("edit,match", [
    (('backend = "fake_fez"', 'backend = "fake_nowhere"'), "calibration 'fake_nowhere' not found"),
    (('target = "aer-noisy"\nbackend = "fake_fez"', 'target = "fake-local"\nbackend = "fake_mars"'),
     "no fake backend 'fake_mars'"),
    (('target = "aer-noisy"\nbackend = "fake_fez"', 'target = "ibm"\nbackend = "ibm_fez"'), "no IBM Quantum account"),
])
@pytest.mark.parametrize("dry", [False, True])
def test_bad_backends_and_accounts_are_one_line_errors_leaving_nothing(tmp_path, tmp_path_factory, edit, match, dry):
    (tmp_path / "e.toml").write_text(SPEC.replace(*edit))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT_IBM")}
    env["HOME"] = str(tmp_path_factory.mktemp("home"))  # no saved account; the client may create ~/.qiskit
    r = qbhw("run", "e.toml", "--out", "o", *(["--dry-run"] if dry else []), cwd=tmp_path, env=env)
    assert r.returncode == 2 and match in r.stderr
    assert r.stderr.startswith("qbhw: error: ") and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]


def test_dry_run_checks_every_circuit_locally_and_writes_nothing(tmp_path):
    (tmp_path / "e.toml").write_text(SPEC)
    r = qbhw("run", "e.toml", "--dry-run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "local check of the ISA circuits against the Target" in r.stdout and "QPU seconds" in r.stdout
    assert "nothing was run" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]


def test_isa_check_names_an_instruction_the_device_lacks():
    """The local dry run is not vacuous: a CZ between two uncoupled qubits of the Fez target is
    refused, while the placed program passes."""
    from qbhw.execute import device, prepare
    from qbhw.execute.targets import isa_problems

    program = compile_program(MODEL, [0.0, 1.0], realizations=2, seed=1)
    prepared = prepare(program, device("aer-noisy", FEZ))
    assert isa_problems(prepared) == []
    pub = prepared.isa[-1]
    coupled = {tuple(g.qubits) for g in FEZ.gates if len(g.qubits) == 2}
    a, b = 0, next(q for q in range(FEZ.num_qubits) if q != 0 and (0, q) not in coupled and (q, 0) not in coupled)
    bad = pub.full_circuit.copy()
    bad.cz(a, b)
    broken = replace(prepared, isa=(*prepared.isa[:-1], replace(pub, full_circuit=bad)))
    problems = isa_problems(broken)
    assert len(problems) == 1 and f"cz on qubits [{a}, {b}]" in problems[0]


def test_readout_mitigation_from_the_snapshot_and_from_circuits_in_the_same_batch():
    """Both remove the readout bias: at t = 0 the battery is in |0>, so unmitigated E_B equals
    the battery qubit's P(1|0); mitigated estimates are compatible with 0 and the assignment
    measured in the same batch matches the snapshot's numbers within its sampling error."""
    kwargs = dict(realizations=10, shots=40000, target="aer-noisy", backend=FEZ, seed=4, bootstrap=100)
    raw = run_experiment(MODEL, [0.0, 3.0], **kwargs)
    battery = raw.metadata["qubits"][MODEL.battery[0]]
    p10 = FEZ.qubits[battery].prob_meas1_prep0
    assert raw.battery_energy[0] == pytest.approx(p10, abs=4 * np.sqrt(p10 / 40000) + 1e-4)
    snap = run_experiment(MODEL, [0.0, 3.0], mitigation="snapshot", **kwargs)
    meas = run_experiment(MODEL, [0.0, 3.0], mitigation="measured", **kwargs)
    measured_p10 = meas.metadata["assignments"][0][1][0]
    assert measured_p10 == pytest.approx(p10, abs=4 * np.sqrt(p10 / 40000) + 1e-4)
    for r in (snap, meas):
        assert abs(r.battery_energy[0]) < 3 * max(r.battery_energy_err[0], 1e-3)
        # mitigation removes the readout part of the device reference's gap, not the gate part
        assert r.battery_energy[1] == pytest.approx(r.device_reference.battery_energy[1],
                                                    abs=4 * r.battery_energy_err[1])


def test_resource_report_bounds_the_duration_by_the_entangling_gates():
    """The estimated duration of each time point's circuit is at least its two-qubit gates back
    to back (they all act on the one coupler) plus the readout, and grows with time."""
    from qbhw.execute.resources import resources

    program = compile_program(MODEL, [0.0, 2.0, 5.0], realizations=2, seed=1)
    rows = resources(program, backend=FEZ)
    layout, _ = execute.choose_qubits(program, FEZ)
    cz = FEZ.edge_duration(*layout)
    readout = FEZ.qubits[layout[MODEL.battery[0]]].readout_length
    for r in rows:
        assert r.duration >= r.two_qubit_gates * cz + readout - 1e-12
        assert r.coherence_left == pytest.approx(np.exp(-r.duration_over_t2), rel=1e-12)
    assert rows[0].two_qubit_gates == 0 and rows[1].two_qubit_gates < rows[2].two_qubit_gates
    assert [r.steps for r in rows] == list(program.steps)
