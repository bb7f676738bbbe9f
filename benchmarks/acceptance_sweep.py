"""Acceptance (issue 15): the charging-time-versus-gamma_C sweep, 40 points at F/g = 0.5, exact
reference + ideal-Aer circuits, on a 2-worker LocalCluster gives exactly the serial result
(same seeds), and the merged dataset opens with ``xarray.open_dataset`` with labelled dims.

    .venv/bin/python benchmarks/acceptance_sweep.py      # prints PASS/FAIL lines; exit 1 on a FAIL

A few minutes on 2 cores (each point: 11 times x 3 bases x 8 realizations, 800 shots).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from qbhw.experiment_file import parse
from qbhw.sweep import dataset, engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from specs import TLS_PAIR  # noqa: E402

GAMMAS = np.round(np.geomspace(0.1, 10.0, 40), 6).tolist()
SPEC = TLS_PAIR + f"""[times]
stop = 10.0
num = 11
[run]
target = "aer-ideal"
shots = 800
realizations = 8
bootstrap = 50
seed = 40
[sweep]
gamma_c = {GAMMAS}
"""


def run(folder: Path, spec, scheduler: str, n_workers: int | None = None) -> float:
    start = time.perf_counter()
    outcome = engine.run_sweep(folder, spec, scheduler=scheduler, quiet=True, n_workers=n_workers)
    if outcome.failed:
        raise SystemExit(f"FAIL: points failed: {outcome.failed}")
    dataset.write(folder, dataset.build(folder, spec))
    return time.perf_counter() - start


def main() -> int:
    spec = parse(SPEC)
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        serial = run(tmp / "serial", spec, engine.SERIAL)
        parallel = run(tmp / "parallel", spec, engine.LOCAL, n_workers=2)
        with xr.open_dataset(tmp / "serial" / "sweep.nc") as a, xr.open_dataset(tmp / "parallel" / "sweep.nc") as b:
            checks.append(("2-worker LocalCluster dataset identical to the serial one (xarray identical)", a.identical(b)))
            checks.append(("labelled dims (gamma_c, time) with the 40 swept values",
                           a["battery_energy"].dims == ("gamma_c", "time") and a["gamma_c"].size == 40
                           and np.allclose(a["gamma_c"].values, GAMMAS)))
            checks.append(("every point done", set(a["status"].values.tolist()) == {"done"}))
            tau = a["reference_charging_time"].values
            i = int(np.nanargmin(tau))
            checks.append((f"exact tau has an interior minimum (tau = {tau[i]:.3f} at gamma_c = {GAMMAS[i]:g})",
                           0 < i < len(GAMMAS) - 1))
    print(f"40-point sweep: serial {serial:.1f} s, 2-worker LocalCluster {parallel:.1f} s "
          f"(incl. cluster start-up), speed-up {serial / parallel:.2f}x")
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
