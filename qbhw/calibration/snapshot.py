"""Calibration snapshots: the numbers of one device calibration, frozen and saved as JSON.

Units (internal and in the JSON files): seconds for every time (T1, T2, durations, dt,
rep delays), hertz for frequencies, probabilities for errors.  IBM reports microseconds
and nanoseconds; the conversion happens once, in :func:`snapshot_backend`.

A snapshot is taken from the public API shared by fake backends
(``qiskit_ibm_runtime.fake_provider``) and real ``IBMBackend`` objects:
``backend.properties()``, ``backend.configuration()`` and ``backend.target``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

__all__ = [
    "QubitCalibration",
    "GateCalibration",
    "CalibrationSnapshot",
    "snapshot_backend",
    "save",
    "load",
    "default_filename",
    "FORMAT",
]

#: Format tag written into every snapshot file.
FORMAT = "qbhw.calibration/1"
#: Significant digits kept for floats in snapshot files.
SIGNIFICANT_DIGITS = 5


@dataclass(frozen=True)
class QubitCalibration:
    """One physical qubit.

    ``t1``, ``t2``, ``readout_length`` in seconds, ``frequency`` in hertz (``None`` when the
    device does not report it); ``prob_meas1_prep0`` = P(read 1 | prepared 0),
    ``prob_meas0_prep1`` = P(read 0 | prepared 1), ``readout_error`` their reported average.
    ``operational`` is False for qubits the device marks faulty.  ``anharmonicity`` (f12 - f01)
    and ``drive_strength`` (Rabi rate per unit drive amplitude), in hertz, from the device's
    published Hamiltonian (Eagle backends carry one, Heron none: ``None``).
    """

    t1: float | None
    t2: float | None
    frequency: float | None
    readout_error: float
    prob_meas1_prep0: float
    prob_meas0_prep1: float
    readout_length: float | None
    operational: bool = True
    anharmonicity: float | None = None
    drive_strength: float | None = None


@dataclass(frozen=True)
class GateCalibration:
    """One gate on one tuple of physical qubits (1q gates, 2q gates on each coupler, reset).

    ``error`` is the reported gate error (1 - average gate fidelity), ``duration`` in seconds;
    either may be ``None`` when not reported.
    """

    name: str
    qubits: tuple[int, ...]
    error: float | None
    duration: float | None
    operational: bool = True


@dataclass(frozen=True)
class CalibrationSnapshot:
    """All calibration numbers of one device at one time (seconds, hertz; see module doc).

    ``date`` is the ISO-8601 time of the properties' last update; ``processor_family`` e.g.
    ``"Heron r2"``; ``coupling_map`` the directed edges the 2q basis gate is calibrated on;
    ``instructions`` every instruction name the target accepts (incl. ``measure``, ``delay``,
    control flow, ``measure_2`` where present); ``default_rep_delay`` and ``rep_delay_range``
    in seconds.
    """

    backend_name: str
    date: str
    processor_family: str
    num_qubits: int
    dt: float | None
    basis_gates: tuple[str, ...]
    instructions: tuple[str, ...]
    coupling_map: tuple[tuple[int, int], ...]
    qubits: tuple[QubitCalibration, ...]
    gates: tuple[GateCalibration, ...]
    default_rep_delay: float | None
    rep_delay_range: tuple[float, float] | None
    max_shots: int | None = None
    max_experiments: int | None = None

    def __post_init__(self):
        if len(self.qubits) != self.num_qubits:
            raise ValueError(
                f"qubits: expected {self.num_qubits} entries (num_qubits), got {len(self.qubits)}"
            )

    @property
    def two_qubit_gate(self) -> str:
        """Name of the calibrated 2q entangling gate (``cz``, ``ecr``, ``cx``)."""
        names = [g for g in self.basis_gates if g in ("cz", "ecr", "cx")]
        if not names:
            raise ValueError(f"basis_gates {self.basis_gates} contain no 2q gate (cz, ecr or cx)")
        return names[0]

    def gate(self, name: str, qubits) -> GateCalibration:
        """The calibration of gate ``name`` on ``qubits`` (KeyError naming both if absent)."""
        key = (name, tuple(int(q) for q in qubits))
        found = self._gate_index.get(key)
        if found is None:
            raise KeyError(f"no calibration for gate {name!r} on qubits {key[1]}")
        return found

    @cached_property
    def _gate_index(self) -> dict:
        return {(g.name, g.qubits): g for g in self.gates}

    def edge_error(self, a: int, b: int) -> float:
        """2q-gate error on the coupler {a, b} (smallest over the calibrated directions)."""
        name = self.two_qubit_gate
        errs = [
            g.error
            for key in ((a, b), (b, a))
            if (g := self._gate_index.get((name, key))) is not None and g.error is not None
        ]
        if not errs:
            raise KeyError(f"qubits ({a}, {b}) are not coupled by a calibrated {name}")
        return min(errs)

    def edge_duration(self, a: int, b: int) -> float:
        """2q-gate duration in seconds on the coupler {a, b} (longest calibrated direction)."""
        name = self.two_qubit_gate
        durs = [
            g.duration
            for key in ((a, b), (b, a))
            if (g := self._gate_index.get((name, key))) is not None and g.duration is not None
        ]
        if not durs:
            raise KeyError(f"qubits ({a}, {b}) are not coupled by a calibrated {name}")
        return max(durs)


# --------------------------------------------------------------------------- from a backend


def _optional(fn, *args):
    """``fn(*args)`` or None when the backend does not report that property."""
    try:
        value = fn(*args)
    except Exception:  # BackendPropertyError / KeyError for unreported entries
        return None
    return None if value is None else float(value)


def _family(configuration) -> str:
    ptype = getattr(configuration, "processor_type", None) or {}
    family = ptype.get("family", "unknown")
    revision = ptype.get("revision")
    return f"{family} r{revision}" if revision not in (None, "") else str(family)


def _hamiltonian_vars(configuration) -> dict:
    """The ``vars`` of a published Duffing Hamiltonian (angular GHz: wq{i}, delta{i}, omegad{i},
    jq{i}q{j}), or {} when the device publishes none."""
    hamiltonian = getattr(configuration, "hamiltonian", None)
    if not isinstance(hamiltonian, dict):
        return {}
    return {k: float(v) for k, v in (hamiltonian.get("vars") or {}).items() if isinstance(v, (int, float))}


def _hz(angular_ghz: float | None) -> float | None:
    return None if angular_ghz is None else angular_ghz * 1e9 / (2 * math.pi)


def snapshot_backend(backend) -> CalibrationSnapshot:
    """Freeze the calibration of ``backend`` (a fake backend or a real ``IBMBackend``).

    Reads ``backend.properties()`` (per-qubit and per-gate numbers, with IBM's asymmetric
    readout probabilities), ``backend.configuration()`` (basis gates, rep delays, family) and
    ``backend.target`` (accepted instructions), and the anharmonicity and drive strength of each
    qubit from ``configuration().hamiltonian`` where published.  All times are converted to seconds.
    """
    properties = backend.properties() if callable(getattr(backend, "properties", None)) else None
    if properties is None:
        raise ValueError(
            f"backend: {getattr(backend, 'name', backend)!r} has no calibration properties "
            "(need a fake backend or an IBMBackend)"
        )
    configuration = backend.configuration()
    target = backend.target
    num_qubits = int(backend.num_qubits)
    faulty = set(properties.faulty_qubits())
    hamiltonian = _hamiltonian_vars(configuration)
    qubits = []
    for q in range(num_qubits):
        p10 = _optional(lambda i: properties.qubit_property(i, "prob_meas1_prep0")[0], q)
        p01 = _optional(lambda i: properties.qubit_property(i, "prob_meas0_prep1")[0], q)
        ro = _optional(properties.readout_error, q)
        if p10 is None or p01 is None:  # only the average is reported: symmetric
            p10 = p01 = ro
        qubits.append(
            QubitCalibration(
                t1=_optional(properties.t1, q),
                t2=_optional(properties.t2, q),
                frequency=_optional(properties.frequency, q),
                readout_error=0.0 if ro is None else ro,
                prob_meas1_prep0=0.0 if p10 is None else p10,
                prob_meas0_prep1=0.0 if p01 is None else p01,
                readout_length=_optional(properties.readout_length, q),
                operational=q not in faulty,
                anharmonicity=_hz(hamiltonian.get(f"delta{q}")),
                drive_strength=_hz(hamiltonian.get(f"omegad{q}")),
            )
        )
    faulty_gates = {(g.gate, tuple(g.qubits)) for g in properties.faulty_gates()}
    gates = []
    for g in properties.gates:
        key = (g.gate, tuple(int(q) for q in g.qubits))
        gates.append(
            GateCalibration(
                name=g.gate,
                qubits=key[1],
                error=_optional(properties.gate_error, g.gate, list(key[1])),
                duration=_optional(properties.gate_length, g.gate, list(key[1])),
                operational=key not in faulty_gates,
            )
        )
    basis = tuple(configuration.basis_gates)
    two_q = [n for n in basis if n in ("cz", "ecr", "cx")]
    coupling = tuple(sorted({g.qubits for g in gates if g.name in two_q and len(g.qubits) == 2}))
    rep_range = getattr(configuration, "rep_delay_range", None)
    last_update = properties.last_update_date
    return CalibrationSnapshot(
        backend_name=str(backend.name),
        date=last_update.isoformat() if hasattr(last_update, "isoformat") else str(last_update),
        processor_family=_family(configuration),
        num_qubits=num_qubits,
        dt=None if getattr(backend, "dt", None) is None else float(backend.dt),
        basis_gates=basis,
        instructions=tuple(sorted(target.operation_names)),
        coupling_map=coupling,
        qubits=tuple(qubits),
        gates=tuple(gates),
        default_rep_delay=_optional(getattr, configuration, "default_rep_delay"),
        rep_delay_range=None if not rep_range else (float(rep_range[0]), float(rep_range[1])),
        max_shots=getattr(configuration, "max_shots", None),
        max_experiments=getattr(configuration, "max_experiments", None),
    )


# --------------------------------------------------------------------------- JSON


def _round(x: float | None) -> float | None:
    if x is None:
        return None
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


_QUBIT_FIELDS = (
    "t1",
    "t2",
    "frequency",
    "readout_error",
    "prob_meas1_prep0",
    "prob_meas0_prep1",
    "readout_length",
)
#: qubit columns written only when some qubit has them (older snapshots and Heron have none)
_OPTIONAL_QUBIT_FIELDS = ("anharmonicity", "drive_strength")


def to_dict(snapshot: CalibrationSnapshot) -> dict:
    """JSON-ready dict (column layout; floats rounded to 5 significant digits)."""
    qubit_cols = {f: [_round(getattr(q, f)) for q in snapshot.qubits] for f in _QUBIT_FIELDS}
    for f in _OPTIONAL_QUBIT_FIELDS:
        if any(getattr(q, f) is not None for q in snapshot.qubits):
            qubit_cols[f] = [_round(getattr(q, f)) for q in snapshot.qubits]
    qubit_cols["faulty"] = [i for i, q in enumerate(snapshot.qubits) if not q.operational]
    gates: dict[str, dict] = {}
    for g in snapshot.gates:
        col = gates.setdefault(g.name, {"qubits": [], "error": [], "duration": [], "faulty": []})
        if not g.operational:
            col["faulty"].append(len(col["qubits"]))
        col["qubits"].append(list(g.qubits))
        col["error"].append(_round(g.error))
        col["duration"].append(_round(g.duration))
    return {
        "format": FORMAT,
        "units": "seconds, hertz",
        "backend_name": snapshot.backend_name,
        "date": snapshot.date,
        "processor_family": snapshot.processor_family,
        "num_qubits": snapshot.num_qubits,
        "dt": snapshot.dt,
        "basis_gates": list(snapshot.basis_gates),
        "instructions": list(snapshot.instructions),
        "coupling_map": [list(e) for e in snapshot.coupling_map],
        "default_rep_delay": snapshot.default_rep_delay,
        "rep_delay_range": None if snapshot.rep_delay_range is None else list(snapshot.rep_delay_range),
        "max_shots": snapshot.max_shots,
        "max_experiments": snapshot.max_experiments,
        "qubits": qubit_cols,
        "gates": gates,
    }


def from_dict(data: dict, *, source: str = "snapshot") -> CalibrationSnapshot:
    """Inverse of :func:`to_dict`; malformed input raises ValueError naming ``source`` and the key."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{source}: not a qbhw calibration snapshot (format {found!r}, expected {FORMAT!r})")
    try:
        n = int(data["num_qubits"])
        cols = data["qubits"]
        present = _QUBIT_FIELDS + tuple(f for f in _OPTIONAL_QUBIT_FIELDS if f in cols)
        for f in present:
            if len(cols[f]) != n:
                raise ValueError(f"qubits.{f} has {len(cols[f])} entries, expected num_qubits = {n}")
        faulty = set(cols.get("faulty", []))
        qubits = tuple(
            QubitCalibration(**{f: cols[f][i] for f in present}, operational=i not in faulty)
            for i in range(n)
        )
        gates = []
        for name, col in data["gates"].items():
            bad = set(col.get("faulty", []))
            for j, (qs, err, dur) in enumerate(zip(col["qubits"], col["error"], col["duration"], strict=True)):
                gates.append(GateCalibration(name, tuple(int(q) for q in qs), err, dur, j not in bad))
        rep_range = data.get("rep_delay_range")
        return CalibrationSnapshot(
            backend_name=str(data["backend_name"]),
            date=str(data["date"]),
            processor_family=str(data["processor_family"]),
            num_qubits=n,
            dt=data["dt"],
            basis_gates=tuple(data["basis_gates"]),
            instructions=tuple(data["instructions"]),
            coupling_map=tuple(tuple(int(q) for q in e) for e in data["coupling_map"]),
            qubits=qubits,
            gates=tuple(gates),
            default_rep_delay=data.get("default_rep_delay"),
            rep_delay_range=None if rep_range is None else (float(rep_range[0]), float(rep_range[1])),
            max_shots=data.get("max_shots"),
            max_experiments=data.get("max_experiments"),
        )
    except KeyError as exc:
        raise ValueError(f"{source}: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: malformed snapshot ({exc})") from None


