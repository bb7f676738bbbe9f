"""Exact solutions of a model's master equation (independent of circuits)."""

from .solve import SteadyState, Trajectory, TruncationError, evolve, steady_state

__all__ = ["SteadyState", "Trajectory", "TruncationError", "evolve", "steady_state"]
from .charging import ChargingTime, battery_energy_series, exact_charging_time  # noqa: E402

__all__ += ["ChargingTime", "battery_energy_series", "exact_charging_time"]
