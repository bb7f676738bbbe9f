"""Emulated dissipation: any Lindblad jump as a collision with ancilla qubits, then their reset.

Target channel, per slot of duration tau: exp(tau D) with D = sum_j r_j (L_j rho L_j^dag -
1/2 {L_j^dag L_j, rho}) over the encoded model's jumps that are not diagonal dephasing (those
keep the methods of :mod:`.dephasing`).  The jumps are grouped into blocks, each emulated by

    "exact" block: every non-diagonal jump acting on ONE qubit q (sigma^-, sigma^+, any 2x2 L),
               together.  exp(tau D_q) is a qubit channel with Kraus rank k <= 4; its Stinespring
               isometry V|psi> = sum_a K_a|psi> (x) |a> (K_a from the channel's Choi matrix)
               acts on q and ceil(log2 k) ancillas in |0>, which are reset afterwards.  Exact at
               any tau.  Amplitude damping (L = sigma^-, rate r): K_0 = diag(1, cos theta/2),
               K_1 = sin(theta/2) |0><1| with sin^2(theta/2) = 1 - e^{-r tau}: one ancilla,
               2 CX.  Thermal (sigma^- at r_-, sigma^+ at r_+): generalized amplitude damping
               towards p_1 = r_+/(r_- + r_+) at rate r_- + r_+, Kraus rank 4: two ancillas, 10 CX.
    "collision" block: one jump L on several qubits (a collective S^- of a star or Dicke
               encoding, a jump on a binary-encoded oscillator).  Only the plain collision fits
               (the dilation of a many-qubit channel needs too many ancillas): one ancilla in
               |0>, U = exp(-i sqrt(r tau) (L (x) sigma_a^+ + L^dag (x) sigma_a^-)) through the
               program's product formula, ancilla reset.  Tr_a[U (rho (x) |0><0|) U^dag] =
               rho + r tau D[L] rho + O((r tau)^2): FIRST order (e.g. amplitude damping would get
               sin^2 sqrt(r tau) instead of 1 - e^{-r tau}); refused when r tau ||L||^2 > MAX_ANGLE2.

A slot applies "units": each exact block alone, and the collision blocks together in ONE joint
collision exp(-i sum_b sqrt(r_b tau)(L_b (x) sigma_b^+ + h.c.)), one ancilla each ("parallel",
"channel"), or one after another through a shared ancilla ("sequential").  One after another,
D[S^-] then D[S^+] leave a commutator term tau^2 [D_1, D_2] / 2 per slot (10x the error of the
joint collision for heat_engine_chargers N = 2), so the units run in reverse order in every
odd slot, which cancels it over each pair of slots.

Each Trotter step is wrapped like the dephasing: half slot, unitary step, half slot (adjacent
half slots merged, so the circuit's inner slots are full slots).  With exact blocks, which
commute with each other and with the diagonal dephasing of their qubit, the averaged step is
exp(D dt/2) U_p exp(D dt/2): second order (measured slope 2.0, tests/test_open_system_circuits.py).
Collisions make it first order (measured slope 1.0-1.2, tests/test_compile_collisions.py).  The
program's error bound is the exact trace-norm error of this averaged evolution (``slot_map``
mirrors the circuit: same units, order, synthesised collision unitaries).

Ancillas (compile option ``ancillas``), for blocks needing a_b ancillas each; resets per slot
are sum a_b either way (an ancilla is reset just before it is used again):
    "parallel":   each block its own ancillas: width n + sum a_b; blocks on different qubits
                  run side by side (depth of the slot ~ its deepest block);
    "sequential": one register of max a_b ancillas shared by all blocks: width n + max a_b;
                  every block waits for the previous one's reset (depth ~ the sum of blocks);
    "channel":    the block's channel as a Kraus instruction (density-matrix simulators only, no
                  ancilla; the exact-channel peer of benchmarks/open_system_circuits.py).
A reset costs about a measurement on IBM hardware (~1-2 us), which dominates a slot's time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import Isometry, PauliEvolutionGate
from qiskit.quantum_info import Kraus, SparsePauliOp, SuperOp
from scipy.linalg import expm

from .trotter import formula_unitary, two_qubit_gates_per_step

ANCILLAS = ("parallel", "sequential", "channel")
SIMULATOR_ONLY = ("channel",)  # ancilla uses no quantum processor can run (Kraus instructions)
MAX_ANGLE2 = 0.5  # largest r tau ||L||^2 of a first-order collision (its expansion parameter)
SIGMA_PLUS = SparsePauliOp(["X", "Y"], [0.5, -0.5j])  # |1><0| = (X - iY)/2
DILATION_BASIS = ("cx", "u")


@dataclass(frozen=True, eq=False)
class Block:
    """Non-dephasing jumps emulated together: ``qubits`` they act on, their (operator on the n
    system qubits, rate, label), and ``kind`` "exact" (one qubit, Stinespring dilation) or
    "collision" (one many-qubit jump, first order)."""

    kind: str
    qubits: tuple[int, ...]
    jumps: tuple[tuple[np.ndarray, float, str], ...]

    @property
    def labels(self) -> str:
        return ", ".join(label for _, _, label in self.jumps)

    def local_generator(self) -> np.ndarray:
        """Lindblad superoperator (qiskit's column-stacking convention) of an exact block on its qubit."""
        q, out = self.qubits[0], np.zeros((4, 4), complex)
        for op, rate, _ in self.jumps:
            l = _local(op, q)
            ll = l.conj().T @ l
            out += rate * (np.kron(l.conj(), l) - 0.5 * (np.kron(np.eye(2), ll) + np.kron(ll.T, np.eye(2))))
        return out

    def kraus(self, tau: float) -> list[np.ndarray]:
        """Kraus operators of exp(tau D) on the qubit of an exact block (minimal rank, from the
        Choi matrix; a collision's are :func:`collision_kraus`)."""
        return [np.asarray(k) for k in Kraus(SuperOp(expm(self.local_generator() * tau))).data]

    def ancillas_needed(self, tau: float = 0.1) -> int:
        """Ancilla qubits of the block: ceil(log2 Kraus rank) (exact) or 1 (collision)."""
        return max(1, math.ceil(math.log2(len(self.kraus(tau))) - 1e-9)) if self.kind == "exact" else 1

    def angle2(self, tau: float) -> float:
        """r tau ||L||^2: the collision's expansion parameter (0 for exact blocks)."""
        if self.kind == "exact":
            return 0.0
        op, rate, _ = self.jumps[0]
        return rate * tau * float(np.linalg.norm(op, 2)) ** 2


def _local(op: np.ndarray, q: int) -> np.ndarray:
    """The 2x2 factor l of an n-qubit operator 1 (x) l (x) 1 acting only on qubit q."""
    n = int(round(math.log2(op.shape[0])))
    axis = n - 1 - q  # qubit 0 is the last (rightmost) axis
    t = np.moveaxis(op.reshape((2,) * (2 * n)), [axis, n + axis], [0, n]).reshape(2, 2 ** (n - 1), 2, 2 ** (n - 1))
    return np.einsum("aibi->ab", t) / 2 ** (n - 1)


def support(op: np.ndarray) -> tuple[int, ...]:
    """Qubits an operator on n qubits acts on non-trivially (from its Pauli terms)."""
    paulis = SparsePauliOp.from_operator(op).simplify(atol=1e-12).paulis
    return tuple(int(q) for q in np.flatnonzero((paulis.x | paulis.z).any(axis=0)))


def blocks(jumps) -> list[Block]:
    """The non-diagonal jumps ((operator on the system qubits, rate, label), rate > 0) grouped
    into exact one-qubit blocks (one per qubit) and one collision block per many-qubit jump."""
    single: dict[int, list] = {}
    out = []
    for op, rate, label in jumps:
        qubits = support(op)
        if len(qubits) == 1:
            single.setdefault(qubits[0], []).append((op, rate, label))
        else:
            out.append(Block("collision", qubits, ((op, rate, label),)))
    return [Block("exact", (q,), tuple(js)) for q, js in sorted(single.items())] + out


@dataclass(frozen=True, eq=False)
class Unit:
    """What a slot applies in one go: an exact block on its qubit and ancillas, or collision
    blocks in ONE joint collision, each with its own ancilla (``ancillas``: circuit qubits;
    empty for "channel")."""

    blocks: tuple[Block, ...]
    ancillas: tuple[int, ...]

    @property
    def exact(self) -> bool:
        return self.blocks[0].kind == "exact"

    def interaction(self, tau: float, n: int) -> SparsePauliOp:
        """Joint collision Hamiltonian times tau on n system qubits + one ancilla per block
        (qubit n + b): sum_b sqrt(r_b tau) (L_b (x) sigma_b^+ + h.c.); evolving it for time 1
        is the collision.  Simultaneous collisions leave no commutator [D_1, D_2] at order
        tau^2 (one after another they would: 10x the error of heat_engine_chargers N = 2)."""
        k = len(self.blocks)
        total = SparsePauliOp("I" * (n + k), 0.0)
        for b, block in enumerate(self.blocks):
            op, rate, _ = block.jumps[0]
            lower = SparsePauliOp.from_operator(op).simplify(atol=1e-12)
            raised = SparsePauliOp("I" * (k - 1 - b)).tensor(SIGMA_PLUS).tensor(SparsePauliOp("I" * b)) if k > 1 \
                else SIGMA_PLUS
            coupling = raised.tensor(lower)  # ancillas are the highest qubits
            total = total + math.sqrt(rate * tau) * (coupling + coupling.adjoint())
        return total.simplify(atol=1e-12)

    def gate(self, tau: float, n: int, synthesis) -> PauliEvolutionGate:
        return PauliEvolutionGate(self.interaction(tau, n), time=1.0, synthesis=synthesis)

    def kraus(self, tau: float, n: int, synthesis) -> list[np.ndarray]:
        """Kraus operators of the unit's channel on the n system qubits: the exact block's,
        embedded, or <a|U|0> over the ancillas' outcomes a of the synthesised collision."""
        if self.exact:
            q = self.blocks[0].qubits[0]
            return [np.kron(np.kron(np.eye(2 ** (n - 1 - q)), k), np.eye(2**q)) for k in self.blocks[0].kraus(tau)]
        u = formula_unitary(self.gate(tau, n, synthesis))
        d = 2**n
        return [u[a * d:(a + 1) * d, :d] for a in range(2 ** len(self.blocks))]

    def two_qubit_gates(self, n: int, order: int) -> int:
        """Two-qubit gates of one slot: the synthesised dilation, or the collision's product-formula step."""
        if self.exact:
            return int(dilation(self.blocks[0], 0.1).count_ops().get("cx", 0))
        return two_qubit_gates_per_step(self.interaction(1.0, n), order)

    def report(self) -> dict:
        return {"kind": self.blocks[0].kind, "qubits": sorted({q for b in self.blocks for q in b.qubits}),
                "jumps": ", ".join(b.labels for b in self.blocks), "ancillas": list(self.ancillas),
                "order": 2 if self.exact else 1}


def units(block_list: list[Block], first: int, mode: str) -> list[Unit]:
    """The slot's units with ancillas from circuit qubit ``first`` on, by ``mode`` (module doc):
    "parallel" and "channel" join all collision blocks in one collision, "sequential" runs
    them one by one through the shared register."""
    exact = [b for b in block_list if b.kind == "exact"]
    collisions = tuple(b for b in block_list if b.kind == "collision")
    if mode == "sequential":
        shared = tuple(range(first, first + max(b.ancillas_needed() for b in block_list))) if block_list else ()
        return [Unit((b,), shared[:b.ancillas_needed()]) for b in exact] + [Unit((b,), shared[:1]) for b in collisions]
    out, next_free = [], first
    for b in exact:
        m = 0 if mode == "channel" else b.ancillas_needed()
        out.append(Unit((b,), tuple(range(next_free, next_free + m))))
        next_free += m
    if collisions:
        out.append(Unit(collisions, () if mode == "channel" else tuple(range(next_free, next_free + len(collisions)))))
    return out


def ancilla_count(unit_list: list[Unit]) -> int:
    return len({a for u in unit_list for a in u.ancillas})


def dilation(block: Block, tau: float) -> QuantumCircuit:
    """Circuit on [qubit, ancilla_0, ...] (ancillas in |0>) whose ancilla-traced action is
    exp(tau D) of an exact block, synthesised to DILATION_BASIS."""
    kraus = block.kraus(tau)
    m = block.ancillas_needed()
    v = np.zeros((2 ** (m + 1), 2), complex)
    for a, k in enumerate(kraus):
        v[2 * a:2 * a + 2] = k  # |s> (x) |a>: the system qubit is the least significant
    qc = QuantumCircuit(m + 1)
    qc.append(Isometry(v, 0, 0), range(m + 1))
    return transpile(qc, basis_gates=list(DILATION_BASIS), optimization_level=2, seed_transpiler=0)


def _in_slot_order(unit_list: list, index: int) -> list:
    """Units in order in even slots, reversed in odd ones: non-commuting units then compose
    symmetrically over each pair of slots."""
    return unit_list if index % 2 == 0 else unit_list[::-1]


def slot_map(unit_list: list[Unit], n: int, synthesis):
    """(rho, tau, slot index) -> the units' channel applied to an n-qubit density matrix as
    the circuit applies it (collisions as synthesised: trotter.formula_unitary)."""
    cache: dict = {}

    def apply(rho: np.ndarray, tau: float, index: int) -> np.ndarray:
        for u in _in_slot_order(unit_list, index):
            key = (id(u), round(tau, 15))
            if key not in cache:
                cache[key] = u.kraus(tau, n, synthesis)
            rho = sum(k @ rho @ k.conj().T for k in cache[key])
        return rho
    return apply


class Pieces:
    """The dissipation part of a slot in a circuit: for each unit, a reset of its ancillas that
    were used since their last reset, then its dilation or collision (or Kraus channel); the
    pieces are cached per (unit, tau)."""

    def __init__(self, unit_list: list[Unit], n: int, synthesis, mode: str):
        self.units, self.n, self.synthesis, self.mode = unit_list, n, synthesis, mode
        self._cache: dict = {}

    def _piece(self, u: Unit, tau: float):
        key = (id(u), round(tau, 15))
        if key not in self._cache:
            if self.mode == "channel":
                kraus = u.blocks[0].kraus(tau) if u.exact else u.kraus(tau, self.n, self.synthesis)
                self._cache[key] = (Kraus(kraus), [u.blocks[0].qubits[0]] if u.exact else list(range(self.n)))
            elif u.exact:
                self._cache[key] = (dilation(u.blocks[0], tau), [u.blocks[0].qubits[0], *u.ancillas])
            else:
                self._cache[key] = (u.gate(tau, self.n, self.synthesis).definition, [*range(self.n), *u.ancillas])
        return self._cache[key]

    def apply(self, qc: QuantumCircuit, tau: float, dirty: set[int], index: int) -> None:
        """Append slot ``index``'s dissipation of duration tau to ``qc``; ``dirty``: ancillas to
        reset before their next use (updated)."""
        for u in _in_slot_order(self.units, index):
            piece, qubits = self._piece(u, tau)
            for a in sorted(dirty & set(u.ancillas)):
                qc.reset(a)
            dirty.difference_update(u.ancillas)
            if isinstance(piece, Kraus):
                qc.append(piece, qubits)
            else:
                qc.compose(piece, qubits=qubits, inplace=True)
            dirty.update(u.ancillas)
