"""Random states and operators shared by the tests (seeded numpy Generators in, arrays out)."""

import numpy as np


def random_density(rng, d, rank=None):
    """Density matrix of rank ``rank`` (full by default) from a Ginibre matrix."""
    rank = d if rank is None else rank
    g = rng.normal(size=(d, rank)) + 1j * rng.normal(size=(d, rank))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


def random_hermitian(rng, d):
    g = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (g + g.conj().T) / 2


def random_unitary(rng, d):
    """Haar-random unitary (QR with the phase fix)."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def random_ket(rng, d):
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    return v / np.linalg.norm(v)


def random_bloch(rng, n):
    """n Bloch vectors uniform in the unit ball."""
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    return v * rng.uniform(0, 1, size=(n, 1)) ** (1 / 3)


def tls_state(x, y, z):
    """Qubit in basis (|g>, |e>) with <X> = x, <Y> = y and z = p_e - p_g."""
    X = np.array([[0, 1], [1, 0]], dtype=complex)
    Y = np.array([[0, -1j], [1j, 0]])
    Zeg = np.diag([-1.0, 1.0])  # +1 on |e>
    return (np.eye(2) + x * X + y * Y + z * Zeg) / 2
