"""Zero-noise extrapolation: folding keeps the unitary and multiplies the gates, the fits recover
closed-form noise models, Aer's shot sampling keeps folded pairs, and a noisy run's ZNE moves
the battery's energy and ergotropy toward the noise-free circuits' (statevectors here)."""

from dataclasses import replace

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import RZZGate
from qiskit.quantum_info import Operator, Statevector, partial_trace
from qiskit.transpiler import Target

from qbhw import execute
from qbhw.calibration import find
from qbhw.compile import compile_program
from qbhw.errors import InputError
from qbhw.execute.folding import check_factors, fold_circuit, fold_prepared
from qbhw.execute.targets import device_target
from qbhw.execute.noisy import prepare_pubs, sample_isa_pubs
from qbhw.models import tls_pair
from qbhw.tomography import assignments_from_snapshot
from qbhw.zne import extrapolate, extrapolate_probabilities, fit_weights, zne_estimates

FEZ = find("fake_fez-2025-02-26")
TWO_QUBIT = ("cz", "rzz", "ecr")


def _unitary(circuit, values):
    bound = circuit.assign_parameters(values) if circuit.num_parameters else circuit
    return Operator(bound.remove_final_measurements(inplace=False))


def _count(circuit, names):
    return sum(n for g, n in circuit.count_ops().items() if g in names)


@pytest.mark.parametrize("fractional", [False, True], ids=["cz", "rzz"])
def test_folding_keeps_the_unitary_multiplies_gates_and_stays_in_the_target(fractional):
    program = compile_program(tls_pair(1.0, 0.5, 1.41), [3.0], realizations=3, seed=2)
    prepared = execute.prepare(program, execute.device("aer-noisy", FEZ, fractional=fractional))
    target = device_target(prepared.device)
    for factor in (3, 5, 2):
        for gates in ("all", "two-qubit"):
            folded = fold_prepared(prepared, factor, gates=gates)
            for a, b in zip(prepared.isa, folded.isa):
                assert _unitary(b.circuit, a.values[1]).equiv(_unitary(a.circuit, a.values[1]), atol=1e-8)
                n2, n1 = _count(a.circuit, TWO_QUBIT), _count(a.circuit, ("sx", "x", "rx"))
                if factor % 2:  # odd: every folded gate (factor - 1) / 2 more times
                    assert _count(b.circuit, TWO_QUBIT) == factor * n2
                    assert _count(b.circuit, ("sx", "rx")) == (factor * n1 if gates == "all" else n1)
                else:  # 2 = every other gate once more, per coupler: n2 / 2 rounded
                    assert abs(_count(b.circuit, TWO_QUBIT) - 2 * n2) <= 1
                for inst in b.full_circuit.data:  # everything the device accepts (RZZ angles in (0, pi/2])
                    if inst.operation.name not in ("barrier", "measure") and not inst.operation.is_parameterized():
                        qargs = tuple(b.full_circuit.find_bit(q).index for q in inst.qubits)
                        params = [float(x) for x in inst.operation.params] or None
                        assert target.instruction_supported(inst.operation.name, qargs, parameters=params)


def test_folding_refuses_what_it_cannot_fold():
    target = Target(num_qubits=2)
    target.add_instruction(RZZGate(Parameter("t")), {(0, 1): None}, angle_bounds=[(0.0, np.pi / 2)])
    qc = QuantumCircuit(2)
    qc.rzz(0.3, 0, 1)
    with pytest.raises(InputError, match="cannot fold rzz"):  # RZZ(-0.3) out of range, no X to conjugate with
        fold_circuit(qc, 3, target=target)
    for bad in ([1], [1, 1], [0.5, 1], ["a", 3]):
        with pytest.raises(InputError):
            check_factors(bad)


def test_fit_weights_and_closed_form_noise_models():
    c = np.array([1.0, 3.0, 5.0])
    # least-squares line through 1, 3, 5 at 0: weights 13/12, 1/3, -5/12; Richardson 15/8, -5/4, 3/8
    np.testing.assert_allclose(fit_weights(c, "linear"), [13 / 12, 1 / 3, -5 / 12], atol=1e-12)
    np.testing.assert_allclose(fit_weights(c, "richardson"), [15 / 8, -5 / 4, 3 / 8], atol=1e-12)
    np.testing.assert_allclose(fit_weights([1.0, 3.0, 3.0], "richardson"), fit_weights([1.0, 3.0, 3.0], "linear"))
    assert extrapolate(c**2, c, "linear") == pytest.approx(-19 / 3)  # the line's intercept: 35/3 - 6 * 3
    rng = np.random.default_rng(0)
    p0 = rng.dirichlet(np.ones(4))  # a 2-qubit outcome distribution
    d, e = rng.normal(size=(2, 4))
    d, e = d - d.mean(), e - e.mean()  # drifts that keep the normalisation
    linear_noise = p0 + 0.01 * c[:, None] * d
    quadratic = linear_noise + 0.002 * c[:, None] ** 2 * e
    for fit in ("linear", "richardson"):
        np.testing.assert_allclose(extrapolate_probabilities(linear_noise, c, fit), p0, atol=1e-12)
    np.testing.assert_allclose(extrapolate_probabilities(quadratic, c, "richardson"), p0, atol=1e-12)
    # global depolarising at rate a per unit noise: p(c) = e^{-a c} p0 + (1 - e^{-a c}) / 4, every
    # Pauli expectation decays as e^{-a c}: the exponential fit is exact
    depolarised = np.exp(-0.3 * c)[:, None] * p0 + (1 - np.exp(-0.3 * c))[:, None] / 4
    np.testing.assert_allclose(extrapolate_probabilities(depolarised, c, "exponential"), p0, atol=1e-12)
    assert np.abs(extrapolate_probabilities(depolarised, c, "linear") - p0).max() > 1e-3  # the line is not


