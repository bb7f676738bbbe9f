"""Who runs a placed program's PUBs: one executor per device target, chosen here only.

target        executor              runs the ISA PUBs with
------------  --------------------  ------------------------------------------------------
"aer-ideal"   none                  no device: the logical circuits go straight to Aer
                                    (:func:`qbhw.execute.aer.run_pubs`, from ``targets.run``)
"aer-noisy"   LocalNoisyExecutor    the fast noisy path (:mod:`.noisy`, :mod:`.exact`): the
                                    snapshot's noise on the used qubits only
"fake-local"  RuntimeExecutor       qiskit-ibm-runtime's local mode on the fake backend
                                    (full-device noise model, the client's own code path)
"ibm"         RuntimeExecutor       IBM Quantum, all jobs of a run in one ``Batch``
                                    (:func:`open_batch`)
"pulse"       none                  no circuits run: the model's pulse-level simulation answers
                                    the program's tomography PUBs (:func:`qbhw.pulse.target.run_pulse`,
                                    from ``targets.run``)

Executors are what :mod:`.manifest` drives: ``name`` (backend name), ``synchronous`` (True
when ``submit`` has already computed the counts, as local simulators do), ``equal_shots``
(True when a job may only hold PUBs of one shot count, as the runtime's executor Sampler
demands; :func:`job_chunks`), ``submit(pub_indices, seeds) -> job_id``, ``fetch(job_id,
pub_indices) -> list of counts arrays, or None if that job cannot be retrieved`` (a local job
lost with its process) and ``reported_seconds(job_id) -> float | None`` (the QPU seconds a job
fetched by this executor reported, :func:`qbhw.execute.budget.job_usage`; None for
simulators).  Every PUB runs with its own shots per parameter row (``IsaPub.shots``);
``shots`` / the runtime options' ``default_shots`` serve PUBs without.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence

import numpy as np

from .noisy import IsaPub, counts_from_pub_result, sample_isa_pubs

__all__ = ["LocalNoisyExecutor", "RuntimeExecutor", "executor_for", "job_chunks", "open_batch"]


class LocalNoisyExecutor:
    """Executor over the fast noisy path: synchronous; the PUBs of one submission are simulated
    together (one exact computation), then each is sampled with its own seed, so counts do not
    depend on how PUBs are grouped into submissions; jobs live only in this process's memory."""

    synchronous = True
    equal_shots = False

    def __init__(self, isa_pubs: Sequence[IsaPub], snapshot, *, shots: int):
        self.isa_pubs = tuple(isa_pubs)
        self.snapshot = snapshot
        self.shots = int(shots)
        self.name = f"aer-noisy:{snapshot.backend_name}"
        self._jobs: dict[str, list[np.ndarray]] = {}

    def submit(self, indices: Sequence[int], seeds: Sequence[int | None]) -> str:
        counts = sample_isa_pubs([self.isa_pubs[i] for i in indices], self.snapshot, shots=self.shots, seed=list(seeds))
        job_id = f"local-{len(self._jobs):05d}-{os.getpid()}-{time.monotonic_ns()}"
        self._jobs[job_id] = counts
        return job_id

    def fetch(self, job_id: str, indices: Sequence[int]):
        return self._jobs.get(job_id)

    def reported_seconds(self, job_id: str) -> None:
        return None  # a simulation uses no QPU time


class RuntimeExecutor:
    """Executor over qiskit-ibm-runtime (:mod:`qbhw.execute.runtime`): a fake backend runs in
    local mode (synchronous, jobs not retrievable later); an ``IBMBackend`` submits in the
    ``Batch`` given as ``mode`` (or its own per job) and fetches jobs by id from its service."""

    equal_shots = True  # executor_sampler.Sampler: "All pubs must have the same number of shots"

    def __init__(self, isa_pubs: Sequence[IsaPub], backend, options: Mapping, *, sampler: str = "executor", mode=None):
        from .runtime import is_local

        self.isa_pubs = tuple(isa_pubs)
        self.backend = backend
        self.options = dict(options)
        self.sampler = sampler
        self.mode = mode
        self.name = backend.name
        self.synchronous = is_local(backend)
        self._jobs: dict = {}
        self._usage: dict[str, dict] = {}

    def submit(self, indices: Sequence[int], seeds: Sequence[int | None]) -> str:
        from .runtime import submit

        job = submit([self.isa_pubs[i] for i in indices], self.backend, self.options, sampler=self.sampler, mode=self.mode)
        job_id = job.job_id()
        self._jobs[job_id] = job
        return job_id

    def fetch(self, job_id: str, indices: Sequence[int]):
        from .budget import job_usage

        if job_id in self._jobs:
            job = self._jobs[job_id]
        elif self.synchronous:
            return None  # a local-mode job died with the process that ran it
        else:
            job = self.backend.service.job(job_id)
        result = job.result()
        if len(result) != len(indices):
            raise ValueError(f"job {job_id} returned {len(result)} PUB results, the manifest lists {len(indices)}")
        self._usage[job_id] = {"job_id": job_id, "pub_indices": list(indices),  # read once the job is finished
                               "reported_seconds": None if self.synchronous else job_usage(job)}
        return [counts_from_pub_result(r, self.isa_pubs[i].full_circuit) for r, i in zip(result, indices)]

    def reported_seconds(self, job_id: str) -> float | None:
        """QPU seconds job ``job_id`` reported when this executor fetched it (local mode: None)."""
        return self._usage.get(job_id, {}).get("reported_seconds")

    def fetched_jobs(self) -> list[dict]:
        """Every job this executor fetched, in order: ``job_id``, ``pub_indices``, ``reported_seconds``."""
        return [dict(u) for u in self._usage.values()]


def job_chunks(indices: Sequence[int], shots: Sequence[int], size: int, equal_shots: bool) -> list[list[int]]:
    """``indices`` (in order) cut into jobs of at most ``size`` PUBs; with ``equal_shots``, a
    new job also starts where the shots per row (``shots[i]`` of PUB i) change."""
    out: list[list[int]] = []
    for i in indices:
        if out and len(out[-1]) < size and (not equal_shots or shots[out[-1][-1]] == shots[i]):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def open_batch(dev):
    """One runtime ``Batch`` for every job of an IBM run (None for the other targets); close it
    when the run is submitted (its jobs finish and stay retrievable by id)."""
    if dev.target != "ibm":
        return None
    from qiskit_ibm_runtime import Batch

    return Batch(backend=dev.backend)


def executor_for(dev, isa_pubs: Sequence[IsaPub], shots: int, runtime_options: Mapping, batch=None):
    """The executor of the table above for the resolved device ``dev`` (a
    :class:`qbhw.execute.targets.Device`): ``shots`` per row for PUBs without their own;
    ``runtime_options`` (Sampler options) and ``batch`` (:func:`open_batch`) for runtime targets."""
    if dev.backend is None:
        return LocalNoisyExecutor(isa_pubs, dev.snapshot, shots=shots)
    return RuntimeExecutor(isa_pubs, dev.backend, runtime_options, mode=batch)
