"""Calibration-aware choice of physical qubits for charger/battery layouts.

Every candidate layout gets an additive error budget for an evolution of ``duration``
seconds with ``two_qubit_gates`` entangling gates per coupler used:

    budget = sum_couplers n_2q * e_2q  +  sum_qubits [ readout_error + (1 - exp(-duration / T2)) ]

(T2 <= 2 T1 already contains energy relaxation; readout_error is the mean of P(1|0) and
P(0|1)).  The layout with the smallest budget wins; the returned :class:`QubitChoice` says
why in one line.  Faulty qubits and couplers and qubits without T1/T2 are never chosen.
A layout whose qubits would lose most of their coherence during ``duration`` is refused
(:func:`check_coherence`).  Times are in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from ..errors import InputError
from .snapshot import CalibrationSnapshot

__all__ = ["QubitChoice", "select_pair", "select_star", "select_chain", "check_coherence", "MIN_COHERENCE"]

#: Smallest accepted coherence factor exp(-duration / T2) per qubit (duration <= T2).
MIN_COHERENCE = math.exp(-1.0)


@dataclass(frozen=True)
class QubitChoice:
    """Chosen device qubits (role order documented by the selecting function), the error
    budget they were ranked by, and a human-readable reason."""

    qubits: tuple[int, ...]
    budget: float
    reason: str


def _check_duration(duration, two_qubit_gates):
    if not (isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive time in seconds, got {duration!r}")
    if isinstance(two_qubit_gates, bool) or int(two_qubit_gates) != two_qubit_gates or two_qubit_gates < 0:
        raise ValueError(f"two_qubit_gates must be an integer >= 0, got {two_qubit_gates!r}")


def _usable(snapshot: CalibrationSnapshot) -> set[int]:
    return {
        i for i, q in enumerate(snapshot.qubits) if q.operational and q.t1 is not None and q.t2 is not None
    }


def _adjacency(snapshot: CalibrationSnapshot) -> dict[int, set[int]]:
    usable = _usable(snapshot)
    name = snapshot.two_qubit_gate
    adj: dict[int, set[int]] = {q: set() for q in usable}
    for g in snapshot.gates:
        if g.name == name and g.operational and g.error is not None and len(g.qubits) == 2:
            a, b = g.qubits
            if a in usable and b in usable:
                adj[a].add(b)
                adj[b].add(a)
    return adj


def _qubit_cost(snapshot, q, duration) -> float:
    c = snapshot.qubits[q]
    return 0.5 * (c.prob_meas1_prep0 + c.prob_meas0_prep1) + (1 - math.exp(-duration / c.t2))


def _describe(snapshot, qubits) -> str:
    parts = []
    for q in qubits:
        c = snapshot.qubits[q]
        ro = 0.5 * (c.prob_meas1_prep0 + c.prob_meas0_prep1)
        parts.append(f"q{q} T1={c.t1 * 1e6:.0f}us T2={c.t2 * 1e6:.0f}us ro={ro:.2%}")
    return "; ".join(parts)


def check_coherence(snapshot: CalibrationSnapshot, qubits, duration: float, *, min_coherence: float = MIN_COHERENCE):
    """Raise ValueError if any of ``qubits`` keeps less than ``min_coherence`` of its coherence,
    exp(-duration / T2), over ``duration`` seconds (or has no T1/T2), saying what to change."""
    _check_duration(duration, 0)
    if not 0 < min_coherence < 1:
        raise ValueError(f"min_coherence must be in (0, 1), got {min_coherence!r}")
    for q in qubits:
        c = snapshot.qubits[int(q)]
        if c.t1 is None or c.t2 is None:
            raise ValueError(f"qubits: q{q} of {snapshot.backend_name} has no T1/T2 calibration; choose another qubit")
        factor = math.exp(-duration / c.t2)
        if factor < min_coherence:
            limit = -c.t2 * math.log(min_coherence)
            raise InputError(
                "times", f"the evolution takes about {duration * 1e6:.1f} us but q{q} of "
                f"{snapshot.backend_name} has T2 = {c.t2 * 1e6:.1f} us (coherence left "
                f"{factor:.2f} < {min_coherence:.2f}); shorten it below {limit * 1e6:.1f} us "
                "(fewer steps: compile.accuracy, compile.max_step, or fewer collisions: compile.collision_time; "
                "or shorter times) or choose qubits with longer T2"
            )


def _coherent(snapshot, qubits, duration, min_coherence) -> bool:
    return all(math.exp(-duration / snapshot.qubits[q].t2) >= min_coherence for q in qubits)


def _refuse(snapshot, what, duration, min_coherence, candidates, *, single_qubits: bool = False):
    """InputError: no candidate layout stays coherent for ``duration``.  ``single_qubits``: the
    candidates are the device's qubits one by one (a chain search), so their limit says only how
    long single qubits last, not whether enough of them are connected."""
    if not candidates:
        raise ValueError(f"snapshot: {snapshot.backend_name} has no usable {what}")
    limit = max(min(snapshot.qubits[q].t2 for q in c) for c in candidates) * -math.log(min_coherence)
    bound = (f"single qubits last up to {limit * 1e6:.1f} us, but not enough of them connected in a chain"
             if single_qubits and duration * 1e6 <= round(limit * 1e6, 1) else f"none allows more than {limit * 1e6:.1f} us")
    raise InputError(
        "times", f"no {what} on {snapshot.backend_name} keeps coherence exp(-t/T2) >= "
        f"{min_coherence:.2f} for {duration * 1e6:.1f} us ({bound}); "
        "shorten the evolution (fewer steps: compile.accuracy, compile.max_step, or fewer collisions: "
        "compile.collision_time; or shorter times) or lower min_coherence"
    )


def _finish(snapshot, ranked, what, duration, n2q, min_coherence) -> QubitChoice:
    ranked.sort(key=lambda x: x[0])
    ok = [r for r in ranked if _coherent(snapshot, r[1], duration, min_coherence)]
    if not ok:
        _refuse(snapshot, what, duration, min_coherence, [r[1] for r in ranked])
    budget, qubits = ok[0]
    runner = f"; next best {ok[1][1]} at {ok[1][0]:.3g}" if len(ok) > 1 else ""
    dropped = len(ranked) - len(ok)
    refused = f"; {dropped} refused for T2 shorter than the evolution" if dropped else ""
    reason = (
        f"{what} {qubits} on {snapshot.backend_name} ({snapshot.date[:10]}): smallest error budget "
        f"{budget:.3g} of {len(ranked)} candidates examined for {duration * 1e6:.1f} us with {n2q} "
        f"{snapshot.two_qubit_gate} per coupler ({_describe(snapshot, qubits)}){runner}{refused}"
    )
    return QubitChoice(tuple(qubits), float(budget), reason)


def select_pair(
    snapshot: CalibrationSnapshot,
    *,
    duration: float = 10e-6,
    two_qubit_gates: int = 10,
    min_coherence: float = MIN_COHERENCE,
) -> QubitChoice:
    """Best connected (charger, battery) pair; the battery is the qubit with the longer T2."""
    _check_duration(duration, two_qubit_gates)
    adj = _adjacency(snapshot)
    ranked = []
    for a in adj:
        for b in adj[a]:
            if a < b:
                cost = (
                    two_qubit_gates * snapshot.edge_error(a, b)
                    + _qubit_cost(snapshot, a, duration)
                    + _qubit_cost(snapshot, b, duration)
                )
                charger, battery = sorted((a, b), key=lambda q: (snapshot.qubits[q].t2, -q))
                ranked.append((cost, (charger, battery)))
    return _finish(snapshot, ranked, "pair (charger, battery)", duration, two_qubit_gates, min_coherence)


def select_star(
    snapshot: CalibrationSnapshot,
    *,
    duration: float = 10e-6,
    two_qubit_gates: int = 10,
    min_coherence: float = MIN_COHERENCE,
) -> QubitChoice:
    """Best degree-3 node with 3 neighbours: ``(centre, leaf1, leaf2, leaf3)``."""
    _check_duration(duration, two_qubit_gates)
    adj = _adjacency(snapshot)
    ranked = []
    for centre, nbrs in adj.items():
        if len(nbrs) < 3:
            continue
        for leaves in combinations(sorted(nbrs), 3):
            cost = _qubit_cost(snapshot, centre, duration) + sum(
                two_qubit_gates * snapshot.edge_error(centre, q) + _qubit_cost(snapshot, q, duration) for q in leaves
            )
            ranked.append((cost, (centre, *leaves)))
    return _finish(snapshot, ranked, "star (centre, leaves)", duration, two_qubit_gates, min_coherence)


def select_chain(
    snapshot: CalibrationSnapshot,
    n: int,
    *,
    duration: float = 10e-6,
    two_qubit_gates: int = 10,
    min_coherence: float = MIN_COHERENCE,
) -> QubitChoice:
    """Best linear chain of ``n`` connected qubits, in chain order (branch-and-bound search
    over qubits coherent enough for ``duration``)."""
    if isinstance(n, bool) or int(n) != n or not 2 <= n <= snapshot.num_qubits:
        raise ValueError(f"n must be an integer in 2..{snapshot.num_qubits}, got {n!r}")
    _check_duration(duration, two_qubit_gates)
    adj = _adjacency(snapshot)
    qcost = {
        q: _qubit_cost(snapshot, q, duration) for q in adj if _coherent(snapshot, (q,), duration, min_coherence)
    }
    adj = {q: nbrs & qcost.keys() for q, nbrs in adj.items() if q in qcost}
    ranked: list = []
    top = [math.inf, math.inf]  # two smallest complete budgets: prune against the runner-up

    def extend(path, cost):
        if cost >= top[1]:
            return
        if len(path) == n:
            if path[0] < path[-1]:  # each chain once
                ranked.append((cost, tuple(path)))
                top[:] = sorted([*top, cost])[:2]
            return
        for q in adj[path[-1]]:
            if q not in path:
                path.append(q)
                extend(path, cost + qcost[q] + two_qubit_gates * snapshot.edge_error(path[-2], q))
                path.pop()

    for start in sorted(adj, key=qcost.get):
        extend([start], qcost[start])
    if not ranked:
        _refuse(snapshot, f"chain of {n}", duration, min_coherence, [(q,) for q in _adjacency(snapshot)],
                single_qubits=True)
    return _finish(snapshot, ranked, f"chain of {n}", duration, two_qubit_gates, min_coherence)
