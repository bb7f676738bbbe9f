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


@pytest.fixture(autouse=True)
def _qbhw_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's QPU usage ledger."""
    monkeypatch.setenv("QBHW_HOME", str(tmp_path_factory.mktemp("qbhw-home")))
