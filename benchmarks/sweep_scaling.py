"""Sweep scaling (issue 15): serial vs a 2-worker Dask LocalCluster on the same sweep, for a
reference-only sweep and an Aer-execution sweep (target >= 1.7x for execution on 2 cores;
the cores the workers actually got are printed, since other processes share the machine),
the scheduler overhead per task (no-op tasks on the same cluster), and the memory per point.

    .venv/bin/python benchmarks/sweep_scaling.py

Wall times include merging into sweep.nc; the parallel ones are given with and without the
cluster's start-up (workers spawn and import qbhw once per process).  Memory: the Python-heap peak
of one point (tracemalloc), the pickled size of one point's results (what a worker sends
back), and the processes' RSS (the serial process's peak, each worker's after the sweeps).
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from qbhw.experiment_file import parse
from qbhw.sweep import dataset, engine
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from specs import TLS_PAIR  # noqa: E402

BASE = TLS_PAIR + """[times]
stop = 10.0
num = {num}
[run]
target = "{target}"
shots = 2000
realizations = 20
bootstrap = 100
seed = 9
[sweep]
gamma_c = {gammas}
"""
REFERENCE = BASE.format(num=41, target="reference", gammas=np.round(np.geomspace(0.1, 10, 24), 6).tolist())
EXECUTION = BASE.format(num=21, target="aer-ideal", gammas=np.round(np.geomspace(0.1, 10, 12), 6).tolist())
NOOP_TASKS = 400


def _sweep(folder: Path, spec, scheduler: str) -> tuple[float, float]:
    """(seconds running the points, seconds merging them into sweep.nc)."""
    start = time.perf_counter()
    outcome = engine.run_sweep(folder, spec, scheduler=scheduler, quiet=True)
    assert not outcome.failed, outcome.failed
    ran = time.perf_counter()
    dataset.write(folder, dataset.build(folder, spec))
    return ran - start, time.perf_counter() - ran


def _warm(points) -> None:
    for point in points:
        engine.compute_point(point)


def _noop(x):
    return x


def _cpu_seconds() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def main() -> None:
    from distributed import Client, LocalCluster

    load = os.getloadavg()
    specs = {"reference-only": parse(REFERENCE), "aer-execution": parse(EXECUTION)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _warm([spec.sweep_points()[0][1] for spec in specs.values()])  # caches warm here, as in the workers below
        serial = {name: _sweep(tmp / f"serial-{name}", spec, engine.SERIAL) for name, spec in specs.items()}
        busy = {}
        start = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("qbhw.results"))  # the import every worker pays once
            startup = time.perf_counter() - start
            client.run(_warm, [spec.sweep_points()[0][1] for spec in specs.values()])  # as the serial process
            parallel = {}
            for name, spec in specs.items():
                cpu = client.run(_cpu_seconds)
                parallel[name] = _sweep(tmp / f"parallel-{name}", spec, cluster.scheduler_address)
                busy[name] = sum(client.run(_cpu_seconds)[w] - cpu[w] for w in cpu) / parallel[name][0]
            worker_rss = client.run(_rss)
            t0 = time.perf_counter()
            client.gather(client.map(_noop, range(NOOP_TASKS), pure=False))
            overhead = (time.perf_counter() - t0) / NOOP_TASKS
        identical = all(
            dataset.build(tmp / f"serial-{n}", s).identical(dataset.build(tmp / f"parallel-{n}", s)) for n, s in specs.items())
        tracemalloc.start()
        results = engine.compute_point(specs["aer-execution"].sweep_points()[6][1])
        heap_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"load average before the run (other users of the 2 cores): {load[0]:.2f}; after: {os.getloadavg()[0]:.2f}")
    print(f"cluster start-up (2 workers, qbhw imported): {startup:.1f} s")
    for name, spec in specs.items():
        n = len(spec.sweep_points())
        (s_run, s_merge), (p_run, p_merge) = serial[name], parallel[name]
        print(f"{name:15} {n:3d} points: serial {s_run:6.1f} s ({s_run / n:.2f} s/point), 2 workers {p_run:6.1f} s "
              f"-> {s_run / p_run:.2f}x on the points; with the merge (serial {s_merge:.1f} s, parallel "
              f"{p_merge:.1f} s) {(s_run + s_merge) / (p_run + p_merge):.2f}x; with the cluster start-up too "
              f"{(s_run + s_merge) / (p_run + p_merge + startup):.2f}x; the workers got {busy[name]:.2f} cores "
              "(their CPU seconds / wall seconds)")
    print(f"serial and parallel datasets identical: {identical}")
    print(f"scheduler overhead per task: {overhead * 1e3:.2f} ms ({NOOP_TASKS} no-op tasks, 2 workers)")
    print(f"memory per aer-execution point: Python-heap peak {heap_peak / 2**20:.1f} MiB (tracemalloc; Aer's C++ "
          f"buffers not included), results {len(pickle.dumps(results)) / 1024:.0f} KiB pickled; whole-process RSS: "
          f"this (serial) process peak {max_rss / 2**20:.0f} MiB, workers after the sweeps "
          + ", ".join(f"{v / 2**20:.0f} MiB" for v in worker_rss.values()))


if __name__ == "__main__":
    main()
