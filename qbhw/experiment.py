"""One call from a model to measured battery figures of merit beside the exact reference:

    result = run_experiment(tls_pair(1.0, 0.5, 1.0), np.linspace(0, 10, 20), seed=1)
    result.battery_energy, result.battery_energy_err, result.reference.battery_energy

Pipeline: compile_program (Trotter + emulated dephasing + battery tomography) -> execute.run
-> linear inversion + projection onto physical states -> energy and ergotropy.  Standard
errors come from a bootstrap over dephasing realizations (each realization's counts carry its
shot noise, so both sources are resampled), or over shots when there is one realization.
Ergotropy is nonlinear and biased upwards near passive states: ``battery_ergotropy_bias`` is
the bootstrap mean minus the point estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import execute
from .compile import Program, compile_program
from .metrics import energy, ergotropy
from .models import Model
from .reference import Trajectory, evolve
from .tomography import linear_inversion, project_physical


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Measured battery energy/ergotropy with standard errors (arrays over ``times``), the
    reconstructed battery states, the exact reference of the same model (rotating frame, the
    frame the circuits run in) and the program that was run."""

    times: np.ndarray
    battery_energy: np.ndarray
    battery_energy_err: np.ndarray
    battery_ergotropy: np.ndarray
    battery_ergotropy_err: np.ndarray
    battery_ergotropy_bias: np.ndarray
    battery_states: np.ndarray
    reference: Trajectory
    program: Program
    metadata: dict


def _per_time(program: Program, counts) -> list[dict[str, np.ndarray]]:
    out = [dict() for _ in program.times]
    for info, c in zip(program.info, counts):
        out[info.time_index][info.basis] = c
    return out


def _resample(rng, c: np.ndarray, n_boot: int) -> np.ndarray:
    """(M, K) counts -> (n_boot, K): realizations resampled, or shots when M == 1."""
    if c.shape[0] == 1:
        total = int(c.sum())
        return rng.multinomial(total, c[0] / total, size=n_boot)
    picks = rng.integers(0, c.shape[0], size=(n_boot, c.shape[0]))
    weights = np.stack([np.bincount(p, minlength=c.shape[0]) for p in picks])
    return weights @ c


def run_experiment(model: Model, times, *, dephasing: str = "kicks", realizations: int = 100,
                   shots: int = 4000, target: str = "aer-ideal", seed: int | None = None, order: int = 2,
                   accuracy: float = 1e-2, max_step: float | None = 0.5, bootstrap: int = 200) -> ExperimentResult:
    """Run ``model`` at ``times`` (units 1/omega_B) on ``target`` and analyse it (see module)."""
    if not isinstance(bootstrap, int) or bootstrap < 2:
        raise ValueError(f"bootstrap must be an integer >= 2, got {bootstrap!r}")
    seeds = np.random.SeedSequence(seed).generate_state(3)
    program = compile_program(model, times, order=order, accuracy=accuracy, max_step=max_step,
                              dephasing=dephasing, realizations=realizations, seed=int(seeds[0]))
    run = execute.run(program, target=target, shots=shots, seed=int(seeds[1]))
    rng = np.random.default_rng(seeds[2])
    hb = np.asarray(model.h_battery)
    rows = []
    for data in _per_time(program, run.counts):
        point = project_physical(linear_inversion({b: c.sum(axis=0) for b, c in data.items()}))
        boot = project_physical(linear_inversion({b: _resample(rng, c, bootstrap) for b, c in data.items()}))
        e_boot, w_boot = energy(boot, hb), ergotropy(boot, hb)
        w_point = ergotropy(point, hb)
        rows.append((point, energy(point, hb), e_boot.std(ddof=1), w_point, w_boot.std(ddof=1),
                     w_boot.mean() - w_point))
    states, e, e_err, w, w_err, bias = (np.array(col) for col in zip(*rows))
    reference = evolve(model, program.times, frame="rotating")
    return ExperimentResult(program.times, e, e_err, w, w_err, bias, states, reference, program,
                            {**run.metadata, "steps": program.steps, "trotter_error": program.error_bound,
                             "dephasing": dephasing, "bootstrap": bootstrap})
