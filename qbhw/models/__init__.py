"""Physics as data: frozen model descriptions (no execution code)."""

from .base import Drive, Jump, Model, Subsystem
from .charger_battery import oscillator_pair, tls_oscillator, tls_pair
from .collective import star
from .decoherence import with_qubit_decoherence
from .global_charging import global_vs_parallel
from .heat_engine import heat_engine_chargers, heat_engine_explicit
from .manybody import dicke, rabi_parallel
from .open_batteries import dark_state_charging, dfs_ring, dissipative_charging, nmr_star
from .spin_chain import spin_chain

__all__ = ["Drive", "Jump", "Model", "Subsystem", "oscillator_pair", "tls_oscillator", "tls_pair", "with_qubit_decoherence", "star", "heat_engine_chargers",
           "global_vs_parallel", "dicke", "rabi_parallel", "spin_chain",
           "heat_engine_explicit", "dissipative_charging", "dark_state_charging", "dfs_ring", "nmr_star"]
