"""Command line.

    qbhw run EXPERIMENT.toml [--out DIR] [--quiet] [--yes] [--dry-run] [--scheduler local|none|tcp://HOST:PORT]
    qbhw resume DIR [--scheduler ...]    continue an interrupted run (no finished PUB or sweep point reruns)
    qbhw report DIR                      re-plot and re-write the report without re-running
    qbhw calibrations list | show NAME | pull BACKEND [--out DIR]
    qbhw export-circuits [DIR]          OpenQASM 3 of one Trotter step per model (default circuits/)
    qbhw --version

Exit codes: 0 success; 1 the run failed; 2 bad input: the experiment file, arguments, paths,
IBM accounts, and input found bad while compiling or running (:class:`qbhw.errors.InputError`,
including the resource refusal :class:`qbhw.errors.ResourceError`, and a too small oscillator
cutoff); 3 a run needs confirmation (``--yes``, :class:`qbhw.execute.CostError`) or was
interrupted and can be resumed: only then does the message say ``continue with: qbhw resume
DIR``; 130 (128 + SIGINT) interrupted with nothing to resume: before anything was stored (the
run folder is removed) or after the run was complete.
Errors are one line on stderr, no traceback.  A run folder holds ``experiment.toml`` (the
spec as given), ``jobs/`` (job manifest and counts per PUB, written as they arrive) and, once
complete, ``charging.png``, ``report.md`` and, last, ``results.json`` (each written
atomically; results.json marks a complete run).  A sweep's folder holds ``points/<label>/``
(results.json per finished point, failed.json for a failed one), the plots ``sweep*.png`` and,
last, ``sweep.nc`` (the merged xarray Dataset; it marks a complete sweep).  A run that fails
or is interrupted before storing anything leaves nothing behind; one that fails or is interrupted after storing work
(a job manifest, or finished sweep points) keeps its folder for ``qbhw resume``.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_RESUMABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's code for a process ended by SIGINT
SPEC_FILE, JOBS_DIR, SWEEP_FILE = "experiment.toml", "jobs", "sweep.nc"
TERMINAL_ROWS = 21  # time points shown on the terminal (report.md shows all)


def _fail(code: int, message: str) -> int:
    print(f"qbhw: error: {message}", file=sys.stderr)
    return code


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # signal handlers are set there only


@contextmanager
def _uninterruptible():
    """Cleanup after a failure or an interrupt is not itself interrupted by another Ctrl-C."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


class Progress:
    """One-line progress on stderr: redrawn in place on a terminal, every 25 % otherwise."""

    def __init__(self, label: str, quiet: bool):
        self.label, self.quiet, self.start, self.shown = label, quiet, time.monotonic(), -1
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total <= 0:
            return
        quarter = 4 * done // total
        if not self.tty and quarter == self.shown:
            return
        self.shown = quarter
        bar = "#" * (30 * done // total)
        end = "\n" if (not self.tty or done == total) else ""
        print(f"\r{self.label} [{bar:<30}] {done}/{total} circuits, {time.monotonic() - self.start:.0f} s",
              end=end, file=sys.stderr, flush=True)


def _resolve(spec):
    """The snapshot or backend object of ``spec`` (None for simulator targets); unknown
    backends, missing calibration files and missing accounts raise ValueError / IBMAccountError."""
    from .execute import device
    from .execute.targets import DEVICE_TARGETS

    if spec.target not in DEVICE_TARGETS:
        return None
    # "auto" resolves the plain device: the run adds or strips the fractional gates per gate set
    dev = device(spec.target, spec.backend, fractional=spec.fractional is True)
    return dev.backend if dev.backend is not None else dev.snapshot


#: Exceptions a run may end with; anything else is a bug and keeps its traceback.
RUN_FAILURES = (ValueError, RuntimeError, OSError, MemoryError)


def _exit_code(err: Exception) -> int:
    """Exit code of one of :data:`RUN_FAILURES` raised while compiling or running."""
    from .errors import InputError
    from .execute import CostError
    from .execute.runtime import IBMAccountError
    from .reference.solve import TruncationError

    if isinstance(err, CostError):
        return EXIT_RESUMABLE
    if isinstance(err, (InputError, TruncationError, IBMAccountError)):
        return EXIT_BAD_INPUT
    return EXIT_FAILED


def _message(err: Exception) -> str:
    text = str(err).strip().splitlines()
    if isinstance(err, MemoryError):
        return f"out of memory{' (' + text[0] + ')' if text else ''}; reduce run.realizations, run.shots or times.num"
    return text[0] if text else type(err).__name__


def _execute(folder: Path, spec, args, backend) -> None:
    """Run ``spec`` with its job manifest in ``folder/jobs`` and write the outputs."""
    from . import report
    from .results import run_spec

    results = run_spec(spec, jobs=folder / JOBS_DIR, progress=Progress(spec.target, args.quiet), confirm=args.yes,
                       backend=backend)
    report.write_all(folder, results)
    if not args.quiet:
        for warning in report.warnings(results):
            print(f"qbhw: warning: {warning}", file=sys.stderr)
        print(report.table(results, rows=TERMINAL_ROWS))
        print("\n".join(report.summary_lines(results)))
        print(f"wrote {folder}/results.json, charging.png, report.md")


def _complete(folder: Path) -> bool:
    return (folder / "results.json").exists() or (folder / SWEEP_FILE).exists()


def _stored(folder: Path) -> bool:
    """True once ``folder`` holds work worth resuming: a job manifest or a finished run."""
    return any(folder.glob(f"**/{JOBS_DIR}/manifest.json")) or any(folder.glob("**/results.json"))


def _run_in(folder: Path, spec, args, backend, *, spec_file: Path | None = None) -> int:
    """Run ``spec`` in ``folder`` (a new run copies ``spec_file`` there first; a resumed one
    passes None) and map the outcome to an exit code: see the module doc."""
    fresh = spec_file is not None
    existed = folder.exists()
    try:
        if fresh:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / SPEC_FILE).write_bytes(spec_file.read_bytes())
            _copy_inputs(spec, folder)
        _run_folder(folder, spec, args, backend)
        return EXIT_OK
    except KeyboardInterrupt:
        code, message = EXIT_INTERRUPTED, None
    except RUN_FAILURES as err:
        code, message = (EXIT_INTERRUPTED, None) if _caused_by_interrupt(err) else (_exit_code(err), _message(err))
    except BaseException:  # a bug: its traceback stays, but no half-written folder does
        with _uninterruptible():
            _discard(folder, fresh=fresh, existed=existed)
        raise
    with _uninterruptible():
        return _finish(folder, code, message, fresh=fresh, existed=existed)


