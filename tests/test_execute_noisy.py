"""Fast noisy path: the execution contract, and the output distribution against the fake
backend's own full-device local mode (qiskit-ibm-runtime client) on the same ISA circuits."""

from pathlib import Path

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from scipy.stats import chi2_contingency

from qbhw.calibration import load
from qbhw.execute.noisy import prepare_pubs, run_noisy, sample_isa_pubs

CAL = Path(__file__).resolve().parents[1] / "calibrations"
FEZ = load(CAL / "fake_fez-2025-02-26.json")


def _charging_circuit():
    th = Parameter("th")
    qc = QuantumCircuit(3, 3)
    qc.rx(th, 0)
    qc.cx(0, 1)
    qc.x(2)
    qc.delay(7500, [1, 2])  # 30 us in dt = 4 ns
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def test_contract_shapes_order_and_seed():
    qc = _charging_circuit()
    values = np.array([[0.0], [np.pi], [0.5]])
    plain = QuantumCircuit(2, 2)
    plain.x(0)
    plain.measure([0, 1], [0, 1])
    res = run_noisy([(qc, values), plain], FEZ, shots=3000, seed=4, initial_layout=[5, 6, 7])
    assert res.counts[0].shape == (3, 8) and res.counts[0].dtype.kind == "i"
    assert np.all(res.counts[0].sum(axis=1) == 3000)
    assert res.counts[1].shape == (1, 4) and np.argmax(res.counts[1][0]) == 0b01  # clbit 0 = LSB
    again = run_noisy([(qc, values), plain], FEZ, shots=3000, seed=4, initial_layout=[5, 6, 7])
    assert all(np.array_equal(a, b) for a, b in zip(res.counts, again.counts))
    assert res.metadata["physical_qubits"] == ((5, 6, 7), (5, 6))


def test_registers_are_placed_at_their_clbit_offsets():
    q = QuantumRegister(2)
    lo, hi = ClassicalRegister(1, "lo"), ClassicalRegister(2, "hi")
    qc = QuantumCircuit(q, lo, hi)
    qc.x(1)
    qc.measure(0, lo[0])
    qc.measure(1, hi[1])  # clbit 2
    res = run_noisy([qc], FEZ, shots=500, seed=1, initial_layout=[5, 6])
    assert res.counts[0].shape == (1, 8) and np.argmax(res.counts[0][0]) == 0b100


def test_bad_input_names_the_argument():
    qc = _charging_circuit()
    with pytest.raises(ValueError, match="initial_layout"):
        run_noisy([(qc, [[0.1]])], FEZ, shots=10)
    with pytest.raises(ValueError, match="shots"):
        run_noisy([(qc, [[0.1]])], FEZ, shots=0, initial_layout=[5, 6, 7])
    with pytest.raises(ValueError, match="values"):
        run_noisy([(qc, [[0.1, 0.2]])], FEZ, shots=10, initial_layout=[5, 6, 7])
    with pytest.raises(ValueError, match="initial_layout"):
        run_noisy([(qc, [[0.1]])], FEZ, shots=10, initial_layout=[5, 6])


@pytest.mark.slow
def test_same_distribution_as_runtime_local_mode_full_device():
    """One full-device call (13-39 s): the runtime client's local mode on FakeFez."""
    from qiskit_ibm_runtime.fake_provider import FakeFez

    from qbhw.execute.runtime import build_options, counts_from_result, submit

    backend = FakeFez()
    values = np.array([[0.4], [2.0]])
    isa = prepare_pubs([(_charging_circuit(), values)], backend, initial_layout=[5, 6, 7])
    shots = 20_000
    slow = counts_from_result(submit(isa, backend, build_options(shots=shots, seed=3)).result(), isa)
    fast = sample_isa_pubs(isa, FEZ, shots=shots, seed=3)  # snapshot file, not the backend
    ideal_gap = []
    for m in range(len(values)):
        table = np.array([fast[0][m], slow[0][m]])
        table = table[:, table.sum(axis=0) > 0]
        assert chi2_contingency(table).pvalue > 1e-3
        ideal_gap.append(np.abs(fast[0][m] - slow[0][m]).sum() / shots)
    assert max(ideal_gap) < 0.03