def default_filename(snapshot: CalibrationSnapshot) -> str:
    """``<backend>-<YYYY-MM-DD>.json``, the name used under ``calibrations/``."""
    return f"{snapshot.backend_name}-{snapshot.date[:10]}.json"


def save(snapshot: CalibrationSnapshot, path) -> Path:
    """Write ``snapshot`` as JSON to ``path`` (a file, or a directory: then
    :func:`default_filename` inside it), atomically (temporary file + ``os.replace``)."""
    path = Path(path)
    if path.is_dir():
        path = path / default_filename(snapshot)
    text = json.dumps(to_dict(snapshot), separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path) -> CalibrationSnapshot:
    """Read a snapshot written by :func:`save`; a missing or malformed file raises a
    one-line ValueError naming the path."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ValueError(f"calibration file {path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"calibration file {path} cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"calibration file {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return from_dict(data, source=f"calibration file {path}")


#: Snapshots shipped with qbhw (``calibrations/`` at the top of the source tree).
EMBEDDED_DIR = Path(__file__).resolve().parents[2] / "calibrations"


def search_dirs() -> tuple[Path, ...]:
    """Where snapshot names are looked up: ``./calibrations`` first, then the embedded ones."""
    local = Path.cwd() / "calibrations"
    return (local, EMBEDDED_DIR) if local.resolve() != EMBEDDED_DIR else (EMBEDDED_DIR,)


def available() -> list[Path]:
    """Every snapshot file in :func:`search_dirs` (a name found twice: the first one)."""
    seen: dict[str, Path] = {}
    for d in search_dirs():
        for p in sorted(d.glob("*.json")) if d.is_dir() else ():
            seen.setdefault(p.stem, p)
    return sorted(seen.values(), key=lambda p: p.stem)


def find(name) -> CalibrationSnapshot:
    """A snapshot by file path, by ``<backend>-<date>`` or by backend name alone (the newest
    date); a one-line ValueError listing what exists otherwise."""
    if isinstance(name, Path) or str(name).endswith(".json"):
        return load(name)
    files = available()
    exact = [p for p in files if p.stem == name]
    dated = sorted((p for p in files if p.stem.rsplit("-", 3)[0] == name), key=lambda p: p.stem)
    if exact or dated:
        return load((exact or dated)[-1])
    names = ", ".join(p.stem for p in files) or "none"
    raise ValueError(f"calibration {name!r} not found in {', '.join(map(str, search_dirs()))} (available: {names}); "
                     "`qbhw calibrations pull BACKEND` writes one")


FRACTIONAL_RZZ_MAX = 1.5707963267948966  # pi/2: RZZ(theta) is calibrated for 0 < theta <= pi/2


def with_fractional_gates(snapshot: CalibrationSnapshot) -> CalibrationSnapshot:
    """``snapshot`` with IBM's fractional gates in its basis, as a backend opened with
    ``use_fractional_gates=True`` offers them (Heron only): RZZ(theta), 0 < theta <= pi/2, on the
    couplers of the two-qubit basis gate and RX(theta) on every qubit.  Their reported
    calibrations are used where the snapshot has them (Fez 2025-02-26 reports RZZ errors of
    its own, within ~20 % of CZ's, and 1.0 on faulty couplers: those RZZ gates are marked not
    operational, so the transpiler keeps CZ there); missing ones copy that coupler's CZ and
    that qubit's SX, as IBM's own reports do."""
    if not snapshot.processor_family.startswith("Heron"):
        raise ValueError(f"fractional gates: {snapshot.backend_name} is a {snapshot.processor_family or 'non-Heron'} "
                         "processor; IBM offers RZZ/RX fractional gates on Heron devices only")
    if "rzz" in snapshot.basis_gates:
        return snapshot
    reported = {(g.name, g.qubits) for g in snapshot.gates}
    copies = tuple(replace(g, name=new) for g in snapshot.gates
                   for base, new in (("cz", "rzz"), ("sx", "rx")) if g.name == base and (new, g.qubits) not in reported)
    gates = tuple(replace(g, operational=False) if g.name == "rzz" and (g.error or 0.0) >= 0.5 else g
                  for g in snapshot.gates + copies)
    return replace(snapshot, basis_gates=snapshot.basis_gates + ("rzz", "rx"),
                   instructions=snapshot.instructions + ("rzz", "rx"), gates=gates)


FRACTIONAL_GATES = ("rzz", "rx")


def without_fractional_gates(snapshot: CalibrationSnapshot) -> CalibrationSnapshot:
    """``snapshot`` compiling to its plain gate set: the fractional RZZ/RX left out of its basis
    and instructions (their calibrations stay for :func:`with_fractional_gates`); unchanged
    when it has none."""
    if not set(FRACTIONAL_GATES) & set(snapshot.basis_gates + snapshot.instructions):
        return snapshot
    return replace(snapshot, basis_gates=tuple(g for g in snapshot.basis_gates if g not in FRACTIONAL_GATES),
                   instructions=tuple(g for g in snapshot.instructions if g not in FRACTIONAL_GATES))
