"""Exact solutions of a model's master equation (independent of circuits)."""

from .solve import SteadyState, Trajectory, TruncationError, evolve, steady_state

__all__ = ["SteadyState", "Trajectory", "TruncationError", "evolve", "steady_state"]
