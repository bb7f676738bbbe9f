"""The pulse tests' environment check: tests that need .venv-pulse skip without it, except in CI
(env CI set), where a missing environment is a failure (CI must test the pulse path)."""

import os

import pytest

from qbhw.pulse.client import BUILD_COMMAND, pulse_python


def need_pulse_env() -> None:
    if not pulse_python().exists():
        message = f"{pulse_python()} missing: build it with `{BUILD_COMMAND}`"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the pulse path: {message}")
        pytest.skip(message)
