"""The "pulse" target: a compiled :class:`qbhw.compile.Program`'s tomography PUBs answered by
the pulse-level simulation of the same model, measured the way a device measures.

For every PUB (time, Pauli basis of the battery): the battery's state at that time from the
pulse simulation (:mod:`.program`), the basis rotation applied on its {0, 1} levels (ideal
rotation pulses; a leaked level is left alone), the discriminator reading |2> (and above) as
``leaked_as`` (1 by default, as IBM's mostly does), the snapshot's readout assignment of the
battery's qubit when a calibration is given, then ``shots`` per row sampled.  A PUB with M
parameter rows (the circuits' M dephasing realizations) gets M pulse realizations, row r from
realization r, so the bootstrap over realizations works as for circuits.  Every time point
has its own M realizations (a measured trajectory does not go on; sharing them across times
correlated the errors of all times: 12 of 21 intervals covered in one run), the bases of one
time share them, as the circuits' do.

Which pulse dephasing realises the program's: "kicks" -> physical charger Z kicks ("kicks",
M realizations), "channel" and "weak" (deterministic channels) -> the Lindblad term, "none"
-> none; "flips" and "mcm" are refused.  ``crosstalk``: the charger's drive line also reaches the
battery transmon (:mod:`.device`).  Device: typical transmons without T1/T2 when no
calibration is given; else the snapshot's f01, T1, T2 (anharmonicity typical) of ``qubits``
(default: the snapshot's best pair for the run's duration).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..tomography.linear import PAULI
from .device import pair_device, snapshot_transmon, with_crosstalk
from .program import simulate, tls_pair_program

PULSE_DEPHASING = {"kicks": "kicks", "channel": "lindblad", "weak": "lindblad", "none": "none"}


def basis_probabilities(block: np.ndarray, basis: str, leaked_as: int = 1) -> np.ndarray:
    """(..., 2) probabilities of reading 0 / 1 in Pauli ``basis`` ("X", "Y" or "Z") from the
    battery's {0, 1} block (..., 2, 2) (trace 1 - leakage); the leaked population is read as
    ``leaked_as``."""
    if leaked_as not in (0, 1):
        raise InputError("leaked_as", f"a leaked level is read as 0 or 1, got {leaked_as!r}")
    inside = np.real(np.trace(block, axis1=-2, axis2=-1))
    signed = np.real(np.einsum("...ij,ji->...", block, PAULI[basis]))
    p = np.stack([(inside + signed) / 2, (inside - signed) / 2], axis=-1)
    p[..., leaked_as] += 1.0 - inside
    return np.clip(p, 0.0, 1.0) / np.clip(p, 0.0, 1.0).sum(axis=-1, keepdims=True)


def _rows(qc, values) -> int:
    return np.asarray(values).size // qc.num_parameters if values is not None and qc.num_parameters else 1


def _device(model, program, snapshot, qubits, levels):
    if snapshot is None:
        if qubits is not None:
            raise InputError("qubits", "the pulse target places qubits only on a calibration (give backend)")
        return pair_device(model.params["g"], levels=levels), None, None
    if qubits is None:
        from ..calibration import select_pair

        seconds = float(pair_device(model.params["g"]).scale.nanoseconds(program.times[-1])) * 1e-9
        choice = select_pair(snapshot, duration=max(seconds, 1e-9), two_qubit_gates=1)
        qubits, reason = choice.qubits, choice.reason
    else:
        qubits, reason = tuple(int(q) for q in qubits), "given by the user"
    if len(qubits) != 2:
        raise InputError("qubits", f"the TLS pair needs 2 qubits (charger, battery), got {list(qubits)}")
    pair = tuple(snapshot_transmon(snapshot, q) for q in qubits)
    return pair_device(model.params["g"], levels=levels, transmons=pair), qubits, reason


def run_pulse(program, *, shots: int, seed: int | None = None, backend=None, qubits=None, levels: int = 2,
              leaked_as: int = 1, crosstalk: float = 0.0, kick_interval: float = 0.25, progress=None, worker=None):
    """Counts for every PUB of ``program`` from the pulse simulation (module doc) as an
    :class:`qbhw.execute.ExecutionResult`; its metadata carries the true leakage per time and
    the pulse parameters.  backend: a calibration snapshot (name, file or object) or None;
    levels: transmon levels kept (3: leakage, read as ``leaked_as``); crosstalk: uniform
    nearest-neighbour drive crosstalk amplitude (:func:`.device.with_crosstalk`; 0: none; typical
    0.02): the battery also sees the charger's drive, detuned by f_C - f_B."""
    from ..calibration import CalibrationSnapshot, find
    from ..execute.result import ExecutionResult
    from ..execute.targets import shots_metadata, shots_per_pub

    method = PULSE_DEPHASING.get(program.dephasing)
    if method is None:
        raise InputError("dephasing", f"the pulse target realises charger dephasing as kicks or as the Lindblad term "
                                      f"(dephasing 'kicks', 'channel', 'weak' or 'none'), not {program.dephasing!r}")
    snapshot = backend if isinstance(backend, CalibrationSnapshot) or backend is None else find(backend)
    model = program.model
    device, placed, reason = _device(model, program, snapshot, qubits, levels)
    device = with_crosstalk(device, crosstalk)
    m = program.realizations if method == "kicks" else 1
    rng = np.random.default_rng(seed)
    pulses = tls_pair_program(model, program.times, device=device, dephasing=method,
                              realizations=m * program.times.size if m > 1 else 1,
                              kick_interval=kick_interval, seed=int(rng.integers(2**63)))
    states = simulate(pulses, worker)
    assignment = np.eye(2)
    if snapshot is not None:
        c = snapshot.qubits[placed[1]]
        assignment = np.array([[1 - c.prob_meas1_prep0, c.prob_meas0_prep1], [c.prob_meas1_prep0, 1 - c.prob_meas0_prep1]])
    per = shots_per_pub(program, shots)
    counts = []
    for i, ((qc, values, *_), info) in enumerate(zip(program.pubs, program.info, strict=True)):
        rows = _rows(qc, values)
        t = info.time_index
        blocks = (states.realization_states[t * m:(t + 1) * m, t] if rows == m and m > 1
                  else states.battery_states[t][None].repeat(rows, axis=0))
        p = basis_probabilities(blocks, info.basis, leaked_as) @ assignment.T
        counts.append(np.array([rng.multinomial(per[i], row / row.sum()) for row in p], dtype=np.int64))
        if progress:
            progress(i + 1, len(program.pubs))
    meta = {"target": "pulse", "backend": "qiskit-dynamics pulse simulation" if snapshot is None
            else f"qiskit-dynamics pulse simulation of {snapshot.backend_name}",
            "calibration_date": None if snapshot is None else snapshot.date,
            "qubits": None if placed is None else list(placed), "qubit_reason": reason, "seed": seed,
            **shots_metadata(program, shots, per), "realizations": m,
            "leakage": states.leakage.tolist(), "leaked_read_as": leaked_as,
            "readout_assignment": assignment.tolist(),
            "pulse": {k: v for k, v in pulses.parameters.items()} | {"operators": list(pulses.labels),
                                                                     "solve_seconds": float(states.seconds.sum())}}
    return ExecutionResult(counts, meta)
