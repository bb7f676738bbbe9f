"""Drive crosstalk at pulse level: the battery transmon also sees the charger's drive line,
C_BC s_C(t) e^{i (omega_C - omega_B) t} in its own frame (qbhw.pulse.device).  References built
here, independently of qbhw's operator builders: a QuTiP mesolve of the Hamiltonian written out
by hand, and the closed forms of resonant and off-resonant Rabi oscillations.

Skipped when .venv-pulse is missing, except in CI (env CI set), where that is a failure."""

import math

import numpy as np
import pytest
import qutip

from qbhw.errors import InputError
from qbhw.metrics import ergotropy
from qbhw.models.charger_battery import tls_pair
from qbhw.pulse.device import (
    TYPICAL,
    DeviceModel,
    Scale,
    Transmon,
    pair_device,
    with_crosstalk,
)
from qbhw.pulse.program import simulate, tls_pair_program
from qbhw.pulse.target import run_pulse

TIMES = np.linspace(0, 5, 21)
MODEL = tls_pair(1.0, 0.5, 1.41)
UNIT_HZ = 5e6  # model angular frequency 1 = 2 pi x 5 MHz (pair_device's default scale, g = 1)


def transmon(frequency_hz):
    return Transmon(frequency_hz, TYPICAL["anharmonicity"], None, None, (("frequency", "test"),))


def test_zero_crosstalk_reproduces_the_program_without_it_exactly(worker):
    """crosstalk 0 changes nothing: the same request, field by field, for every kind of program
    (analytic, sampled DRAG, kicks, drive phase), and the same states bit for bit."""
    plain, off = pair_device(1.0, levels=3), with_crosstalk(pair_device(1.0, levels=3), 0.0)
    for options in ({"dephasing": "lindblad"}, {"dephasing": "lindblad", "shape": "gaussian_square", "rise": 0.5},
                    {"dephasing": "kicks", "realizations": 3, "seed": 1}, {"dephasing": "drive_phase", "seed": 2,
                                                                          "realizations": 3, "drag": 0.5}):
        a = tls_pair_program(MODEL, TIMES, device=plain, **options).request()
        b = tls_pair_program(MODEL, TIMES, device=off, **options).request()
        assert a.keys() == b.keys() and not np.any(a["carriers"])
        for key in a:
            assert np.array_equal(np.asarray(a[key]), np.asarray(b[key])), (options, key)
    one = simulate(tls_pair_program(MODEL, TIMES, device=plain, levels=3), worker)
    two = simulate(tls_pair_program(MODEL, TIMES, device=off, levels=3), worker)
    assert np.array_equal(one.states, two.states)


def by_hand_states(c, detuning, rise, times, *, g=1.0, f=0.5, gamma=1.41):
    """QuTiP mesolve of the 2-level pair, charger C (right factor) and battery B in their own
    frames: H = g (a_C^dag a_B + h.c.) + F r(t) (a_C + a_C^dag) + [C F r(t) e^{i Delta t} a_B + h.c.],
    Delta = omega_C - omega_B, r the cos^2 ramp of length ``rise``, L = sqrt(gamma) n_C."""
    a_c = qutip.tensor(qutip.qeye(2), qutip.destroy(2))
    a_b = qutip.tensor(qutip.destroy(2), qutip.qeye(2))
    ramp = lambda t: math.sin(0.5 * math.pi * min(t / rise, 1.0)) ** 2
    h = [g * (a_c.dag() * a_b + a_b.dag() * a_c),
         [a_c + a_c.dag(), lambda t: f * ramp(t)],
         [a_b, lambda t: c * f * ramp(t) * np.exp(1j * detuning * t)],
         [a_b.dag(), lambda t: np.conj(c) * f * ramp(t) * np.exp(-1j * detuning * t)]]
    rho0 = qutip.ket2dm(qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0)))
    res = qutip.mesolve(h, rho0, times, [math.sqrt(gamma) * a_c.dag() * a_c],
                        options={"atol": 1e-12, "rtol": 1e-10, "max_step": 0.01})
    return np.array([s.ptrace(0).full() for s in res.states])  # the battery


