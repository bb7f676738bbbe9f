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
    if spec.precision is not None or spec.shot_budget is not None:  # the shots are the planner's (qbhw.plan)
        from ..results import plan_spec

        return plan_spec(spec, backend=dev.backend)["devices"][0]["qpu_seconds_default_rep_delay"]
    program = compile_spec(spec, backend=dev.backend)
    prepared = prepare(program, dev, spec.qubits)
    isa = tuple(replace(pub, shots=n) for pub, n in zip(prepared.isa, shots_per_pub(program, spec.shots), strict=True))
    runtime = build_options(shots=spec.shots, seed=spec.seed, **dict(spec.runtime_options))
    return qpu_seconds(prepared, isa, spec.shots, rep_delay=runtime.get("execution", {}).get("rep_delay"))


def check_grid_cost(todo, *, confirm: bool, quiet: bool) -> float:
    """The whole grid's QPU-time estimate (printed), checked against each IBM account's budget
    (:class:`qbhw.execute.budget.Ledger`; BudgetError); CostError above the threshold unless ``confirm``."""
    from ..execute import targets

    from ..execute import budget
    from ..execute.runtime import is_local

    devices: dict = {}
    seconds = [(s, point_qpu_seconds(s, devices)) for _, s in todo]
    total = sum(x for _, x in seconds)
    names = ", ".join(sorted({dev.name for dev in devices.values()}))
    if not quiet:
        print(f"qbhw: estimated QPU time for the sweep: {total:.0f} s over {len(todo)} points on {names}", file=sys.stderr)
    per_account: dict = {}  # the whole grid against each account's budget before anything is submitted
    for s, x in seconds:
        dev = devices[(s.backend, s.fractional)]
        if dev.backend is not None and not is_local(dev.backend):
            account = budget.backend_account(dev.backend)[0]
            per_account[account] = per_account.get(account, 0.0) + x
    if per_account:
        ledger = budget.Ledger()
        for account, x in per_account.items():
            ledger.check(account, x)
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
