"""qiskit-ibm-runtime paths: the client's local mode with fake backends, and IBM Quantum.

Both go through the same code: PUBs are transpiled against the device target with a fixed
layout (:func:`qbhw.execute.noisy.prepare_pubs`), a runtime Sampler is built with options as
plain nested dicts (accepted by the legacy ``SamplerV2`` and by the client-side
``executor_sampler.Sampler``, which replaces it from runtime 0.50), and the results are
converted to the execution contract (counts (M_i, 2**num_clbits_i), clbit 0 least
significant).  Local mode is selected by passing a fake backend; a real ``IBMBackend``
from :func:`connect` (saved account or ``QISKIT_IBM_*`` environment variables) needs no
other change.  Jobs on IBM run in ``Batch`` mode.  qbhw never reads, prints or writes tokens.

Times are in seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from .result import ExecutionResult
from .noisy import IsaPub, _check_run_args, counts_from_pub_result, prepare_pubs

__all__ = [
    "SAMPLERS",
    "sampler_class",
    "build_options",
    "is_local",
    "connect",
    "IBMAccountError",
    "to_submission",
    "estimate_qpu_seconds",
    "submit",
    "counts_from_result",
    "run_runtime",
    "DEFAULT_JOB_OVERHEAD",
]

#: Sampler implementations accepted by name (both are duck-typed ``BaseSamplerV2``).
SAMPLERS = ("executor", "legacy")
#: Fixed per-job QPU-time overhead assumed by :func:`estimate_qpu_seconds` (seconds).
DEFAULT_JOB_OVERHEAD = 2.0
DD_SEQUENCES = ("XX", "XpXm", "XY4")


class IBMAccountError(RuntimeError):
    """No usable IBM Quantum account or backend (one-line message naming what to fix)."""


def sampler_class(kind: str = "executor"):
    """The runtime Sampler class: ``"executor"`` = ``qiskit_ibm_runtime.executor_sampler.Sampler``
    (client-side, current), ``"legacy"`` = ``qiskit_ibm_runtime.SamplerV2`` (deprecated in 0.50)."""
    if kind == "executor":
        from qiskit_ibm_runtime.executor_sampler import Sampler

        return Sampler
    if kind == "legacy":
        import qiskit_ibm_runtime

        return qiskit_ibm_runtime.SamplerV2
    raise ValueError(f"sampler must be one of {SAMPLERS}, got {kind!r}")


def build_options(
    *,
    shots: int,
    seed: int | None = None,
    dynamical_decoupling: str | None = None,
    twirling: bool = False,
    num_randomizations: int | None = None,
    rep_delay: float | None = None,
    init_qubits: bool = True,
    max_execution_time: int | None = None,
) -> dict:
    """Sampler options as a plain nested dict.  ``dynamical_decoupling`` is a sequence name
    (``"XX"``, ``"XpXm"``, ``"XY4"``) or None; ``twirling`` twirls gates and measurements;
    ``rep_delay`` in seconds (None: the device's default; :func:`qbhw.execute.budget.choose_rep_delay`
    chooses one); ``init_qubits``: reset every qubit at the start of every shot (the runtime's
    default, written out so the manifest records it); ``max_execution_time`` in QPU seconds;
    ``seed`` only reaches the local simulator."""
    _check_run_args(shots, seed)
    opts: dict = {"default_shots": int(shots)}
    if seed is not None:
        opts["simulator"] = {"seed_simulator": int(seed)}
    if dynamical_decoupling is not None:
        if dynamical_decoupling not in DD_SEQUENCES:
            raise ValueError(f"dynamical_decoupling must be one of {DD_SEQUENCES} or None, got {dynamical_decoupling!r}")
        opts["dynamical_decoupling"] = {"enable": True, "sequence_type": dynamical_decoupling}
    if twirling:
        opts["twirling"] = {"enable_gates": True, "enable_measure": True}
        if num_randomizations is not None:
            if int(num_randomizations) != num_randomizations or num_randomizations < 1:
                raise ValueError(f"num_randomizations must be a positive integer, got {num_randomizations!r}")
            opts["twirling"]["num_randomizations"] = int(num_randomizations)
    elif num_randomizations is not None:
        raise ValueError("num_randomizations: only meaningful with twirling=True")
    if not isinstance(init_qubits, (bool, np.bool_)):
        raise ValueError(f"init_qubits must be True or False, got {init_qubits!r}")
    opts["execution"] = {"init_qubits": bool(init_qubits)}
    if rep_delay is not None:
        if not (np.isfinite(rep_delay) and rep_delay >= 0):
            raise ValueError(f"rep_delay must be a time >= 0 in seconds, got {rep_delay!r}")
        opts["execution"]["rep_delay"] = float(rep_delay)
    if max_execution_time is not None:
        if int(max_execution_time) != max_execution_time or max_execution_time < 1:
            raise ValueError(f"max_execution_time must be a positive number of seconds, got {max_execution_time!r}")
        opts["max_execution_time"] = int(max_execution_time)
    return opts


def is_local(backend) -> bool:
    """True for backends that the runtime client simulates locally (fake backends, Aer)."""
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    if isinstance(backend, FakeBackendV2):
        return True
    return type(backend).__module__.startswith("qiskit_aer")


def connect(backend_name: str, *, channel: str | None = None, instance: str | None = None, name: str | None = None,
            fractional: bool = False):
    """The ``IBMBackend`` called ``backend_name`` through ``QiskitRuntimeService`` built from a
    saved account (``name`` selects one) or the ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE``
    environment variables (which the client prefers to the saved default account);
    ``fractional`` opens it with ``use_fractional_gates=True`` (RZZ, RX on Heron).

    Raises :class:`IBMAccountError`, one line naming what to fix, when there is no account,
    its instance is not a CRN or name (checked locally, before any request), the service
    refuses it or cannot be reached (the client's own errors, after its own retries), or the
    backend is not available to it.  The token never appears in a message."""
    import requests
    from qiskit.exceptions import QiskitError
    from qiskit.providers.exceptions import QiskitBackendNotFoundError
    from qiskit_ibm_runtime import QiskitRuntimeService
    from qiskit_ibm_runtime.accounts import AccountManager, AccountNotFoundError

    source, fix = _account_source(name)
    try:
        account = AccountManager.get(name=name, channel=channel)  # local: environment or file
    except AccountNotFoundError:
        if name is not None:
            raise IBMAccountError(f"{source}: no such saved account; save it with "
                                  f"QiskitRuntimeService.save_account(token=..., instance=..., name={name!r})") from None
        raise IBMAccountError(
            "no IBM Quantum account: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) or run "
            "QiskitRuntimeService.save_account(token=..., instance=...) once"
        ) from None
    except (QiskitError, ValueError, OSError) as err:
        raise IBMAccountError(f"{source}: cannot be read ({_one_line(err, None)}); {fix}") from None
    token = getattr(account, "token", None)
    _check_instance(instance if instance is not None else account.instance,
                    "instance" if instance is not None else ("QISKIT_IBM_INSTANCE" if source == "QISKIT_IBM_TOKEN"
                                                             else f"the instance of {source}"))
    kwargs = {k: v for k, v in {"channel": channel, "instance": instance, "name": name}.items() if v is not None}
    try:
        service = QiskitRuntimeService(**kwargs)
        return service.backend(backend_name, use_fractional_gates=True) if fractional else service.backend(backend_name)
    except QiskitBackendNotFoundError:
        raise IBMAccountError(f"run.backend: {backend_name!r} is not available to the account from {source} "
                              "(QiskitRuntimeService().backends() lists those that are)") from None
    except (QiskitError, requests.RequestException) as err:
        raise IBMAccountError(f"{source}: IBM Quantum refused the account or could not be reached "
                              f"({_one_line(err, token)}); {fix}") from None


def _account_source(name: str | None) -> tuple[str, str]:
    """(where the client takes the account from, what to check), in the client's order."""
    import os

    if name is not None:
        return f"saved account {name!r}", "check it with QiskitRuntimeService.saved_accounts() and the network"
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return "QISKIT_IBM_TOKEN", "check QISKIT_IBM_TOKEN (an IBM Cloud API key), QISKIT_IBM_INSTANCE and the network"
    return ("the saved default account", "check it with QiskitRuntimeService.saved_accounts() "
            "(or set QISKIT_IBM_TOKEN) and the network")


#: Fields of an IBM Cloud resource name: crn:v1:bluemix:public:quantum-computing:<region>:a/<account>:<instance>::
CRN_FIELDS = 10


def _check_instance(instance: str | None, key: str) -> None:
    """A CRN must have its ten fields (the client fails on fewer with an AttributeError);
    anything else is an instance name, resolved by the service."""
    if not instance or instance == "auto" or not instance.startswith("crn:"):
        return
    fields = instance.split(":")
    if len(fields) != CRN_FIELDS or not fields[5] or not fields[7]:
        raise IBMAccountError(f"{key}: {instance!r} is not an instance CRN (crn:v1:bluemix:public:quantum-computing:"
                              "<region>:a/<account>:<instance id>::); give the CRN or the instance name")


def _one_line(err: Exception, secret: str | None) -> str:
    text = (str(err).strip().splitlines() or [type(err).__name__])[0].strip("'\" ")
    return text.replace(secret, "***") if secret else text


def to_submission(circuit, target):
    """The circuit as submitted to hardware: mid-circuit ``measure`` becomes the device's fast
    ``measure_2`` when ``target`` supports it (``ConvertToMidCircuitMeasure``); otherwise (and
    for Aer, which rejects ``measure_2``) the circuit is returned unchanged."""
    if "measure_2" not in target.operation_names:
        return circuit
    from qiskit.transpiler import PassManager
    from qiskit_ibm_runtime.transpiler.passes import ConvertToMidCircuitMeasure

    return PassManager([ConvertToMidCircuitMeasure(target)]).run(circuit)


def estimate_qpu_seconds(
    isa_pubs: Sequence[IsaPub],
    target,
    *,
    shots: int,
    rep_delay: float,
    jobs: int = 1,
    per_job_overhead: float = DEFAULT_JOB_OVERHEAD,
) -> float:
    """Rough QPU time in seconds: sum over PUBs of (parameter sets x shots x (circuit duration
    + ``rep_delay``)) + ``jobs`` x ``per_job_overhead``.  Circuit durations are the longest path
    through the device ``target``'s durations (:meth:`QuantumCircuit.estimate_duration`)."""
    _check_run_args(shots, None)
    if not (np.isfinite(rep_delay) and rep_delay >= 0):
        raise ValueError(f"rep_delay must be >= 0 seconds, got {rep_delay!r}")
    if int(jobs) != jobs or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    if not (np.isfinite(per_job_overhead) and per_job_overhead >= 0):
        raise ValueError(f"per_job_overhead must be >= 0 seconds, got {per_job_overhead!r}")
    total = 0.0
    for pub in isa_pubs:
        n_shots = pub.shots or shots
        circuit = pub.full_circuit
        if circuit.num_parameters:
            circuit = circuit.assign_parameters(pub.values[0])
        total += pub.values.shape[0] * n_shots * (circuit.estimate_duration(target, unit="s") + rep_delay)
    return total + jobs * per_job_overhead


def submit(isa_pubs: Sequence[IsaPub], backend, options: Mapping, *, sampler: str = "executor", dry_run: bool = False, mode=None):
    """Submit prepared PUBs (device-wide circuits) to ``backend`` and return the runtime job.

    Local backends: ``dry_run`` is ignored with a warning, ``execution`` options are not passed.
    IBM backends: PUBs are converted with :func:`to_submission` and run in ``mode`` (a
    ``Batch``; one is opened when None)."""
    cls = sampler_class(sampler)
    local = is_local(backend)
    if local and dry_run:
        warnings.warn("dry_run is ignored in local mode (the fake backend simulates the job)", stacklevel=2)
        dry_run = False
    pubs = []
    for pub in isa_pubs:
        circ, *rest = pub.sampler_pub(full=True)
        pubs.append((circ if local else to_submission(circ, backend.target), *rest))
    if local:  # the local simulator has no shot loop: execution options (init_qubits, rep_delay) do nothing there
        return cls(mode=backend, options={k: v for k, v in options.items() if k != "execution"}).run(pubs)
    if mode is None:
        from qiskit_ibm_runtime import Batch

        with Batch(backend=backend) as batch:
            return _run(cls(mode=batch, options=dict(options)), pubs, dry_run)
    return _run(cls(mode=mode, options=dict(options)), pubs, dry_run)


def _run(sampler, pubs, dry_run: bool):
    return sampler.run(pubs, dry_run=True) if dry_run else sampler.run(pubs)


def counts_from_result(result, isa_pubs: Sequence[IsaPub]) -> list[np.ndarray]:
    """Contract counts from a runtime ``PrimitiveResult`` of the device-wide circuits."""
    return [counts_from_pub_result(res, pub.full_circuit) for res, pub in zip(result, isa_pubs)]


def run_runtime(
    pubs,
    backend,
    *,
    shots: int,
    seed: int | None = None,
    initial_layout: Sequence[int] | None = None,
    sampler: str = "executor",
    options: Mapping | None = None,
    dry_run: bool = False,
    optimization_level: int = 1,
) -> ExecutionResult:
    """Run PUBs through qiskit-ibm-runtime's Sampler on ``backend`` (a fake backend = local
    mode; an ``IBMBackend`` = IBM Quantum in a Batch) and wait for the counts.  ``options``
    overrides :func:`build_options` (plain dict); ``sampler`` is ``"executor"`` or ``"legacy"``."""
    opts = build_options(shots=shots, seed=seed) if options is None else dict(options)
    isa = prepare_pubs(pubs, backend, initial_layout=initial_layout, optimization_level=optimization_level)
    job = submit(isa, backend, opts, sampler=sampler, dry_run=dry_run)
    counts = counts_from_result(job.result(), isa)
    return ExecutionResult(
        counts=tuple(counts),
        metadata={
            "target": "runtime-local" if is_local(backend) else "ibm",
            "backend": backend.name,
            "job_id": job.job_id(),
            "physical_qubits": tuple(p.physical_qubits for p in isa),
            "shots": int(shots),
            "seed": seed,
            "sampler": sampler,
            "dry_run": bool(dry_run and not is_local(backend)),
        },
    )
