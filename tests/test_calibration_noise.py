"""Restricted noise models against the snapshot's numbers (closed forms), compaction,
qubit selection against brute force."""

import math
from itertools import combinations
from pathlib import Path

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter

from qbhw.calibration import (
    check_coherence,
    compact_circuit,
    load,
    noise_model,
    select_chain,
    select_pair,
    select_star,
    used_qubits,
)
from qbhw.execute.noisy import run_noisy
from qbhw.errors import InputError

CAL = Path(__file__).resolve().parents[1] / "calibrations"
FEZ = load(CAL / "fake_fez-2025-02-26.json")
SHOTS = 40_000


def _p1(counts):
    return counts[0, 1] / counts[0].sum()


def _sigma(p, n=SHOTS):
    return math.sqrt(max(p * (1 - p), 1e-4) / n)


def test_readout_asymmetry_reproduced():
    q = 0
    c = FEZ.qubits[q]
    assert c.prob_meas0_prep1 > 2 * c.prob_meas1_prep0  # the asymmetry exists on this qubit
    zero = QuantumCircuit(1, 1)
    zero.measure(0, 0)
    one = QuantumCircuit(1, 1)
    one.x(0)
    one.measure(0, 0)
    res = run_noisy([zero, one], FEZ, shots=SHOTS, seed=11, initial_layout=[q])
    p10 = _p1(res.counts[0])
    p01 = 1 - _p1(res.counts[1])
    x_err = FEZ.gate("x", [q]).error  # x flips back with probability <= its error
    assert abs(p10 - c.prob_meas1_prep0) < 5 * _sigma(c.prob_meas1_prep0)
    assert abs(p01 - c.prob_meas0_prep1) < 5 * _sigma(c.prob_meas0_prep1) + x_err


def test_delay_relaxation_follows_t1_and_t2():
    q = 5
    c = FEZ.qubits[q]
    dt = FEZ.dt
    t = round(0.5 * c.t1 / dt) * dt  # whole samples: the delay is scheduled in units of dt
    t_ramsey = round(0.5 * c.t2 / dt) * dt
    t1_circ = QuantumCircuit(1, 1)
    t1_circ.x(0)
    t1_circ.delay(t, 0, unit="s")
    t1_circ.measure(0, 0)
    ramsey = QuantumCircuit(1, 1)
    ramsey.h(0)
    ramsey.delay(t_ramsey, 0, unit="s")
    ramsey.h(0)
    ramsey.measure(0, 0)
    res = run_noisy([t1_circ, ramsey], FEZ, shots=SHOTS, seed=12, initial_layout=[q])

    def read(p1):  # asymmetric readout applied to a true excited population p1
        return p1 * (1 - c.prob_meas0_prep1) + (1 - p1) * c.prob_meas1_prep0

    expected = read(math.exp(-t / c.t1))
    assert abs(_p1(res.counts[0]) - expected) < 5 * _sigma(expected) + 2 * FEZ.gate("x", [q]).error
    t2 = min(c.t2, 2 * c.t1)
    expected = read(0.5 * (1 - math.exp(-t_ramsey / t2)))
    assert abs(_p1(res.counts[1]) - expected) < 5 * _sigma(expected) + 4 * FEZ.gate("sx", [q]).error


def test_noise_model_only_on_used_qubits():
    model = noise_model(FEZ, (5, 6))
    assert set(model.noise_qubits) == {0, 1}
    assert "cz" in model.noise_instructions and "measure" in model.noise_instructions
    with pytest.raises(ValueError, match="physical_qubits"):
        noise_model(FEZ, (5, 5))
    with pytest.raises(ValueError, match="physical_qubits"):
        noise_model(FEZ, (5, 999))


def test_compact_circuit_keeps_registers_parameters_and_phase():
    th = Parameter("th")
    qr = QuantumRegister(6)
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    circ = QuantumCircuit(qr, a, b, global_phase=0.3)
    circ.rx(th, 4)
    circ.cz(4, 1)
    circ.barrier()
    circ.delay(100, 3)
    circ.measure(4, a[0])
    circ.measure(1, b[0])
    assert used_qubits(circ) == (1, 4)
    small = compact_circuit(circ, (1, 4))
    assert small.num_qubits == 2 and [r.name for r in small.cregs] == ["a", "b"]
    assert small.parameters == circ.parameters and small.global_phase == circ.global_phase
    assert [i.operation.name for i in small.data] == ["rx", "cz", "barrier", "measure", "measure"]
    assert [small.find_bit(q).index for q in small.data[1].qubits] == [1, 0]
    with pytest.raises(ValueError, match="outside"):
        compact_circuit(circ, (4,))


