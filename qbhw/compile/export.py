"""OpenQASM 3 exports of one Trotter step of each qubit model and each dephasing method, so
the circuits can be read, diffed and run outside qbhw.

Each file holds the all-Z tomography circuit of a program with one time point t = DT and one
Trotter step (second-order product formula in the drive's rotating frame): state preparation
is the all-ground default, then half slot, step, half slot of the dephasing method (kick angles
are ``input float`` parameters bound per realization; "mcm" shows one realization that measures
the charger; "weak" measures and resets an ancilla), then the battery measurements.  The "channel" method is a
Kraus instruction, which OpenQASM 3 cannot express, so it is not exported.  The heat-engine
chargers are exported as two steps of tau = COLLISION, each slot a collision of the batteries with
one ancilla per jump (D[S^-], D[S^+]) and the ancillas' resets (:mod:`.dissipation`).
Regenerate with ``qbhw export-circuits`` (a test fails when ``circuits/`` is out of date).
"""

from __future__ import annotations

from pathlib import Path

from qiskit import qasm3

from ..models import heat_engine_chargers, spin_chain, star, tls_pair
from .program import compile_program

DT = 0.5
COLLISION = 0.05
METHODS = ("kicks", "flips", "mcm", "weak", "none")


def models() -> dict:
    """The exported models, by file-name stem."""
    return {
        "tls_pair": tls_pair(1.0, 0.5, 1.0),
        "star2": star(2, 1.0, 0.5, 1.0, representation="full"),
        "spin_chain3": spin_chain(3, 0.3, 0.5),
    }


def circuits() -> dict[str, str]:
    """{file name: OpenQASM 3 text} of every model x applicable dephasing method."""
    out = {}
    for name, model in models().items():
        methods = METHODS if model.jumps else ("none",)
        for method in methods:
            program = compile_program(model, [DT], max_step=DT, accuracy=1.0, dephasing=method, realizations=20, seed=0)
            # "mcm": the first realization that measures the charger somewhere
            qc = next(qc for (qc, _), info in zip(program.pubs, program.info)
                      if set(info.basis) == {"Z"} and (method != "mcm" or len(qc.cregs) > 1))
            out[f"{name}-{method}.qasm"] = f"// qbhw: {name}, one Trotter step dt = {DT}, dephasing {method}\n" + qasm3.dumps(qc)
    engines = compile_program(heat_engine_chargers(2, -1.0, 0.5), [2 * COLLISION], max_step=COLLISION, accuracy=1.0,
                              collision_time=COLLISION)
    qc = next(qc for (qc, _), info in zip(engines.pubs, engines.info) if set(info.basis) == {"Z"})
    out["heat_engine2-collisions.qasm"] = (f"// qbhw: heat-engine chargers N = 2, two steps of tau = {COLLISION}, "
                                           "collisions with one ancilla per jump, ancillas reset\n" + qasm3.dumps(qc))
    return out


def write_circuits(directory) -> list[Path]:
    """Write :func:`circuits` into ``directory`` (created) and return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in circuits().items():
        path = directory / name
        path.write_text(text)
        paths.append(path)
    return paths
