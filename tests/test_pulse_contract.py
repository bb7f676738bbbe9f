"""The pulse worker's data contract and client, in the main environment (no qiskit-dynamics):
stand-in workers (scripts run by this interpreter) answer over the real pipes."""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qbhw.pulse import contract
from qbhw.pulse.client import (
    BUILD_COMMAND,
    PulseEnvironmentError,
    PulseWorker,
    PulseWorkerError,
)

CONTRACT_DIR = Path(contract.__file__).parent


def request(batch=2, d=3, k=2, samples=5):
    rng = np.random.default_rng(0)
    ops = rng.normal(size=(k, d, d)) + 1j * rng.normal(size=(k, d, d))
    return dict(static_hamiltonian=np.diag(np.arange(d, dtype=complex)), operators=ops + ops.conj().transpose(0, 2, 1),
                envelope_kind="samples", envelopes=rng.normal(size=(batch, k, samples)), carriers=np.zeros((k, 2)),
                dt=0.1, dissipators=np.zeros((0, d, d)), y0=np.eye(d)[0], times=np.linspace(0, 1, 4), method="odeint",
                rtol=1e-9, atol=1e-11, max_dt=0.1)


def stand_in(tmp_path, body: str) -> Path:
    """A worker script: imports the real contract, says hello, then runs ``body``."""
    script = tmp_path / "worker.py"
    script.write_text(f"import sys, time\nsys.path.insert(0, {str(CONTRACT_DIR)!r})\nimport numpy as np\nimport contract\n"
                      "out, inp = sys.stdout.buffer, sys.stdin.buffer\n"
                      "contract.write_message(out, {'error': ''})\n" + body)
    return script


ECHO = """while True:
    m = contract.read_message(inp)
    if m is None:
        break
    contract.write_message(out, {'error': '', 'states': m['envelopes'] * 2, 'seconds': np.zeros(len(m['envelopes']))})
"""


def test_message_round_trip_is_exact():
    req = request()
    back = contract.decode_body(contract.encode(req)[8:])
    assert set(back) == set(req)
    for key, value in req.items():
        assert np.array_equal(np.asarray(back[key]), np.asarray(value)), key
    assert back["envelope_kind"] == "samples"


def test_round_trip_through_a_worker_process(tmp_path):
    req = request(batch=3)
    with PulseWorker(sys.executable, script=stand_in(tmp_path, ECHO)) as worker:
        out = [worker.solve(req) for _ in range(2)]  # one process serves several requests
    for o in out:
        assert np.array_equal(o["states"], 2 * req["envelopes"])


def test_other_version_is_refused():
    body = contract.encode(request())[8:]
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "version.npy":
                arr = io.BytesIO()
                np.save(arr, np.int64(contract.VERSION + 1))
                data = arr.getvalue()
            dst.writestr(name, data)
    with pytest.raises(contract.ContractError, match=f"version {contract.VERSION + 1}"):
        contract.decode_body(buf.getvalue())


def test_worker_of_another_version_is_an_error(tmp_path):
    script = stand_in(tmp_path, "contract.read_message(inp)\ncontract.VERSION += 1\n"
                                "contract.write_message(out, {'error': ''})\ntime.sleep(60)\n")
    with PulseWorker(sys.executable, script=script, solve_timeout=30) as worker:
        start = time.monotonic()
        with pytest.raises(PulseWorkerError, match=f"broke the contract.*version {contract.VERSION + 1}"):
            worker.solve(request())
        assert time.monotonic() - start < 20


def test_malformed_request_is_refused_before_sending():
    bad = {**request(), "envelopes": np.zeros((1, 5, 3))}  # K = 5 envelopes for 2 operators
    with pytest.raises(contract.ContractError, match="envelopes"):
        contract.check_request(bad)
    with pytest.raises(contract.ContractError, match="lacks times"):
        contract.check_request({k: v for k, v in request().items() if k != "times"})


def test_missing_environment_names_the_build_command(tmp_path, monkeypatch):
    with pytest.raises(PulseEnvironmentError, match=BUILD_COMMAND.replace(".", r"\.")):
        PulseWorker(tmp_path / "no-such-venv" / "bin" / "python")
    monkeypatch.setenv("QBHW_PULSE_PYTHON", str(tmp_path / "missing-python"))
    with pytest.raises(PulseEnvironmentError, match="pulse-env"):
        PulseWorker()


def test_worker_crash_is_an_error_with_its_message(tmp_path):
    script = stand_in(tmp_path, "contract.read_message(inp)\n"
                                "sys.stderr.write('segfault in the solver, qubit 7\\n')\nsys.exit(3)\n")
    with PulseWorker(sys.executable, script=script) as worker:
        with pytest.raises(PulseWorkerError, match=r"code 3.*segfault in the solver, qubit 7"):
            worker.solve(request())


def test_worker_failing_at_start_is_an_error(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text("raise ImportError('no module named qiskit_dynamics')\n")
    with pytest.raises(PulseWorkerError, match="no module named qiskit_dynamics"):
        PulseWorker(sys.executable, script=script)


def test_hung_worker_times_out_and_is_killed(tmp_path):
    script = stand_in(tmp_path, "contract.read_message(inp)\ntime.sleep(600)\n")
    worker = PulseWorker(sys.executable, script=script, solve_timeout=1.0)
    start = time.monotonic()
    with pytest.raises(PulseWorkerError, match="no answer within 1 s"):
        worker.solve(request())
    assert time.monotonic() - start < 10
    assert worker._process.poll() is not None  # killed, not left running
    worker.close()


def test_square_rise_envelope():
    t = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 4.5, 5.0, 6.0])
    s = contract.square_rise(np, t, 2.0, 0.0, 5.0, 1.0)
    assert np.allclose(s, [0, 0, 2 * np.sin(np.pi / 4) ** 2, 2, 2, 2 * np.sin(np.pi / 4) ** 2, 0, 0])
    assert np.allclose(contract.square_rise(np, t, 2.0, 0.0, 5.0, 0.0), [0, 0, 2, 2, 2, 2, 0, 0])


def test_carriers_and_exact_steps_are_checked():
    with pytest.raises(contract.ContractError, match="carriers"):
        contract.check_request({**request(), "carriers": np.zeros((3, 2))})  # 3 carriers for 2 operators
    with pytest.raises(contract.ContractError, match="method must be"):
        contract.check_request({**request(), "method": "rk4"})
    # one exponential per sample is exact only for piecewise-constant H sampled at the times
    contract.check_request({**request(), "method": "expm", "times": np.array([0.0, 0.2, 0.5])})
    for bad in ({"carriers": np.array([[1.0, 0.0], [0.0, 0.0]])}, {"times": np.array([0.0, 0.25])},
                {"envelope_kind": "analytic", "envelopes": np.zeros((1, 2, 4))}):
        with pytest.raises(contract.ContractError, match="expm"):
            contract.check_request({**request(), "method": "expm", **bad})
