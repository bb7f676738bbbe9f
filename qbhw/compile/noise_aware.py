"""Noise-aware Trotter step counts: per time point, the step count k that minimises the
PREDICTED TOTAL ERROR of the state the device prepares,

    total(k) = split(k) + device(k),   device(k) = 2 P_fault(k),

split(k): the trace-norm error of the averaged split evolution (exact up to
trotter.EXACT_LIMIT, else the commutator bound; what ``Program.error_bound`` reports);
P_fault(k): the probability that the placed circuit with k steps suffers a device fault (a gate
error, 1 - prod_g (1 - e_g), or decoherence of its qubits over its duration), given by the
caller (:func:`qbhw.execute.resources.fault_model`), so this module knows no device.  A fault
may leave any state, at most 2 away in trace norm: 2 P_fault is a bound, as split(k) is above
EXACT_LIMIT.  (A device's errors are not all faults that leave any state, so the total
overestimates; it ranks step counts, the measured curve says how much signal is left.)

The search runs over k = 1 (or the collisions' floor) .. k_split, k_split the splitting-only choice (fewest steps whose
split error is <= ``accuracy``): more steps only buy splitting accuracy beyond the user's target
at the price of device error, so the objective counts a split error below ``accuracy`` as
``accuracy``, max(split(k), accuracy) + device(k), ties going to MORE steps: with no device
error the choice is k_split.  Every k up to DENSE is evaluated; above it a geometric grid
(ratio GRID_RATIO) and every k between the grid neighbours of its best point (exact for an
objective without a second minimum between grid points).

Measured on the star N = 2 (F/g = 0.7255, gamma_C = 1, kicks, t = 10; exact split errors, noise-
exact fake_fez; tests/test_noise_aware.py, report of issue 16), what else was tried and why not:
order 1 with the term order reversed every other step (a palindromic, second-order sequence of
4 instead of 6 CZ per step) needs more CZ for the same split error (0.20 with 96 CZ against
0.22 with 72 at order 2), and a non-uniform grid (coarse early, fine late, or the reverse)
loses to the uniform one at equal step count (0.30 against 0.22 with 12 steps): the star
relaxes slowly (rate ~0.1), so early splitting errors are not forgotten by t = 10.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

#: step counts evaluated one by one; above, a geometric grid refined around its best point
DENSE = 64
GRID_RATIO = 1.1
#: trace-norm error a device fault may cause at most (the diameter of the state space)
FAULT_COST = 2.0


@dataclass(frozen=True)
class StepChoice:
    """The step count of one time point: ``steps`` (noise-aware) beside ``splitting_steps``
    (fewest steps with split error <= accuracy), each with its split error, predicted fault
    probability, device error (2 P_fault) and total (split + device); ``candidates``: every
    (k, split error, fault probability) evaluated, ascending k (the trade-off)."""

    time: float
    steps: int
    split_error: float
    fault_probability: float
    device_error: float
    total_error: float
    splitting_steps: int
    splitting_split_error: float
    splitting_fault_probability: float
    splitting_device_error: float
    splitting_total_error: float
    candidates: tuple[tuple[int, float, float], ...]


def candidate_steps(k_split: int, k_min: int = 1) -> list[int]:
    """Grid of step counts searched first: k_min .. min(k_split, DENSE), then geometric to k_split."""
    k_min = min(k_min, k_split)
    ks = set(range(k_min, max(k_min, min(k_split, DENSE)) + 1))
    k = float(max(DENSE, k_min))
    while k < k_split:
        k *= GRID_RATIO
        ks.add(min(k_split, math.ceil(k)))
    ks.add(k_split)
    return sorted(ks)


def objective(split: float, fault: float, accuracy: float) -> float:
    """What the search minimises (module doc): max(split, accuracy) + 2 P_fault."""
    return max(split, accuracy) + FAULT_COST * fault


def choose_steps(time: float, k_split: int, split_error: Callable[[int], float],
                 fault_probability: Callable[[int], float], accuracy: float, k_min: int = 1) -> StepChoice:
    """:class:`StepChoice` of one time point > 0 (module doc); ``split_error(k)``,
    ``fault_probability(k)``: the two parts for k steps; ``k_min``: fewest steps allowed (first-
    order collisions keep their step <= collision_time)."""
    seen: dict[int, tuple[float, float]] = {}

    def evaluate(ks) -> None:
        for k in ks:
            if k not in seen:
                seen[k] = (float(split_error(k)), float(fault_probability(k)))

    def best() -> int:  # ties to more steps
        return min(seen, key=lambda k: (objective(*seen[k], accuracy), -k))

    grid = candidate_steps(k_split, k_min)
    evaluate(grid)
    i = grid.index(best())
    evaluate(range(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)] + 1))
    k = best()
    (split, fault), (split0, fault0) = seen[k], seen[k_split]
    return StepChoice(float(time), k, split, fault, FAULT_COST * fault, split + FAULT_COST * fault,
                      k_split, split0, fault0, FAULT_COST * fault0, split0 + FAULT_COST * fault0,
                      tuple((j, *seen[j]) for j in sorted(seen)))
