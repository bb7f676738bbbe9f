"""Battery (and charger) states from measurement counts."""

from .linear import linear_inversion, project_physical

__all__ = ["linear_inversion", "project_physical"]