def _adjacent(a, b):
    return (a, b) in FEZ.coupling_map or (b, a) in FEZ.coupling_map


def _cost(qubits, edges, t, n2q):
    """Independent re-statement of the documented error budget."""
    s = sum(n2q * min(g.error for g in FEZ.gates if g.name == "cz" and set(g.qubits) == set(e)) for e in edges)
    for q in qubits:
        c = FEZ.qubits[q]
        s += 0.5 * (c.prob_meas1_prep0 + c.prob_meas0_prep1) + 1 - math.exp(-t / c.t2)
    return s


def test_pair_is_the_brute_force_minimum():
    t = 10e-6
    choice = select_pair(FEZ, duration=t, two_qubit_gates=10)
    best = min(_cost(e, [e], t, 10) for e in FEZ.coupling_map)
    assert choice.budget == pytest.approx(best)
    charger, battery = choice.qubits
    assert _adjacent(charger, battery) and FEZ.qubits[battery].t2 >= FEZ.qubits[charger].t2
    assert f"{choice.qubits}" in choice.reason and "fake_fez" in choice.reason


def test_star_and_chain_are_brute_force_minima():
    t = 5e-6
    nbrs = {q: {b for a, b in FEZ.coupling_map if a == q} | {a for a, b in FEZ.coupling_map if b == q} for q in range(156)}
    star = select_star(FEZ, duration=t, two_qubit_gates=3)
    best = min(
        _cost((c, *leaves), [(c, x) for x in leaves], t, 3)
        for c in range(156)
        for leaves in combinations(sorted(nbrs[c]), 3)
    )
    assert star.budget == pytest.approx(best)
    assert all(_adjacent(star.qubits[0], x) for x in star.qubits[1:])
    chain = select_chain(FEZ, 4, duration=t, two_qubit_gates=3)
    paths = [
        (a, b, c, d)
        for a in range(156)
        for b in nbrs[a]
        for c in nbrs[b] - {a}
        for d in nbrs[c] - {a, b}
    ]
    best = min(_cost(p, list(zip(p, p[1:])), t, 3) for p in paths)
    assert chain.budget == pytest.approx(best)
    assert all(_adjacent(x, y) for x, y in zip(chain.qubits, chain.qubits[1:]))


def test_coherence_refusal_says_what_to_change():
    with pytest.raises(InputError, match=r"^times: .*shorten"):
        select_pair(FEZ, duration=1e-3)
    q = 5
    with pytest.raises(ValueError, match=r"q5 .* T2 = .*shorten it below"):
        check_coherence(FEZ, [q], 2 * FEZ.qubits[q].t2)
    check_coherence(FEZ, [q], 0.5 * FEZ.qubits[q].t2)
    with pytest.raises(ValueError, match="duration"):
        select_pair(FEZ, duration=-1.0)
    with pytest.raises(ValueError, match="^n "):
        select_chain(FEZ, 1)


def test_a_chain_refusal_does_not_claim_a_limit_single_qubits_exceed():
    """Brute force over the snapshot: the longest duration with a connected chain of 4 qubits each
    coherent for it is below the longest single-qubit one; between the two the refusal must say
    the qubits are not connected, not 'none allows more than' a limit above the duration."""
    t2 = {q: FEZ.qubits[q].t2 for q in range(FEZ.num_qubits) if not math.isnan(FEZ.qubits[q].t2)}
    single = max(t2.values())  # coherence e^-1: duration <= T2
    duration = 0.9 * single
    coherent = {q for q, t in t2.items() if t >= duration}
    nbrs = {q: set() for q in coherent}
    for a, b in FEZ.coupling_map:
        if a in coherent and b in coherent:
            nbrs[a].add(b)
            nbrs[b].add(a)

    def path(p):  # depth-first search for 4 connected coherent qubits
        return len(p) == 4 or any(path(p + [q]) for q in nbrs[p[-1]] if q not in p)

    assert not any(path([q]) for q in coherent)  # so no chain of 4 survives at this duration
    with pytest.raises(InputError, match="not enough of them connected"):
        select_chain(FEZ, 4, duration=duration, two_qubit_gates=3)
