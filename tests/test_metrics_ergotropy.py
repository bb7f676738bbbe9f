"""Ergotropy, passive states, Gibbs bound and n-copy ergotropy against independent
references: numbers printed in shared/physics.md section 4, closed forms derived in
the comments, brute-force np.kron constructions and an exact-integer two-pointer
pairing."""

import math

import numpy as np
import pytest

from qbhw.metrics import (
    coherent_ergotropy,
    energy,
    equal_entropy_beta,
    ergotropy,
    gibbs_bound,
    incoherent_ergotropy,
    n_copy_ergotropy,
    passive_energy,
    passive_state,
)
from random_states import random_bloch, random_density, random_unitary, tls_state

# ---------------------------------------------------------------- helpers


def entropy(p):
    p = np.asarray(p)
    p = p[p > 1e-300]
    return float(-np.sum(p * np.log(p)))


# ---------------------------------------------------------------- R1


def test_r1_five_level_example():
    # physics.md R1 (S1 Fig. 2): H0 = L_z sum_l (l-3)|l><l|, rho = diag(0.1,0.2,0,0.3,0.4).
    # E(rho) = 0.7 L_z, E(sigma) = -1.0 L_z, so the ergotropy is 1.7 L_z.  The seed prints
    # W_max = 1.8 L_z, which is inconsistent with its own data (physics.md section 0 item 8
    # and R1 [FLAG]: a typo in S1).
    lz = 0.37
    h = lz * np.diag(np.arange(1, 6) - 3.0)
    rho = np.diag([0.1, 0.2, 0.0, 0.3, 0.4])
    assert energy(rho, h) == pytest.approx(0.7 * lz, abs=1e-14)
    assert ergotropy(rho, h) == pytest.approx(1.7 * lz, abs=1e-14)
    np.testing.assert_allclose(passive_state(rho, h), np.diag([0.4, 0.3, 0.2, 0.1, 0.0]), atol=1e-14)
    assert passive_energy(np.diag(rho), np.diag(h)) == pytest.approx(-1.0 * lz, abs=1e-14)
    # the unitary given in the seed, U = |1><5| + |2><4| + |5><3| + |3><2| + |4><1|
    # (1-based), reaches the passive state
    u = np.zeros((5, 5))
    for a, b in [(1, 5), (2, 4), (5, 3), (3, 2), (4, 1)]:
        u[a - 1, b - 1] = 1
    np.testing.assert_allclose(u @ rho @ u.T, passive_state(rho, h), atol=1e-14)


# ---------------------------------------------------------------- R2 (Alicki-Fannes)

R2_LEVELS = np.array([0.0, 0.579, 1.0])
R2_PASSIVE = np.array([0.538, 0.237, 0.224]) / 0.999  # renormalised (sum was 0.999)
R2_DW = [0, 0, 0.00120, 0.00308, 0.00425, 0.00464, 0.00527, 0.00573, 0.00598, 0.00627]


def r2_state():
    return np.diag(R2_PASSIVE), np.diag(R2_LEVELS)


def test_r2_passive_state_has_zero_ergotropy():
    rho, h = r2_state()
    assert ergotropy(rho, h) == 0.0


def test_r2_equal_entropy_gibbs_state_and_bound():
    rho, h = r2_state()
    beta = equal_entropy_beta(rho, h)
    assert beta == pytest.approx(1.0363, abs=5e-5)
    g = np.exp(-beta * R2_LEVELS)
    g /= g.sum()
    np.testing.assert_allclose(g, [0.5253, 0.2883, 0.1864], atol=5e-5)
    assert entropy(g) == pytest.approx(entropy(R2_PASSIVE), abs=1e-12)
    assert gibbs_bound(rho, h) == pytest.approx(0.00829, abs=5e-6)


@pytest.mark.parametrize("n", range(1, 11))
def test_r2_n_copy_ergotropy_printed_values(n):
    rho, h = r2_state()
    # printed to 3 significant digits in physics.md R2
    assert n_copy_ergotropy(rho, h, n) == pytest.approx(R2_DW[n - 1], abs=1e-5)