@pytest.mark.parametrize("detuning_mhz", [0.0, 10.0])
def test_crosstalk_on_the_tls_pair_matches_a_hand_written_qutip_model(worker, detuning_mhz):
    """A complex crosstalk C = 0.05 e^{0.3 i} of the charger's line on the battery, resonant or
    with the battery 10 MHz below the charger (Delta = 2 in model units), drive ramp 0.5, Lindblad
    charger dephasing: battery state, E_B and ergotropy agree with QuTiP to 1e-6."""
    c = 0.05 * np.exp(0.3j)
    base = pair_device(1.0, transmons=(transmon(4.8e9), transmon(4.8e9 - detuning_mhz * 1e6)))
    dev = DeviceModel(base.transmons, 2, base.couplings, base.scale, crosstalk=((1, 0), (c, 1)), crosstalk_source="test")
    out = simulate(tls_pair_program(MODEL, TIMES, device=dev, rise=0.5), worker)
    ref = by_hand_states(c, detuning_mhz * 1e6 / UNIT_HZ, 0.5, TIMES)
    hb = np.asarray(MODEL.h_battery)
    assert np.abs(out.battery_states - ref).max() < 1e-6
    assert np.abs(np.real(np.einsum("tij,ji->t", out.battery_states - ref, hb))).max() < 1e-6
    assert np.abs(ergotropy(out.battery_states, hb) - ergotropy(ref, hb)).max() < 1e-6
    # and the crosstalk matters at this size: the battery without it differs by far more
    plain = simulate(tls_pair_program(MODEL, TIMES, device=base, rise=0.5), worker)
    assert np.abs(plain.battery_states - ref).max() > 1e-3


@pytest.mark.parametrize("detuning_mhz", [0.0, 50.0])
def test_crosstalk_charges_an_uncoupled_battery_at_the_rabi_rate_only_when_resonant(worker, detuning_mhz):
    """Exchange off (a device without couplings), crosstalk C = 0.05, drive F = 2 (square): the
    battery alone sees C F (a_B e^{i Delta t} + h.c.).  Resonant: P1 = sin^2(C F t), it charges;
    detuned by 50 MHz (Delta = 10 >> C F = 0.1): the off-resonant Rabi closed form
    P1 = (CF)^2 / ((CF)^2 + Delta^2 / 4) sin^2(sqrt((CF)^2 + Delta^2 / 4) t), at most 4 (CF / Delta)^2."""
    c, f, times = 0.05, 2.0, np.linspace(0, 20, 41)
    pair = (transmon(4.8e9), transmon(4.8e9 - detuning_mhz * 1e6))
    dev = DeviceModel(pair, 2, (), Scale(1.0, UNIT_HZ), crosstalk=((1, 0), (c, 1)))
    out = simulate(tls_pair_program(tls_pair(1.0, f, 0.0), times, device=dev, dephasing="none"), worker)
    p1 = np.real(out.battery_states[:, 1, 1])
    delta, omega = detuning_mhz * 1e6 / UNIT_HZ, c * f
    rabi = math.sqrt(omega**2 + delta**2 / 4)
    closed = omega**2 / rabi**2 * np.sin(rabi * times) ** 2
    assert np.abs(p1 - closed).max() < 1e-6
    if detuning_mhz == 0:
        assert p1.max() > 0.8  # sin^2(C F t) reaches sin^2(2) = 0.83 by t = 20
    else:
        assert (omega / delta) ** 2 < p1.max() < 4.01 * (omega / delta) ** 2  # 4e-4: a 1e-4-order effect


def test_crosstalk_option_is_recorded_with_its_source_and_checked():
    dev = with_crosstalk(pair_device(1.0, transmons=(transmon(4.80e9), transmon(4.75e9))), TYPICAL["crosstalk"])
    assert np.allclose(dev.crosstalk_matrix(), [[1, 0.02], [0.02, 1]])
    p = tls_pair_program(MODEL, TIMES, device=dev).parameters
    assert p["device"]["crosstalk"]["source"].startswith("typical") and "no snapshot" in p["device"]["crosstalk"]["source"]
    assert p["crosstalk"] == [{"line": 0, "transmon": 1, "amplitude": 0.02, "phase_rad": 0.0, "detuning_hz": 5e7}]
    assert with_crosstalk(dev, 0.03).crosstalk_source.startswith("given")
    for bad in (-0.1, 1.0, "0.02", True):
        with pytest.raises(InputError, match="crosstalk"):
            with_crosstalk(dev, bad)
    with pytest.raises(ValueError, match="unit diagonal"):
        DeviceModel(dev.transmons, 2, dev.couplings, dev.scale, crosstalk=((0.5, 0), (0, 1)))


def test_run_pulse_accepts_the_crosstalk_option_and_reports_it(worker):
    """pulse_options["crosstalk"] reaches the device; the results' pulse parameters carry it."""
    from qbhw.routing import CompileOptions, compile_model

    program = compile_model(MODEL, TIMES[:3], CompileOptions(dephasing="channel"))
    meta = run_pulse(program, shots=100, seed=1, crosstalk=0.02, worker=worker).metadata
    assert meta["pulse"]["crosstalk"][0]["amplitude"] == 0.02
    assert meta["pulse"]["device"]["crosstalk"]["source"].startswith("typical")
    assert "crosstalk drive I charger -> transmon 1 I" in meta["pulse"]["operators"]
    with pytest.raises(InputError, match="crosstalk"):
        run_pulse(program, shots=100, seed=1, crosstalk=2.0, worker=worker)