def test_aer_shot_sampling_runs_folded_pairs():
    # H H, 20 x (CZ CZ), H H: the identity; its errors, and only they, move P(00) below 1
    qc = QuantumCircuit(2, 2)
    qc.h([0, 1])
    for _ in range(20):
        qc.cz(0, 1)
        qc.cz(0, 1)
    qc.h([0, 1])
    qc.measure([0, 1], [0, 1])
    (pub,) = prepare_pubs([qc], FEZ, initial_layout=[45, 37], optimization_level=0)
    prepared = execute.Prepared(execute.device("aer-noisy", FEZ), (replace(pub, shots=None),), (45, 37), "test")
    folded = fold_prepared(prepared, 3)
    shots = 40_000
    p1 = execute.exact_probabilities(prepared.isa, FEZ, readout=True)[0][0, 0]
    p3 = execute.exact_probabilities(folded.isa, FEZ, readout=True)[0][0, 0]
    aer = sample_isa_pubs(folded.isa, FEZ, shots=shots, seed=11, sampling="aer")[0][0, 0] / shots
    sigma = np.sqrt(p3 * (1 - p3) / shots)
    # binomial: |Aer - exact| > 4 sigma has probability 6e-5; the factors differ by > 30 sigma
    assert abs(aer - p3) < 4 * sigma
    assert p1 - p3 > 30 * sigma


def _noise_free_battery_states(program):
    """Per time, the battery qubit's state averaged over the program's parameter rows, from
    statevectors of the LOGICAL circuits (no transpilation, no folding, no noise model)."""
    out = []
    for t in range(len(program.times)):
        i = next(j for j, info in enumerate(program.info) if info.time_index == t and set(info.basis) == {"Z"})
        qc, values = program.pubs[i][:2]
        body = qc.remove_final_measurements(inplace=False)
        battery = program.info[i].measured_qubits[0]
        rows = np.atleast_2d(values) if qc.num_parameters else [[]]
        rhos = [partial_trace(Statevector(body.assign_parameters(r) if qc.num_parameters else body),
                              [q for q in range(qc.num_qubits) if q != battery]).data for r in rows]
        out.append(np.mean(rhos, axis=0))
    return np.array(out)


def test_zne_moves_energy_and_ergotropy_toward_the_noise_free_circuits():
    times = [1.5, 10.0]
    program = compile_program(tls_pair(1.0, 0.5, 1.41), times, realizations=10, seed=3)
    prepared = execute.prepare(program, execute.device("aer-noisy", FEZ))
    assignments = assignments_from_snapshot(FEZ, [prepared.qubits[q] for q in program.info[0].measured_qubits])
    shots = 200_000  # per (time, basis) and factor
    z = zne_estimates(program, prepared, factors=(1, 3, 5), shots=shots, seed=5, bootstrap=50,
                      rng=np.random.default_rng(6), fit="exponential", assignments=assignments)
    rho = _noise_free_battery_states(program)  # battery qubit, H_B = n = |1><1|
    energy = rho[:, 1, 1].real
    ergotropy = energy - np.linalg.eigvalsh(rho)[:, 0]  # W = <n> - lambda_min for a qubit
    # the counts are real: factors x (time, basis) x shots
    assert [sum(int(c.sum()) for c in f) for f in z["counts"]] == [len(times) * 3 * shots] * 3
    assert z["shots"]["total"] == 3 * len(times) * 3 * shots
    # On qubits 45, 37 the gates' noise raises E_B by 0.015 at t = 1.5 and 10 and lowers W at
    # t = 10 from 0.213 to 0.173; the exponential ZNE leaves <= 0.001 in E_B and +0.005 in W
    # (the bias of its fit, seen in the noise-exact device reference).  Against the noise-free
    # circuits with the SAME parameter rows only shot noise counts: <= 0.5 / sqrt(2e5) = 1.1e-3
    # per Pauli expectation at factor 1, x 1.4 (the fit's amplification) = 1.6e-3 extrapolated.
    # A wrong order needs a > 4.4 sigma excursion (E_B) or > 10 sigma (W); the residual bounds
    # sit > 5 sigma above the expected residuals: false failure < 1e-4 in all.
    raw_e, zne_e = z["per_factor"]["e"][0], z["e"]
    assert np.all(np.abs(zne_e - energy) < np.abs(raw_e - energy))
    assert np.all(np.abs(zne_e - energy) < 0.001 + 5 * 1.6e-3)
    raw_w, zne_w = z["per_factor"]["w"][0, -1], z["w"][-1]
    assert abs(zne_w - ergotropy[-1]) < abs(raw_w - ergotropy[-1])
    assert abs(zne_w - ergotropy[-1]) < 0.005 + 5 * 1.6e-3
    assert z["amplification"]["closed_form"] is None and np.all(z["w_ci"][:, 0] <= z["w"])
