"""The fast noisy path against computations that share none of its code.

The noisy "measured" points and the device reference both come from
:func:`qbhw.execute.exact.probabilities`, so comparing them checks only the sampling and the
estimator.  Here its distributions are compared with (a) qiskit-ibm-runtime's local mode on
the full FakeFez (the client's own 156-qubit noise model, shot by shot), (b) Aer's own
shot-by-shot sampling with the restricted noise model (mid-circuit measurements and resets
simulated as they are, not forgotten), and (c) Aer's density matrix of every parameter row
bound into its own circuit, against which the batched superoperator propagation must agree
to rounding.  The full-size version of (a), the main job's whole program, is
benchmarks/acceptance_execute_local.py.
"""

from dataclasses import replace

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from scipy.stats import chi2

from qbhw import execute
from qbhw.calibration import find, noise_model
from qbhw.compile import compile_program
from qbhw.execute.exact import forget_measurements
from qbhw.execute.noisy import prepare_pubs, sample_isa_pubs
from qbhw.execute.targets import shots_per_pub
from qbhw.models import tls_pair

FEZ = find("fake_fez-2025-02-26")
MODEL = tls_pair(1.0, 0.5, 1.41)  # the main job's model (experiments/dephasing_fast_charging.toml)
MAIN_QUBITS = (45, 37)  # the main job's (charger, battery) on FEZ
ALPHA = 1e-3  # every combined test below fails with probability <= ALPHA when the distributions agree


def pearson_p_values(counts, probs, rng: np.random.Generator, draws: int = 999) -> np.ndarray:
    """Per PUB, the Monte Carlo p-value of Pearson's statistic summed over its rows, sum over
    cells with p > 0 of (c - n p)^2 / (n p) (n = the row's shots), for counts (M, K) against
    the probabilities (M, K) of their rows: (1 + #{draws of multinomial(n, p) whose statistic
    reaches the observed one}) / (1 + draws).  P(p-value <= a) <= a under the null for any
    counts, however few per cell, so the Fisher combination below is conservative; a count
    in a cell of probability 0 gives the smallest p-value."""
    out = []
    for c, p in zip(counts, probs):
        c = np.asarray(c, dtype=float)
        p = np.clip(np.asarray(p, dtype=float), 0.0, None)
        p = p / p.sum(axis=1, keepdims=True)
        n = c.sum(axis=1)
        if np.any(c[p <= 1e-15] > 0):
            out.append(1.0 / (1 + draws))
            continue
        expected = n[:, None] * p
        cells = expected > 0

        def statistic(x):
            return (np.where(cells, (x - expected) ** 2, 0.0) / np.where(cells, expected, 1.0)).sum(axis=(-1, -2))

        simulated = rng.multinomial(n.astype(np.int64), p, size=(draws, len(n)))
        out.append((1 + np.sum(statistic(simulated) >= statistic(c))) / (1 + draws))
    return np.array(out)


def fisher(p_values) -> float:
    """Fisher's combined p-value of independent p-values: chi2(2 n) survival of -2 sum log p."""
    p = np.asarray(p_values)
    return float(chi2.sf(-2 * np.log(p).sum(), 2 * p.size))


def placed(program):
    """ISA PUBs on the main job's qubits (automatic choice when the "weak" ancilla needs a third)."""
    qubits = MAIN_QUBITS if program.pubs[0][0].num_qubits == 2 else None
    return execute.prepare(program, execute.device("aer-noisy", FEZ), qubits).isa


def meas_counts(counts, k: int) -> list[np.ndarray]:
    """Counts of the "meas" register (clbits 0..k-1), mid-circuit outcomes summed over."""
    return [c.reshape(c.shape[0], -1, 1 << k).sum(axis=1) for c in counts]


