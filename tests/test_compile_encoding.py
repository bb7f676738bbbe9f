"""Qubit encodings: the encoded model evolves exactly like the original (oscillators in binary
with unused codes, collective spins as Dicke states), and an encoded Dicke battery with a
4-level cavity run on ideal Aer agrees with the exact reference (issue 4 acceptance)."""

from dataclasses import replace

import numpy as np
import pytest

from qbhw import run_experiment
from qbhw.compile import compile_program
from qbhw.compile.encoding import dicke_isometry, encode_qubits
from qbhw.models import dicke, oscillator_pair, star, tls_oscillator, tls_pair
from qbhw.reference import evolve

MODELS = {
    "TLS-HO, 5 levels (3 unused codes)": lambda: tls_oscillator(1.0, 0.5, 1.0, n_max=4),
    "HO-HO, 3 levels each": lambda: oscillator_pair(1.0, 0.3, 0.5, n_max=2),
    "Dicke N=2, 4-level cavity": lambda: dicke(2, 0.2, n_max=3, rwa=True),
    "star N=2": lambda: star(2, 1.0, 0.5, 1.0),
    "star N=3": lambda: star(3, 1.0, 0.5, 1.0),
}


CASES = [(name, "qubits") for name in MODELS] + [(name, "binary") for name in ("Dicke N=2, 4-level cavity", "star N=2", "star N=3")]


@pytest.mark.parametrize("name,encoding", CASES)
def test_encoded_model_evolves_like_the_original(name, encoding):
    """Same E_B, charger energy and ergotropy; collective spins in binary (ceil(log2(N + 1))
    qubits) take the ergotropy over the encoded model's battery_levels (full 2^N spectrum)."""
    model = MODELS[name]()
    encoded = encode_qubits(model, encoding)
    assert encoded.is_qubits and len(encoded.battery) >= 1
    if encoding == "binary":
        assert encoded.battery_levels is not None
    frame = "rotating" if model.drives else "lab"
    t = np.linspace(0, 3, 7)
    a = evolve(model, t, frame=frame, truncation_tol=1.0)
    b = evolve(encoded, t, frame=frame, truncation_tol=1.0)
    for key in ("battery_energy", "battery_ergotropy", "charger_energy"):
        np.testing.assert_allclose(getattr(b, key), getattr(a, key), atol=1e-10)