def _copy_inputs(spec, folder: Path) -> None:
    """Copy the files the model reads (user module, operator arrays) beside the run's
    experiment.toml, keeping their relative paths, so that ``qbhw resume`` works from anywhere."""
    for rel in spec.inputs():
        src, dst = spec.folder / rel, folder / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)


def _discard(folder: Path, *, fresh: bool, existed: bool) -> bool:
    """Remove a new run's folder that holds nothing worth resuming (an empty --out folder given
    by the user stays, empty); True if removed."""
    if not fresh or _stored(folder):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    if existed:
        folder.mkdir()
    return True


def _finish(folder: Path, code: int, message: str | None, *, fresh: bool, existed: bool) -> int:
    removed = _discard(folder, fresh=fresh, existed=existed)
    if code == EXIT_INTERRUPTED:
        if _complete(folder):
            message = f"interrupted after the run was complete: {folder}"
        elif removed:
            message = "interrupted before anything was stored; nothing was kept"
        else:  # a resumed folder is the user's and is never removed
            code, message = EXIT_RESUMABLE, f"interrupted; continue with: qbhw resume {folder}"
    elif _stored(folder) and code != EXIT_RESUMABLE:
        message = f"{message} (submitted work is kept: qbhw resume {folder})"
    return _fail(code, message)


def _load(path):
    """(spec, resolved backend) or raise ValueError / IBMAccountError (bad input)."""
    from .experiment_file import load

    spec = load(path)
    return spec, _resolve(spec)


def _check_scheduler(args) -> None:
    from .sweep.engine import check_scheduler

    if args.scheduler is not None:
        check_scheduler(args.scheduler, key="--scheduler")


def _cmd_run(args) -> int:
    from .execute.runtime import IBMAccountError

    try:
        _check_scheduler(args)
        spec, backend = _load(args.experiment)
        if args.dry_run:
            return _dry_run(spec, backend)
    except (ValueError, IBMAccountError) as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    out = Path(args.out) if args.out else Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-{Path(args.experiment).stem}"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        return _fail(EXIT_BAD_INPUT, f"{out}: output folder exists and is not empty (choose another --out)")
    return _run_in(out, spec, args, backend, spec_file=Path(args.experiment))


