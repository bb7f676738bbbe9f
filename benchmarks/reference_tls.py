"""Speed of the exact references on the resonant TLS pair, against QuTiP in the same run.

1. evolve over 2,000 time points (battery/charger states, E_B, ergotropy) versus QuTiP
   mesolve on the same grid followed by the same reductions (ptrace, energy, ergotropy by
   sorting, vectorised numpy); also QuTiP's cheapest path (e_ops=[H_B] only).
2. A 200-point gamma_C scan of the charging time: qbhw's exact_charging_time versus QuTiP
   mesolve(e_ops=[H_B]) on the SAME time grids, then the same charging_time evaluation.
   E_B(inf) comes from qbhw's kernel projection in both (QuTiP's steadystate returns another
   kernel element for this model; see tests/test_tls_pair_physics.py).
Ratios > 1 mean qbhw is faster.  Target: >= 1 for both.

    .venv/bin/python benchmarks/reference_tls.py
"""

import time

import numpy as np
import qutip as qt

from qbhw.metrics import charging_time
from qbhw.models import tls_pair
from qbhw.reference import evolve, exact_charging_time

G, F = 1.0, 0.5
OPTS = {"atol": 1e-10, "rtol": 1e-8, "nsteps": 10**7}  # QuTiP tight enough to match to ~1e-7


def best_of(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def qutip_pair(gamma):
    sm = qt.destroy(2)
    a_c, a_b = qt.tensor(sm, qt.qeye(2)), qt.tensor(qt.qeye(2), sm)
    H = G * (a_c.dag() * a_b + a_b.dag() * a_c) + F * (a_c + a_c.dag())
    rho0 = qt.tensor(qt.fock_dm(2, 0), qt.fock_dm(2, 0))
    return H, rho0, [np.sqrt(gamma) * a_c.dag() * a_c], a_b.dag() * a_b


def qutip_full_outputs(times, gamma):
    H, rho0, c_ops, _ = qutip_pair(gamma)
    states = qt.mesolve(H, rho0, times, c_ops, options=OPTS).states
    rb = np.array([s.ptrace(1).full() for s in states])
    rc = np.array([s.ptrace(0).full() for s in states])
    hb = np.diag([0.0, 1.0])
    e = np.einsum("tij,ji->t", rb, hb).real
    erg = e - np.linalg.eigvalsh(rb)[:, ::-1] @ np.array([0.0, 1.0])
    return rb, rc, e, erg


def main():
    times = np.linspace(0.0, 10.0, 2000)
    model = tls_pair(G, F, 1.0)
    t_ours, traj = best_of(lambda: evolve(model, times, frame="rotating"))
    t_qt, (rb, _, e, erg) = best_of(lambda: qutip_full_outputs(times, 1.0))
    H, rho0, c_ops, nb = qutip_pair(1.0)
    t_qt_e, _ = best_of(lambda: qt.mesolve(H, rho0, times, c_ops, e_ops=[nb], options=OPTS))
    print("1. evolve, TLS pair, 2000 time points")
    print(f"   qbhw evolve (states, E_B, ergotropy)       {t_ours * 1e3:8.1f} ms")
    print(f"   QuTiP mesolve + same reductions            {t_qt * 1e3:8.1f} ms   ratio {t_qt / t_ours:6.1f}x")
    print(f"   QuTiP mesolve, e_ops=[H_B] only            {t_qt_e * 1e3:8.1f} ms   ratio {t_qt_e / t_ours:6.1f}x")
    print(f"   max |dE_B| {np.abs(traj.battery_energy - e).max():.1e}, "
          f"max |d ergotropy| {np.abs(traj.battery_ergotropy - erg).max():.1e}")

    gammas = np.logspace(-1, 1, 200)
    t0 = time.perf_counter()
    ours = [exact_charging_time(tls_pair(G, F, g)) for g in gammas]
    t_scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    taus_qt = []
    for g, ct in zip(gammas, ours):
        H, rho0, c_ops, nb = qutip_pair(g)
        e_qt = qt.mesolve(H, rho0, ct.times, c_ops, e_ops=[nb], options=OPTS).expect[0]
        taus_qt.append(charging_time(ct.times, e_qt, e_inf=ct.e_inf))
    t_scan_qt = time.perf_counter() - t0
    taus = np.array([c.tau for c in ours])
    points = sum(c.times.size for c in ours)
    print(f"2. charging-time scan, 200 values of gamma_C in [0.1, 10], {points} samples in all")
    print(f"   qbhw exact_charging_time                   {t_scan:8.2f} s")
    print(f"   QuTiP mesolve(e_ops) on the same grids     {t_scan_qt:8.2f} s   ratio {t_scan_qt / t_scan:6.1f}x")
    print(f"   max |d tau| {np.abs(taus - np.array(taus_qt)).max():.1e}; "
          f"optimum gamma_C = {gammas[np.argmin(taus)]:.3f}, tau = {taus.min():.4f}")


if __name__ == "__main__":
    main()
