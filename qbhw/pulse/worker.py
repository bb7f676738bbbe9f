"""The pulse worker: runs in ``.venv-pulse`` (qiskit 1.3 + qiskit-dynamics 0.6 + jax), solves
requests of :mod:`contract` read from stdin and writes the states to stdout.

Started by :mod:`qbhw.pulse.client` as ``python worker.py`` (by path: it imports nothing from
qbhw but ``contract.py`` beside it).  After its imports it writes one hello message (versions of
the contract, qiskit-dynamics, jax); then per request one response; a request it cannot solve
gets a response whose ``error`` says why, and the worker goes on.  End of stdin ends it.

How it solves (ecosystem notes §8): the Hamiltonian arrives already in the drive frame, so the
Solver has no rotating frame (bug #364: vectorized Lindblad + rotating frame breaks
jax_expm); closed problems evolve the ket with dense jax arrays, open ones the vectorized
density matrix (dense up to DENSE_LIMIT and in short scans, ``jax_sparse`` above it or in row-by-row
scans of SPARSE_SCAN_ROWS rows or more); the integrator is JAX odeint with the request's tolerances
and ``hmax = max_dt`` (#238), or for method "expm" qiskit-dynamics' ``jax_expm`` with steps of
exactly dt (one exponential per sample: exact for piecewise-constant H; the 4000-sample qutrit
STIRAP row is 2e-15 off a scipy product of exponentials, odeint at rtol 1e-9 2.3e-6 and 45x
slower); each operator's carrier is the Signal's (``carrier_freq = nu / 2 pi``, ``phase``); y0 is always complex (#371).  One jitted function per problem
structure (and its vmap for scans) solves every row (cached across requests).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract

warnings.filterwarnings("ignore")  # qiskit 1.3's qiskit.pulse deprecation warnings, one per import

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platform_name", "cpu")
import jax.numpy as jnp
import numpy as np
import qiskit_dynamics
from qiskit_dynamics import DiscreteSignal, Signal, Solver

_CACHE: dict[str, tuple] = {}
VMAP_CHUNK = 32  # rows per jax.vmap call: 3.6x faster per row than one by one for a 4-level
#                 kick ensemble (0.37 s vs 1.34 s per 32 rows, warm)
VMAP_OPEN_LIMIT = 4  # Hilbert dimension up to which density-matrix scans go through jax.vmap too (warm, per
#                    row, 1 XLA thread, odeint: D = 3 qutrit STIRAP 3.6 vs 5.6 s; D = 4 kicked pair with T1/T2 0.039
#                    vs 0.112 s; but D = 9 1.33 vs 0.70 s, so larger ones go row by row)
DENSE_LIMIT = 16  # Hilbert dimension up to which the vectorized Lindbladian stays dense: building a
#                  jax_sparse Solver costs 7 s (D = 4) to 10 s (D = 9) per new shape; warm it is faster
#                  (D = 9: 0.057 vs 0.094 s per solve at rtol 1e-9), so it pays off in long scans only:
SPARSE_SCAN_ROWS = 100  # row-by-row density-matrix scans of at least this many rows go jax_sparse at any
#                         D: the 100-row D = 9 amplitude scan 3.3 s warm vs 10.5 s dense, cold 22.5 vs 15.8 s,
#                         so sparse saves 0.072 s per row and costs 6.7 s more per shape: even at ~93 rows


def _key(req: dict) -> str:
    h = hashlib.sha1()
    for name in ("static_hamiltonian", "operators", "dissipators", "y0", "times"):
        h.update(np.ascontiguousarray(req[name]).tobytes())
    h.update(np.ascontiguousarray(req["carriers"]).tobytes())
    h.update(repr((req["envelope_kind"], req["envelopes"].shape[1:], req["dt"], req["method"], req["rtol"], req["atol"],
                   req["max_dt"], _sparse(req))).encode())
    return h.hexdigest()


def _signals(kind: str, dt: float, row, carriers):
    """One qiskit-dynamics signal per operator: Re[e_k(t) e^{i (nu_k t + phi_k)}] (contract)."""
    waves = [{"carrier_freq": float(nu) / (2 * np.pi), "phase": float(phi)} for nu, phi in carriers]
    if kind == "samples":
        return [DiscreteSignal(dt=dt, samples=row[k], **waves[k]) for k in range(row.shape[0])]
    return [Signal(lambda t, p=row[k]: contract.square_rise(jnp, t, p[0], p[1], p[2], p[3]), **waves[k])
            for k in range(row.shape[0])]


def _open(req: dict) -> bool:
    return req["dissipators"].shape[0] > 0 or req["y0"].ndim == 2


def _row_by_row(req: dict) -> bool:
    """Single rows, and density matrices above VMAP_OPEN_LIMIT, are solved one row at a time."""
    return req["envelopes"].shape[0] == 1 or (_open(req) and req["static_hamiltonian"].shape[0] > VMAP_OPEN_LIMIT)


def _sparse(req: dict) -> bool:
    """Vectorized Lindbladian as jax_sparse: above DENSE_LIMIT, or for a long row-by-row scan."""
    d = req["static_hamiltonian"].shape[0]
    return _open(req) and (d > DENSE_LIMIT or (_row_by_row(req) and req["envelopes"].shape[0] >= SPARSE_SCAN_ROWS))


def _compiled(req: dict):
    """A jitted function: envelope row (K, S) or (K, 4) -> states at ``times``."""
    open_system = _open(req)
    solver = Solver(static_hamiltonian=req["static_hamiltonian"],
                    hamiltonian_operators=list(req["operators"]),
                    static_dissipators=list(req["dissipators"]) if req["dissipators"].shape[0] else None,
                    array_library="jax_sparse" if _sparse(req) else "jax",
                    vectorized=open_system)
    y0 = np.asarray(req["y0"], dtype=complex)
    if open_system and y0.ndim == 1:
        y0 = np.outer(y0, y0.conj())
    if open_system:
        y0 = y0.flatten(order="F")  # vectorized Lindblad: column-stacked density matrix
    times = req["times"]
    t_span = [0.0, float(times[-1])]

    steps = ({"method": "jax_expm", "max_dt": req["dt"]} if req["method"] == "expm" else
             {"method": "jax_odeint", "rtol": req["rtol"], "atol": req["atol"], "hmax": req["max_dt"]})

    def run(row):
        signals = _signals(req["envelope_kind"], req["dt"], row, req["carriers"])
        return solver.solve(t_span=t_span, y0=y0, signals=signals, t_eval=times, **steps).y

    return jax.jit(run)


def solve(req: dict) -> dict:
    """Response fields (contract module doc) for one checked request: kets of a scan, and
    density matrices of dimension up to VMAP_OPEN_LIMIT, in chunks of VMAP_CHUNK rows through
    the solver's ``jax.vmap`` (the last chunk padded, so one compilation serves every chunk);
    larger density matrices, and single rows, one by one through the jitted solver (vmap of
    the Lindblad solver was slower per row there, ecosystem notes §8)."""
    key = _key(req)
    if key not in _CACHE:
        run = _compiled(req)
        _CACHE[key] = (run, jax.jit(jax.vmap(run)))
    run, batched = _CACHE[key]
    rows = req["envelopes"]
    states, seconds = [], []
    if _row_by_row(req):
        for row in rows:
            start = time.perf_counter()
            states.append(np.asarray(run(jnp.asarray(row)))[None])
            seconds.append(time.perf_counter() - start)
    else:
        size = min(VMAP_CHUNK, rows.shape[0])
        for first in range(0, rows.shape[0], size):
            chunk = rows[first:first + size]
            padded = np.concatenate([chunk, np.repeat(chunk[-1:], size - chunk.shape[0], axis=0)])
            start = time.perf_counter()
            states.append(np.asarray(batched(jnp.asarray(padded)))[:chunk.shape[0]])
            seconds.extend([(time.perf_counter() - start) / chunk.shape[0]] * chunk.shape[0])
    states = np.concatenate(states)
    d = req["static_hamiltonian"].shape[0]
    if states.ndim == 3 and states.shape[-1] == d * d:  # vectorized density matrices, column-major
        states = states.reshape(*states.shape[:2], d, d).transpose(0, 1, 3, 2)
    return {"states": states, "seconds": np.array(seconds), "error": ""}


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages on the pipe
    contract.write_message(stdout, {"error": "", "qiskit_dynamics": qiskit_dynamics.__version__,
                                    "jax": jax.__version__})
    while True:
        try:
            message = contract.read_message(stdin)
        except contract.ContractError as exc:
            contract.write_message(stdout, {"error": str(exc)})
            return 2
        if message is None:
            return 0
        try:
            response = solve(contract.check_request(message))
        except Exception as exc:  # noqa: BLE001 - reported to the client, the worker goes on
            traceback.print_exc(file=sys.stderr)
            response = {"error": f"{type(exc).__name__}: {exc}"}
        contract.write_message(stdout, response)


if __name__ == "__main__":
    sys.exit(main())
