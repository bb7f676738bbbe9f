"""Job manifests: nothing paid for is lost, nothing finished is run twice.

A run directory holds ``manifest.json`` and ``results/<pub_id>.npy`` (counts of one PUB,
shape (M, 2**num_clbits), the execution contract).  Every file is written atomically
(temporary file in the same directory + ``os.replace``).  The manifest is written BEFORE
each submission (the job entry with its PUB ids, then again with the job id once the
backend returned it) and holds the program hash, backend name, options, seed, and per PUB
its seed and shots per parameter row; no credentials (option keys that look like secrets
are refused).

:func:`run_with_manifest` submits the PUBs that have no result file and no live job, in
chunks, retrying transient errors with exponential back-off and stopping with
:class:`PermanentSubmissionError` on anything else; results are written as each job
finishes, each job with the QPU seconds it reported (``reported_qpu_seconds``, None when it
reported none or ran locally; :func:`finished_jobs` lists them).  :func:`resume` continues a
directory: jobs already submitted are fetched (not resubmitted) and PUBs with result files are
never executed again.

The PUBs are run by an executor (:mod:`.executors`: the interface, and which one runs which
target).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .executors import job_chunks
from .noisy import IsaPub

__all__ = [
    "FORMAT",
    "PermanentSubmissionError",
    "program_hash",
    "pub_seeds",
    "is_transient",
    "run_with_manifest",
    "resume",
    "load_results",
    "finished_jobs",
    "unfinished_pubs",
]

FORMAT = "qbhw.manifest/1"
MANIFEST = "manifest.json"
_SECRET_WORDS = ("token", "api_key", "apikey", "password", "secret", "credential")


class PermanentSubmissionError(RuntimeError):
    """A submission failed for a reason retrying cannot fix (bad input, authorisation)."""


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def program_hash(isa_pubs: Sequence[IsaPub]) -> str:
    """SHA-256 over the OpenQASM 3 text of the device-wide circuits (stable across processes,
    unlike QPY, which records each Parameter's random UUID), their parameter values and shots."""
    from qiskit import qasm3

    h = hashlib.sha256()
    for pub in isa_pubs:
        h.update(qasm3.dumps(pub.full_circuit).encode())
        h.update(np.ascontiguousarray(pub.values, dtype=float).tobytes())
        h.update(str(pub.shots).encode())
    return h.hexdigest()


def pub_seeds(seed: int | None, n: int) -> list[int | None]:
    """Independent per-PUB seeds derived from ``seed`` (None -> None): a PUB's result does not
    depend on how PUBs are chunked into jobs."""
    if seed is None:
        return [None] * n
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(n)]


def is_transient(exc: BaseException) -> bool:
    """Network trouble, timeouts, rate limits and server errors are worth retrying."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    status = getattr(exc, "status_code", None)
    return status in (408, 429, 500, 502, 503, 504)


def _check_no_secrets(obj, where="options"):
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if any(w in str(k).lower() for w in _SECRET_WORDS):
                raise ValueError(f"{where}.{k}: credentials must not be written to a manifest")
            _check_no_secrets(v, f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_no_secrets(v, f"{where}[{i}]")


def _pub_id(i: int) -> str:
    return f"pub-{i:05d}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Run:
    directory: Path
    manifest: dict

    def save(self) -> None:
        _atomic_write(self.directory / MANIFEST, json.dumps(self.manifest, indent=1).encode())

    def result_path(self, pub_id: str) -> Path:
        return self.directory / "results" / f"{pub_id}.npy"

    def done(self, pub_id: str) -> bool:
        return self.result_path(pub_id).exists()

    def write_result(self, pub_id: str, counts: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.asarray(counts))
        _atomic_write(self.result_path(pub_id), buf.getvalue())


def _load_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"directory: {directory} has no {MANIFEST}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a qbhw job manifest (format {data.get('format')!r})")
    return data


def _submit_with_retries(executor, indices, seeds, retries, backoff, sleep):
    for attempt in range(retries + 1):
        try:
            return str(executor.submit(indices, seeds))
        except Exception as exc:  # classified below: transient -> retry, else stop
            if not is_transient(exc):
                raise PermanentSubmissionError(
                    f"submission of PUBs {indices} to {executor.name} failed: {type(exc).__name__}: {exc}"
                ) from exc
            if attempt == retries:
                raise PermanentSubmissionError(
                    f"submission of PUBs {indices} to {executor.name} still failing after "
                    f"{retries + 1} attempts: {type(exc).__name__}: {exc}"
                ) from exc
            sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


def _collect(run: _Run, job: dict, executor) -> bool:
    """Fetch one job's counts and write them; False if the job cannot be retrieved."""
    counts = executor.fetch(job["job_id"], job["pub_indices"])
    if counts is None:
        return False
    for pub_id, c in zip(job["pub_ids"], counts, strict=True):
        run.write_result(pub_id, c)
    job["state"] = "done"
    job["finished_at"] = _now()
    job["reported_qpu_seconds"] = executor.reported_seconds(job["job_id"])
    run.save()
    return True