def _run_folder(folder: Path, spec, args, backend) -> None:
    """Run (or continue) ``spec`` in ``folder``; a sweep runs its unfinished points on the
    scheduler (``--scheduler``, else ``[run] scheduler``, else a LocalCluster), each into
    points/<label>/, then merges them into sweep.nc and plots it (qbhw.sweep)."""
    if spec.sweep is None:
        _execute(folder, spec, args, backend)
        return
    from .sweep import dataset, engine

    scheduler = getattr(args, "scheduler", None) or spec.scheduler or engine.LOCAL
    outcome = engine.run_sweep(folder, spec, scheduler=scheduler, quiet=args.quiet, confirm=args.yes)
    if outcome.failed:
        first = _failure_message(folder, outcome.failed[0])
        raise RuntimeError(f"{len(outcome.failed)} of {outcome.total} sweep points failed (first: {outcome.failed[0]}: "
                           f"{first}; parameters and traceback in {folder}/{engine.POINTS_DIR}/*/{engine.FAILURE_FILE})")
    _write_sweep(folder, dataset.build(folder, spec))
    if not args.quiet:
        print(f"sweep: {outcome.computed} points computed, {outcome.skipped} already finished")
        print(f"wrote {folder}/{dataset.DATASET_FILE}, {', '.join(_sweep_plots(folder))}")


def _failure_message(folder: Path, label: str) -> str:
    """The one-line error recorded in a failed point's failed.json."""
    import json

    from .sweep import engine

    path = folder / engine.POINTS_DIR / label / engine.FAILURE_FILE
    return json.loads(path.read_text())["error"]


def _write_sweep(folder: Path, ds) -> None:
    """Plots first, then sweep.nc: its presence marks a complete sweep."""
    from . import report
    from .sweep import dataset

    report.plot_sweep(folder, ds)
    dataset.write(folder, ds)


def _sweep_plots(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("sweep*.png"))


def _dry_run(spec, backend) -> int:
    from .results import dry_run_spec

    try:
        checked = dry_run_spec(spec, backend=backend)
    except RuntimeError as err:
        return _fail(_exit_code(err), _message(err))
    for c in checked:
        where = f"{c['point']}: " if c["point"] else ""
        cost = c.get("estimated_qpu_seconds")
        device = (f" on {c['backend']}, qubits {c['qubits']}, estimated {cost:.0f} QPU seconds"
                  if c.get("backend") else "")
        print(f"dry run {where}{c['circuits']} circuits on {c['qubits_needed']} qubits valid ({c['dry_run']})"
              f"{device}")
    print("nothing was run")
    return EXIT_OK


def _cmd_plan(args) -> int:
    from .results import plan_spec

    try:
        spec, backend = _load(args.experiment)
        planned = plan_spec(spec, backend=backend, devices=tuple(args.device or ()))
    except RUN_FAILURES as err:
        return _fail(_exit_code(err), _message(err))
    print(plan_text(planned))
    print("nothing was submitted")
    return EXIT_OK


def plan_text(planned: dict) -> str:
    """``qbhw plan``'s table: per time point the shots of each setting and the planned and
    simulated half-widths (with a precision), then shots, realizations and QPU seconds per device."""
    lines = [f"{planned['circuits']} circuits, {planned['total_shots']} shots in all, "
             f"{planned['realizations']} realization(s) per time point, estimator {planned['estimator']}"]
    plan = planned["plan"]
    if plan is not None:
        aim = (f"a budget of {plan['shot_budget']} shots: +-{plan['precision']:.4f}" if plan.get("shot_budget")
               else f"+-{plan['precision']:g}")
        lines.append(f"planned for {aim} (95 % half-width of the ergotropy per time point), "
                     f"{plan['allocation']} allocation" + (", 1 shot per realization" if plan["shots_per_realization"]
                                                           else ""))
        lines.append(f"{'t':>7}  {'shots per setting':<58} {'planned':>8} {'simulated':>9}")
        for t, shots, p, s in zip(planned["times"], plan["shots"], plan["predicted_half_width"],
                                  plan["simulated_half_width"]):
            cells = " ".join(f"{k}:{n}" for k, n in shots.items())
            lines.append(f"{t:7.3f}  {cells:<58} {p:8.4f} {s:9.4f}")
    for d in planned["devices"]:
        lines.append(f"{d['device']} qubits {d['qubits']}: {d['qpu_seconds']:.1f} QPU s at rep delay "
                     f"{d['rep_delay'] * 1e6:.0f} us ({d['rep_delay_reason']}); "
                     f"{d['qpu_seconds_default_rep_delay']:.1f} s at the device default")
    return "\n".join(lines)


