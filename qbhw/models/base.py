"""The model as data: Hamiltonian pieces, drives, jumps, partition, H_B and initial state.

All operators are dense matrices on the full space, ordered as in ``operators`` (subsystem 0
rightmost).  Units: hbar = 1, energies and rates in units of omega_B unless a model says
otherwise.

    H(t)  = h0 + sum_k (A_k e^{-i w_k t} + A_k^dag e^{+i w_k t})          (drives)
    drho/dt = -i[H(t), rho] + sum_j r_j (L_j rho L_j^dag - 1/2 {L_j^dag L_j, rho})

The dissipator is the standard one with rate r_j; the lecture's (gamma/2)(2 L rho L - {L^2, rho})
for Hermitian L is the same thing with r = gamma.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType

import numpy as np

from .operators import embed, partial_trace

ROLES = ("charger", "battery", "ancilla")
KINDS = ("qubit", "oscillator", "collective", "levels")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=complex)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Subsystem:
    """One tensor factor: a qubit/TLS (dim 2), a truncated oscillator (dim n_max + 1), N
    symmetric spins (dim N + 1) or a d-level system (e.g. a single-excitation ring)."""

    name: str
    role: str
    dim: int
    kind: str  # "qubit" | "oscillator" | "collective" (N spins in their symmetric j = N/2 sector)
    #            | "levels" (d levels with no ladder: binary-encoded like an oscillator, never truncated)
    frequency: float  # bare transition frequency omega (H_local = omega * number)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


@dataclass(frozen=True, eq=False)
class Drive:
    """A coherent drive term A e^{-i w t} + h.c. (A on the full space, w = frequency)."""

    operator: np.ndarray
    frequency: float

    def __post_init__(self):
        object.__setattr__(self, "operator", _frozen(self.operator))


@dataclass(frozen=True, eq=False)
class Jump:
    """A Lindblad channel r (L rho L^dag - 1/2 {L^dag L, rho}) with L on the full space."""

    operator: np.ndarray
    rate: float
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "operator", _frozen(self.operator))


@dataclass(frozen=True, eq=False)
class Model:
    """A charger/battery model: everything the references and the compiler need.

    ``h0`` is the static lab-frame Hamiltonian, ``number_operator`` the total excitation
    number N used for the rotating frame U = exp(i w_d N t) (see ``rotating_frame``).
    ``h_battery`` acts on the battery subsystems only (ordered like the model, lowest
    index rightmost) with ground energy 0.  ``battery_levels`` = (energies, multiplicities)
    is the spectrum of the FULL battery Hamiltonian when the model stores the battery in a
    reduced (e.g. permutation-symmetric) representation: ergotropy is then computed over
    that full spectrum, degeneracies included (DESIGN.md).  ``params`` records the
    constructor arguments.

    ``recharge_times`` are protocol events (units 1/omega_B, increasing, > 0): at each, the
    charger subsystems are traced out and re-prepared in their initial reduced state
    Tr_rest rho0 (``recharged``), e.g. the NMR chargers re-inverted to |1> (on circuits: reset
    + X).  A state at time t has undergone the events strictly before t.  Only undriven
    models take events (the lab-frame generator is then the same in every interval).
    """

    name: str
    subsystems: tuple[Subsystem, ...]
    h0: np.ndarray
    drives: tuple[Drive, ...]
    jumps: tuple[Jump, ...]
    h_battery: np.ndarray
    h_charger: np.ndarray
    rho0: np.ndarray
    number_operator: np.ndarray
    params: Mapping = field(default_factory=dict)
    battery_levels: tuple[np.ndarray, np.ndarray] | None = None
    recharge_times: tuple[float, ...] = ()

    def __post_init__(self):
        for name in ("h0", "h_battery", "h_charger", "rho0", "number_operator"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        d = self.dimension
        for name in ("h0", "rho0", "number_operator"):
            if getattr(self, name).shape != (d, d):
                raise ValueError(f"{name} must be {d}x{d} for subsystems {self.dims}")
        db = math.prod(self.dims[k] for k in self.battery)
        if self.h_battery.shape != (db, db):
            raise ValueError(f"h_battery must be {db}x{db} (battery subsystems {self.battery})")
        events = tuple(float(t) for t in self.recharge_times)
        object.__setattr__(self, "recharge_times", events)
        if events:
            if not all(math.isfinite(t) and t > 0 for t in events) or any(b <= a for a, b in pairwise(events)):
                raise ValueError(f"recharge_times must be finite, > 0 and increasing, got {events}")
            if self.drives or not self.charger:
                raise ValueError("recharge_times need an undriven model with charger subsystems")

    def recharged(self, rho: np.ndarray) -> np.ndarray:
        """``rho`` (D x D) with the chargers traced out and replaced by their initial reduced
        state: Tr_C rho (x) Tr_rest rho0, factors in the model's subsystem order."""
        n, dims = len(self.dims), self.dims
        rest = tuple(k for k in range(n) if k not in self.charger)
        joint = np.kron(self.reduce(self.rho0, "charger"), partial_trace(rho, rest, dims))
        # joint's axes, most significant first: chargers (highest index first), then the rest
        axes = list(reversed(self.charger)) + list(reversed(rest))
        t = joint.reshape(*[dims[k] for k in axes], *[dims[k] for k in axes])
        target = list(reversed(range(n)))  # the model's axes: subsystem n-1 first
        perm = [axes.index(k) for k in target]
        t = t.transpose(*perm, *[n + p for p in perm])
        return t.reshape(self.dimension, self.dimension)

    # --- partition -------------------------------------------------------------------
    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(s.dim for s in self.subsystems)

    @property
    def dimension(self) -> int:
        return math.prod(self.dims)

    def indices(self, role: str) -> tuple[int, ...]:
        return tuple(k for k, s in enumerate(self.subsystems) if s.role == role)

    @property
    def battery(self) -> tuple[int, ...]:
        return self.indices("battery")

    @property
    def charger(self) -> tuple[int, ...]:
        return self.indices("charger")

    def reduce(self, rho: np.ndarray, role: str) -> np.ndarray:
        """Reduced state(s) of the subsystems with ``role`` (works on stacks (..., D, D))."""
        return partial_trace(rho, self.indices(role), self.dims)

    @property
    def is_qubits(self) -> bool:
        return all(s.dim == 2 for s in self.subsystems)

    def local(self, op: np.ndarray, index: int) -> np.ndarray:
        """A local operator on subsystem ``index`` embedded in the full space."""
        return embed(op, index, self.dims)

    # --- frames ----------------------------------------------------------------------
    @property
    def drive_frequency(self) -> float | None:
        freqs = {float(d.frequency) for d in self.drives}
        return freqs.pop() if len(freqs) == 1 else None

    def rotating_frame(self, atol: float = 1e-12) -> np.ndarray | None:
        """Time-independent Hamiltonian in the frame U = exp(i w_d N t), or None.

        The frame removes the time dependence exactly (no RWA) when [N, h0] = 0, every drive
        has the same frequency w_d and raises N by one ([N, A] = A), and every jump operator
        only picks up a phase ([N, L] = c L).  Then H_rot = h0 - w_d N + sum_k (A_k + A_k^dag).
        A model without drives is already time independent: its frame is the lab frame.
        """
        if not self.drives:
            return None
        w = self.drive_frequency
        if w is None:
            return None
        n = np.real(np.diag(self.number_operator))
        if np.abs(self.number_operator - np.diag(n)).max() > atol:
            raise ValueError("number_operator must be diagonal in the model basis")
        bohr = n[:, None] - n[None, :]  # [N, A]_ij = (n_i - n_j) A_ij

        def commutator(a):
            return bohr * a

        scale = max(1.0, np.abs(self.h0).max())
        if np.abs(commutator(self.h0)).max() > atol * scale:
            return None
        for d in self.drives:
            a = d.operator
            if np.abs(commutator(a) - a).max() > atol * max(1.0, np.abs(a).max()):
                return None
        for j in self.jumps:
            c = -commutator(j.operator)  # L N - N L = -c L must be a multiple of L
            nz = np.abs(j.operator) > 1e-14
            if nz.any():
                ratio = c[nz] / j.operator[nz]
                if np.abs(ratio - ratio.flat[0]).max() > 1e-9 or np.abs(c[~nz]).max(initial=0) > 1e-12:
                    return None
        drive = sum(d.operator + d.operator.conj().T for d in self.drives)
        return self.h0 - w * np.asarray(self.number_operator) + drive

    def hamiltonian(self, t: float) -> np.ndarray:
        """Lab-frame H(t)."""
        h = np.array(self.h0)
        for d in self.drives:
            term = d.operator * np.exp(-1j * d.frequency * t)
            h = h + term + term.conj().T
        return h

    # --- qubit form ------------------------------------------------------------------
    def pauli(self, op: np.ndarray):
        """``SparsePauliOp`` of a full-space operator; qubit k of Qiskit is subsystem k."""
        if not self.is_qubits:
            raise ValueError(
                f"model {self.name!r} has non-qubit subsystems {self.dims}; "
                "use a qubit encoding from qbhw.compile for oscillators"
            )
        from qiskit.quantum_info import SparsePauliOp

        return SparsePauliOp.from_operator(np.asarray(op)).simplify(atol=1e-12)

    def pauli_rotating_hamiltonian(self):
        """The rotating-frame Hamiltonian as a ``SparsePauliOp`` (None when no frame exists)."""
        h = self.rotating_frame()
        return None if h is None else self.pauli(h)
