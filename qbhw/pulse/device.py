"""Transmon device models for the pulse path: N Duffing oscillators with d >= 2 levels.

In the frame of each transmon's own 0-1 frequency (drives resonant with it, rotating-wave
approximation), in model units (hbar = 1, times in 1/omega_B of the battery model):

    H = sum_q (alpha_q / 2) n_q (n_q - 1)                          Duffing anharmonicity
      + sum_(i, j) g_ij (a_i^dag a_j + a_j^dag a_i)                 effective exchange
      + sum_q Omega_q(t) [cos phi_q(t) (a_q + a_q^dag) + sin phi_q(t) i (a_q - a_q^dag)]
    T1:  L = a_q / sqrt(T1)        (|k> -> |k-1> at rate k / T1)
    T2:  L = n_q sqrt(2 / T_phi),  1/T_phi = 1/T2 - 1/(2 T1)   (level k's frequency noise grows
                                   like k: coherence |j><k| decays at (j - k)^2 / T_phi)

Exchange: the charging models need a RESONANT exchange g between qubits whose frequencies
differ on a device (Eagle's fixed couplings, ~2 MHz, join detuned qubits).  It is modelled as
the effective coupling of a tunable coupler (or a parametric drive at the detuning): a static
g_ij in the doubly rotating frame; the coupler's own levels and its residual ZZ are left out.

Drive crosstalk: transmon i also sees the signal s_j(t) of drive line j (the line of
transmon j, carrier at f_j) with the complex amplitude C_ij (``DeviceModel.crosstalk``; C_jj = 1,
the identity means none), so its drive term is

    sum_j Re/Im[C_ij e^{i (omega_j - omega_i) t} s_j(t)] on (a_i + a_i^dag) / i (a_i - a_i^dag),

s_j = s_I + i s_Q the line's complex envelope: in transmon i's frame the crosstalk tone is
detuned by f_j - f_i (equal frequencies: resonant).  Snapshots publish no crosstalk; the typical
value :data:`TYPICAL` ["crosstalk"] = 0.02 (2 % in amplitude, between nearest neighbours, i.e.
transmons joined by a coupling) is a documented typical value of the 1-5 % range of
fixed-frequency transmon chips, not a measured number of any device; crosstalk is off unless
asked for (:func:`with_crosstalk`).

Physical scale: the battery models fix ratios only (g : F : gamma_C).  :class:`Scale` maps
them to device units with one stated number, the exchange coupling in hertz (default
g = 2 pi x 5 MHz); every rate in 1/s becomes rate / Scale.unit in model units, and model time
t is t * 1e9 / Scale.unit nanoseconds.

Parameters: T1, T2, f01 and the anharmonicity from a calibration snapshot where present (the
anharmonicity from the published Hamiltonian: Eagle backends carry one, Heron none), otherwise
from :data:`TYPICAL`; :attr:`Transmon.sources` says which is which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError
from ..models.operators import embed, lowering, number

#: documented typical transmon values (IBM Eagle r3 Hamiltonians: median anharmonicity -0.31 GHz,
#: f01 4.6-4.9 GHz; ecosystem notes §8), used where the snapshot gives none
#: typical nearest-neighbour drive crosstalk amplitude (module doc; no snapshot publishes one)
TYPICAL = {"anharmonicity": -0.31e9, "frequency": 4.8e9, "crosstalk": 0.02}
DEFAULT_EXCHANGE_HZ = 5e6


@dataclass(frozen=True)
class Scale:
    """Model units <-> device units: the model's exchange ``g_model`` is ``g_hz`` hertz
    (angular 2 pi g_hz).  ``unit``: the model's unit of angular frequency in rad/s."""

    g_model: float
    g_hz: float = DEFAULT_EXCHANGE_HZ

    @property
    def unit(self) -> float:
        return 2 * math.pi * self.g_hz / self.g_model

    def rate(self, per_second: float) -> float:
        """A rate in 1/s (or an angular frequency in rad/s) in model units."""
        return per_second / self.unit

    def angular(self, hz: float) -> float:
        """A frequency in Hz as an angular frequency in model units."""
        return 2 * math.pi * hz / self.unit

    def nanoseconds(self, model_time):
        """Model time (1/omega_B) in ns."""
        return np.asarray(model_time, dtype=float) * 1e9 / self.unit


