"""Measurement-based dephasing ("mcm": projective charger measurements at random steps;
"weak": ancilla controlled-RY, measure, reset) against closed forms and the exact Lindblad
reference, without sampling: circuits are simulated as density matrices with their
mid-circuit outcomes forgotten, which is the ensemble the analysis sees."""

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import DensityMatrix, partial_trace
from qiskit_aer import AerSimulator

from qbhw.compile import compile_program
from qbhw.compile.dephasing import measurement_pattern, weak_angle
from qbhw.execute.exact import forget_measurements
from qbhw.models import tls_pair
from qbhw.reference import evolve


def _battery_energies(circuits) -> np.ndarray:
    """<n_B> (battery = qubit 1) of each circuit's state before its final measurements, with
    every mid-circuit measurement forgotten."""
    bare = []
    for circuit in circuits:
        qc = forget_measurements(circuit, "meas").remove_final_measurements(inplace=False)
        qc.save_density_matrix()
        bare.append(qc)
    sim = AerSimulator(method="density_matrix", max_parallel_threads=1)
    result = sim.run(transpile(bare, sim, optimization_level=0)).result()
    out = []
    for k, qc in enumerate(bare):
        rho = DensityMatrix(np.asarray(result.data(k)["density_matrix"]))
        rho_b = partial_trace(rho, [q for q in range(qc.num_qubits) if q != 1]).data
        out.append(float(np.real(rho_b[1, 1])))
    return np.array(out)


@pytest.mark.parametrize("gamma_tau", [0.05, 1.0, 7.0])
def test_weak_measurement_angle_gives_the_dephasing_factor(gamma_tau):
    """Charger in |+>, CRY(theta) onto a fresh ancilla, ancilla traced out: the coherence is
    multiplied by exp(-gamma tau / 2) (closed form)."""
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cry(weak_angle(gamma_tau, 1.0), 0, 1)
    rho = partial_trace(DensityMatrix(qc), [1]).data
    assert abs(rho[0, 1]) == pytest.approx(0.5 * np.exp(-gamma_tau / 2), abs=1e-12)


def test_measurement_slots_have_the_matching_probability():
    """A forgotten projective measurement is rho -> (rho + Z rho Z)/2, so measuring with
    probability q multiplies coherences by 1 - q: q = 1 - exp(-gamma tau / 2)."""
    rng = np.random.default_rng(5)
    durations = np.array([0.25, 0.5, 0.5, 0.25])
    hits = np.mean([measurement_pattern(rng, 1.3, durations) for _ in range(100_000)], axis=0)
    assert np.allclose(hits, 1 - np.exp(-1.3 * durations / 2), atol=4e-3)


@pytest.mark.parametrize("gamma", [0.1, 1.0, 10.0])
def test_weak_measurement_program_is_the_lindblad_state(gamma):
    """One deterministic circuit per (time, basis) with one ancilla; its density matrix gives
    E_B(t) within the program's reported splitting error of the exact reference."""
    model = tls_pair(1.0, 0.5, gamma)
    times = np.array([1.0, 4.0, 9.0])
    program = compile_program(model, times, dephasing="weak", accuracy=3e-3)
    ref = evolve(model, times, frame="rotating")
    assert program.realizations == 1 and program.ancillas == (2,)
    assert len(program.pubs) == 3 * times.size
    for (qc, values), info in zip(program.pubs, program.info):
        assert values is None and qc.num_qubits == 3
        assert [c.name for c in qc.cregs] == ["meas", "weak"] and qc.cregs[1].size == info.steps + 1
        if info.basis == "Z":
            e, = _battery_energies([qc])
            assert abs(e - ref.battery_energy[info.time_index]) <= program.error_bound[info.time_index] + 1e-9


@pytest.mark.parametrize("gamma", [1.0, 10.0])
def test_midcircuit_measurement_realizations_average_to_the_lindblad_state(gamma):
    """"mcm": one circuit per realization (its own measurement positions), all sharing the
    (time, basis) of their PubInfo; the realization average of E_B meets the reference within
    4 standard errors of that average plus the splitting error."""
    model = tls_pair(1.0, 0.5, gamma)
    times = np.array([2.0, 6.0])
    m = 150
    program = compile_program(model, times, dephasing="mcm", realizations=m, seed=11)
    ref = evolve(model, times, frame="rotating")
    assert program.realizations == m and len(program.pubs) == 3 * m * times.size
    for ti in range(times.size):
        pubs = [qc for (qc, _), info in zip(program.pubs, program.info) if info.time_index == ti and info.basis == "Z"]
        assert len(pubs) == m and len({tuple(len(c) for c in qc.cregs) for qc in pubs}) > 1  # patterns differ
        e = _battery_energies(pubs)
        tolerance = 4 * e.std(ddof=1) / np.sqrt(m) + program.error_bound[ti]
        assert abs(e.mean() - ref.battery_energy[ti]) <= tolerance
