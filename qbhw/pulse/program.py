"""Pulse compilation of the resonant charger-battery pair (lecture 4) and of the star of N
batteries, and their simulation.

A :class:`PulseProgram` is data: the device model, the drive-frame Hamiltonian H_0, the
operators O_k with their envelopes and carriers s_k(t) (H = H_0 + sum_k s_k O_k), the Lindblad
dissipators, the initial state and the times, i.e. exactly a :mod:`.contract` request.

The TLS pair ``tls_pair(g, F, gamma_c)`` at resonance becomes two transmons with the exchange
g (:mod:`.device`) and a charger drive of amplitude F (flat top with ramps of ``rise``:
cos^2 or Gaussian-square, optionally with a DRAG quadrature, :func:`drive_envelope`), in the
drive frame.  ``star(N, ...)`` becomes a degree-N node: the driven charger transmon joined by
the same exchange g to N battery transmons (:func:`star_program`).  Charger dephasing D[n_C]
at rate gamma_c, one of:

    "lindblad"     the Lindblad term itself (the reference realisation);
    "kicks"        a physical Z on the charger: every ``kick_interval`` tau a detuning pulse
                   (theta / delta) n_C of length delta = ``kick_duration`` ending at k tau,
                   theta ~ Normal(0, gamma_c tau) (a flux kick), M realizations;
    "drive_phase"  the charger DRIVE's phase steps by theta at k tau, nothing else: the frame
                   e^{i phi (n_C + n_B)} removes it, so it emulates D[n_C + n_B], not D[n_C]
                   (kept to show the difference).  Only in the frame that follows the drive's
                   phase: in the fixed frame of the battery's own readout the average battery
                   keeps more coherence (F/g = 0.5, gamma_c = 1.41, t = 5: W = 0.20 there,
                   0.035-0.039 comoving, 0.147 for the charger kicks);
    "none"         no dephasing.
Device T1/T2 (if the device's transmons have them) are added as Lindblad terms in every case,
and the device's drive crosstalk (:mod:`.device`): every other transmon i that sees the charger's
line gets its envelopes times |C_i0| on (a_i + a_i^dag) and i (a_i - a_i^dag), with the carrier
of the detuning f_0 - f_i and the phase arg C_i0 (:func:`line_crosstalk`).

:func:`simulate` returns, per time, the battery's state in its computational subspace
(levels 0, 1), the true leakage (population outside {0, 1} of every transmon), and the
full states averaged over realizations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError
from ..models import Model
from ..models.operators import partial_trace
from .device import DeviceModel, Scale, pair_device, star_device

DEPHASING = ("lindblad", "kicks", "drive_phase", "none")
SHAPES = ("cos2", "gaussian_square")
TOLERANCES = {"rtol": 1e-9, "atol": 1e-11}  # JAX odeint at 1e-8 is good to ~1e-5 only (ecosystem §8); at
#   these, 6e-9 from rtol 1e-11 on the 3-level pair, 2.5x faster
SAMPLED_TOLERANCES = {"rtol": 1e-11, "atol": 1e-13}  # a sampled drive jumps at every sample: 600 samples of a
#   Gaussian-square + DRAG drive on the 3-level pair are 1.7e-6 off QuTiP at TOLERANCES, 3.6e-8 at these


@dataclass(frozen=True, eq=False)
class PulseProgram:
    """Envelopes + frames + device model + times (module doc).  ``envelopes``: (B, K, S)
    samples of width ``dt`` or (B, K, 4) :func:`contract.square_rise` parameters;
    ``carriers`` (K, 2) (angular frequency, phase) per operator (None: none); ``method`` the
    contract's ("odeint", or "expm" for exact piecewise-constant steps); ``labels`` names each
    operator; ``parameters`` records the protocol in model and device units for results."""

    device: DeviceModel
    static_hamiltonian: np.ndarray
    operators: np.ndarray
    labels: tuple[str, ...]
    envelope_kind: str
    envelopes: np.ndarray
    dt: float
    dissipators: np.ndarray
    y0: np.ndarray
    times: np.ndarray
    max_dt: float
    charger: int = 0
    battery: int | tuple[int, ...] = 1
    parameters: dict = field(default_factory=dict)
    tolerances: dict = field(default_factory=lambda: dict(TOLERANCES))
    carriers: np.ndarray | None = None
    method: str = "odeint"

    @property
    def batteries(self) -> tuple[int, ...]:
        """The battery transmons (one or several)."""
        return (self.battery,) if isinstance(self.battery, int) else tuple(self.battery)

    def request(self, **tolerances) -> dict:
        """The :mod:`.contract` request of this program."""
        carriers = np.zeros((len(self.operators), 2)) if self.carriers is None else self.carriers
        return dict(static_hamiltonian=self.static_hamiltonian, operators=self.operators,
                    envelope_kind=self.envelope_kind, envelopes=self.envelopes, carriers=carriers, dt=self.dt,
                    dissipators=self.dissipators, y0=self.y0, times=self.times, method=self.method,
                    max_dt=self.max_dt, **{**self.tolerances, **tolerances})


@dataclass(frozen=True, eq=False)
class PulseStates:
    """What a pulse simulation returns per time: ``battery_states`` (T, 2, 2), the battery's
    computational-subspace block (not renormalised); ``leakage`` (T,), population outside
    {0, 1}^N; ``states`` (T, D, D) averaged over realizations; ``realization_states`` the
    battery blocks per realization (M, T, 2, 2), for error bars; ``seconds`` per solve."""

    times: np.ndarray
    battery_states: np.ndarray
    leakage: np.ndarray
    states: np.ndarray
    realization_states: np.ndarray
    seconds: np.ndarray


def _check_resonant(model: Model, name: str) -> dict:
    p = model.params
    if model.name != name:
        raise InputError("model.kind", f"the pulse path compiles tls_pair and star, not {model.name}")
    if p.get("counter_rotating") or not (p["omega_b"] == p["omega_c"] == p["omega_d"]):
        raise InputError("model", f"the pulse {name} needs the resonant rotating-wave model "
                                  "(omega_b = omega_c = omega_d, counter_rotating=False)")
    if p["g"] == 0:
        raise InputError("model.g", "the physical scale is set by the exchange g, which must be nonzero")
    return p


def _check_pair(model: Model) -> dict:
    return _check_resonant(model, "tls_pair")


def _kick_grid(t_end: float, tau: float, delta: float) -> tuple[int, int]:
    per = round(tau / delta)
    if per < 2 or abs(per * delta - tau) > 1e-9 * tau:
        raise InputError("kick_duration", f"the kick interval {tau:g} must be a multiple >= 2 of the kick duration {delta:g}")
    return per, math.ceil(t_end / tau - 1e-9) * per


def tls_pair_program(model: Model, times, *, device: DeviceModel | None = None, levels: int = 2,
                     rise: float = 0.0, shape: str = "cos2", drag: float = 0.0, sample_dt: float = 0.005,
                     dephasing: str = "lindblad", realizations: int = 100, kick_interval: float = 0.25,
                     kick_duration: float = 0.005, seed: int | None = None) -> PulseProgram:
    """The pulse program of ``tls_pair`` at ``times`` (model units; module doc).  device:
    default :func:`.device.pair_device` (typical transmons, no T1/T2, g = 2 pi x 5 MHz);
    rise, shape, drag: the charger drive's ramp length (model units), ramp shape and DRAG
    coefficient (:func:`drive_envelope`); sample_dt: the sample width of sampled envelopes
    (shape "gaussian_square" or drag != 0 without kicks; with kicks the kick duration)."""
    p = _check_pair(model)
    dev = device or pair_device(p["g"], levels=levels)
    return _charger_program(p, dev, times, rise=rise, shape=shape, drag=drag, sample_dt=sample_dt,
                            dephasing=dephasing, realizations=realizations, kick_interval=kick_interval,
                            kick_duration=kick_duration, seed=seed, batteries=(1,))


def star_program(model: Model, times, *, device: DeviceModel | None = None, levels: int = 2, rise: float = 0.0,
                 shape: str = "cos2", drag: float = 0.0, sample_dt: float = 0.005, dephasing: str = "lindblad",
                 realizations: int = 100, kick_interval: float = 0.25, kick_duration: float = 0.005,
                 seed: int | None = None) -> PulseProgram:
    """The pulse program of ``star(N, g, F, gamma_c)`` (resonant): a degree-N transmon node, the
    driven charger (transmon 0) joined by the same effective exchange g to each battery
    transmon 1..N (:func:`.device.star_device`); everything else as :func:`tls_pair_program`.
    The battery state returned is that of the N battery transmons (their {0, 1}^N block),
    ordered like the model's ``representation="full"`` battery."""
    p = _check_resonant(model, "star")
    n = p["n_batteries"]
    dev = device or star_device(n, p["g"], levels=levels)
    if len(dev.transmons) != n + 1:
        raise InputError("device", f"star({n}) needs {n + 1} transmons, the device has {len(dev.transmons)}")
    return _charger_program(p, dev, times, rise=rise, shape=shape, drag=drag, sample_dt=sample_dt,
                            dephasing=dephasing, realizations=realizations, kick_interval=kick_interval,
                            kick_duration=kick_duration, seed=seed, batteries=tuple(range(1, n + 1)))