def brute_force_n_copy(rho, h, n):
    """Build rho^{(x)n} and H^(n) = sum_i h_i with np.kron, diagonalise and sort."""
    d = h.shape[0]
    big_rho = np.array([[1.0]])
    for _ in range(n):
        big_rho = np.kron(big_rho, rho)
    big_h = np.zeros((d**n, d**n), dtype=complex)
    for i in range(n):
        term = np.array([[1.0]])
        for j in range(n):
            term = np.kron(term, h if j == i else np.eye(d))
        big_h = big_h + term
    e = np.real(np.trace(big_h @ big_rho))
    r = np.sort(np.linalg.eigvalsh(big_rho))[::-1]
    eps = np.sort(np.linalg.eigvalsh(big_h))
    return (e - np.dot(r, eps)) / n


@pytest.mark.parametrize("n", range(1, 6))
def test_n_copy_ergotropy_matches_kron_brute_force(n):
    rng = np.random.default_rng(100 + n)
    cases = [r2_state()]
    for d in (2, 3):
        v = random_unitary(rng, d)
        h = v @ np.diag(np.sort(rng.normal(size=d))) @ v.conj().T
        cases.append((random_density(rng, d), h))
    for rho, h in cases:
        assert n_copy_ergotropy(rho, h, n) == pytest.approx(brute_force_n_copy(rho, h, n), abs=1e-12)


def exact_pairing_n_copy(p, eps, n):
    """Independent reference: two-pointer pairing of the sorted eigenvalue runs with the
    sorted energy runs, counts as exact Python integers (multinomials)."""
    d = len(p)
    comps = []

    def rec(prefix, rem):
        if len(prefix) == d - 1:
            comps.append((*prefix, rem))
            return
        for k in range(rem + 1):
            rec((*prefix, k), rem - k)

    rec((), n)

    def multinomial(k):
        out, rem = 1, n
        for kj in k:
            out *= math.comb(rem, kj)
            rem -= kj
        return out

    lam = sorted(
        ((math.exp(sum(kj * math.log(pj) for kj, pj in zip(k, p))), multinomial(k)) for k in comps),
        key=lambda t: -t[0],
    )
    lev = sorted(((sum(kj * ej for kj, ej in zip(k, eps)), multinomial(k)) for k in comps))
    i = j = 0
    left_l, left_e = lam[0][1], lev[0][1]
    passive = 0.0
    while i < len(lam):
        c = min(left_l, left_e)
        passive += lam[i][0] * float(c) * lev[j][0]
        left_l -= c
        left_e -= c
        if left_l == 0:
            i += 1
            left_l = lam[i][1] if i < len(lam) else 0
        if left_e == 0:
            j += 1
            left_e = lev[j][1] if j < len(lev) else 0
    return float(np.dot(p, eps)) - passive / n


@pytest.mark.parametrize("n", [20, 60, 150])
def test_n_copy_ergotropy_matches_exact_integer_pairing(n):
    rho, h = r2_state()
    ref = exact_pairing_n_copy(R2_PASSIVE, R2_LEVELS, n)
    assert n_copy_ergotropy(rho, h, n) == pytest.approx(ref, abs=1e-12)
    rng = np.random.default_rng(n)
    p = rng.dirichlet(np.ones(3))
    eps = np.array([0.0, 0.4, 1.3])
    ref = exact_pairing_n_copy(p, eps, n)
    assert n_copy_ergotropy(np.diag(p), np.diag(eps), n) == pytest.approx(ref, abs=1e-12)


def test_n_copy_ergotropy_grows_towards_gibbs_bound():
    # physics.md R3: eps(N) grows towards the equal-entropy bound (Alicki-Fannes limit).
    rho, h = r2_state()
    bound = gibbs_bound(rho, h)
    vals = [n_copy_ergotropy(rho, h, n) for n in (10, 20, 50, 100, 200)]
    assert all(b > a for a, b in zip(vals, vals[1:]))
    assert 0.9 * bound <= vals[-1] <= bound
    v1000 = n_copy_ergotropy(rho, h, 1000)  # its speed: benchmarks/metrics_large_n.py
    assert vals[-1] < v1000 <= bound


# ---------------------------------------------------------------- R3 / R4


def test_r3_qubit_ergotropy_equals_gibbs_bound():
    # d = 2: every passive state is thermal, so the equal-entropy bound is tight.
    rng = np.random.default_rng(3)
    for _ in range(50):
        v = random_unitary(rng, 2)
        h = v @ np.diag(np.sort(rng.normal(size=2))) @ v.conj().T
        rho = random_density(rng, 2)
        assert ergotropy(rho, h) == pytest.approx(gibbs_bound(rho, h), abs=1e-10)