@pytest.mark.slow
def test_fast_path_distributions_equal_runtime_local_mode_on_full_fake_fez():
    """(a) at reduced size: the main job's model, layout and dephasing on 5 times (t = 0 and the
    deepest circuit included) x 3 bases = 15 PUBs, 10 realizations, 4000 shots per (time,
    basis), run by the runtime client's local mode on FakeFez (legacy SamplerV2: one Aer call)
    against the fast path's distributions.  One Fisher test over every PUB's p-value,
    false-failure rate <= ALPHA = 0.1 %."""
    from qiskit_ibm_runtime.fake_provider import FakeFez

    from qbhw.execute.runtime import build_options, counts_from_result, submit

    program = compile_program(MODEL, np.linspace(0, 10, 5), dephasing="kicks", realizations=10, seed=1234)
    prepared = execute.prepare(program, execute.device("aer-noisy", FEZ), MAIN_QUBITS)
    isa = [replace(p, shots=n) for p, n in zip(prepared.isa, shots_per_pub(program, 4000))]
    job = submit(isa, FakeFez(), build_options(shots=4000, seed=7), sampler="legacy")
    runtime = counts_from_result(job.result(), isa)
    fast = execute.exact_probabilities(isa, FEZ, readout=True, keep="meas")
    p = pearson_p_values(runtime, fast, np.random.default_rng(1))
    assert fisher(p) > ALPHA, p


@pytest.mark.parametrize("dephasing, realizations", [("kicks", 6), ("flips", 6), ("mcm", 3), ("weak", 1)])
def test_aer_shot_by_shot_sampling_equals_the_density_matrix_path(dephasing, realizations):
    """(b) Aer's SamplerV2 simulating every shot with the restricted noise model (its own
    ReadoutError; for "mcm" and "weak" the real mid-circuit measurements and resets, counts
    then marginalised to "meas") against the fast path's probabilities, whose mid-circuit
    measurements are forgotten channels: one Fisher test over every PUB of the program,
    false-failure rate <= ALPHA = 0.1 %."""
    program = compile_program(MODEL, [0.0, 1.5, 4.0], dephasing=dephasing, realizations=realizations, seed=2)
    isa = placed(program)
    k = len(program.info[0].measured_qubits)
    counts = meas_counts(sample_isa_pubs(isa, FEZ, shots=3000, seed=5, sampling="aer"), k)
    probs = execute.exact_probabilities(isa, FEZ, readout=True, keep="meas")
    assert fisher(pearson_p_values(counts, probs, np.random.default_rng(2))) > ALPHA


def _three_qubit_pubs():
    """Parameters in affine angles of RZ (batched), and also in a product a b (not affine:
    row by row)."""
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3, 2)
    qc.x(0)
    qc.h(1)
    qc.rz(2 * a - 0.4, 0)
    qc.cx(0, 1)
    qc.rz(a + b, 1)
    qc.cx(1, 2)
    qc.rz(-b, 2)
    qc.h(2)
    qc.measure([2, 0], [0, 1])
    values = np.random.default_rng(4).normal(size=(5, 2))
    product = qc.copy_empty_like()
    product.sx(0)
    product.rz(a * b, 0)
    product.compose(qc, inplace=True)
    return prepare_pubs([(qc, values), (product, values)], FEZ, initial_layout=[5, 6, 7], optimization_level=2)


def _isa(case: str):
    if case == "3 qubits":
        return _three_qubit_pubs()
    return placed(compile_program(MODEL, [0.0, 2.0], dephasing=case, realizations=3, seed=3))


@pytest.mark.parametrize("case", ["kicks", "flips", "mcm", "weak", "3 qubits"])
def test_probabilities_equal_aer_density_matrices_row_by_row(case):
    """(c) Every parameter row bound into its own circuit and simulated by Aer as a density
    matrix with the restricted noise model; mid-circuit measurements forgotten as in the
    fast path (checked against real ones by (b)).  Both are exact: agreement to 1e-11."""
    from qiskit_aer import AerSimulator

    isa = _isa(case)
    got = execute.exact_probabilities(isa, FEZ, keep="meas")
    for pub, p in zip(isa, got):
        sim = AerSimulator(method="density_matrix", noise_model=noise_model(FEZ, pub.physical_qubits))
        circuit = forget_measurements(pub.circuit, "meas")
        measured = {circuit.find_bit(i.clbits[0]).index: circuit.find_bit(i.qubits[0]).index
                    for i in circuit.data if i.operation.name == "measure"}
        body = circuit.remove_final_measurements(inplace=False)
        body.save_probabilities([measured[c] for c in range(len(measured))])
        bound = [body.assign_parameters(dict(zip(pub.parameters, row)), strict=False) for row in pub.values]
        result = sim.run(bound).result()
        reference = np.array([result.data(r)["probabilities"] for r in range(len(bound))])
        assert p.shape == reference.shape
        np.testing.assert_allclose(p, reference, rtol=0, atol=1e-11)
