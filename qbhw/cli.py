"""Command line: ``qbhw run EXPERIMENT.toml``, ``qbhw report DIR``.

Exit codes: 0 success, 1 the run failed, 2 bad input (experiment file, arguments, paths).
Errors are one line on stderr, no traceback.  Output goes to a staging folder that is
renamed into place only when complete, so nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _fail(code: int, message: str) -> int:
    print(f"qbhw: error: {message}", file=sys.stderr)
    return code


def _cmd_run(args) -> int:
    from . import report
    from .experiment_file import SpecError, load
    from .pipeline import run_spec

    try:
        spec = load(args.experiment)
    except SpecError as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    out = Path(args.out) if args.out else Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-{Path(args.experiment).stem}"
    if out.exists() and any(out.iterdir()):
        return _fail(EXIT_BAD_INPUT, f"{out}: output folder exists and is not empty (choose another --out)")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        results = run_spec(spec)
        report.write_all(staging, results)
    except (ValueError, RuntimeError) as err:
        shutil.rmtree(staging, ignore_errors=True)
        return _fail(EXIT_FAILED, str(err))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        out.rmdir()
    staging.rename(out)
    if not args.quiet:
        print(report.table(results))
        print("\n".join(report.summary_lines(results)))
        print(f"wrote {out}/results.json, charging.png, report.md")
    return EXIT_OK


def _cmd_report(args) -> int:
    from . import report

    d = Path(args.directory)
    try:
        results = report.load_results(d)
        report.plot_charging(d / "charging.png", results)
        report.atomic_write_text(d / "report.md", report.markdown(results))
    except (FileNotFoundError, ValueError, KeyError) as err:
        return _fail(EXIT_BAD_INPUT, str(err))
    if not args.quiet:
        print(f"re-plotted {d}/charging.png and report.md")
    return EXIT_OK


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="qbhw", description="Quantum-battery experiments on quantum processors")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment file and write results, plots and a report")
    run.add_argument("experiment", help="experiment TOML file")
    run.add_argument("--out", help="output folder (default: results/<timestamp>-<name>)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(func=_cmd_run)
    rep = sub.add_parser("report", help="re-plot and re-write the report of a finished run")
    rep.add_argument("directory")
    rep.add_argument("--quiet", action="store_true")
    rep.set_defaults(func=_cmd_report)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
