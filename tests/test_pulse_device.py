"""Transmon parameters from calibration snapshots: Eagle fake backends publish a Duffing
Hamiltonian (angular GHz vars delta{q}, omegad{q}); the snapshot keeps the anharmonicity and
drive strength, old snapshot files (without them) still load, and the pulse device uses the
snapshot's anharmonicity with its source recorded, the typical value where there is none."""

import math

import pytest

from qbhw.calibration.snapshot import find, from_dict, snapshot_backend, to_dict
from qbhw.pulse.device import TYPICAL, snapshot_transmon


@pytest.fixture(scope="module")
def sherbrooke():
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    backend = FakeSherbrooke()
    return backend, snapshot_backend(backend)


def test_eagle_snapshot_keeps_the_published_anharmonicity_and_drive_strength(sherbrooke):
    backend, snap = sherbrooke
    variables = backend.configuration().hamiltonian["vars"]
    for q in (0, 1, 50):
        assert snap.qubits[q].anharmonicity == pytest.approx(variables[f"delta{q}"] / (2 * math.pi) * 1e9, rel=1e-12)
        assert snap.qubits[q].drive_strength == pytest.approx(variables[f"omegad{q}"] / (2 * math.pi) * 1e9, rel=1e-12)
    alphas = [q.anharmonicity for q in snap.qubits]
    assert -0.35e9 < sorted(alphas)[len(alphas) // 2] < -0.27e9  # Eagle: near -0.31 GHz
    back = from_dict(to_dict(snap))
    assert back.qubits[0].anharmonicity == pytest.approx(snap.qubits[0].anharmonicity, rel=1e-4)  # 5 digits kept


def test_snapshots_without_a_hamiltonian_load_and_give_the_typical_anharmonicity():
    old = find("fake_fez")  # a stored file of the format before these fields, and a Heron: no Hamiltonian
    assert all(q.anharmonicity is None and q.drive_strength is None for q in old.qubits)
    data = to_dict(old)
    assert "anharmonicity" not in data["qubits"]  # the columns appear only when some qubit has them
    transmon = snapshot_transmon(old, 0)
    assert transmon.anharmonicity == TYPICAL["anharmonicity"] and dict(transmon.sources)["anharmonicity"] == "typical"


def test_pulse_device_uses_the_snapshot_anharmonicity_with_its_source(sherbrooke):
    _, snap = sherbrooke
    transmon = snapshot_transmon(snap, 3)
    assert transmon.anharmonicity == snap.qubits[3].anharmonicity != TYPICAL["anharmonicity"]
    assert dict(transmon.sources)["anharmonicity"].endswith("qubit 3 (published Hamiltonian)")
