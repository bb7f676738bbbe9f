"""Calibration snapshots: numbers against the backend's own properties, JSON round trip, errors,
`qbhw calibrations pull`."""

import json
from pathlib import Path

import pytest
from qiskit_ibm_runtime.fake_provider import FakeFez, FakeSherbrooke

from qbhw.calibration import load, save, snapshot_backend
from qbhw.calibration.snapshot import to_dict
from qbhw.cli import main
from qbhw.tomography import assignments_from_snapshot

CAL = Path(__file__).resolve().parents[1] / "calibrations"
SHIPPED = {"fake_fez": "fake_fez-2025-02-26.json", "fake_sherbrooke": "fake_sherbrooke-2025-02-26.json"}


@pytest.mark.parametrize("backend_cls", [FakeFez, FakeSherbrooke])
def test_shipped_snapshot_matches_backend_properties(backend_cls):
    backend = backend_cls()
    snap = load(CAL / SHIPPED[backend.name])
    props = backend.properties()
    assert snap.num_qubits == backend.num_qubits and snap.backend_name == backend.name
    assert (CAL / SHIPPED[backend.name]).stat().st_size < 200_000
    for q in (0, 7, backend.num_qubits - 1):
        c = snap.qubits[q]
        assert c.t1 == pytest.approx(props.t1(q), rel=1e-4)  # seconds
        assert c.t2 == pytest.approx(props.t2(q), rel=1e-4)
        assert c.prob_meas1_prep0 == pytest.approx(props.qubit_property(q, "prob_meas1_prep0")[0], rel=1e-4)
        assert c.prob_meas0_prep1 == pytest.approx(props.qubit_property(q, "prob_meas0_prep1")[0], rel=1e-4)
        assert c.readout_length == pytest.approx(props.readout_length(q), rel=1e-4)
        assert snap.gate("sx", [q]).duration == pytest.approx(props.gate_length("sx", [q]), rel=1e-4)
    a, b = snap.coupling_map[0]
    two_q = snap.two_qubit_gate
    assert two_q == ("cz" if backend.name == "fake_fez" else "ecr")
    assert snap.gate(two_q, [a, b]).error == pytest.approx(props.gate_error(two_q, [a, b]), rel=1e-4)
    assert set(snap.basis_gates) == set(backend.configuration().basis_gates)
    assert snap.default_rep_delay == pytest.approx(250e-6)
    assert snap.dt == pytest.approx(backend.dt)


def test_families_and_dates():
    assert load(CAL / SHIPPED["fake_fez"]).processor_family == "Heron r2"
    snap = load(CAL / SHIPPED["fake_sherbrooke"])
    assert snap.processor_family == "Eagle r3"
    assert snap.date.startswith("2025-02-26")
    assert snap.qubits[0].frequency == pytest.approx(4.6356e9, rel=1e-4)  # hertz


def test_round_trip_and_default_name(tmp_path):
    snap = snapshot_backend(FakeSherbrooke())
    path = save(snap, tmp_path)
    assert path.name == "fake_sherbrooke-2025-02-26.json"
    back = load(path)
    assert back.coupling_map == snap.coupling_map and back.basis_gates == snap.basis_gates
    assert len(back.gates) == len(snap.gates)
    for q0, q1 in zip(snap.qubits, back.qubits):
        assert q1.t1 == pytest.approx(q0.t1, rel=1e-4) and q1.prob_meas0_prep1 == pytest.approx(q0.prob_meas0_prep1, rel=1e-4)
    assert load(save(back, tmp_path / "again.json")) == back  # rounding is idempotent
    assert not list(tmp_path.glob("*.tmp"))


def _one_line_error(path, match):
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_load_errors(tmp_path):
    _one_line_error(tmp_path / "missing.json", "does not exist")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    _one_line_error(bad, "not valid JSON")
    bad.write_text(json.dumps({"format": "other"}))
    _one_line_error(bad, "not a qbhw calibration snapshot")
    data = json.loads((CAL / SHIPPED["fake_fez"]).read_text())
    del data["coupling_map"]
    bad.write_text(json.dumps(data))
    _one_line_error(bad, "missing key 'coupling_map'")
    data = json.loads((CAL / SHIPPED["fake_fez"]).read_text())
    data["qubits"]["t1"] = data["qubits"]["t1"][:-1]
    bad.write_text(json.dumps(data))
    _one_line_error(bad, "qubits.t1 has 155 entries")


def test_snapshot_backend_rejects_non_backend():
    with pytest.raises(ValueError, match="backend"):
        snapshot_backend(object())


def test_calibrations_pull_writes_the_backend_snapshot(tmp_path, capsys):
    """`qbhw calibrations pull fake_fez --out DIR` (the CLI's own entry point) writes the
    snapshot snapshot_backend(FakeFez()) gives, rounded as saved; the readout numbers of every
    qubit, P(1|0) and P(0|1), and the assignment matrices built from them equal the backend's
    own properties."""
    assert main(["calibrations", "pull", "fake_fez", "--out", str(tmp_path / "pulled")]) == 0
    written = tmp_path / "pulled" / SHIPPED["fake_fez"]
    assert capsys.readouterr().out.strip() == f"wrote {written}"
    assert [p.name for p in (tmp_path / "pulled").iterdir()] == [written.name]
    backend = FakeFez()
    pulled, direct = load(written), snapshot_backend(backend)
    assert to_dict(pulled) == to_dict(direct)
    props = backend.properties()
    qubits = range(backend.num_qubits)
    for q, a_pulled, a_direct in zip(qubits, assignments_from_snapshot(pulled, qubits),
                                     assignments_from_snapshot(direct, qubits)):
        p10 = props.qubit_property(q, "prob_meas1_prep0")[0]
        p01 = props.qubit_property(q, "prob_meas0_prep1")[0]
        for a in (a_pulled, a_direct):  # A[measured, prepared]
            assert a[1, 0] == pytest.approx(p10, rel=1e-4, abs=1e-12), q
            assert a[0, 1] == pytest.approx(p01, rel=1e-4, abs=1e-12), q
