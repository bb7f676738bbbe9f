"""Star configuration references, qbhw (symmetric sector) versus QuTiP (full 2^(N+1) space).

1. N = 8: charging curve over 500 time points and the long-time state.  QuTiP: mesolve
   (e_ops = H_B) on the full space.  qutip.steadystate is not timed: on this model (a kernel of
   dimension >= 36, physics.md section 0) it did not finish within 190 s here (2026-11-22), and
   it would return SOME kernel element, not the state reached from all-ground.  qbhw's long-time
   state is printed beside N/2 (R21).  Target ratio >= 100x.
2. qbhw alone at larger N with the exact star solver (``star_charging``: curve of 500 points
   with the ergotropy over the full 2^N spectrum at every point; ``star_long_time``), at
   F/g = 10 and 0.5, N = 100 (target < 1 s) and N = 1000 (target < 30 s).  At N = 32 the curve
   is checked against the generic solver (``evolve`` on the symmetric sector).  The long-time
   limit at large N and F/g = 10 is a t -> inf statement (slow_weight printed: the weight of
   modes relaxing slower than 1e-6 gamma).

    .venv/bin/python benchmarks/reference_manybody.py
"""

import time

import numpy as np
import qutip as qt

from qbhw.models import star
from qbhw.reference import evolve, star_charging, star_long_time, steady_state

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
    print("2. qbhw alone, exact star solver, 500 points")
    curve = star_charging(32, G, F, GAMMA, times)
    generic = evolve(star(32, G, F, GAMMA), times, frame="rotating")
    print(f"   N = 32 check against evolve: max |dE_B| {np.abs(curve.battery_energy - generic.battery_energy).max():.1e}, "
          f"max |d ergotropy| {np.abs(curve.battery_ergotropy - generic.battery_ergotropy).max():.1e}")
    for f in (F, 0.5):
        for n in (100, 1000):
            t_c, _ = timed(lambda: star_charging(n, G, f, GAMMA, times))
            t_s, lt = timed(lambda: star_long_time(n, G, f, GAMMA))
            print(f"   F/g = {f:4g}, N = {n:4d}: curve {t_c:6.2f} s, long-time {t_s:5.2f} s "
                  f"(E_B/N = {lt.battery_energy / n:.4f}, ergotropy/E_B = {lt.battery_ergotropy / lt.battery_energy:.4f}, "
                  f"slow_weight {lt.slow_weight:.1e})")


if __name__ == "__main__":
    main()