def test_qubit_equal_entropy_beta_closed_form():
    # Qubit with gap w and eigenvalues r_max >= r_min: the equal-entropy Gibbs state has
    # populations (r_max, r_min), so beta = ln(r_max / r_min) / w.
    rng = np.random.default_rng(4)
    for _ in range(20):
        w = rng.uniform(0.1, 3)
        rho = random_density(rng, 2)
        r = np.linalg.eigvalsh(rho)
        h = np.diag([0.3, 0.3 + w])
        assert equal_entropy_beta(rho, h) == pytest.approx(np.log(r[1] / r[0]) / w, rel=1e-10)


def test_equal_entropy_beta_matches_entropy_qutrit():
    rng = np.random.default_rng(5)
    for _ in range(10):
        eps = np.sort(rng.normal(size=3))
        rho = random_density(rng, 3)
        beta = equal_entropy_beta(rho, np.diag(eps))
        g = np.exp(-beta * (eps - eps[0]))
        g /= g.sum()
        assert beta >= 0
        assert entropy(g) == pytest.approx(entropy(np.linalg.eigvalsh(rho)), abs=1e-12)


def test_equal_entropy_beta_limits():
    h = np.diag([0.0, 0.0, 1.0])
    assert equal_entropy_beta(np.eye(3) / 3, h) == 0.0
    assert gibbs_bound(np.eye(3) / 3, h) == pytest.approx(0.0, abs=1e-15)
    # S(rho) = log 2 = log(ground degeneracy): no finite beta
    assert equal_entropy_beta(np.diag([0.5, 0.0, 0.5]), h) == np.inf
    # pure excited state: bound = E - ground energy = 1 = ergotropy
    assert equal_entropy_beta(np.diag([0.0, 0.0, 1.0]), h) == np.inf
    assert gibbs_bound(np.diag([0.0, 0.0, 1.0]), h) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("n", range(1, 9))
def test_r4_thermal_states_are_completely_passive(n):
    rng = np.random.default_rng(40 + n)
    for d in (2, 3):
        eps = np.sort(rng.normal(size=d))
        beta = rng.uniform(0.1, 3.0)
        g = np.exp(-beta * eps)
        v = random_unitary(rng, d)
        h = v @ np.diag(eps) @ v.conj().T
        rho = v @ np.diag(g / g.sum()) @ v.conj().T
        assert n_copy_ergotropy(rho, h, n) == pytest.approx(0.0, abs=1e-12)


def test_r4_non_thermal_passive_state_activates_at_three_copies():
    rho, h = r2_state()
    assert n_copy_ergotropy(rho, h, 2) == pytest.approx(0.0, abs=1e-14)
    assert n_copy_ergotropy(rho, h, 3) > 1e-4


def test_qubit_n_copy_ergotropy_equals_single_copy_closed_form():
    # d = 2: passive = thermal, so ergotropy per copy does not change with n; closed form
    # omega (r + z)/2 (physics.md section 1).
    rng = np.random.default_rng(6)
    omega = 1.3
    h = np.diag([0.0, omega])
    for x, y, z in random_bloch(rng, 5):
        rho = tls_state(x, y, z)
        r = math.sqrt(x * x + y * y + z * z)
        for n in (1, 7, 1000):
            assert n_copy_ergotropy(rho, h, n) == pytest.approx(omega * (r + z) / 2, abs=1e-12)


# ---------------------------------------------------------------- TLS closed forms


def test_tls_ergotropy_closed_form():
    # H = omega |e><e|, Bloch length r, z = p_e - p_g: E = omega (1+z)/2 and the passive
    # state puts (1+r)/2 on |g>, so ergotropy = omega(1+z)/2 - omega(1-r)/2 = omega(r+z)/2.
    rng = np.random.default_rng(8)
    omega = 2.1
    h = np.diag([0.0, omega])
    for x, y, z in random_bloch(rng, 100):
        rho = tls_state(x, y, z)
        r = math.sqrt(x * x + y * y + z * z)
        assert energy(rho, h) == pytest.approx(omega * (1 + z) / 2, abs=1e-14)
        assert ergotropy(rho, h) == pytest.approx(omega * (r + z) / 2, abs=1e-13)


