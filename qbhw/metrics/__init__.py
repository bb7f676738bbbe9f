"""Figures of merit for quantum batteries: pure functions on density matrices and
sampled time series (numpy/scipy only; hbar = 1, energies in the units of ``h``).

* :mod:`.ergotropy`: energy, passive state/energy, ergotropy and its coherent /
  incoherent split, equal-entropy Gibbs bound, n-copy ergotropy.
* :mod:`.power`: instantaneous / average / maximal average power, charging time.
* :mod:`.merit`: the figures of merit of one charging curve (charging time, maximal average
  power, late-time ergotropy ratio).
* :mod:`.fluctuations`: energy variance and standard deviation.
* :mod:`.speed_limit`: Bures angle and quantum speed limit time.

Bad input raises ``ValueError`` naming the argument.
"""

from .ergotropy import (
    coherent_ergotropy,
    energy,
    equal_entropy_beta,
    ergotropy,
    gibbs_bound,
    incoherent_ergotropy,
    n_copy_ergotropy,
    passive_energy,
    passive_state,
)
from .fluctuations import energy_fluctuation, energy_variance
from .merit import FIGURES, curve_figures
from .power import average_power, charging_time, instantaneous_power, max_average_power
from .speed_limit import bures_angle, quantum_speed_limit_time

__all__ = [
    "energy",
    "passive_state",
    "passive_energy",
    "ergotropy",
    "incoherent_ergotropy",
    "coherent_ergotropy",
    "equal_entropy_beta",
    "gibbs_bound",
    "n_copy_ergotropy",
    "energy_variance",
    "energy_fluctuation",
    "instantaneous_power",
    "average_power",
    "max_average_power",
    "charging_time",
    "FIGURES",
    "curve_figures",
    "bures_angle",
    "quantum_speed_limit_time",
]