def _cmd_budget(args) -> int:
    """``qbhw budget``: the QPU seconds used and the budget per account; ``qbhw budget set SECONDS``
    sets one (the account: --account ID, else --channel/--instance, else the ledger's only one)."""
    from .execute import budget

    try:
        ledger = budget.Ledger()
        accounts = ledger.accounts()
        if args.action == "set":
            if args.seconds is None:
                return _fail(EXIT_BAD_INPUT, "qbhw budget set needs the budget in QPU seconds, e.g. qbhw budget set 600")
            account = args.account or (budget.account_id(args.channel, args.instance) if args.channel or args.instance
                                       else next(iter(accounts)) if len(accounts) == 1 else budget.DEFAULT_ACCOUNT)
            ledger.set_budget(account, args.seconds, window_days=args.window_days, label=args.instance)
            accounts = {account: accounts.get(account, args.instance or account)}
    except RUN_FAILURES as err:
        return _fail(_exit_code(err), _message(err))
    if not accounts:
        print(f"no QPU usage recorded yet ({budget.ledger_path()}); set a budget with `qbhw budget set SECONDS`")
    for account, label in accounts.items():
        print(f"{account} ({label}): {ledger.summary(account)}")
    return EXIT_OK


def _cmd_resume(args) -> int:
    from .execute.runtime import IBMAccountError

    folder = Path(args.directory)
    if _complete(folder):
        return _fail(EXIT_BAD_INPUT, f"{folder}: this run is complete (qbhw report {folder} re-plots it)")
    if not (folder / SPEC_FILE).exists():
        return _fail(EXIT_BAD_INPUT, f"{folder}: not a qbhw run folder (no {SPEC_FILE})")
    try:
        _check_scheduler(args)
        spec, backend = _load(folder / SPEC_FILE)
    except KeyboardInterrupt:
        return _fail(EXIT_RESUMABLE, f"interrupted; continue with: qbhw resume {folder}")
    except (ValueError, IBMAccountError) as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    return _run_in(folder, spec, args, backend)


def _cmd_report(args) -> int:
    from . import report

    d = Path(args.directory)
    try:
        if (d / SWEEP_FILE).exists():
            from .sweep import dataset

            report.plot_sweep(d, dataset.load(d))  # from sweep.nc: nothing recomputed
        else:
            _replot(d)
    except (FileNotFoundError, ValueError, KeyError) as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    if not args.quiet:
        print(f"re-plotted {d}")
    return EXIT_OK


def _replot(d: Path) -> None:
    from . import report

    results = report.load_results(d)
    report.plot_charging(d / "charging.png", results)
    report.atomic_write_text(d / "report.md", report.markdown(results))


def _cmd_calibrations(args) -> int:
    from . import calibration

    if args.action == "list":
        for path in calibration.available():
            snap = calibration.load(path)
            print(f"{path.stem:36} {snap.processor_family:10} {snap.num_qubits:4d} qubits  {path}")
        return EXIT_OK
    if args.name is None:
        return _fail(EXIT_BAD_INPUT, f"calibrations {args.action}: give a {'name' if args.action == 'show' else 'backend'}")
    try:
        if args.action == "show":
            _show(calibration.find(args.name))
            return EXIT_OK
        backend = _backend_for_pull(args.name)
        snap = calibration.snapshot_backend(backend)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = calibration.save(snap, out)
    except (ValueError, KeyError) as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    except RuntimeError as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    print(f"wrote {path}")
    return EXIT_OK


def _backend_for_pull(name: str):
    from .execute.targets import fake_backend

    if name.startswith("fake_"):
        return fake_backend(name)
    from .execute.runtime import connect

    return connect(name)


def _show(snap) -> None:
    import numpy as np

    t1 = np.array([q.t1 for q in snap.qubits if q.t1], dtype=float) * 1e6
    t2 = np.array([q.t2 for q in snap.qubits if q.t2], dtype=float) * 1e6
    ro = np.array([q.readout_error for q in snap.qubits if q.readout_error is not None], dtype=float)
    e2 = np.array([g.error for g in snap.gates if g.name == snap.two_qubit_gate and g.error is not None], dtype=float)
    print(f"{snap.backend_name} ({snap.processor_family}), {snap.num_qubits} qubits, calibrated {snap.date}")
    print(f"basis gates: {', '.join(snap.basis_gates)}; 2q gate {snap.two_qubit_gate} on {len(snap.coupling_map)} directed edges")
    print(f"T1 median {np.median(t1):.0f} us (min {t1.min():.0f}), T2 median {np.median(t2):.0f} us (min {t2.min():.0f})")
    print(f"readout error median {np.median(ro):.2%}; {snap.two_qubit_gate} error median {np.median(e2):.2e}")


