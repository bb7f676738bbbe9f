"""Permutation-invariant tomography (qbhw.tomography.permutation) against brute force:
outcome probabilities from explicit Kronecker projectors, S_n averages from explicit
permutation matrices, full 3^N Pauli tomography and exact states from qiskit Statevector."""

from itertools import permutations, product
from math import comb, factorial
from typing import NamedTuple

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.quantum_info import Statevector, partial_trace
from random_states import random_density
from threadpoolctl import threadpool_limits

from qbhw.compile.program import with_tomography
from qbhw.errors import InputError
from qbhw.metrics import ergotropy
from qbhw.tomography import linear_inversion, project_physical
from qbhw.tomography.permutation import (
    OPTIMISED_SETTINGS,
    optimised_settings,
    pi_circuits,
    pi_conditioning,
    pi_linear_estimate,
    pi_settings,
)

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1.0, -1.0])}



@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small stacked eigh/SVD calls: threaded BLAS only oversubscribes the shared cores."""
    with threadpool_limits(1):
        yield


class Axis(NamedTuple):  # the key type the lead's pipeline uses
    x: float
    y: float
    z: float


def kron_qubits(ops):
    """ops[i] acts on qubit i; qubit 0 is the rightmost factor (qiskit order)."""
    out = np.ones((1, 1))
    for op in reversed(ops):
        out = np.kron(out, op)
    return out


def permutation_matrix(perm, n):
    """|b_0 ... b_{n-1}> -> the state with bit i moved to qubit perm[i]."""
    m = np.zeros((2**n, 2**n))
    for v in range(2**n):
        m[sum(((v >> i) & 1) << perm[i] for i in range(n)), v] = 1
    return m


def symmetrise(rho, n):
    ps = [permutation_matrix(p, n) for p in permutations(range(n))]
    return sum(p @ rho @ p.T for p in ps) / factorial(n)


def probabilities(rho, d, n):
    """p(v) = Tr[rho prod_i P_{v_i}], P_0 = (1 + sigma.d)/2 on every qubit."""
    s = sum(c * PAULI[a] for c, a in zip(d, "XYZ"))
    proj = [(np.eye(2) + s) / 2, (np.eye(2) - s) / 2]
    return np.array([np.trace(kron_qubits([proj[(v >> i) & 1] for i in range(n)]) @ rho).real for v in range(2**n)])


def pi_data(rho, n, settings=None):
    return {Axis(*d): probabilities(rho, d, n) for d in (pi_settings(n) if settings is None else settings)}


def dicke(n, k):
    v = np.array([u.bit_count() == k for u in range(2**n)], dtype=float)
    return np.outer(v, v) / comb(n, k)


def battery_hamiltonian(n):
    """sum_i |1><1|_i (omega = 1): the energy of |v> is its number of ones."""
    return np.diag([float(v.bit_count()) for v in range(2**n)])


# ---------------------------------------------------------------- exactness (test 1)

@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_exact_probabilities_reconstruct_permutation_invariant_states(n):
    rng = np.random.default_rng(n)
    states = [symmetrise(random_density(rng, 2**n), n), dicke(n, n // 2),
              0.5 * dicke(n, 0) + 0.3 * dicke(n, n) + 0.2 * np.eye(2**n) / 2**n]
    if n >= 2:  # weight outside the symmetric sector: a singlet pair, symmetrised
        singlet = np.array([0, 1, -1, 0]) / np.sqrt(2)
        rest = np.zeros(2 ** (n - 2))
        rest[0] = 1
        ket = np.kron(rest, singlet)
        states.append(0.6 * symmetrise(np.outer(ket, ket), n) + 0.4 * dicke(n, 1))
    for rho in states:
        assert np.allclose(symmetrise(rho, n), rho, atol=1e-12)  # the target really is PI
        est = pi_linear_estimate(pi_data(rho, n), n)
        assert np.abs(est - rho).max() < 1e-10
        assert np.abs(est - est.conj().T).max() < 1e-12 and abs(np.trace(est) - 1) < 1e-12


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_non_symmetric_state_gives_its_permutation_average(n):
    rng = np.random.default_rng(10 + n)
    rho = random_density(rng, 2**n)
    est = pi_linear_estimate(pi_data(rho, n), n)
    assert np.abs(est - symmetrise(rho, n)).max() < 1e-10


def test_leading_axes_counts_and_arbitrary_key_scale():
    n, rng = 3, np.random.default_rng(3)
    rhos = [random_density(rng, 8) for _ in range(4)]
    # keys scaled by 2 (normalised inside), probabilities scaled to "counts" of 1000 shots
    data = {tuple(2 * np.asarray(d)): 1000 * np.stack([probabilities(r, d, n) for r in rhos]) for d in pi_settings(n)}
    est = pi_linear_estimate(data, n)
    assert est.shape == (4, 8, 8)
    for e, r in zip(est, rhos):
        assert np.abs(e - symmetrise(r, n)).max() < 1e-10


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="data"):  # three coplanar directions: <Z> is not measured
        pi_linear_estimate({(1, 0, 0): [1, 0], (0, 1, 0): [1, 0], (1, 1, 0): [1, 0]}, 1)
    with pytest.raises(InputError, match="data"):
        pi_linear_estimate({tuple(d): np.ones(4) for d in pi_settings(3)}, 3)  # 2^2 outcomes for n = 3
    with pytest.raises(InputError, match="n"):
        pi_settings(0)


# ---------------------------------------------------------------- settings and conditioning (test 2)

@pytest.mark.parametrize("n", range(1, 9))
def test_settings_count_unit_and_better_conditioned_than_random(n):
    s = pi_settings(n)
    assert s.shape == ((n + 1) * (n + 2) // 2, 3)
    assert np.allclose(np.linalg.norm(s, axis=1), 1, atol=1e-12)
    assert np.array_equal(s, pi_settings(n))  # deterministic
    cond = pi_conditioning(s, n)
    rng = np.random.default_rng(100 + n)
    assert np.isfinite(cond)
    assert all(cond < pi_conditioning(rng.normal(size=s.shape), n) for _ in range(10))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_conditioning_is_that_of_the_brute_force_map(n):
    """The map from orthonormal traceless PI coordinates to the settings' weight
    distributions, built from explicit symmetrised Pauli strings, is full rank and has the
    condition number pi_conditioning reports."""
    basis = {}
    for label in product("IXYZ", repeat=n):
        key = tuple(label.count(c) for c in "XYZ")
        basis[key] = basis.get(key, 0) + kron_qubits([PAULI[c] for c in label])
    assert len(basis) == comb(n + 3, 3)
    ops = [b / np.linalg.norm(b) for k, b in basis.items() if sum(k) > 0]
    weights = np.array([v.bit_count() for v in range(2**n)])
    rows = []
    for d in pi_settings(n):
        p = np.array([probabilities(op, d, n) for op in ops])  # Tr[op Pi_v], (ops, 2^n)
        rows.extend(p[:, weights == m].sum(axis=1) for m in range(n + 1))
    m = np.array(rows)
    s = np.linalg.svd(m, compute_uv=False)
    assert np.linalg.matrix_rank(m) == comb(n + 3, 3) - 1
    assert s[0] / s[-1] == pytest.approx(pi_conditioning(pi_settings(n), n), rel=1e-9)


def test_stored_settings_are_what_the_optimiser_finds():
    for n in (2, 3):
        assert pi_conditioning(optimised_settings(n), n) <= 1.01 * pi_conditioning(np.array(OPTIMISED_SETTINGS[n]), n)


# ---------------------------------------------------------------- Aer (tests 3 and 4)

def charged_star_state(n, gamma=0.15):
    """n battery qubits (0..n-1): identical rotations, RZZ on every pair, identical rotations,
    then amplitude damping (probability gamma) on each through its own ancilla (n..2n-1).
    Permutation invariant; exact state from the Statevector."""
    qc = QuantumCircuit(2 * n)
    for q in range(n):
        qc.ry(2.1, q)
        qc.rz(0.4, q)
    for a in range(n):
        for b in range(a + 1, n):
            qc.rzz(0.7, a, b)
    for q in range(n):
        qc.rx(0.5, q)
        qc.cry(2 * np.arcsin(np.sqrt(gamma)), q, n + q)
        qc.cx(n + q, q)
    rho = partial_trace(Statevector(qc), list(range(n, 2 * n))).data
    return qc, rho


def aer_counts(circuits, shots, seed):
    from qiskit_aer import AerSimulator

    result = AerSimulator(seed_simulator=seed).run(circuits, shots=shots).result()
    n = circuits[0].cregs[-1].size
    out = []
    for i in range(len(circuits)):
        c = np.zeros(2**n)
        for bits, k in result.get_counts(i).items():
            c[int(bits.replace(" ", ""), 2)] += k
        out.append(c)
    return out


def fidelities(states, target):
    """Uhlmann fidelity (Tr sqrt(sqrt(t) s sqrt(t)))^2 of each state of a stack with target."""
    w, v = np.linalg.eigh(target)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.conj().T
    lam = np.linalg.eigvalsh(root @ states @ root)
    return np.sqrt(np.clip(lam, 0, None)).sum(axis=-1) ** 2


def multinomial_stack(rng, probs, shots, reps):
    p = np.clip(probs, 0, None)
    return rng.multinomial(shots, p / p.sum(), size=reps).astype(float)


def test_circuits_measure_sigma_d_with_qiskits_outcome_convention():
    """pi_circuits' exact outcome distributions (Statevector, measurements removed) are the
    brute-force p_d(v); reuses a "meas" register the preparation already has."""
    n = 3
    qc = QuantumCircuit(n)
    for q, angle in enumerate([0.3, 1.1, 2.0]):  # not permutation invariant
        qc.ry(angle, q)
        qc.rz(0.7 * q, q)
    qc.cx(0, 1)
    qc.rzz(0.9, 1, 2)
    rho = np.outer(Statevector(qc).data, Statevector(qc).data.conj())
    with_meas = qc.copy()
    with_meas.add_register(ClassicalRegister(n, "meas"))
    for prep in (qc, with_meas):
        circuits = pi_circuits(prep, range(n), pi_settings(n))
        assert all(len(c.cregs) == 1 for c in circuits)
        exact = [Statevector(c.remove_final_measurements(inplace=False)).probabilities() for c in circuits]
        for d, p in zip(pi_settings(n), exact):
            assert np.abs(p - probabilities(rho, d, n)).max() < 1e-12
        est = pi_linear_estimate({Axis(*d): p for d, p in zip(pi_settings(n), exact)}, n)
        assert np.abs(est - symmetrise(rho, n)).max() < 1e-10


@pytest.mark.parametrize("n", [3, 4])
def test_pi_matches_full_pauli_tomography_on_aer(n):
    """Equal total shots.  Tolerances: R = 2000 repetitions of both estimators on counts drawn
    from the exact probabilities; an Aer estimate is exchangeable with them, so it falls below
    their minimum fidelity with probability 1/(R+1) and outside [min, max] of the ergotropy
    difference with probability 2/(R+1): false-failure rate <= 4/2001 = 0.2 % per n."""
    qc, rho = charged_star_state(n)
    assert np.allclose(symmetrise(rho, n), rho, atol=1e-12)
    h = battery_hamiltonian(n)
    settings = pi_settings(n)
    labels = ["".join(p) for p in product("XYZ", repeat=n)]
    pauli_shots = 600
    pi_shots = pauli_shots * len(labels) // len(settings)
    prep = qc.copy()
    prep.add_register(ClassicalRegister(n, "meas"))
    pauli_circuits = [with_tomography(prep, range(n), b) for b in labels]
    counts = aer_counts(pi_circuits(qc, range(n), settings), pi_shots, seed=7)
    pauli_counts = dict(zip(labels, aer_counts(pauli_circuits, pauli_shots, seed=8)))
    pi_est = project_physical(pi_linear_estimate({Axis(*d): c for d, c in zip(settings, counts)}, n))
    full_est = project_physical(linear_inversion(pauli_counts))

    reps, rng = 2000, np.random.default_rng(n)
    pi_mc = project_physical(pi_linear_estimate(
        {Axis(*d): multinomial_stack(rng, probabilities(rho, d, n), pi_shots, reps) for d in settings}, n))
    pauli_probs = {b: np.array([np.trace(kron_qubits([(np.eye(2) + (1 - 2 * ((v >> i) & 1)) * PAULI[b[i]]) / 2
                                                     for i in range(n)]) @ rho).real for v in range(2**n)])
                   for b in labels}
    full_mc = project_physical(linear_inversion({b: multinomial_stack(rng, p, pauli_shots, reps)
                                                 for b, p in pauli_probs.items()}))
    assert fidelities(pi_est, rho) >= fidelities(pi_mc, rho).min()
    assert fidelities(full_est, rho) >= fidelities(full_mc, rho).min()
    diff_mc = ergotropy(pi_mc, h) - ergotropy(full_mc, h)
    assert diff_mc.min() <= ergotropy(pi_est, h) - ergotropy(full_est, h) <= diff_mc.max()
    assert ergotropy(rho, h) > 0.1  # a charged state: the comparison is not at the passive boundary


def test_six_qubit_pi_tomography_on_aer():
    """N = 6, 28 settings x 3000 shots.  Tolerances from R = 1000 repetitions on counts drawn
    from the exact probabilities (exchangeable with the Aer estimate): false-failure rate
    1/1001 (fidelity) + 2/1001 (ergotropy) = 0.3 %."""
    n, shots = 6, 3000
    qc, rho = charged_star_state(n)
    h = battery_hamiltonian(n)
    settings = pi_settings(n)
    counts = aer_counts(pi_circuits(qc, range(n), settings), shots, seed=11)
    est = project_physical(pi_linear_estimate({Axis(*d): c for d, c in zip(settings, counts)}, n))
    rng = np.random.default_rng(6)
    mc = project_physical(pi_linear_estimate(
        {Axis(*d): multinomial_stack(rng, probabilities(rho, d, n), shots, 1000) for d in settings}, n))
    f_mc, w_mc = fidelities(mc, rho), ergotropy(mc, h)
    assert fidelities(est, rho) >= f_mc.min()
    assert w_mc.min() <= ergotropy(est, h) <= w_mc.max()
    assert w_mc.min() <= ergotropy(rho, h) <= w_mc.max()  # projection bias below the shot spread