def _execute(run: _Run, executor, chunk_size, retries, backoff, sleep, progress=None) -> None:
    m = run.manifest
    total = len(m["pubs"])

    def report():
        if progress:
            progress(sum(run.done(p["id"]) for p in m["pubs"]), total)

    # 1. jobs already submitted by an earlier process: fetch, never resubmit
    for job in list(m["jobs"]):
        if job["state"] == "done":
            continue
        if job.get("job_id") is None or not _collect(run, job, executor):
            job["state"] = "lost"  # never got an id, or a local job that died with its process
            run.save()
    # 2. PUBs with neither a result nor a live job
    live = {p for j in m["jobs"] if j["state"] == "submitted" for p in j["pub_ids"]}
    pending = [i for i, p in enumerate(m["pubs"]) if not run.done(p["id"]) and p["id"] not in live]
    submitted = []
    shots = [p.get("shots", m["shots"]) for p in m["pubs"]]
    for indices in job_chunks(pending, shots, chunk_size, executor.equal_shots):
        job = {
            "job_id": None,
            "pub_ids": [m["pubs"][i]["id"] for i in indices],
            "pub_indices": list(indices),
            "state": "submitting",
            "submitted_at": _now(),
        }
        m["jobs"].append(job)
        run.save()  # the intent is on disk before anything is sent
        job["job_id"] = _submit_with_retries(
            executor, indices, [m["pubs"][i]["seed"] for i in indices], retries, backoff, sleep
        )
        job["state"] = "submitted"
        run.save()
        if executor.synchronous:
            _collect(run, job, executor)
            report()
        else:
            submitted.append(job)
    # 3. asynchronous jobs: collect in submission order (Batch runs them concurrently)
    for job in submitted:
        if not _collect(run, job, executor):
            raise RuntimeError(f"job {job['job_id']} on {executor.name} cannot be retrieved; run resume() again")
        report()


def run_with_manifest(
    directory,
    isa_pubs: Sequence[IsaPub],
    executor,
    *,
    shots: int,
    seed: int | None,
    options: Mapping | None = None,
    chunk_size: int = 50,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, ...]:
    """Execute ``isa_pubs`` through ``executor`` with a manifest in ``directory`` and return the
    counts per PUB.  ``shots``: the run's shots per PUB (the header), and the shots per
    parameter row of PUBs without their own; the manifest records every PUB's shots per row.
    If ``directory`` already holds a manifest of the same program (hash, which covers every
    PUB's shots), backend, shots and seed, this continues it (see :func:`resume`); a different
    program is an error.  ``backoff`` (seconds) doubles after each transient failure,
    ``retries`` times; ``progress(done, total)`` is called as PUB results arrive."""
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if int(retries) != retries or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    options = dict(options or {})
    _check_no_secrets(options)
    directory = Path(directory)
    (directory / "results").mkdir(parents=True, exist_ok=True)
    digest = program_hash(isa_pubs)
    header = {"program_hash": digest, "backend": executor.name, "shots": int(shots), "seed": seed}
    if (directory / MANIFEST).exists():
        manifest = _load_manifest(directory)
        for key, value in header.items():
            if manifest.get(key) != value:
                raise ValueError(
                    f"directory: {directory} holds a different run ({key} {manifest.get(key)!r} != {value!r}); "
                    "use a new directory"
                )
    else:
        seeds = pub_seeds(seed, len(isa_pubs))
        manifest = {
            "format": FORMAT,
            **header,
            "options": options,
            "created_at": _now(),
            "pubs": [
                {"id": _pub_id(i), "seed": s, "physical_qubits": list(p.physical_qubits),
                 "num_values": int(p.values.shape[0]), "shots": int(p.shots or shots)}
                for i, (p, s) in enumerate(zip(isa_pubs, seeds))
            ],
            "jobs": [],
        }
    run = _Run(directory, manifest)
    run.save()
    _execute(run, executor, int(chunk_size), int(retries), float(backoff), sleep, progress)
    return load_results(directory)


def resume(directory, executor, **kwargs) -> tuple[np.ndarray, ...]:
    """Continue the run in ``directory`` with ``executor`` (which must serve the same PUBs,
    in the same order, on the same backend): submitted jobs are fetched, finished PUBs are
    kept, the rest is submitted.  ``kwargs`` as for :func:`run_with_manifest`."""
    directory = Path(directory)
    manifest = _load_manifest(directory)
    if manifest["backend"] != executor.name:
        raise ValueError(f"executor: backend {executor.name!r} but the run used {manifest['backend']!r}")
    run = _Run(directory, manifest)
    _execute(
        run,
        executor,
        int(kwargs.get("chunk_size", 50)),
        int(kwargs.get("retries", 3)),
        float(kwargs.get("backoff", 2.0)),
        kwargs.get("sleep", time.sleep),
        kwargs.get("progress"),
    )
    return load_results(directory)


def load_results(directory) -> tuple[np.ndarray, ...]:
    """Counts of every PUB of a finished run, in PUB order (ValueError naming missing PUBs)."""
    directory = Path(directory)
    manifest = _load_manifest(directory)
    run = _Run(directory, manifest)
    missing = [p["id"] for p in manifest["pubs"] if not run.done(p["id"])]
    if missing:
        raise ValueError(f"directory: {directory} has no results yet for {missing[:5]}{'...' if len(missing) > 5 else ''}")
    return tuple(np.load(run.result_path(p["id"])) for p in manifest["pubs"])


def finished_jobs(directory) -> list[dict]:
    """Every finished job of the run in ``directory``, in submission order: ``job_id``,
    ``pub_indices`` and ``reported_seconds`` (the QPU seconds it reported; None when it reported
    none, ran locally, or finished before manifests recorded usage)."""
    return [{"job_id": j["job_id"], "pub_indices": list(j["pub_indices"]),
             "reported_seconds": j.get("reported_qpu_seconds")}
            for j in _load_manifest(Path(directory))["jobs"] if j["state"] == "done"]


def unfinished_pubs(directory, n: int) -> list[int]:
    """Indices (of ``n`` PUBs) that have no result file in ``directory``: what running it
    still costs (all ``n`` when it holds no run yet)."""
    run = _Run(Path(directory), {})
    return [i for i in range(n) if not run.done(_pub_id(i))]