def test_tls_incoherent_coherent_closed_form():
    # Dephasing in the energy basis leaves diag(p_g, p_e): its ergotropy is omega(p_e - p_g)
    # if p_e > p_g (swap the levels) and 0 otherwise, so
    #   incoherent = omega * max(0, z),
    #   coherent   = omega (r + z)/2 - omega max(0, z) = omega (r - |z|)/2.
    rng = np.random.default_rng(9)
    omega = 0.8
    h = np.diag([0.0, omega])
    for x, y, z in random_bloch(rng, 100):
        rho = tls_state(x, y, z)
        r = math.sqrt(x * x + y * y + z * z)
        assert incoherent_ergotropy(rho, h) == pytest.approx(omega * max(0.0, z), abs=1e-13)
        assert coherent_ergotropy(rho, h) == pytest.approx(omega * (r - abs(z)) / 2, abs=1e-13)


def test_coherent_split_in_rotated_basis_is_basis_independent():
    rng = np.random.default_rng(10)
    for _ in range(20):
        d = 4
        eps = np.sort(rng.normal(size=d))
        rho_e = random_density(rng, d)
        v = random_unitary(rng, d)
        h, rho = v @ np.diag(eps) @ v.conj().T, v @ rho_e @ v.conj().T
        inc, coh, tot = incoherent_ergotropy(rho, h), coherent_ergotropy(rho, h), ergotropy(rho, h)
        assert inc >= 0 and coh >= 0
        assert inc + coh == pytest.approx(tot, abs=1e-12)
        # reference: sorting the energy-basis diagonal directly
        pops = np.real(np.diag(rho_e))
        ref = np.dot(pops, eps) - np.dot(np.sort(pops)[::-1], eps)
        assert inc == pytest.approx(ref, abs=1e-12)


def test_degenerate_h_dephases_in_eigenspaces():
    # h = diag(0, 1, 1); rho = |psi><psi| with psi = (|1> + |2>)/sqrt2 inside the degenerate
    # level.  Block (eigenspace) dephasing keeps rho, so incoherent = ergotropy = 1 and
    # coherent = 0.  (Dephasing in the |1>,|2> basis would instead give diag(0, .5, .5),
    # whose ergotropy is 0.5; the eigenspace choice does not depend on that basis.)
    h = np.diag([0.0, 1.0, 1.0])
    psi = np.array([0, 1, 1]) / np.sqrt(2)
    rho = np.outer(psi, psi)
    assert ergotropy(rho, h) == pytest.approx(1.0, abs=1e-14)
    assert incoherent_ergotropy(rho, h) == pytest.approx(1.0, abs=1e-14)
    assert coherent_ergotropy(rho, h) == pytest.approx(0.0, abs=1e-14)
    # coherence between the levels: psi = (|0> + |1>)/sqrt2 -> incoherent 0, coherent 1/2
    psi = np.array([1, 1, 0]) / np.sqrt(2)
    rho = np.outer(psi, psi)
    assert incoherent_ergotropy(rho, h) == pytest.approx(0.0, abs=1e-14)
    assert coherent_ergotropy(rho, h) == pytest.approx(0.5, abs=1e-14)
    # the same in a random basis (h non-diagonal, degeneracy only numerical)
    rng = np.random.default_rng(12)
    v = random_unitary(rng, 3)
    assert coherent_ergotropy(v @ rho @ v.conj().T, v @ h @ v.conj().T) == pytest.approx(0.5, abs=1e-12)


# ---------------------------------------------------------------- passive state / energy


def test_passive_state_is_diagonal_in_energy_basis_and_sorted():
    rng = np.random.default_rng(13)
    for _ in range(10):
        d = 5
        eps = np.sort(rng.normal(size=d))
        v = random_unitary(rng, d)
        h = v @ np.diag(eps) @ v.conj().T
        rho = random_density(rng, d, rank=3)  # two zero eigenvalues
        sig_e = v.conj().T @ passive_state(rho, h) @ v
        np.testing.assert_allclose(sig_e, np.diag(np.sort(np.linalg.eigvalsh(rho))[::-1]), atol=1e-12)


def test_ergotropy_never_negative_for_passive_states():
    # passive (and thermal) states in rotated bases: round-off must not give E < 0
    rng = np.random.default_rng(14)
    for _ in range(200):
        d = int(rng.integers(2, 6))
        eps = np.sort(rng.normal(size=d)) * 10 ** rng.uniform(-3, 3)
        v = random_unitary(rng, d)
        pops = np.sort(rng.dirichlet(np.ones(d)))[::-1]
        h = v @ np.diag(eps) @ v.conj().T
        rho = v @ np.diag(pops) @ v.conj().T
        val = ergotropy(rho, h)
        assert 0.0 <= val < 1e-12 * max(1.0, np.abs(eps).max())


