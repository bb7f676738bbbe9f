"""Speed of the exact reference on a closed system (the Dicke battery), against QuTiP in the same run.

Model (a public peer's QuTiP script, issue 12): H = a^dag a + J_z + 2 g J_x (a + a^dag), N spins
in their symmetric sector (QuTiP: ``jmat(N/2)``), cavity in |N>, spins all down, 1000 times in
[0, 8], g = 0.1.  qbhw's ``dicke(N, g)`` is the same H up to the constant N/2 (its H_B = J_z + N/2,
its g multiplies sum_i sigma_i^x = 2 J_x).  Both use the same cavity cutoff n_max = 4N + 8
(resolve_cutoff at tolerance 1e-6 asks for 13, 25, 52 at N = 4, 8, 16, and 127 at N = 32 with
max_dimension raised; part 1 prints it for N = 8).

1. N = 8: qbhw ``evolve`` (E_B, ergotropy over the full 2^N spectrum, battery states, charger
   energy) versus QuTiP sesolve with e_ops=[H_B] (its cheapest path), sesolve states followed by
   the same reductions (ptrace, E_B, ergotropy), and mesolve from the density matrix (e_ops).
   Ratios > 1 mean qbhw is faster.  Target: >= 1 against every QuTiP path, max |dE_B| <= 1e-7.
2. N-scaling, N = 2 .. 32: the same comparison (mesolve only while the Liouvillian is small).
   The model's construction (dense matrices) is timed separately.

QuTiP's ODE solvers are single threaded; BLAS is pinned to one thread here (before numpy is
imported) so that qbhw's dense linear algebra uses one core too, on a shared machine as well
(QBHW_BENCH_THREADS changes it).

    .venv/bin/python benchmarks/reference_closed.py
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("QBHW_BENCH_THREADS", "1"))
os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("QBHW_BENCH_THREADS", "1"))

import time  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import qutip as qt  # noqa: E402

from qbhw.models import dicke  # noqa: E402
from qbhw.reference import evolve, resolve_cutoff  # noqa: E402

G = 0.1
TIMES = np.linspace(0.0, 8.0, 1000)
OPTS = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}  # QuTiP within ~2e-8 up to N = 32 (1e-8 rtol: 2e-7)
MESOLVE_MAX_DIM = 500  # Hilbert dimension above which QuTiP's density-matrix run is skipped


def cutoff(n: int) -> int:
    return 4 * n + 8


def best_of(fn, repeat=3):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def qutip_dicke(n: int, n_max: int):
    """H, psi0 and H_B = J_z + N/2 on cavity (x) spin-N/2, written from the peer's equation."""
    j = n / 2
    a = qt.tensor(qt.destroy(n_max + 1), qt.qeye(n + 1))
    jx = qt.tensor(qt.qeye(n_max + 1), qt.jmat(j, "x"))
    jz = qt.tensor(qt.qeye(n_max + 1), qt.jmat(j, "z"))
    h = a.dag() * a + jz + 2 * G * jx * (a + a.dag())
    psi0 = qt.tensor(qt.basis(n_max + 1, n), qt.spin_state(j, -j))
    return h, psi0, jz + j


def qutip_full_outputs(h, psi0, n: int):
    """sesolve states, then battery states, E_B and ergotropy (full 2^N spectrum: the lowest
    N + 1 levels 0, 1 x N, 2 x C(N,2), ...)."""
    states = qt.sesolve(h, psi0, TIMES, options=OPTS).states
    rb = np.array([s.ptrace(1).full() for s in states])[:, ::-1, ::-1]  # jmat order m = j..-j
    e = np.einsum("tii,i->t", rb, np.arange(n + 1)).real
    levels = np.sort([bin(b).count("1") for b in range(2**min(n, 16))])[: n + 1]
    return e, e - np.linalg.eigvalsh(rb)[:, ::-1] @ levels


