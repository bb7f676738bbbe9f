"""qbhw: quantum-battery experiments on quantum processors.

Layers (imports point downwards only):
    models, metrics                 physics as data and pure functions
    reference                       exact Lindblad solutions of a model
    experiment, report, cli         user-facing
"""

__version__ = "0.1.0"
