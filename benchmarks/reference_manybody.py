"""Star configuration references, qbhw (symmetric sector) versus QuTiP (full 2^(N+1) space).

1. N = 8: charging curve over 500 time points and the long-time state.  QuTiP: mesolve
   (e_ops = H_B) on the full space.  qutip.steadystate is not timed: on this model (a kernel of
   dimension >= 36, physics.md section 0) it did not finish within 190 s here (2026-11-22), and
   it would return SOME kernel element, not the state reached from all-ground.  qbhw's long-time
   state is printed beside N/2 (R21).  Target ratio >= 100x.
2. qbhw alone at larger N: charging curve (500 points) and long-time state at N = 32 and
   N = 100, F/g = 10.  The long-time limit is refused where V = F + g S^+ is so ill-conditioned
   (sigma_min/sigma_max < 1e-7, N >= ~64 at F/g = 10) that it is not reached on any
   resolvable time scale; that is printed rather than hidden.

    .venv/bin/python benchmarks/reference_manybody.py
"""

import time

import numpy as np
import qutip as qt

from qbhw.models import star
from qbhw.reference import evolve, steady_state

G, F, GAMMA = 1.0, 10.0, 1.0
OPTS = {"atol": 1e-10, "rtol": 1e-8, "nsteps": 10**7}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def qutip_star(n):
    sm, eye = qt.destroy(2), qt.qeye(2)
    op = lambda o, i: qt.tensor([o if j == i else eye for j in range(n + 1)])  # noqa: E731
    H = F * (op(sm, 0) + op(sm, 0).dag()) + G * sum(op(sm, 0).dag() * op(sm, i) + op(sm, i).dag() * op(sm, 0)
                                                    for i in range(1, n + 1))
    hb = sum(op(sm, i).dag() * op(sm, i) for i in range(1, n + 1))
    return H, qt.tensor([qt.fock_dm(2, 0)] * (n + 1)), [np.sqrt(GAMMA) * op(sm, 0).dag() * op(sm, 0)], hb


def main():
    n, times = 8, np.linspace(0.0, 10.0, 500)
    t_ours, traj = timed(lambda: evolve(star(n, G, F, GAMMA), times, frame="rotating"))
    t_ss, ss = timed(lambda: steady_state(star(n, G, F, GAMMA)))
    H, rho0, c_ops, hb = qutip_star(n)
    t_qt, res = timed(lambda: qt.mesolve(H, rho0, times, c_ops, e_ops=[hb], options=OPTS))
    print(f"1. star N = {n}, F/g = {F / G:g}, gamma_C = {GAMMA:g}")
    print(f"   charging curve, 500 points: qbhw {t_ours * 1e3:8.1f} ms   QuTiP mesolve {t_qt * 1e3:9.1f} ms"
          f"   ratio {t_qt / t_ours:7.1f}x   max |dE_B| {np.abs(traj.battery_energy - res.expect[0]).max():.1e}")
    print(f"   long-time state:            qbhw {t_ss * 1e3:8.1f} ms   (E_B = {ss.battery_energy:.6f}, N/2 = {n / 2},"
          f" ergotropy/E_B = {ss.battery_ergotropy / ss.battery_energy:.4f})")
    print("2. qbhw alone, F/g = 10")
    for n in (32, 100):
        t_c, traj = timed(lambda: evolve(star(n, G, F, GAMMA), times, frame="rotating"))
        try:
            t_s, ss = timed(lambda: steady_state(star(n, G, F, GAMMA)))
            limit = f"long-time {t_s:6.2f} s (ergotropy/E_B = {ss.battery_ergotropy / ss.battery_energy:.4f})"
        except ValueError as err:
            limit = f"long-time limit refused: {str(err)[str(err).index('sigma_min'):][:60]}..."
        print(f"   N = {n:4d}: curve {t_c:6.2f} s; {limit}")


if __name__ == "__main__":
    main()