def compare(n: int, repeat: int = 3) -> dict:
    n_max = cutoff(n)
    t_model, model = best_of(lambda: dicke(n, G, n_max=n_max), 1)
    t_ours, traj = best_of(lambda: evolve(model, TIMES), repeat)
    h, psi0, hb = qutip_dicke(n, n_max)
    t_se, se = best_of(lambda: qt.sesolve(h, psi0, TIMES, e_ops=[hb], options=OPTS), repeat)
    row = dict(n=n, n_max=n_max, dim=model.dimension, method=traj.method, model=t_model, ours=t_ours,
               sesolve=t_se, de=np.abs(traj.battery_energy - se.expect[0]).max(), mesolve=np.nan,
               de_me=np.nan)
    if model.dimension <= MESOLVE_MAX_DIM:
        rho0 = qt.ket2dm(psi0)
        row["mesolve"], me = best_of(lambda: qt.mesolve(h, rho0, TIMES, [], e_ops=[hb], options=OPTS), 1)
        row["de_me"] = np.abs(traj.battery_energy - me.expect[0]).max()
    return row, traj


def main():
    n = 8
    row, traj = compare(n, repeat=5)
    h, psi0, _ = qutip_dicke(n, row["n_max"])
    t_full, (e, w) = best_of(lambda: qutip_full_outputs(h, psi0, n), 3)
    resolved = resolve_cutoff(partial(dicke, n, G), TIMES, 1e-6)
    print(f"1. Dicke N = {n}, g = {G}, cavity cutoff n_max = {row['n_max']} (Hilbert dimension "
          f"{row['dim']}), {TIMES.size} times in [0, {TIMES[-1]:g}]")
    print(f"   resolve_cutoff(tolerance 1e-6) -> n_max = {resolved.n_max} (error {resolved.error:.1e} "
          f"against n_max = {resolved.reference_n_max})")
    print(f"   qbhw evolve [{row['method']}] (states, E_B, ergotropy)  {row['ours'] * 1e3:8.1f} ms   "
          f"(+ model construction {row['model'] * 1e3:.1f} ms)")
    print(f"   QuTiP sesolve, e_ops=[H_B]                   {row['sesolve'] * 1e3:8.1f} ms   "
          f"ratio {row['sesolve'] / row['ours']:6.1f}x   max |dE_B| {row['de']:.1e}")
    print(f"   QuTiP sesolve + same reductions              {t_full * 1e3:8.1f} ms   "
          f"ratio {t_full / row['ours']:6.1f}x   max |dE_B| {np.abs(traj.battery_energy - e).max():.1e}, "
          f"max |d ergotropy| {np.abs(traj.battery_ergotropy - w).max():.1e}")
    print(f"   QuTiP mesolve (rho), e_ops=[H_B]             {row['mesolve'] * 1e3:8.1f} ms   "
          f"ratio {row['mesolve'] / row['ours']:6.1f}x   max |dE_B| {row['de_me']:.1e}")

    print("2. N-scaling (same g, times and tolerances; n_max = 4N + 8; ratio = QuTiP time / qbhw time)")
    print(f"   {'N':>3} {'n_max':>5} {'dim':>5} {'qbhw method':<18} {'model':>8} {'qbhw':>8} "
          f"{'sesolve':>8} {'ratio':>6} {'mesolve':>8} {'ratio':>6} {'max|dE_B|':>9}")
    for n in (2, 4, 8, 16, 32):
        r, _ = compare(n)
        me = f"{r['mesolve']:8.3f} {r['mesolve'] / r['ours']:6.1f}" if np.isfinite(r["mesolve"]) else f"{'-':>8} {'-':>6}"
        print(f"   {n:>3} {r['n_max']:>5} {r['dim']:>5} {r['method']:<18} {r['model']:8.3f} {r['ours']:8.3f} "
              f"{r['sesolve']:8.3f} {r['sesolve'] / r['ours']:6.1f} {me} {max(r['de'], np.nan_to_num(r['de_me'])):9.1e}")
    print("   (times in s)")


if __name__ == "__main__":
    main()
