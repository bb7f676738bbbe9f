"""Shared fixtures."""

import pytest
from pulse_env import need_pulse_env


@pytest.fixture(scope="module")
def worker():
    """One pulse worker per test module (tests/pulse_env.py says when it is skipped)."""
    from qbhw.pulse.client import PulseWorker

    need_pulse_env()
    with PulseWorker() as w:
        yield w
