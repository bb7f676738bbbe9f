"""Bad input to model constructors and references: ValueError naming the argument (issue 2)."""

import dataclasses

import numpy as np
import pytest

from qbhw.models import oscillator_pair, tls_oscillator, tls_pair
from qbhw.reference import evolve, steady_state


@pytest.mark.parametrize("kwargs,match", [
    (dict(g=1.0, F=0.5, gamma_c=-0.1), r"gamma_c must be >= 0"),
    (dict(g=1.0, F=np.inf, gamma_c=1.0), r"F must be a finite"),
    (dict(g=0.0, F=0.5, gamma_c=1.0), r"g must be nonzero .*F/g"),
    (dict(g=1e-320, F=1e10, gamma_c=1.0), r"F/g must be finite"),
    (dict(g=np.nan, F=0.5, gamma_c=1.0), r"g must be a finite"),
    (dict(g=1.0, F=0.5, gamma_c=1.0, omega_b=0.0), r"omega_b must be > 0"),
    (dict(g=1.0, F=0.5, gamma_c=1.0, omega_d=float("nan")), r"omega_d must be a finite"),
    (dict(g=1.0, F="0.5", gamma_c=1.0), r"F must be a finite real number"),
])
def test_tls_pair_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tls_pair(**kwargs)


@pytest.mark.parametrize("factory", [tls_oscillator, oscillator_pair])
@pytest.mark.parametrize("n_max", [0, -3, 2.5, True])
def test_oscillators_reject_bad_truncation(factory, n_max):
    with pytest.raises(ValueError, match=r"n_max must be an integer >= 1"):
        factory(1.0, 0.5, 1.0, n_max=n_max)


@pytest.mark.parametrize("times,match", [
    ([0.0, 1.0, 1.0], "strictly increasing"),
    ([0.0, 2.0, 1.0], "strictly increasing"),
    ([-1.0, 0.0], "times must be >= 0"),
    ([0.0, np.inf], "times must be finite"),
    ([], "non-empty"),
    ([[0.0, 1.0]], "1-D"),
])
def test_evolve_rejects_bad_times(times, match):
    with pytest.raises(ValueError, match=match):
        evolve(tls_pair(1.0, 0.5, 1.0), times)


def test_evolve_rejects_unknown_frame():
    with pytest.raises(ValueError, match="frame must be 'lab' or 'rotating'"):
        evolve(tls_pair(1.0, 0.5, 1.0), [0.0, 1.0], frame="interaction")


def test_steady_state_needs_dissipation():
    with pytest.raises(ValueError, match="undamped oscillations"):
        steady_state(tls_pair(1.0, 0.5, 0.0))


def test_steady_state_of_a_periodically_driven_model_is_refused():
    with pytest.raises(ValueError, match="limit cycle"):
        steady_state(tls_pair(1.0, 0.5, 1.0, counter_rotating=True))


def test_models_are_frozen():
    m = tls_pair(1.0, 0.5, 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "other"
    with pytest.raises(ValueError):
        m.h0[0, 0] = 1.0  # read-only arrays
