"""evolve picks the method from the problem (issue 12): closed systems from a pure state evolve the
ket, open ones the Liouvillian; every path against QuTiP written here from the equations.

QuTiP models use qbhw's tensor order (subsystem 0 rightmost: tensor(battery, charger)), so full
states compare directly.  Dicke in QuTiP is the peer's collective-spin form H = a^dag a + J_z +
2 g J_x (a + a^dag) (jmat basis m = j..-j, i.e. reversed excitation order), which is qbhw's
dicke(N, g) up to the constant N/2.
"""

import dataclasses

import numpy as np
import pytest
import qutip as qt

from qbhw.models import dicke, tls_oscillator, tls_pair
from qbhw.reference import evolve, solve

TIGHT = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}
TOL = 1e-8


def from_zero(times):
    """QuTiP starts at tlist[0]: solve on [0, times...] and drop t = 0 when the grid starts later."""
    return (times, slice(None)) if times[0] == 0 else (np.concatenate([[0.0], times]), slice(1, None))


def qutip_dicke(n, g, n_max):
    j = n / 2
    a = qt.tensor(qt.qeye(n + 1), qt.destroy(n_max + 1))
    jx = qt.tensor(qt.jmat(j, "x"), qt.qeye(n_max + 1))
    jz = qt.tensor(qt.jmat(j, "z"), qt.qeye(n_max + 1))
    h = a.dag() * a + jz + 2 * g * jx * (a + a.dag())
    psi0 = qt.tensor(qt.spin_state(j, -j), qt.basis(n_max + 1, n))
    return h, psi0


def full_spectrum_ergotropy(rho_b, n):
    """Ergotropy of symmetric-sector states over all 2^n levels (lowest n + 1: 0, 1 x n, ...)."""
    levels = np.sort([bin(b).count("1") for b in range(2**n)])[: n + 1]
    e = np.einsum("tii,i->t", rho_b, np.arange(n + 1)).real
    return e, e - np.linalg.eigvalsh(rho_b)[:, ::-1] @ levels


def check_dicke(traj, n, g, n_max, times):
    h, psi0 = qutip_dicke(n, g, n_max)
    grid, keep = from_zero(times)
    states = qt.sesolve(h, psi0, grid, options=TIGHT).states[keep]
    rb = np.array([s.ptrace(0).full() for s in states])[:, ::-1, ::-1]  # k = 0..N excitations
    rc = np.array([s.ptrace(1).full() for s in states])
    e, w = full_spectrum_ergotropy(rb, n)
    np.testing.assert_allclose(traj.battery_states, rb, atol=TOL)
    np.testing.assert_allclose(traj.battery_energy, e, atol=TOL)
    np.testing.assert_allclose(traj.battery_ergotropy, w, atol=TOL)
    np.testing.assert_allclose(traj.charger_states, rc, atol=TOL)
    np.testing.assert_allclose(traj.charger_energy, np.einsum("tii,i->t", rc, np.arange(n_max + 1)).real, atol=TOL)


def test_dicke_ket_eigh_matches_sesolve():
    n, g, n_max = 4, 0.3, 30
    times = np.linspace(0.0, 6.0, 121)
    traj = evolve(dicke(n, g, n_max=n_max), times)
    assert traj.method == "ket eigh"
    check_dicke(traj, n, g, n_max, times)


def test_dicke_ket_lanczos_matches_sesolve(monkeypatch):
    """The Lanczos propagator with dense output, on a non-uniform grid that starts after t = 0."""
    monkeypatch.setattr(solve, "_eigh_is_cheaper", lambda h, times: False)
    n, g, n_max = 4, 0.3, 30
    times = np.sort(np.random.default_rng(7).uniform(0.5, 6.0, 57))
    traj = evolve(dicke(n, g, n_max=n_max), times)
    assert traj.method == "ket lanczos"
    check_dicke(traj, n, g, n_max, times)


