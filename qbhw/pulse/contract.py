"""The data contract between qbhw and the pulse worker (``worker.py`` in ``.venv-pulse``).

Standalone on purpose: numpy only, no qbhw import, so the worker (qiskit 1.3 +
qiskit-dynamics 0.6, which cannot live beside qiskit 2.x) loads this file by path.

One message is one ``numpy.savez`` archive, framed on the pipe by an 8-byte little-endian
length.  Every message carries ``version`` (= VERSION); a reader refuses any other value.

Request (units: the model's, hbar = 1; times and 1/energies in the same unit):
    version            int
    static_hamiltonian (D, D) complex   H_0, already in the frame the envelopes are written in
    operators          (K, D, D) complex Hermitian O_k:  H(t) = H_0 + sum_k s_k(t) O_k,
                                    s_k(t) = e_k(t) cos(nu_k t + phi_k)
    envelope_kind      "samples" | "analytic"
    envelopes          e_k: "samples":  (B, K, S) float, e_k piecewise constant on [j dt, (j+1) dt)
                                   (qiskit-dynamics ``DiscreteSignal``; zero after S dt)
                       "analytic": (B, K, 4) float, per k (amplitude, start, stop, rise) of
                                   :func:`square_rise` (flat top, cos^2 ramps of length rise)
    carriers           (K, 2) float, per k (nu_k angular frequency, phi_k phase in rad), the same
                                    for every row; (0, 0): no carrier (a detuned tone, e.g. drive
                                    crosstalk seen in another transmon's frame, has nu_k != 0)
    dt                 float        sample width of "samples" envelopes
    method             "odeint" | "expm": JAX odeint (Dormand-Prince, adaptive) with rtol, atol
                                    and max_dt; or one matrix exponential per sample, exact for
                                    piecewise-constant H ("samples" only, carriers of frequency
                                    0, every time a multiple of dt; rtol, atol, max_dt unused)
    dissipators        (J, D, D) complex  sqrt(rate_j) L_j: drho/dt += L rho L^dag - {L^dag L, rho}/2
    y0                 (D,) ket (only when J = 0) or (D, D) density matrix
    times              (T,) float, increasing, times[0] >= 0: the state is returned at each
    rtol, atol         float        integrator tolerances (JAX odeint, Dormand-Prince)
    max_dt             float        largest step (qiskit-dynamics #238: an adaptive step can
                                    jump over a pulse shorter than it; give the shortest feature)
B is the scan (batch) dimension: one solve per row, the compiled solver reused for all.

Response:
    version            int
    states             (B, T, D) kets or (B, T, D, D) density matrices
    seconds            (B,) wall time per row (the first includes compilation)
    error              str, "" on success (then ``states`` is absent)
"""

from __future__ import annotations

import io
import struct

import numpy as np

VERSION = 2  # 2: carriers, method
ENVELOPE_KINDS = ("samples", "analytic")
METHODS = ("odeint", "expm")
_HEADER = struct.Struct("<Q")
REQUEST_FIELDS = ("static_hamiltonian", "operators", "envelope_kind", "envelopes", "carriers", "dt", "dissipators",
                  "y0", "times", "method", "rtol", "atol", "max_dt")


class ContractError(ValueError):
    """A message that does not follow this contract (wrong version, missing or malformed field)."""


def square_rise(xp, t, amplitude, start, stop, rise):
    """Flat-top envelope: 0 before ``start`` and after ``stop``, ``amplitude`` in between, with
    cos^2 ramps of length ``rise`` inside [start, stop] (rise = 0: a square pulse).  ``xp`` is
    numpy or jax.numpy, so the worker and the references evaluate the same formula."""
    rise = xp.maximum(rise, 1e-300)
    up = xp.clip((t - start) / rise, 0.0, 1.0)
    down = xp.clip((stop - t) / rise, 0.0, 1.0)
    inside = (t >= start) & (t < stop)
    return xp.where(inside, amplitude * xp.sin(0.5 * np.pi * up) ** 2 * xp.sin(0.5 * np.pi * down) ** 2, 0.0)


