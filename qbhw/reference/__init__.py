"""Exact solutions of a model's master equation (independent of circuits)."""

from .solve import SteadyState, Trajectory, TruncationError, evolve, steady_state

__all__ = ["SteadyState", "Trajectory", "TruncationError", "evolve", "steady_state"]
from .charging import ChargingTime, battery_energy_series, exact_charging_time  # noqa: E402

__all__ += ["ChargingTime", "battery_energy_series", "exact_charging_time"]
from .star import LongTime, StarCurve, star_charging, star_long_time  # noqa: E402

__all__ += ["LongTime", "StarCurve", "star_charging", "star_long_time"]
from .cutoff import Cutoff, resolve_cutoff  # noqa: E402

__all__ += ["Cutoff", "resolve_cutoff"]