def _cmd_export(args) -> int:
    from .compile.export import write_circuits

    paths = write_circuits(args.directory)
    if not args.quiet:
        print(f"wrote {len(paths)} circuits to {args.directory}")
    return EXIT_OK


SCHEDULER_HELP = ("sweeps: 'local' (a Dask LocalCluster, one worker per core; default), 'none' (serial), or a "
                  "Dask scheduler address tcp://host:port (overrides [run] scheduler)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbhw", description="Quantum-battery experiments on quantum processors")
    parser.add_argument("--version", action="version", version=f"qbhw {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment file and write results, plots and a report")
    run.add_argument("experiment", help="experiment TOML file")
    run.add_argument("--out", help="output folder (default: results/<timestamp>-<name>)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--yes", action="store_true", help="spend the estimated QPU time without asking")
    run.add_argument("--dry-run", action="store_true", help="validate every circuit without running (IBM: the runtime dry run; other device targets: a local check against the device Target; writes nothing)")
    run.add_argument("--scheduler", help=SCHEDULER_HELP)
    run.set_defaults(func=_cmd_run)
    pln = sub.add_parser("plan", help="print the shots and QPU seconds an experiment file would spend, submit nothing")
    pln.add_argument("experiment", help="experiment TOML file")
    pln.add_argument("--device", action="append", help="also price it on this calibration snapshot (repeatable)")
    pln.set_defaults(func=_cmd_plan)
    bud = sub.add_parser("budget", help="QPU seconds used per IBM account and the budget that guards runs")
    bud.add_argument("action", nargs="?", choices=("show", "set"), default="show")
    bud.add_argument("seconds", nargs="?", type=float, help="budget in QPU seconds per window (set)")
    bud.add_argument("--account", help="account id as listed (default: the only one, or from --channel/--instance)")
    bud.add_argument("--channel", help="IBM channel of the account (with --instance; no network needed)")
    bud.add_argument("--instance", help="IBM instance (CRN) of the account")
    bud.add_argument("--window-days", type=float, default=28.0, help="rolling window of the budget (default 28 days)")
    bud.set_defaults(func=_cmd_budget)
    res = sub.add_parser("resume", help="continue an interrupted run folder")
    res.add_argument("directory")
    res.add_argument("--quiet", action="store_true")
    res.add_argument("--yes", action="store_true", help="spend the estimated QPU time without asking")
    res.add_argument("--scheduler", help=SCHEDULER_HELP)
    res.set_defaults(func=_cmd_resume)
    rep = sub.add_parser("report", help="re-plot and re-write the report of a finished run")
    rep.add_argument("directory")
    rep.add_argument("--quiet", action="store_true")
    rep.set_defaults(func=_cmd_report)
    cal = sub.add_parser("calibrations", help="list, show or pull calibration snapshots")
    cal.add_argument("action", choices=("list", "show", "pull"))
    cal.add_argument("name", nargs="?", help="snapshot name (show) or backend name (pull: fake_* or an IBM backend)")
    cal.add_argument("--out", default="calibrations", help="folder for pulled snapshots (default: calibrations/)")
    cal.set_defaults(func=_cmd_calibrations)
    exp = sub.add_parser("export-circuits", help="write OpenQASM 3 files of one Trotter step per model")
    exp.add_argument("directory", nargs="?", default="circuits")
    exp.add_argument("--quiet", action="store_true")
    exp.set_defaults(func=_cmd_export)
    return parser


def _caused_by_interrupt(err: BaseException) -> bool:
    """True for a KeyboardInterrupt, or an error raised because of one: a Ctrl-C while a
    compiled extension initialises (qiskit's Rust types while importing) surfaces as a
    RuntimeError whose cause is the KeyboardInterrupt."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def main(argv=None) -> int:
    """Run the command in ``argv`` (default: the process's arguments) and return its exit code.
    Ctrl-C ends any command with one line (see the module doc for ``run``); called as the
    program (``argv`` None), a Ctrl-C after the command finished is ignored, so that the
    interpreter's shutdown cannot turn a finished command into one killed by SIGINT."""
    try:
        args = _parser().parse_args(argv)
        code = args.func(args)
    except BaseException as err:
        if not _caused_by_interrupt(err):
            raise
        code = _fail(EXIT_INTERRUPTED, "interrupted")
    if argv is None and _main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # CPython remembers a KeyboardInterrupt that left any eval()/exec() of a string (namedtuple
    # and dataclass creation do that while modules import) and, under `python -m`, ends the
    # process by SIGINT although it was handled; one more string eval clears that record.
    eval("None")
    return code


if __name__ == "__main__":
    sys.exit(main())
