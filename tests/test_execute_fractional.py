"""Fractional RZZ gates on Heron snapshots: the gate set, the angle range, equivalence with
the CZ compilation, the cost/error comparison, and a noisy run's estimator against its device
reference."""

from dataclasses import replace

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from qbhw import execute, run_experiment
from qbhw.calibration import find, with_fractional_gates
from qbhw.compile import compile_program
from qbhw.execute.resources import gate_error, two_qubit_comparison
from qbhw.models import spin_chain, tls_pair

FEZ = find("fake_fez-2025-02-26")


def test_fractional_snapshot_uses_reported_rzz_and_copies_missing_ones():
    frac = with_fractional_gates(FEZ)
    assert {"rzz", "rx"} <= set(frac.basis_gates)
    reported = {g.qubits: g for g in FEZ.gates if g.name == "rzz"}
    rzz = {g.qubits: g for g in frac.gates if g.name == "rzz"}
    assert rzz.keys() == {g.qubits for g in FEZ.gates if g.name == "cz"}
    assert all(rzz[q].error == reported[q].error for q in reported)
    assert all(not rzz[q].operational for q in reported if reported[q].error >= 0.5)  # faulty couplers
    # a snapshot without reported RZZ/RX gets copies of CZ/SX
    bare = replace(FEZ, gates=tuple(g for g in FEZ.gates if g.name not in ("rzz", "rx")))
    copied = with_fractional_gates(bare)
    cz = {g.qubits: g for g in FEZ.gates if g.name == "cz"}
    rzz = {g.qubits: g for g in copied.gates if g.name == "rzz"}
    assert all((rzz[q].error, rzz[q].duration) == (cz[q].error, cz[q].duration) for q in cz)
    assert sum(g.name == "rx" for g in copied.gates) == sum(g.name == "sx" for g in FEZ.gates)
    with pytest.raises(ValueError, match="Heron devices only"):
        with_fractional_gates(find("fake_sherbrooke-2025-02-26"))
    with pytest.raises(ValueError, match="no RZZ gate"):
        execute.device("fake-local", "fake_fez", fractional=True)
    # a snapshot already carrying them (the CLI resolves the run's gate set) compiles plain without
    plain = execute.device("aer-noisy", frac).snapshot
    assert (plain.basis_gates, plain.instructions) == (FEZ.basis_gates, FEZ.instructions)
    assert execute.device("aer-noisy", frac, fractional=True).snapshot.basis_gates == frac.basis_gates


@pytest.mark.parametrize("model", [tls_pair(1.0, 0.5, 1.0), spin_chain(3, 0.3, 0.5)], ids=lambda m: m.name)
def test_rzz_compilation_keeps_angles_in_range_and_the_unitary(model):
    program = compile_program(model, [2.5], dephasing="none")
    plain = execute.prepare(program, execute.device("aer-noisy", FEZ))
    frac = execute.prepare(program, execute.device("aer-noisy", FEZ, fractional=True), plain.qubits)
    for a, b in zip(plain.isa, frac.isa):
        angles = [float(i.operation.params[0]) for i in b.circuit.data if i.operation.name == "rzz"]
        assert angles and all(0 < x <= np.pi / 2 + 1e-12 for x in angles)
        assert "cz" not in b.circuit.count_ops() and "rzz" not in a.circuit.count_ops()
        assert a.physical_qubits == b.physical_qubits
        ua = Operator(a.circuit.remove_final_measurements(inplace=False))
        ub = Operator(b.circuit.remove_final_measurements(inplace=False))
        assert ua.equiv(ub, atol=1e-8)


def test_gate_error_is_the_product_of_reported_fidelities():
    from qiskit import QuantumCircuit

    (a, b), e_cz = next((g.qubits, g.error) for g in FEZ.gates if g.name == "cz")
    e_sx = next(g.error for g in FEZ.gates if g.name == "sx" and g.qubits == (b,))
    qc = QuantumCircuit(2)
    qc.cz(0, 1)
    qc.sx(1)
    qc.cz(1, 0)  # the other orientation has the same coupler error
    qc.rz(0.3, 0)  # virtual: no error
    assert gate_error(qc, (a, b), FEZ) == pytest.approx(1 - (1 - e_cz) ** 2 * (1 - e_sx), rel=1e-12)


def test_comparison_reports_both_gate_sets_per_time():
    program = compile_program(tls_pair(1.0, 0.5, 1.0), [1.0, 4.0], realizations=2, seed=1)
    rows = two_qubit_comparison(program, backend=FEZ, qubits=(45, 37))  # the main job's pair: RZZ reported below CZ
    by = {(r.gate_set, r.time): r for r in rows}
    assert len(rows) == 4
    for t in (1.0, 4.0):
        cz, rzz = by[("cz", t)], by[("rzz", t)]
        steps = program.steps[program.times.tolist().index(t)]
        assert cz.two_qubit_gates == 2 * steps  # the exchange step: 2 entanglers either way
        assert rzz.two_qubit_gates == cz.two_qubit_gates
        assert rzz.one_qubit_gates < cz.one_qubit_gates and rzz.duration < cz.duration
        assert rzz.gate_error < cz.gate_error


def test_fractional_noisy_run_estimator_consistency():
    """An estimator and sampling check, not an independent one: the sampled points and the
    device reference come from the same probabilities (tests/test_execute_independent.py
    checks those against independent simulations)."""
    r = run_experiment(tls_pair(1.0, 0.5, 1.0), np.linspace(0, 6, 7), realizations=40, shots=16000, target="aer-noisy",
                       backend=FEZ, seed=3, fractional=True, bootstrap=100)
    assert r.metadata["fractional"] is True
    d = r.device_reference
    assert np.all(np.abs(r.battery_energy - d.battery_energy) <= 4 * r.battery_energy_err + 2e-3)
    with pytest.raises(ValueError, match="device target"):
        run_experiment(tls_pair(1.0, 0.5, 1.0), [1.0], fractional=True)