def test_large_dicke_chooses_lanczos():
    """Predicted cost: one eigh of the 621-dimensional parity sector (D^3) loses to ~30 Lanczos
    steps over t <= 8; over t <= 800 (100x the steps) the eigendecomposition wins."""
    model = dicke(16, 0.1, n_max=72)
    assert evolve(model, np.linspace(0.0, 8.0, 1000)).method == "ket lanczos"
    assert evolve(model, np.linspace(0.0, 800.0, 1000), truncation_tol=1.0).method == "ket eigh"


def qutip_tls_pair(g, F, wb, wc, wd, frame, counter_rotating=False):
    """Drive F (a_C e^{i wd t} + h.c.), qbhw order: charger is the rightmost factor."""
    sm = qt.destroy(2)
    a_c, a_b = qt.tensor(qt.qeye(2), sm), qt.tensor(sm, qt.qeye(2))
    n_c, n_b = a_c.dag() * a_c, a_b.dag() * a_b
    coupling = g * ((a_c + a_c.dag()) * (a_b + a_b.dag()) if counter_rotating else a_c.dag() * a_b + a_b.dag() * a_c)
    if frame == "lab":
        return [wc * n_c + wb * n_b + coupling, [F * a_c.dag(), lambda t: np.exp(-1j * wd * t)],
                [F * a_c, lambda t: np.exp(1j * wd * t)]], n_c
    return (wc - wd) * n_c + (wb - wd) * n_b + coupling + F * (a_c + a_c.dag()), n_c


def check_pair(traj, h, times, c_op=None, gamma=0.0):
    rho0 = qt.tensor(qt.fock_dm(2, 0), qt.fock_dm(2, 0))
    grid, keep = from_zero(times)
    if c_op is None:
        psi0 = qt.tensor(qt.basis(2, 0), qt.basis(2, 0))
        states = [qt.ket2dm(s) for s in qt.sesolve(h, psi0, grid, options=TIGHT).states[keep]]
    else:
        states = qt.mesolve(h, rho0, grid, [np.sqrt(gamma) * c_op], options=TIGHT).states[keep]
    full = np.array([s.full() for s in states])
    rb = np.array([s.ptrace(0).full() for s in states])  # qutip index 0 = battery (leftmost)
    np.testing.assert_allclose(traj.battery_states, rb, atol=1e-7)
    np.testing.assert_allclose(traj.battery_energy, rb[:, 1, 1].real, atol=1e-7)
    if traj.states is not None:
        np.testing.assert_allclose(traj.states, full, atol=1e-7)


@pytest.mark.parametrize("frame", ["lab", "rotating"])
@pytest.mark.parametrize("detuned", [False, True])
def test_driven_pair_without_dephasing_is_a_ket(frame, detuned):
    wb, wc, wd = (1.0, 1.15, 0.9) if detuned else (1.0, 1.0, 1.0)
    model = tls_pair(0.7, 0.4, 0.0, omega_b=wb, omega_c=wc, omega_d=wd)
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(model, times, frame=frame, full_state=True)
    assert traj.method == "ket eigh"
    h, _ = qutip_tls_pair(0.7, 0.4, wb, wc, wd, frame)
    check_pair(traj, h, times)


def test_time_dependent_lab_drive_ket():
    """Counter-rotating coupling: no frame removes the drive; the ket ODE in the lab frame."""
    model = tls_pair(0.3, 0.2, 0.0, counter_rotating=True)
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(model, times, full_state=True)
    assert traj.method == "ket DOP853"
    h, _ = qutip_tls_pair(0.3, 0.2, 1.0, 1.0, 1.0, "lab", counter_rotating=True)
    check_pair(traj, h, times)


def test_time_dependent_lab_drive_open():
    model = tls_pair(0.3, 0.2, 0.5, counter_rotating=True)
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(model, times)
    assert traj.method == "liouvillian DOP853"
    h, n_c = qutip_tls_pair(0.3, 0.2, 1.0, 1.0, 1.0, "lab", counter_rotating=True)
    check_pair(traj, h, times, n_c, 0.5)


