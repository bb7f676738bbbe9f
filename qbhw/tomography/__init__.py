"""Battery (and charger) states from Pauli-basis counts: linear inversion with projection
onto physical states, maximum likelihood, readout mitigation and bootstrap intervals."""

from .bootstrap import (BootstrapResult, bootstrap, interval, projected_linear_inversion, realization_weights,
                        resample, resample_rows)
from .linear import linear_inversion, project_physical, project_physical_with_energy
from .mitigation import assignment_from_counts, assignment_matrix, assignments_from_snapshot, mitigate_counts, mitigate_data
from .mle import fit_mle
from .permutation import pi_circuits, pi_conditioning, pi_linear_estimate, pi_settings

__all__ = ["BootstrapResult", "assignment_from_counts", "assignment_matrix", "assignments_from_snapshot", "bootstrap", "interval",
           "fit_mle", "linear_inversion", "mitigate_counts", "mitigate_data", "project_physical", "project_physical_with_energy",
           "projected_linear_inversion", "realization_weights", "resample", "resample_rows"]
__all__ += ["pi_circuits", "pi_conditioning", "pi_linear_estimate", "pi_settings"]
