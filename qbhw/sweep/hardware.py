"""Sweeps on target "ibm": never Dask tasks holding sessions open.  The points run one after
another in this process, each through the job manifest in its own ``points/<label>/jobs/``
(runtime Batch jobs of bounded size, results on disk before the next submission, resumed
without resubmitting), after ONE QPU-time estimate for every unfinished point of the grid:
above :data:`qbhw.execute.targets.CONFIRM_QPU_SECONDS` nothing is submitted without
``confirm`` (CLI ``--yes``).
"""

from __future__ import annotations

import sys

JOBS_DIR = "jobs"


def point_qpu_seconds(spec, devices: dict) -> float:
    """Estimated QPU seconds of one point: its program compiled and transpiled for the device
    (``devices`` caches the resolved backends by (name, fractional))."""
    from dataclasses import replace

    from ..execute import device, prepare
    from ..execute.runtime import build_options
    from ..execute.targets import qpu_seconds, shots_per_pub
    from ..results import compile_spec

    key = (spec.backend, spec.fractional)
    if key not in devices:
        devices[key] = device("ibm", spec.backend, fractional=spec.fractional is True)
    dev = devices[key]
    program = compile_spec(spec, backend=dev.backend)
    prepared = prepare(program, dev, spec.qubits)
    isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, shots_per_pub(program, spec.shots), strict=True))
    runtime = build_options(shots=spec.shots, seed=spec.seed, **dict(spec.runtime_options))
    return qpu_seconds(prepared, isa, spec.shots, rep_delay=runtime.get("execution", {}).get("rep_delay"))


def check_grid_cost(todo, *, confirm: bool, quiet: bool) -> float:
    """The whole grid's QPU-time estimate (printed); CostError above the threshold unless ``confirm``."""
    from ..execute import targets

    devices: dict = {}
    total = sum(point_qpu_seconds(s, devices) for _, s in todo)
    names = ", ".join(sorted({dev.name for dev in devices.values()}))
    if not quiet:
        print(f"qbhw: estimated QPU time for the sweep: {total:.0f} s over {len(todo)} points on {names}", file=sys.stderr)
    if total > targets.CONFIRM_QPU_SECONDS and not confirm:
        raise targets.CostError(f"estimated {total:.0f} QPU seconds for the {len(todo)} unfinished sweep points on "
                                f"{names} exceeds {targets.CONFIRM_QPU_SECONDS:.0f} s; rerun with --yes "
                                "(confirm=True) to spend it")
    return total


def run_points(folder, todo, point_folder):
    """(point, task output) of each point, run serially with its job manifest."""
    from functools import partial

    from ..results import run_spec
    from .engine import guarded

    for p, s in todo:
        yield p, guarded(partial(run_spec, jobs=point_folder(folder, p) / JOBS_DIR, confirm=True), s)
