"""IBM/runtime path without a network: options, QPU-time estimate, missing account,
measure_2 conversion."""

from pathlib import Path

import pytest
from qiskit import QuantumCircuit

from qbhw.calibration import full_target, load
from qbhw.execute.noisy import prepare_pubs
from qbhw.execute.runtime import IBMAccountError, build_options, connect, estimate_qpu_seconds, to_submission

FEZ = load(Path(__file__).resolve().parents[1] / "calibrations" / "fake_fez-2025-02-26.json")


def test_options_are_plain_dicts_accepted_by_both_samplers():
    from qiskit_ibm_runtime.options_models import SamplerOptions

    opts = build_options(shots=1000, seed=3, dynamical_decoupling="XY4", twirling=True, num_randomizations=8, rep_delay=1e-4)
    assert opts["simulator"] == {"seed_simulator": 3}
    assert opts["dynamical_decoupling"] == {"enable": True, "sequence_type": "XY4"}
    assert SamplerOptions(**opts).twirling.num_randomizations == 8
    with pytest.raises(ValueError, match="dynamical_decoupling"):
        build_options(shots=10, dynamical_decoupling="XZ")
    with pytest.raises(ValueError, match="num_randomizations"):
        build_options(shots=10, num_randomizations=4)


def test_qpu_seconds_closed_form():
    q = 5
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    pubs = prepare_pubs([qc, (qc, None, 100)], FEZ, initial_layout=[q])
    est = estimate_qpu_seconds(pubs, full_target(FEZ), shots=1000, rep_delay=250e-6, jobs=2, per_job_overhead=3.0)
    one_shot = FEZ.gate("x", [q]).duration + FEZ.qubits[q].readout_length + 250e-6
    assert est == pytest.approx((1000 + 100) * one_shot + 6.0, rel=1e-9)


def test_missing_account_is_one_clear_line(monkeypatch, tmp_path):
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("qiskit_ibm_runtime.accounts.management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE",
                        str(tmp_path / "qiskit-ibm.json"), raising=False)
    with pytest.raises(IBMAccountError, match="no IBM Quantum account") as info:
        connect("ibm_fez")
    assert "\n" not in str(info.value)


def test_mid_circuit_measure_converted_only_where_supported():
    from qiskit_ibm_runtime.fake_provider import FakeKingston

    qc = QuantumCircuit(1, 2)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    assert to_submission(qc, full_target(FEZ)) is qc  # FakeFez has no measure_2
    kingston = FakeKingston().target
    names = [i.operation.name for i in to_submission(qc, kingston).data]
    assert names[0] == "measure_2" and names[-1] == "measure"
