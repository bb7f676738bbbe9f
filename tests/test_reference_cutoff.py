"""resolve_cutoff (issue 11): the smallest cavity cutoff whose truncation error over the requested
times is below the tolerance, checked against QuTiP at a much larger cutoff (n_max = 100 for the
Dicke battery, 40 for the oscillator battery), solved here from the equations.

The measure (qbhw.reference.cutoff): max over times of |dE_B|, |d ergotropy| and the trace
distance of the battery state.  The found n passes it against the large cutoff and n - 1 fails.
"""

from functools import partial

import numpy as np
import pytest
import qutip as qt

from qbhw.errors import InputError
from qbhw.models import dicke, tls_oscillator, tls_pair
from qbhw.reference import TruncationError, evolve, resolve_cutoff

TIGHT = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}
DICKE_TIMES = np.linspace(0.0, 3.0, 61)


def padded(states, d):
    """A single truncated system's states (T, n, n) with empty levels up to dimension d."""
    extra = d - states.shape[-1]
    return np.pad(states, ((0, 0), (0, extra), (0, extra)))


def trace_distance(a, b):
    d = max(a.shape[-1], b.shape[-1])
    return 0.5 * np.abs(np.linalg.eigvalsh(padded(a, d) - padded(b, d))).sum(axis=-1)


def measure(a, b):
    (ea, wa, ra), (eb, wb, rb) = a, b
    return max(np.abs(ea - eb).max(), np.abs(wa - wb).max(), trace_distance(ra, rb).max())


def qutip_dicke_battery(n, g, n_max, times):
    """(E_B, ergotropy over the full 2^n spectrum, battery states) of H = a^dag a + J_z +
    2 g J_x (a + a^dag) from |n photons> |all down> (qbhw's dicke(n, g) up to a constant)."""
    j = n / 2
    a = qt.tensor(qt.destroy(n_max + 1), qt.qeye(n + 1))
    jx = qt.tensor(qt.qeye(n_max + 1), qt.jmat(j, "x"))
    jz = qt.tensor(qt.qeye(n_max + 1), qt.jmat(j, "z"))
    h = a.dag() * a + jz + 2 * g * jx * (a + a.dag())
    psi0 = qt.tensor(qt.basis(n_max + 1, n), qt.spin_state(j, -j))
    states = qt.sesolve(h, psi0, times, options=TIGHT).states
    rb = np.array([s.ptrace(1).full() for s in states])[:, ::-1, ::-1]  # k = 0..n excitations
    levels = np.sort([bin(b).count("1") for b in range(2**n)])[: n + 1]
    e = np.einsum("tii,i->t", rb, np.arange(n + 1)).real
    return e, e - np.linalg.eigvalsh(rb)[:, ::-1] @ levels, rb


def test_dicke_cutoff_against_qutip_at_n_max_100():
    tol = 1e-3
    cut = resolve_cutoff(partial(dicke, 4, 0.5), DICKE_TIMES, tol)
    ref = qutip_dicke_battery(4, 0.5, 100, DICKE_TIMES)
    found = measure(qutip_dicke_battery(4, 0.5, cut.n_max, DICKE_TIMES), ref)
    below = measure(qutip_dicke_battery(4, 0.5, cut.n_max - 1, DICKE_TIMES), ref)
    print(f"n_max = {cut.n_max}: error {found:.2e} (reported {cut.error:.2e}); n_max - 1: {below:.2e}")
    assert found <= tol < below
    assert abs(cut.error - found) < 1e-6  # the reference cutoff's own error is negligible
    assert cut.tolerance == tol and cut.reference_n_max > cut.n_max and "trace distance" in cut.measure


def test_every_start_finds_the_same_cutoff():
    """Ladder up from below (2 is refused: n_max < 4 photons), down from above, or from the
    default start end at one answer."""
    build = partial(dicke, 4, 0.5)
    found = {resolve_cutoff(build, DICKE_TIMES, start=s).n_max for s in (2, 8, 90)}
    assert len(found) == 1


def qutip_oscillator_battery(g, F, gamma, n_max, times):
    """TLS charger (rightmost) driven at resonance, oscillator battery, charger dephasing."""
    a_c = qt.tensor(qt.qeye(n_max + 1), qt.destroy(2))
    a_b = qt.tensor(qt.destroy(n_max + 1), qt.qeye(2))
    h = [a_c.dag() * a_c + a_b.dag() * a_b + g * (a_c.dag() * a_b + a_b.dag() * a_c),
         [F * a_c.dag(), lambda t: np.exp(-1j * t)], [F * a_c, lambda t: np.exp(1j * t)]]
    rho0 = qt.tensor(qt.fock_dm(n_max + 1, 0), qt.fock_dm(2, 0))
    c_ops = [np.sqrt(gamma) * a_c.dag() * a_c] if gamma else []
    rb = np.array([s.ptrace(0).full() for s in qt.mesolve(h, rho0, times, c_ops, options=TIGHT).states])
    k = np.arange(n_max + 1)
    e = np.einsum("tii,i->t", rb, k).real
    return e, e - np.linalg.eigvalsh(rb)[:, ::-1] @ k, rb


@pytest.mark.parametrize("gamma", [0.0, 1.0])
def test_oscillator_battery_cutoff(gamma):
    """The battery itself is truncated: states of different cutoffs are compared padded."""
    tol, times = 1e-3, np.linspace(0.0, 10.0, 51)
    cut = resolve_cutoff(lambda n_max: tls_oscillator(0.3, 0.9, gamma, n_max=n_max), times, tol)
    ref = qutip_oscillator_battery(0.3, 0.9, gamma, 40, times)
    found = measure(qutip_oscillator_battery(0.3, 0.9, gamma, cut.n_max, times), ref)
    below = measure(qutip_oscillator_battery(0.3, 0.9, gamma, cut.n_max - 1, times), ref)
    assert found <= tol < below


def test_no_cutoff_within_the_limit_is_an_input_error():
    with pytest.raises(InputError, match="no cutoff up to n_max") as err:
        resolve_cutoff(partial(dicke, 4, 0.5), DICKE_TIMES, 1e-3, max_dimension=100)
    assert err.value.key == "model.n_max"
    with pytest.raises(InputError, match="no oscillator") as err:
        resolve_cutoff(lambda n_max: tls_pair(1.0, 0.5, 1.0), DICKE_TIMES)
    assert err.value.key == "model.n_max"
    with pytest.raises(InputError, match="tolerance"):
        resolve_cutoff(partial(dicke, 4, 0.5), DICKE_TIMES, 0.0)


def test_explicit_cutoff_too_small_keeps_the_truncation_check():
    """An explicit n_max keeps evolve's top-level check; its error names the key to change."""
    with pytest.raises(TruncationError, match="n_max") as err:
        evolve(dicke(4, 0.5, n_max=16), DICKE_TIMES)
    assert isinstance(err.value, InputError) and err.value.key == "model.n_max"