@dataclass(frozen=True)
class Transmon:
    """One transmon: f01 and anharmonicity in Hz, T1/T2 in s (None: no such channel);
    ``sources`` maps each parameter to where it came from ("snapshot <name> qubit q", "typical",
    "model": set by the battery model, "off": switched off)."""

    frequency: float
    anharmonicity: float
    t1: float | None = None
    t2: float | None = None
    sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeviceModel:
    """``transmons`` with ``levels`` levels each, effective exchange ``couplings`` (i, j, Hz)
    and the :class:`Scale`.  Subsystem q is transmon q (rightmost tensor factor = 0).
    ``crosstalk``: the drive-line matrix C (rows of complex amplitudes, C[i][j] = line j seen
    by transmon i, unit diagonal; () = identity, none) and ``crosstalk_source`` where it came
    from (module doc)."""

    transmons: tuple[Transmon, ...]
    levels: int
    couplings: tuple[tuple[int, int, float], ...]
    scale: Scale
    crosstalk: tuple[tuple[complex, ...], ...] = ()
    crosstalk_source: str = "off"

    def __post_init__(self):
        if self.levels < 2:
            raise ValueError(f"levels must be >= 2, got {self.levels}")
        if self.crosstalk:
            c = np.asarray(self.crosstalk, dtype=complex)
            n = len(self.transmons)
            if c.shape != (n, n) or np.any(np.diag(c) != 1):
                raise ValueError(f"crosstalk must be {n} x {n} with a unit diagonal (C_jj = 1: a line drives its own "
                                 f"transmon at its own amplitude), got {c.tolist()}")

    def crosstalk_matrix(self) -> np.ndarray:
        """C (N, N) complex (identity without crosstalk)."""
        return np.asarray(self.crosstalk, dtype=complex) if self.crosstalk else np.eye(len(self.transmons), dtype=complex)

    def line_crosstalk(self, line: int) -> list[tuple[int, complex, float]]:
        """(transmon i, C_i,line, detuning omega_line - omega_i in angular model units) of every
        OTHER transmon that sees drive line ``line``."""
        c = self.crosstalk_matrix()[:, line]
        f = self.transmons[line].frequency
        return [(i, complex(c[i]), self.scale.angular(f - t.frequency))
                for i, t in enumerate(self.transmons) if i != line and c[i] != 0]

    @property
    def dims(self) -> tuple[int, ...]:
        return (self.levels,) * len(self.transmons)

    def lowering(self, q: int) -> np.ndarray:
        return embed(lowering(self.levels), q, self.dims)

    def number(self, q: int) -> np.ndarray:
        return embed(number(self.levels), q, self.dims)

    def static_hamiltonian(self) -> np.ndarray:
        """Anharmonicities + exchange, model units (module doc)."""
        h = np.zeros((math.prod(self.dims),) * 2, dtype=complex)
        for q, t in enumerate(self.transmons):
            n = self.number(q)
            h += 0.5 * self.scale.angular(t.anharmonicity) * n @ (n - np.eye(n.shape[0]))
        for i, j, g_hz in self.couplings:
            a_i, a_j = self.lowering(i), self.lowering(j)
            h += self.scale.angular(g_hz) * (a_i.conj().T @ a_j + a_j.conj().T @ a_i)
        return h

    def drive_quadratures(self, q: int) -> tuple[np.ndarray, np.ndarray]:
        """(a + a^dag, i (a - a^dag)) of transmon q: the in-phase and quadrature drive operators."""
        a = self.lowering(q)
        return a + a.conj().T, 1j * (a - a.conj().T)

    def dissipators(self) -> list[np.ndarray]:
        """sqrt(rate) L of every T1 and T2 channel (module doc), model units."""
        out = []
        for q, t in enumerate(self.transmons):
            if t.t1:
                out.append(math.sqrt(self.scale.rate(1 / t.t1)) * self.lowering(q))
            if t.t2:
                rate_phi = 1 / t.t2 - (0.5 / t.t1 if t.t1 else 0.0)
                if rate_phi > 0:
                    out.append(math.sqrt(2 * self.scale.rate(rate_phi)) * self.number(q))
        return out

    def parameters(self) -> dict:
        """Every parameter in device units with its source (for results)."""
        c = self.crosstalk_matrix()
        return {"levels": self.levels, "g_hz": self.scale.g_hz, "ns_per_model_time": float(self.scale.nanoseconds(1.0)),
                "couplings_hz": [list(c) for c in self.couplings],
                "crosstalk": {"amplitude": np.abs(c).tolist(), "phase_rad": np.angle(c).tolist(),
                              "source": self.crosstalk_source},
                "exchange": "resonant effective exchange of a tunable coupler (coupler levels, ZZ not modelled)",
                "transmons": [{"frequency_hz": t.frequency, "anharmonicity_hz": t.anharmonicity, "t1_s": t.t1,
                               "t2_s": t.t2, "sources": dict(t.sources)} for t in self.transmons]}


