"""Run a sweep's points as Dask tasks (or serially), each finished point on disk at once.

Run folder layout: ``points/<label>/`` per grid point (label: ``gamma_c=0.1,F=0.5``) with
``point.json`` (coordinates and seed), then ``results.json`` once the point is finished (the
file :mod:`qbhw.report` writes for a single run; its presence marks the point done) or
``failed.json`` (coordinates, error and traceback) if it raised.  The client writes
each file as the point's task completes, so workers need no shared file system, a killed
client loses only the points in flight, and a re-run computes only points without
``results.json`` (same seeds, hence the same numbers).  The scheduler retries a point whose
worker died (``distributed.scheduler.allowed-failures``); a point that keeps killing workers
is recorded as failed.

``scheduler``: ``"local"`` starts a ``LocalCluster`` of one single-threaded worker process per
usable core (at most one per pending point); ``"tcp://host:port"`` uses that running
scheduler; ``"none"`` runs serially in this process.  Aer runs with
``max_parallel_threads=1`` in every task (qbhw.execute), so parallelism is across points;
noise models stay cached in each worker process (qbhw.calibration.noise) across its tasks.
Target "ibm" never becomes Dask tasks (:mod:`qbhw.sweep.hardware`).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .grid import Point

POINTS_DIR, POINT_FILE, RESULT_FILE, FAILURE_FILE = "points", "point.json", "results.json", "failed.json"
LOCAL, SERIAL = "local", "none"


@dataclass(frozen=True)
class SweepOutcome:
    """What one run of the sweep did: points ``computed`` now, ``skipped`` (finished before),
    and the labels of the ``failed`` ones (each with a failed.json)."""

    total: int
    computed: int
    skipped: int
    failed: tuple[str, ...]


def point_folder(folder: Path, point: Point) -> Path:
    return Path(folder) / POINTS_DIR / point.label


def finished(folder: Path, point: Point) -> bool:
    return (point_folder(folder, point) / RESULT_FILE).exists()


def compute_point(spec) -> dict:
    """The results dict of one point's spec (runs in a worker).  BLAS runs single-threaded, as
    in a Dask worker, so that the exact references agree bit for bit between serial and
    parallel runs (summation order)."""
    from threadpoolctl import threadpool_limits

    from ..results import run_spec

    with threadpool_limits(limits=1):
        return run_spec(spec)


def guarded(compute, spec) -> dict:
    """{"results": compute(spec)}, or {"error", "traceback"} if it raised: the failure is
    recorded in the point's failed.json and the other points go on."""
    try:
        return {"results": compute(spec)}
    except Exception as err:  # noqa: BLE001 - any failure of one point is recorded, the sweep goes on
        text = str(err).strip()
        return {"error": f"{type(err).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": "),
                "traceback": traceback.format_exc()}


def check_scheduler(value: str, key: str = "scheduler") -> str:
    """``value`` if it is "local", "none" or a scheduler address (``tcp://host:port``)."""
    if value in (LOCAL, SERIAL) or (isinstance(value, str) and "://" in value):
        return value
    raise InputError(key, f"expected 'local', 'none' or a scheduler address like tcp://host:8786, got {value!r}")


def run_sweep(folder: Path, spec, *, scheduler: str = LOCAL, quiet: bool = False, compute=compute_point,
              n_workers: int | None = None, confirm: bool = False) -> SweepOutcome:
    """Run every unfinished point of ``spec`` (an ExperimentSpec with a sweep) into ``folder``.
    ``compute``: the task function (point spec -> results dict; default :func:`compute_point`); ``n_workers``
    caps the LocalCluster (default: usable cores).  Target "ibm" ignores the scheduler: the
    points run serially through their job manifests after one QPU-time estimate for the grid
    (:mod:`qbhw.sweep.hardware`; ``confirm`` allows spending it)."""
    from .. import report

    check_scheduler(scheduler)
    points = spec.sweep_points()
    todo = [(p, s) for p, s in points if not finished(folder, p)]
    if spec.target == "ibm":
        from . import hardware

        if todo:
            hardware.check_grid_cost(todo, confirm=confirm, quiet=quiet)
        results = hardware.run_points(folder, todo, point_folder)
    else:
        _check_backends(s for _, s in todo)
        results = _results(todo, scheduler, quiet, compute, n_workers)
    for p, s in todo:
        sub = point_folder(folder, p)
        sub.mkdir(parents=True, exist_ok=True)
        report.write_json(sub / POINT_FILE, {"coords": {k: v for k, v in p.coords}, "index": list(p.index),
                                             "seed": s.seed})
    failed = []
    bar = _bar(len(points), len(points) - len(todo), quiet)
    try:
        for p, out in results:
            if not _store(folder, p, out):
                failed.append(p.label)
            bar.update(1)
    finally:
        bar.close()
    return SweepOutcome(len(points), len(todo), len(points) - len(todo), tuple(failed))


def _bar(total: int, initial: int, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="point", desc="sweep", disable=quiet, file=sys.stderr,
                dynamic_ncols=True)


def _store(folder: Path, point: Point, out: dict) -> bool:
    """Write a finished point (results.json) or its failure (failed.json); True if it succeeded."""
    from .. import report

    sub = point_folder(folder, point)
    if "results" in out:
        report.write_results(sub / RESULT_FILE, out["results"])
        (sub / FAILURE_FILE).unlink(missing_ok=True)
        return True
    report.write_json(sub / FAILURE_FILE, {"coords": {k: v for k, v in point.coords}, "error": out["error"],
                                           "traceback": out["traceback"]})
    return False


def _check_backends(specs) -> None:
    """Every distinct device backend of the points resolves (before any task is submitted)."""
    from ..execute import device
    from ..execute.targets import DEVICE_TARGETS

    seen = set()
    for s in specs:
        key = (s.target, s.backend, s.fractional)
        if s.target in DEVICE_TARGETS and key not in seen:
            seen.add(key)
            try:
                device(s.target, s.backend, fractional=s.fractional)
            except (ValueError, KeyError) as err:
                raise InputError("sweep.backend", f"{s.backend!r}: {str(err).splitlines()[0]}") from None


def _results(todo, scheduler, quiet, compute, n_workers):
    """(point, task output) as each point finishes."""
    if not todo:
        return
    if scheduler == SERIAL:
        for p, s in todo:
            yield p, guarded(compute, s)
        return
    from distributed import as_completed

    with _client(scheduler, min(len(todo), n_workers or usable_cores())) as client:
        if not quiet:
            print(f"qbhw: Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        futures = {client.submit(guarded, compute, s, pure=False): p for p, s in todo}
        for future in as_completed(futures):
            yield futures[future], _outcome(future)


def _outcome(future) -> dict:
    """The task's output; a worker that died on it every time becomes the point's failure."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as err:
        return {"error": f"KilledWorker: {err}", "traceback": traceback.format_exc()}


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def _client(scheduler: str, n_workers: int):
    """A Client on ``scheduler`` (a new LocalCluster for "local"), closed with its cluster on exit."""
    from distributed import Client, LocalCluster

    if scheduler != LOCAL:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as err:
            raise InputError("scheduler", f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client
