"""Pulse-level path: transmon device models, pulse programs, and a worker in ``.venv-pulse``
(qiskit-dynamics) reached through a versioned data contract (:mod:`.contract`).  The main
package never imports qiskit_dynamics; :mod:`.client` starts the worker process."""