def with_crosstalk(device: DeviceModel, amplitude: float, source: str | None = None) -> DeviceModel:
    """``device`` with a uniform nearest-neighbour drive crosstalk: C_ij = C_ji = ``amplitude``
    (real, >= 0) for every coupled pair (i, j), 0 between uncoupled transmons, C_jj = 1; 0 switches
    it off.  ``source`` defaults to "given" ("typical" at :data:`TYPICAL` ["crosstalk"])."""
    if isinstance(amplitude, bool) or not isinstance(amplitude, (int, float)) or not 0 <= amplitude < 1:
        raise InputError("crosstalk", f"a drive crosstalk amplitude is a number in [0, 1) (a fraction of the line's own "
                                      f"amplitude; typical {TYPICAL['crosstalk']}), got {amplitude!r}")
    if amplitude == 0:
        return replace(device, crosstalk=(), crosstalk_source="off")
    c = np.eye(len(device.transmons), dtype=complex)
    for i, j, _ in device.couplings:
        c[i, j] = c[j, i] = amplitude
    kind = source or ("typical" if amplitude == TYPICAL["crosstalk"] else "given")
    return replace(device, crosstalk=tuple(tuple(complex(x) for x in row) for row in c),
                   crosstalk_source=f"{kind}: uniform nearest-neighbour amplitude {amplitude:g} (no snapshot publishes "
                                    "drive crosstalk)")


def typical_transmon(*, anharmonicity: float = TYPICAL["anharmonicity"], t1=None, t2=None) -> Transmon:
    """A transmon of :data:`TYPICAL` values (no decoherence unless t1/t2 are given)."""
    source = lambda v: "given" if v is not None else "off"
    return Transmon(TYPICAL["frequency"], anharmonicity, t1, t2,
                    (("frequency", "typical"), ("anharmonicity", "typical" if anharmonicity == TYPICAL["anharmonicity"]
                                                else "given"), ("t1", source(t1)), ("t2", source(t2))))


def snapshot_transmon(snapshot, qubit: int) -> Transmon:
    """Transmon ``qubit`` of a calibration snapshot: f01, T1, T2 (capped at 2 T1) and the
    anharmonicity (of the published Hamiltonian) from it where present, else typical (module doc)."""
    c = snapshot.qubits[qubit]
    where = f"snapshot {snapshot.backend_name} {snapshot.date} qubit {qubit}"
    t2 = min(c.t2, 2 * c.t1) if c.t2 and c.t1 else c.t2
    return Transmon(c.frequency or TYPICAL["frequency"], c.anharmonicity or TYPICAL["anharmonicity"], c.t1, t2,
                    (("frequency", where if c.frequency else "typical"),
                     ("anharmonicity", f"{where} (published Hamiltonian)" if c.anharmonicity else "typical"),
                     ("t1", where if c.t1 else "off"), ("t2", where if c.t2 else "off")))


def pair_device(g_model: float, *, levels: int = 2, transmons: tuple[Transmon, Transmon] | None = None,
                g_hz: float = DEFAULT_EXCHANGE_HZ) -> DeviceModel:
    """Charger (0) and battery (1) transmons joined by an effective exchange g = ``g_hz``,
    which is the model's ``g_model`` (:class:`Scale`)."""
    pair = transmons or (typical_transmon(), typical_transmon())
    return DeviceModel(tuple(pair), levels, ((0, 1, g_hz),), Scale(g_model, g_hz))


def star_device(n_batteries: int, g_model: float, *, levels: int = 2, transmons: tuple[Transmon, ...] | None = None,
                g_hz: float = DEFAULT_EXCHANGE_HZ) -> DeviceModel:
    """A degree-``n_batteries`` node: the charger (0) joined to each battery transmon 1..N by
    the same effective exchange g = ``g_hz`` (the model's ``g_model``)."""
    node = transmons or (typical_transmon(),) * (n_batteries + 1)
    if len(node) != n_batteries + 1:
        raise ValueError(f"a star of {n_batteries} batteries needs {n_batteries + 1} transmons, got {len(node)}")
    return DeviceModel(tuple(node), levels, tuple((0, b, g_hz) for b in range(1, n_batteries + 1)), Scale(g_model, g_hz))