@pytest.mark.parametrize("grid", ["uniform", "random"])
def test_open_pair_eig(grid):
    times = np.linspace(0.0, 10.0, 101) if grid == "uniform" else np.sort(np.random.default_rng(3).uniform(0, 10, 80))
    traj = evolve(tls_pair(1.0, 0.5, 1.0), times, frame="rotating", full_state=True)
    assert traj.method == "liouvillian eig"
    h, n_c = qutip_tls_pair(1.0, 0.5, 1.0, 1.0, 1.0, "rotating")
    check_pair(traj, h, times, n_c, 1.0)


def test_exceptional_point_falls_back_to_expm():
    """At gamma = 4 (s1 - s2) = 4 g with s the singular values (sqrt 2 +- 1)/2 of the star block
    V = [[F, g], [0, F]] for F = g/2 (``star.py``), two Liouvillian modes coalesce: L is
    defective (checked here on QuTiP's own Liouvillian) and the eigenvector expansion is refused."""
    g, F = 1.0, 0.5
    gamma = 4.0 * g
    h, n_c = qutip_tls_pair(g, F, 1.0, 1.0, 1.0, "rotating")
    _, vecs = np.linalg.eig(qt.liouvillian(h, [np.sqrt(gamma) * n_c]).full())
    assert np.linalg.cond(vecs) > 1e7
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(tls_pair(g, F, gamma), times, frame="rotating")
    assert traj.method == "liouvillian expm"
    check_pair(traj, h, times, n_c, gamma)


@pytest.mark.parametrize("n_max,method", [(9, "liouvillian expm"), (14, "liouvillian expm_multiply")])
def test_open_oscillator_battery(n_max, method):
    """Dimension 20 (dense propagator) and 30 (sparse); QuTiP order here tensor(battery, charger)."""
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(tls_oscillator(0.3, 0.9, 1.0, n_max=n_max), times, truncation_tol=1.0)  # same cutoff in QuTiP
    assert traj.method == method
    a_c = qt.tensor(qt.qeye(n_max + 1), qt.destroy(2))
    a_b = qt.tensor(qt.destroy(n_max + 1), qt.qeye(2))
    h = [a_c.dag() * a_c + a_b.dag() * a_b + 0.3 * (a_c.dag() * a_b + a_b.dag() * a_c),
         [0.9 * a_c.dag(), lambda t: np.exp(-1j * t)], [0.9 * a_c, lambda t: np.exp(1j * t)]]
    rho0 = qt.tensor(qt.fock_dm(n_max + 1, 0), qt.fock_dm(2, 0))
    states = qt.mesolve(h, rho0, times, [a_c.dag() * a_c], options=TIGHT).states
    rb = np.array([s.ptrace(0).full() for s in states])
    np.testing.assert_allclose(traj.battery_states, rb, atol=1e-7)
    np.testing.assert_allclose(traj.battery_energy, np.einsum("tii,i->t", rb, np.arange(n_max + 1)).real, atol=1e-7)


def test_mixed_initial_state_of_a_closed_system_uses_the_liouvillian():
    model = tls_pair(0.7, 0.4, 0.0)
    p = np.array([0.6, 0.25, 0.1, 0.05])  # diagonal in qbhw's basis |b c>: index 2 b + c
    mixed = dataclasses.replace(model, rho0=np.diag(p).astype(complex))
    times = np.linspace(0.0, 10.0, 101)
    traj = evolve(mixed, times, frame="rotating")
    assert traj.method == "liouvillian eig"
    h, _ = qutip_tls_pair(0.7, 0.4, 1.0, 1.0, 1.0, "rotating")
    rho0 = qt.Qobj(np.diag(p), dims=[[2, 2], [2, 2]])
    rb = np.array([s.ptrace(0).full() for s in qt.mesolve(h, rho0, times, [], options=TIGHT).states])
    np.testing.assert_allclose(traj.battery_states, rb, atol=1e-7)