def drive_envelope(shape: str, t, amplitude: float, start: float, stop: float, rise: float, drag: float = 0.0,
                   anharmonicity: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(in-phase s(t), quadrature q(t)) of a flat-top drive of ``amplitude`` on [start, stop]
    with ramps of length ``rise`` inside it, model units:

        "cos2"            s = A sin^2(pi u / 2) sin^2(pi v / 2), u = (t - start)/rise, v = (stop - t)/rise
                          (clipped to [0, 1]; :func:`contract.square_rise`);
        "gaussian_square" Gaussian flanks of sigma = rise / 2 centred at start + rise and stop - rise,
                          lifted to 0 at start and stop: A (e^{-x^2 / 2 sigma^2} - e^{-2}) / (1 - e^{-2});
        DRAG              q = drag s'(t) / alpha on the quadrature i (a - a^dag) (alpha = ``anharmonicity``,
                          angular, model units; drag = 1 cancels the 1-2 transition at first order:
                          a 8 ns Gaussian pi pulse at alpha = -2 pi x 300 MHz leaks 0.0087 to |2>
                          without, 4e-5 with it), 0 if drag = 0."""
    t = np.asarray(t, dtype=float)
    if shape not in SHAPES:
        raise InputError("shape", f"must be one of {SHAPES}, got {shape!r}")
    if rise < 0 or 2 * rise > stop - start:
        raise InputError("rise", f"the ramps (2 x {rise:g}) must fit inside the pulse ({stop - start:g})")
    inside = (t >= start) & (t < stop)
    if rise == 0:
        s, ds = np.where(inside, amplitude, 0.0), np.zeros_like(t)
    elif shape == "cos2":
        u, v = np.clip((t - start) / rise, 0, 1), np.clip((stop - t) / rise, 0, 1)
        up, down = np.sin(0.5 * np.pi * u) ** 2, np.sin(0.5 * np.pi * v) ** 2
        dup = np.where((u > 0) & (u < 1), 0.5 * np.pi / rise * np.sin(np.pi * u), 0.0)
        ddown = np.where((v > 0) & (v < 1), -0.5 * np.pi / rise * np.sin(np.pi * v), 0.0)
        s, ds = amplitude * up * down, amplitude * (dup * down + up * ddown)
    else:
        sigma, floor = rise / 2, math.exp(-2.0)
        x = np.where(t < start + rise, t - start - rise, np.where(t > stop - rise, t - stop + rise, 0.0))
        bell = np.exp(-0.5 * (x / sigma) ** 2)
        s, ds = amplitude * (bell - floor) / (1 - floor), amplitude * (-x / sigma**2) * bell / (1 - floor)
    s, ds = np.where(inside, s, 0.0), np.where(inside, ds, 0.0)
    if drag and not anharmonicity:
        raise InputError("drag", "DRAG needs the transmon's anharmonicity (a 2-level device has none)")
    return s, (drag * ds / anharmonicity if drag else np.zeros_like(t))


def line_crosstalk(dev: DeviceModel, line: int, operators, labels, envelopes: np.ndarray, sources, *,
                   analytic: bool) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
    """(operators, labels, envelopes, carriers) with the crosstalk of drive line ``line`` appended.
    ``sources``: (k, theta) per envelope k on the line, theta = 0 for its in-phase (a + a^dag)
    and pi/2 for its quadrature i (a - a^dag) operator.  Transmon i sees envelope k as
    |C| e_k [cos phi I_i + sin phi Q_i], phi = (omega_line - omega_i) t + arg C + theta, i.e. two
    operators with carriers (detuning, arg C + theta) and (detuning, arg C + theta - pi/2)
    (``analytic``: e_k's amplitude column is scaled, else its samples)."""
    ops, names, rows = list(operators), list(labels), [envelopes[:, k] for k in range(envelopes.shape[1])]
    carriers = [(0.0, 0.0)] * len(ops)
    for i, c, detuning in dev.line_crosstalk(line):
        i_op, q_op = dev.drive_quadratures(i)
        for k, theta in sources:
            row = rows[k].copy()
            if analytic:
                row[:, 0] *= abs(c)
            else:
                row *= abs(c)
            phase = float(np.angle(c)) + theta
            ops += [i_op, q_op]
            names += [f"crosstalk {labels[k]} -> transmon {i} I", f"crosstalk {labels[k]} -> transmon {i} Q"]
            rows += [row, row]
            carriers += [(detuning, phase), (detuning, phase - 0.5 * math.pi)]
    return np.array(ops), tuple(names), np.stack(rows, axis=1), np.array(carriers, dtype=float)


def _crosstalk_parameters(dev: DeviceModel, line: int) -> list[dict]:
    return [{"line": line, "transmon": i, "amplitude": abs(c), "phase_rad": float(np.angle(c)),
             "detuning_hz": dev.transmons[line].frequency - dev.transmons[i].frequency}
            for i, c, _ in dev.line_crosstalk(line)]


def _charger_program(p: dict, dev: DeviceModel, times, *, rise, shape, drag, sample_dt, dephasing, realizations,
                     kick_interval, kick_duration, seed, batteries) -> PulseProgram:
    """Charger (transmon 0) drive of amplitude F, the device's exchange, charger dephasing
    (module doc), for any device whose battery transmons are ``batteries``."""
    if dephasing not in DEPHASING:
        raise InputError("dephasing", f"must be one of {DEPHASING}, got {dephasing!r}")
    times = np.asarray(times, dtype=float)
    if dev.scale.g_model != p["g"]:
        raise InputError("device", f"the device's scale maps g = {dev.scale.g_model}, the model has g = {p['g']}")
    t_end = float(times[-1])
    i_c, q_c = dev.drive_quadratures(0)
    n_c = dev.number(0)
    h0 = dev.static_hamiltonian()
    dissipators = dev.dissipators()
    if dephasing == "lindblad" and p["gamma_c"] > 0:
        dissipators.append(math.sqrt(p["gamma_c"]) * n_c)
    d = h0.shape[0]
    y0 = np.zeros(d, dtype=complex)
    y0[0] = 1.0
    alpha_c = dev.scale.angular(dev.transmons[0].anharmonicity) if dev.levels > 2 else 0.0
    alpha = abs(dev.scale.angular(dev.transmons[0].anharmonicity))
    params = {"F": p["F"], "g": p["g"], "gamma_c": p["gamma_c"], "rise": rise, "shape": shape, "drag": drag,
              "dephasing": dephasing, "F_over_alpha": p["F"] / alpha if alpha else float("inf"),
              "rise_ns": float(dev.scale.nanoseconds(rise)), "crosstalk": _crosstalk_parameters(dev, 0),
              "device": dev.parameters()}
    stop = t_end + 1.0  # the drive stays on past the last time: only its rise shapes the curve
    battery = batteries[0] if len(batteries) == 1 else batteries
    deterministic = dephasing in ("lindblad", "none") or p["gamma_c"] == 0
    if deterministic and (shape != "cos2" or drag):  # one sampled row: drive I and Q
        t = (np.arange(math.ceil(t_end / sample_dt - 1e-9)) + 0.5) * sample_dt
        s, q = drive_envelope(shape, t, p["F"], 0.0, stop, rise, drag, alpha_c)
        ops, labels, env, carriers = line_crosstalk(dev, 0, [i_c, q_c], ("drive I charger", "drive Q charger (DRAG)"),
                                                    np.array([[s, q]]), [(0, 0.0), (1, 0.5 * math.pi)], analytic=False)
        return PulseProgram(dev, h0, ops, labels, "samples", env, sample_dt, np.array(dissipators).reshape(-1, d, d),
                            y0 if not dissipators else np.outer(y0, y0), times, max_dt=sample_dt, battery=battery,
                            parameters=params | {"sample_dt": sample_dt}, tolerances=dict(SAMPLED_TOLERANCES),
                            carriers=carriers)
    if deterministic:
        ops, labels, env, carriers = line_crosstalk(dev, 0, [i_c], ("drive I charger",),
                                                    np.array([[[p["F"], 0.0, stop, rise]]]), [(0, 0.0)], analytic=True)
        return PulseProgram(dev, h0, ops, labels, "analytic", env, 1.0, np.array(dissipators).reshape(-1, d, d),
                            y0 if not dissipators else np.outer(y0, y0), times,
                            max_dt=max(rise / 4, 0.05) if rise else 0.05, battery=battery, parameters=params,
                            carriers=carriers)
    m = int(realizations)
    per, samples = _kick_grid(t_end, kick_interval, kick_duration)
    t = (np.arange(samples) + 0.5) * kick_duration
    drive, quadrature = drive_envelope(shape, t, p["F"], 0.0, stop, rise, drag, alpha_c)
    theta = np.random.default_rng(seed).normal(0.0, math.sqrt(p["gamma_c"] * kick_interval), (m, samples // per))
    params.update(realizations=m, kick_interval=kick_interval, kick_duration=kick_duration,
                  kick_interval_ns=float(dev.scale.nanoseconds(kick_interval)),
                  kick_duration_ns=float(dev.scale.nanoseconds(kick_duration)))
    if dephasing == "kicks":
        kick = np.zeros((m, samples))
        kick[:, per - 1::per] = theta / kick_duration  # the last sample of each interval
        env = np.stack([np.broadcast_to(drive, (m, samples)), kick], axis=1)
        ops, labels, sources = np.array([i_c, n_c]), ("drive I charger", "detuning charger (Z kick)"), [(0, 0.0)]
        if drag:
            env = np.concatenate([env, np.broadcast_to(quadrature, (m, 1, samples))], axis=1)
            ops, labels = np.concatenate([ops, q_c[None]]), labels + ("drive Q charger (DRAG)",)
            sources.append((2, 0.5 * math.pi))
    else:
        phase = np.repeat(np.concatenate([np.zeros((m, 1)), np.cumsum(theta, axis=1)[:, :-1]], axis=1), per, axis=1)
        env = np.stack([drive * np.cos(phase) - quadrature * np.sin(phase),
                        drive * np.sin(phase) + quadrature * np.cos(phase)], axis=1)
        ops, labels, sources = np.array([i_c, q_c]), ("drive I charger", "drive Q charger"), [(0, 0.0), (1, 0.5 * math.pi)]
    ops, labels, env, carriers = line_crosstalk(dev, 0, ops, labels, env, sources, analytic=False)
    rho_or_ket = y0 if not dissipators else np.outer(y0, y0)
    return PulseProgram(dev, h0, ops, labels, "samples", env, kick_duration, np.array(dissipators).reshape(-1, d, d),
                        rho_or_ket, times, max_dt=kick_duration, battery=battery, parameters=params, carriers=carriers)


def computational_block(rho: np.ndarray, n: int = 1) -> np.ndarray:
    """The {0, 1}^n block of states (..., d^n, d^n) of n transmons with d levels each."""
    d = round(rho.shape[-1] ** (1 / n))
    keep = np.ravel_multi_index(np.indices((2,) * n).reshape(n, -1), (d,) * n)
    return rho[..., keep[:, None], keep[None, :]]


def leakage(states: np.ndarray, dims) -> np.ndarray:
    """Population outside {0, 1}^N of full states (..., D, D) on ``dims``."""
    keep = np.ones(dims[::-1], dtype=bool)
    for axis in range(len(dims)):
        index = [slice(None)] * len(dims)
        index[axis] = slice(2, None)
        keep[tuple(index)] = False
    pops = np.real(np.diagonal(states, axis1=-2, axis2=-1))
    return 1.0 - pops[..., keep.ravel()].sum(axis=-1)


def solve_states(program: PulseProgram, worker=None) -> tuple[np.ndarray, np.ndarray]:
    """(density matrices (B, T, D, D), seconds (B,)) of every envelope row."""
    from .client import PulseWorker

    if worker is None:
        with PulseWorker() as own:
            return solve_states(program, own)
    out = worker.solve(program.request())
    states = out["states"]
    if states.ndim == 3:  # kets (B, T, D)
        states = np.einsum("bti,btj->btij", states, states.conj())
    return states, out["seconds"]


def _reduce(program: PulseProgram, states: np.ndarray, seconds: np.ndarray) -> PulseStates:
    dims = program.device.dims
    batteries = program.batteries
    battery = computational_block(partial_trace(states, list(batteries), dims), len(batteries))
    mean = states.mean(axis=0)
    return PulseStates(program.times, battery.mean(axis=0), leakage(mean, dims), mean, battery, seconds)


def simulate(program: PulseProgram, worker=None) -> PulseStates:
    """Solve ``program`` on ``worker`` (a :class:`.client.PulseWorker`; one is started and
    ended here if None) and reduce to the battery, rows averaged as realizations (module doc)."""
    return _reduce(program, *solve_states(program, worker))


def simulate_rows(program: PulseProgram, worker=None) -> list[PulseStates]:
    """Like :func:`simulate`, but each envelope row is its own scan point (no averaging)."""
    states, seconds = solve_states(program, worker)
    return [_reduce(program, s[None], t[None]) for s, t in zip(states, seconds)]


def leakage_scan(model: Model, times, g_hz_values, *, anharmonicity: float = -0.30e9, worker=None) -> dict:
    """Leakage and ergotropy loss of the 3-level pulse TLS pair versus the physical scale: for
    each exchange ``g_hz`` (so the charger drive is (F/g) g_hz; the anharmonicity fixed, in Hz),
    the time-averaged and final leakage and the final ergotropy lost to the third levels
    (2-level minus 3-level); ``F_over_alpha`` = F / |alpha|.  One request: the anharmonicity
    sum_q n_q (n_q - 1) / 2 is an operator with one constant envelope per scan point, so the
    worker compiles once for the whole scan."""
    from ..metrics import ergotropy
    from .device import typical_transmon

    p = _check_pair(model)
    hb = np.asarray(model.h_battery)
    flat = (typical_transmon(anharmonicity=0.0),) * 2
    two = simulate(tls_pair_program(model, times, dephasing="lindblad"), worker)  # no third level: scale free
    base = tls_pair_program(model, times, device=pair_device(p["g"], levels=3, transmons=flat), dephasing="lindblad")
    dev = base.device
    duffing = sum(0.5 * dev.number(q) @ (dev.number(q) - np.eye(dev.number(q).shape[0])) for q in (0, 1))
    alphas = [Scale(p["g"], g_hz).angular(anharmonicity) for g_hz in g_hz_values]
    rows = np.array([[base.envelopes[0, 0], [a, 0.0, base.envelopes[0, 0, 2], 0.0]] for a in alphas])
    scan = replace(base, operators=np.concatenate([base.operators, duffing[None]]),
                   labels=base.labels + ("anharmonicity (scan)",), envelopes=rows,
                   carriers=np.concatenate([base.carriers, np.zeros((1, 2))]))
    three = simulate_rows(scan, worker)
    w_two = ergotropy(two.battery_states[-1], hb)
    return {"g_hz": np.asarray(g_hz_values, dtype=float),
            "F_over_alpha": np.abs(p["F"] / np.array(alphas)),
            "mean_leakage": np.array([s.leakage[1:].mean() for s in three]),
            "final_leakage": np.array([s.leakage[-1] for s in three]),
            "ergotropy_loss": np.array([w_two - ergotropy(s.battery_states[-1], hb) for s in three])}