def test_passive_energy_with_multiplicities_matches_expansion():
    rng = np.random.default_rng(15)
    for _ in range(50):
        n_lev = int(rng.integers(1, 8))
        energies = rng.normal(size=n_lev)
        mult = rng.integers(0, 5, size=n_lev)
        mult[0] = max(mult[0], 1)
        expanded = np.sort(np.repeat(energies, mult))
        n_pop = int(rng.integers(1, expanded.size + 1))
        pops = rng.random(n_pop)
        pops[rng.random(n_pop) < 0.3] = 0.0
        ref = np.dot(np.sort(pops)[::-1], expanded[:n_pop])
        for m in (mult, [int(x) for x in mult], mult.astype(float)):
            assert passive_energy(pops, energies, m) == pytest.approx(ref, abs=1e-13)
        # without multiplicities, against the expanded levels
        assert passive_energy(pops, rng.permutation(expanded)) == pytest.approx(ref, abs=1e-13)


def test_passive_energy_symmetric_subspace_n12_against_full_spectrum():
    # N = 12 spins, H = sum_i sigma+ sigma-: the full 2^12 spectrum built with np.kron
    n = 12
    full = np.zeros(1)
    for _ in range(n):
        full = np.add.outer(full, np.array([0.0, 1.0])).ravel()
    rng = np.random.default_rng(16)
    pops = rng.dirichlet(np.ones(n + 1))
    ref = np.dot(np.sort(pops)[::-1], np.sort(full)[: n + 1])
    mult = [math.comb(n, m) for m in range(n + 1)]
    assert passive_energy(pops, np.arange(n + 1.0), mult) == pytest.approx(ref, abs=1e-14)


def test_passive_energy_n1000_spins():
    # N = 1000: energies m (m = 0..N) with multiplicity C(N, m) up to ~2.7e299.  With
    # N+2 populations the largest goes to m = 0, the next N to m = 1 and the last to
    # m = 2, so passive energy = (sum of the middle N) + 2 * smallest.  Its speed:
    # benchmarks/metrics_large_n.py.
    n = 1000
    rng = np.random.default_rng(17)
    pops = rng.dirichlet(np.ones(n + 2))
    srt = np.sort(pops)[::-1]
    ref = srt[1 : n + 1].sum() + 2 * srt[n + 1]
    energies = np.arange(n + 1.0)
    for mult in ([math.comb(n, m) for m in range(n + 1)], [float(math.comb(n, m)) for m in range(n + 1)]):
        assert passive_energy(pops, energies, mult) == pytest.approx(ref, abs=1e-13)


def test_energy_is_trace():
    rng = np.random.default_rng(18)
    rho = random_density(rng, 4)
    v = random_unitary(rng, 4)
    eps = rng.normal(size=4)
    h = v @ np.diag(eps) @ v.conj().T
    # Tr[h rho] = sum_k eps_k <k|rho|k>
    ref = np.dot(eps, np.real(np.diag(v.conj().T @ rho @ v)))
    assert energy(rho, h) == pytest.approx(ref, abs=1e-13)
    # real array-likes are accepted
    assert energy([[0.25, 0.0], [0.0, 0.75]], [[0, 0], [0, 2]]) == 1.5


def test_stacked_states_follow_the_tls_closed_form():
    """energy/ergotropy on a (T, 2, 2) stack: E = w(1+z)/2 and ergotropy = w(r+z)/2 per state."""
    rng = np.random.default_rng(11)
    w = 1.7
    bloch = rng.normal(size=(50, 3))
    bloch *= (rng.uniform(0, 1, 50) / np.linalg.norm(bloch, axis=1))[:, None]
    x, y, z = bloch.T  # z = p_e - p_g with |e> = basis state 1
    rho = 0.5 * np.array([[1 - z, x - 1j * y], [x + 1j * y, 1 + z]]).transpose(2, 0, 1)
    h = np.diag([0.0, w])
    np.testing.assert_allclose(energy(rho, h), w * (1 + z) / 2, atol=1e-12)
    np.testing.assert_allclose(ergotropy(rho, h), w * (np.linalg.norm(bloch, axis=1) + z) / 2, atol=1e-12)
    with pytest.raises(ValueError, match="rho must be Hermitian"):
        ergotropy(np.concatenate([rho, [[[0.5, 1.0], [0.0, 0.5]]]]), h)
