"""compile_program: PUB structure, kick statistics (closed form), the realization-averaged
circuit against the exact Lindblad reference (qbhw.reference.evolve), convergence orders,
and clear errors for impossible requests."""

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, Statevector

from qbhw.compile import compile_program
from qbhw.models.charger_battery import tls_oscillator, tls_pair
from qbhw.models.collective import star
from qbhw.models.decoherence import with_qubit_decoherence
from qbhw.reference import evolve

TIMES = np.linspace(0.0, 3.0, 4)


def _bare(qc):
    """Unmeasured circuit with PauliEvolutionGates expanded to their product formula
    (quantum_info would otherwise apply the exact exponential)."""
    return qc.remove_final_measurements(inplace=False).decompose(gates_to_decompose=["PauliEvolution"])


def _trace_distance(a, b):
    return np.abs(np.linalg.eigvalsh(a - b)).sum()


def _slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def test_one_circuit_per_time_and_basis_with_realization_arrays():
    p = compile_program(tls_pair(1.0, 0.5, 1.0), TIMES, realizations=7, seed=1)
    assert len(p.pubs) == 3 * TIMES.size
    assert [(i.time_index, i.basis) for i in p.info] == [(k, b) for k in range(4) for b in "XYZ"]
    for (qc, values), info in zip(p.pubs, p.info):
        assert qc.num_clbits == 1 and info.measured_qubits == (1,)
        if info.steps == 0:
            assert values is None and qc.num_parameters == 0
        else:  # merged half kicks: steps + 1 charger kicks, one row per realization
            assert values.shape == (7, qc.num_parameters) == (7, info.steps + 1)
    assert all(np.array_equal(p.pubs[3 * k][1], p.pubs[3 * k + 2][1]) for k in range(1, 4))


def test_battery_and_charger_tomography_measures_nine_bases():
    p = compile_program(tls_pair(1.0, 0.5, 1.0), [1.0], tomography="battery+charger", dephasing="none")
    assert sorted(i.basis for i in p.info) == sorted(a + b for a in "XYZ" for b in "XYZ")
    assert set(p.info[0].measured_qubits) == {0, 1}
    assert all(qc.num_clbits == 2 for qc, _ in p.pubs)


@pytest.mark.parametrize("method", ["kicks", "flips"])
def test_kick_ensemble_reproduces_charger_coherence_decay(method):
    """L = (1 - Z)/2 at rate gamma: coherence factor exp(-gamma tau / 2) per kick of
    duration tau (closed form); kick 1 of a 2-step program covers tau = dt."""
    gamma, n = 0.7, 200_000
    p = compile_program(tls_pair(1.0, 0.5, gamma), [0.8], dephasing=method, realizations=n, seed=3,
                        max_step=0.4, accuracy=1.0)
    qc, values = p.pubs[2]
    assert p.info[2].steps == 2
    names = [par.name for par in qc.parameters]
    middle = values[:, names.index(sorted(names, key=lambda s: int(s.rsplit("_", 1)[1]))[1])]
    tau = 0.4
    assert np.mean(np.cos(middle)) == pytest.approx(np.exp(-gamma * tau / 2), abs=5 / np.sqrt(n))
    assert abs(np.mean(np.sin(middle))) < 5 / np.sqrt(n)
    if method == "kicks":
        assert np.var(middle) == pytest.approx(gamma * tau, rel=0.02)


def test_unitary_circuit_state_matches_reference_within_reported_error():
    model = tls_pair(1.0, 0.5, 0.0)
    p = compile_program(model, TIMES, dephasing="none")
    ref = evolve(model, TIMES, frame="rotating", full_state=True).states
    for (qc, _), info in zip(p.pubs, p.info):
        if info.basis == "Z":
            k = info.time_index
            dist = _trace_distance(DensityMatrix(_bare(qc)).data, ref[k])
            assert dist <= 1e-2 and dist == pytest.approx(p.error_bound[k], abs=1e-9)