def test_dicke_isometry_is_the_symmetric_sector():
    e = dicke_isometry(3)
    np.testing.assert_allclose(e.T @ e, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(e[:, 1] ** 2, [0, 1 / 3, 1 / 3, 0, 1 / 3, 0, 0, 0])


def test_dicke_with_a_four_level_cavity_on_aer():
    model = dicke(2, 0.2, n_max=3, rwa=True)  # cavity starts in |2>: the circuit prepares it
    r = run_experiment(model, [1.0, 2.0, 4.0], accuracy=1e-3, dephasing="none", realizations=1, shots=20000,
                       seed=2, bootstrap=100)
    bound = 2 * np.asarray(r.program.error_bound)  # ||H_B|| = 2 omega_0
    assert np.all(np.abs(r.battery_energy - r.reference.battery_energy) < 3 * r.battery_energy_err + bound)
    assert np.all(np.abs(r.battery_ergotropy - r.reference.battery_ergotropy) < 3 * r.battery_ergotropy_err + bound)
    assert r.reference.battery_energy[-1] > 1.0  # the test sees real charging


def test_pure_initial_states_are_prepared_and_general_mixed_states_purified():
    """|++> is prepared by state preparation (issue 14): the t = 0 circuit's state is |++>;
    a mixed state that is not diagonal in the qubit basis (rank 2) is purified on one ancilla:
    the t = 0 circuit's model qubits hold exactly that state."""
    from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

    plus = np.full((4, 4), 0.25, dtype=complex)
    program = compile_program(replace(tls_pair(1.0, 0.5, 1.0), rho0=plus), [0.0, 1.0])
    assert program.info[2].basis == "Z"  # no basis rotation
    state = Statevector(program.pubs[2][0].remove_final_measurements(inplace=False)).data
    assert abs(abs(np.vdot(np.full(4, 0.5), state)) - 1) < 1e-9
    mixed = 0.5 * plus + 0.5 * np.diag([1.0, 0, 0, 0])
    program = compile_program(replace(tls_pair(1.0, 0.5, 1.0), rho0=mixed), [0.0, 1.0])
    assert program.ancillas == (2,)
    rho = DensityMatrix(program.pubs[2][0].remove_final_measurements(inplace=False))
    np.testing.assert_allclose(partial_trace(rho, [2]).data, mixed, atol=1e-9)


def test_kicks_on_an_encoded_oscillator_dephase_each_coherence_by_its_level_gap():
    """Charger dephasing L = n_C of a 4-level oscillator (2 qubits, binary): one kick slot of
    duration tau multiplies the coherence |m><m'| by exp(-gamma tau (m - m')^2 / 2) (closed
    form for the Lindblad equation with L = n), averaged over the realizations' RZ(2^k phi)."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    gamma, tau, m = 0.8, 0.5, 20000
    program = compile_program(oscillator_pair(1.0, 0.5, gamma, n_max=3), [2 * tau], max_step=2 * tau,
                              accuracy=1.0, realizations=m, seed=3)
    qc, values = next((qc, v) for (qc, v), info in zip(program.pubs, program.info) if info.basis == "ZZ")
    first = [p for p in qc.parameters if p.name.endswith("_0")]  # the first slot lasts dt / 2 = tau
    assert len(first) == 1 and values.shape[0] == m
    phi = values[:, list(qc.parameters).index(first[0])]
    # the slot's circuit: RZ(phi) on qubit 0 and RZ(2 phi) on qubit 1 of the charger (n_C = n_0 + 2 n_1)
    slot = QuantumCircuit(2)
    slot.h([0, 1])  # equal superposition of the charger levels 0..3
    averaged = np.zeros((4, 4), complex)
    for angle in phi:
        kicked = slot.copy()
        kicked.rz(angle, 0)
        kicked.rz(2 * angle, 1)
        psi = Statevector(kicked).data
        averaged += np.outer(psi, psi.conj()) / m
    levels = np.arange(4)
    expected = 0.25 * np.exp(-gamma * tau * (levels[:, None] - levels[None, :]) ** 2 / 2)
    assert np.allclose(averaged, expected, atol=0.006)  # sampling error ~0.25 / sqrt(m) = 0.002
    ops = [inst for inst in qc.data
           if inst.operation.name == "rz" and getattr(inst.operation.params[0], "parameters", set()) == {first[0]}]
    assert sorted(float(inst.operation.params[0].bind({first[0]: 1.0})) for inst in ops) == [1.0, 2.0]


def test_oscillator_charger_dephasing_needs_kicks():
    model = oscillator_pair(1.0, 0.5, 1.0, n_max=3)
    for method in ("flips", "mcm", "weak", "channel"):
        with pytest.raises(ValueError, match="only dephasing='kicks' emulates it"):
            compile_program(model, [1.0], dephasing=method)


def test_a_collective_battery_on_its_qubits_gets_the_full_representation_hamiltonian():
    """Encoded on its N physical qubits, the symmetric star's Hamiltonian and jumps are those
    of star(N, representation="full") (N TLS batteries coupled one by one), not the symmetric
    projector's dense Pauli sum."""
    for n in (2, 3):
        encoded = encode_qubits(star(n, 1.0, 0.5, 1.0), "qubits")
        full = star(n, 1.0, 0.5, 1.0, representation="full")
        np.testing.assert_allclose(encoded.h0, full.h0, atol=1e-12)
        np.testing.assert_allclose(encoded.drives[0].operator, full.drives[0].operator, atol=1e-12)
        np.testing.assert_allclose(encoded.jumps[0].operator, full.jumps[0].operator, atol=1e-12)
        np.testing.assert_allclose(encoded.h_battery, full.h_battery, atol=1e-12)