def check_request(fields: dict) -> dict:
    """The request's arrays with shapes checked (module doc); ContractError otherwise."""
    missing = [k for k in REQUEST_FIELDS if k not in fields]
    if missing:
        raise ContractError(f"request lacks {', '.join(missing)}")
    h0 = np.asarray(fields["static_hamiltonian"], dtype=complex)
    ops = np.asarray(fields["operators"], dtype=complex)
    d = h0.shape[0]
    if h0.shape != (d, d) or ops.ndim != 3 or ops.shape[1:] != (d, d):
        raise ContractError(f"static_hamiltonian {h0.shape} and operators {ops.shape} must be (D, D) and (K, D, D)")
    kind = str(fields["envelope_kind"])
    env = np.asarray(fields["envelopes"], dtype=float)
    if kind not in ENVELOPE_KINDS:
        raise ContractError(f"envelope_kind must be one of {ENVELOPE_KINDS}, got {kind!r}")
    if env.ndim != 3 or env.shape[1] != ops.shape[0] or (kind == "analytic" and env.shape[2] != 4):
        raise ContractError(f"envelopes {env.shape} must be (B, K={ops.shape[0]}, S) samples or (B, K, 4) parameters")
    carriers = np.asarray(fields["carriers"], dtype=float)
    if carriers.shape != (ops.shape[0], 2):
        raise ContractError(f"carriers {carriers.shape} must be (K={ops.shape[0]}, 2): (angular frequency, phase) per operator")
    diss = np.asarray(fields["dissipators"], dtype=complex).reshape(-1, d, d)
    y0 = np.asarray(fields["y0"], dtype=complex)
    if y0.shape not in ((d,), (d, d)) or (y0.ndim == 1 and diss.shape[0]):
        raise ContractError(f"y0 {y0.shape} must be a ket (D,) without dissipators or a density matrix (D, D)")
    times = np.asarray(fields["times"], dtype=float).ravel()
    if times.size == 0 or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise ContractError("times must be increasing and >= 0")
    scalars = {k: float(fields[k]) for k in ("dt", "rtol", "atol", "max_dt")}
    if min(scalars.values()) <= 0:
        raise ContractError(f"dt, rtol, atol and max_dt must be > 0, got {scalars}")
    method = str(fields["method"])
    if method not in METHODS:
        raise ContractError(f"method must be one of {METHODS}, got {method!r}")
    steps = times / scalars["dt"]
    if method == "expm" and (kind != "samples" or np.any(carriers[:, 0]) or np.any(np.abs(steps - np.round(steps)) > 1e-9)):
        raise ContractError("method 'expm' is exact only for sampled envelopes without carrier frequencies at times "
                            "that are multiples of dt")
    return dict(static_hamiltonian=h0, operators=ops, envelope_kind=kind, envelopes=env, carriers=carriers,
                dissipators=diss, y0=y0, times=times, method=method, **scalars)


def encode(fields: dict) -> bytes:
    """One framed message (module doc) holding ``fields`` and ``version``."""
    buf = io.BytesIO()
    np.savez(buf, version=np.int64(VERSION), **{k: np.asarray(v) for k, v in fields.items()})
    body = buf.getvalue()
    return _HEADER.pack(len(body)) + body


def decode_body(body: bytes) -> dict:
    """The fields of one message body; ContractError for another VERSION or a non-archive."""
    try:
        with np.load(io.BytesIO(body), allow_pickle=False) as archive:
            fields = {k: archive[k] for k in archive.files}
    except Exception as exc:  # noqa: BLE001 - any unreadable body is a contract violation
        raise ContractError(f"not a contract message ({type(exc).__name__}: {exc})") from None
    version = int(fields.pop("version", -1))
    if version != VERSION:
        raise ContractError(f"contract version {version}, this side speaks {VERSION} "
                            "(qbhw and its pulse worker come from different checkouts)")
    return {k: (str(v) if v.dtype.kind == "U" else v) for k, v in fields.items()}


def read_message(stream) -> dict | None:
    """The next message from a binary stream, or None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise ContractError(f"message cut short: {len(body)} of {size} bytes")
    return decode_body(body)


def write_message(stream, fields: dict) -> None:
    stream.write(encode(fields))
    stream.flush()