def test_kick_realizations_average_to_reference_state():
    """Mean of 600 kick realizations (exact states) vs the exact reference: within 5 sigma
    plus the reported (exact, averaged-state) splitting error."""
    model, m = tls_pair(1.0, 0.5, 2.0), 600
    p = compile_program(model, [1.5], dephasing="kicks", realizations=m, seed=5)
    qc, values = p.pubs[2]
    states = np.array([DensityMatrix(_bare(qc).assign_parameters(v)).data for v in values])
    ref = evolve(model, [1.5], frame="rotating", full_state=True).states[0]
    sigma = states.std(axis=0) / np.sqrt(m)
    assert np.all(np.abs(states.mean(axis=0) - ref) <= 5 * sigma + p.error_bound[0])
    assert np.abs(ref - states[0]).max() > 0.01  # the ensemble, not each member, matches


@pytest.mark.parametrize("order", [1, 2, 4])
def test_unitary_error_vs_step_follows_formula_order(order):
    """Exact statevector simulation (no sampling, no dephasing): slope of log error vs
    log dt equals the product formula's order."""
    model, t = tls_pair(1.0, 0.5, 0.0), 2.0
    exact = evolve(model, [t], frame="rotating", full_state=True).states[0]
    steps = np.array([4, 8, 16, 32])
    errors = []
    for n in steps:
        p = compile_program(model, [t], order=order, dephasing="none", max_step=t / n * (1 + 1e-9),
                            accuracy=1.9)
        assert p.steps[0] == n
        errors.append(_trace_distance(DensityMatrix(_bare(p.pubs[2][0])).data, exact))
    assert _slope(t / steps, errors) == pytest.approx(order, abs=0.2)


def test_realization_error_falls_like_inverse_sqrt_m():
    """RMS deviation of the M-realization mean battery population from the exact value over
    independent groups of realizations (exact states, splitting error <= 1e-4)."""
    model, total, t = tls_pair(1.0, 0.5, 1.0), 2048, 1.0
    p = compile_program(model, [t], dephasing="kicks", realizations=total, seed=11, accuracy=1e-4)
    qc, values = p.pubs[2]
    bare = _bare(qc)
    pops = np.array([Statevector(bare.assign_parameters(v)).probabilities([1])[1] for v in values])
    target = evolve(model, [t], frame="rotating").battery_energy[0]
    ms = np.array([8, 32, 128, 512])
    rms = [np.sqrt(np.mean((pops.reshape(-1, m).mean(axis=1) - target) ** 2)) for m in ms]
    assert _slope(ms, rms) == pytest.approx(-0.5, abs=0.15)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dephasing="amplitude"), "dephasing must be one of"),
    (dict(tomography="charger"), "tomography must be"),
    (dict(order=3), "order must be"),
    (dict(realizations=0), "realizations"),
    (dict(accuracy=0.0), "accuracy"),
    (dict(max_step=0.5, accuracy=1e-9), "Trotter steps"),
])
def test_bad_requests_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compile_program(tls_pair(1.0, 0.5, 10.0), [0.0, 10.0], **kwargs)


def test_too_many_qubits_raise(monkeypatch):
    import qbhw.compile.program as program

    monkeypatch.setattr(program, "MAX_QUBITS", 2)
    with pytest.raises(ValueError, match="at most 2"):
        compile_program(star(2, 1.0, 0.5, 1.0, representation="full"), TIMES)


def test_bad_times_and_models_raise(monkeypatch):
    import qbhw.compile.program as program

    model = tls_pair(1.0, 0.5, 1.0)
    for times in ([-1.0, 1.0], [2.0, 1.0], [[1.0]]):
        with pytest.raises(ValueError, match="times"):
            compile_program(model, times)
    with pytest.raises(ValueError, match="lab-frame steps are compiled up to Hilbert dimension 16"):
        compile_program(tls_oscillator(1.0, 0.5, 1.0, n_max=15, counter_rotating=True), TIMES)
    monkeypatch.setattr(program, "MAX_QUBITS", 4)  # a 2**12-level oscillator takes minutes to build
    with pytest.raises(ValueError, match="needs 5 qubits; at most 4"):
        compile_program(tls_oscillator(1.0, 0.5, 1.0, n_max=15), TIMES)
    # T1 (amplitude damping) is no longer refused: it compiles to an exact dilation with reset (issue 14)
    damped = compile_program(with_qubit_decoherence(model, [2.0, 3.0], [3.0, 4.0], 1.0), TIMES)
    assert [u["kind"] for u in damped.dissipation] == ["exact", "exact"]
