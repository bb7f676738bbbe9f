"""Issue 11, compile side: dephasing emulated on the code space of encoded subsystems whose
dimension is not a power of two, the binary encoding of collective batteries, and the cost
guards that refuse a program before it is built.

Exactness without sampling: a kick slot RZ(w_k phi) (one phi ~ N(0, gamma tau) for every qubit
of a jump) averages to rho_xy -> rho_xy exp(-gamma tau (l_x - l_y)^2 / 2) with l = sum_k w_k n_k,
since E exp(i phi a) = exp(-gamma tau a^2 / 2) for a normal phi; a forgotten mid-circuit
measurement is complete dephasing of the measured qubit.  Replacing those by their channels
gives the ensemble-averaged circuit as one density-matrix simulation.  The states are compared
with qbhw.reference.evolve of the ORIGINAL (unencoded) model, embedded by isometries built here
(binary codes, Dicke states), independently of qbhw.compile.encoding.
"""

import re
from itertools import combinations
from math import ceil, log2

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import DensityMatrix, Kraus, SuperOp, partial_trace
from qiskit_aer import AerSimulator

from qbhw.compile import compile_program
from qbhw.errors import InputError, ResourceError
from qbhw.metrics import energy, ergotropy, passive_energy
from qbhw.models import oscillator_pair, rabi_parallel, star, tls_oscillator, tls_pair
from qbhw.reference import evolve

ONE_QUBIT_METHODS = ("flips", "mcm", "weak", "channel")  # need L' = n_q on one qubit
DENSITY_MATRIX = AerSimulator(method="density_matrix")  # exact: the circuits below end without measurements


def _binary(d: int) -> np.ndarray:
    """Levels 0..d-1 as the binary codes of ceil(log2 d) qubits."""
    return np.eye(2 ** max(1, ceil(log2(d))))[:, :d]


def _dicke(n: int) -> np.ndarray:
    """Symmetric level k of n spins as the normalised sum of the bit strings with k ones."""
    w = np.zeros((2**n, n + 1))
    for k in range(n + 1):
        rows = [sum(1 << i for i in ones) for ones in combinations(range(n), k)]
        w[rows, k] = len(rows) ** -0.5
    return w


def _kron(blocks):
    out = np.ones((1, 1))
    for b in reversed(blocks):  # subsystem 0 = lowest qubits
        out = np.kron(out, b)
    return out


def _dephasing_kraus(weights, rate_time: float) -> Kraus:
    """Average of exp(i phi sum_k w_k n_k) over phi ~ N(0, rate_time): coherences x_y times
    exp(-rate_time (l_x - l_y)^2 / 2)."""
    k = len(weights)
    levels = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1) @ np.asarray(weights)
    factor = np.exp(-rate_time * (levels[:, None] - levels[None, :]) ** 2 / 2)
    return Kraus(SuperOp(np.diag(factor.flatten(order="F"))))


def _averaged_state(qc: QuantumCircuit, time_value: float, steps: int, gamma: float) -> np.ndarray:
    """Exact ensemble average of ``qc``'s final state before its "meas" readout (module doc);
    slot i of a program at ``time_value`` with ``steps`` steps lasts dt/2 (first, last) or dt.
    The instructions are read in build order, where the RZs of one slot are adjacent (a DAG
    round trip, e.g. remove_final_measurements, may interleave them with other qubits' gates)."""
    dt = time_value / steps
    taus = [dt / 2] + [dt] * (steps - 1) + [dt / 2]
    readout = set(qc.cregs[0])
    out = QuantumCircuit(qc.num_qubits)
    slot = {}  # parameter -> (qubits, weights) of the kick slot being read

    def close_slot():
        for par, (qubits, weights) in slot.items():
            out.append(_dephasing_kraus(weights, gamma * taus[int(par.name.rsplit("_", 1)[1])]), qubits)
        slot.clear()

    for inst in qc.data:
        op, qubits = inst.operation, [qc.find_bit(q).index for q in inst.qubits]
        if op.name == "rz" and op.is_parameterized():
            (par,) = op.params[0].parameters
            entry = slot.setdefault(par, ([], []))
            entry[0].append(qubits[0])
            entry[1].append(float(op.params[0].bind({par: 1.0})))
            continue
        close_slot()
        if op.name == "measure" and inst.clbits[0] in readout:
            continue
        if op.name == "measure":  # a mid-circuit outcome, forgotten
            out.append(Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]), qubits)
        else:
            out.append(op, qubits)
    close_slot()
    out = out.decompose(gates_to_decompose=["cry"])  # the "weak" method's gate, not native to Aer
    out.save_density_matrix()
    return np.asarray(DENSITY_MATRIX.run(out).result()
                      .data()["density_matrix"])


def _z_pubs(program):
    """(pub index, info) of the all-Z basis PUB of each time point."""
    return [(i, info) for i, info in enumerate(program.info) if set(info.basis) == {"Z"}]


def _model_qubits_state(program, state):
    """Trace out the circuit's ancillas (the "weak" method's), keep the model's qubits."""
    return partial_trace(DensityMatrix(state), list(program.ancillas)).data if program.ancillas else state


def _trace_norm(a):
    return np.abs(np.linalg.eigvalsh(a)).sum()


# --- task 1: the jump emulated on the code space ------------------------------------------------

CASES = {  # model, code-space isometry built here, times, methods the emulated jump allows, extra compile options
    "tls_oscillator(n_max=10): TLS charger, 11 levels on 4 qubits": (
        lambda: tls_oscillator(1.0, 0.5, 1.0), lambda m: _kron([_binary(2), _binary(11)]), [0.5, 1.0],
        ("kicks",) + ONE_QUBIT_METHODS, {}),
    "oscillator_pair(n_max=5): L' = n_0 + 2 n_1 + 4 n_2, kicks only": (
        lambda: oscillator_pair(1.0, 0.5, 1.0), lambda m: _kron([_binary(6), _binary(6)]), [0.3, 0.6],
        ("kicks",), {"max_two_qubit_gates": 10**5}),
    "star(2), Dicke states: L' = n_C": (
        lambda: star(2, 1.0, 0.5, 1.0), lambda m: _kron([_binary(2), _dicke(2)]), [0.5, 1.5, 3.0],
        ("kicks",) + ONE_QUBIT_METHODS, {}),
}


@pytest.mark.parametrize("name", CASES)
def test_every_method_the_emulated_jump_allows_compiles_and_the_rest_are_refused(name):
    build, _, times, allowed, options = CASES[name]
    model = build()
    for method in ("kicks",) + ONE_QUBIT_METHODS:
        if method in allowed:
            program = compile_program(model, times[:1], dephasing=method, realizations=2, seed=0, **options)
            assert program.pubs and max(program.steps) > 0
        else:
            with pytest.raises(InputError, match="only dephasing='kicks' emulates it") as refused:
                compile_program(model, times[:1], dephasing=method, **options)
            assert refused.value.key == "dephasing"


@pytest.mark.parametrize("name", CASES)
def test_averaged_kicks_reproduce_the_original_model_within_the_reported_error(name):
    """The exact average of the kick circuits against reference.evolve of the unencoded model,
    embedded W rho W^T: trace distance <= the reported splitting error, and equal to it (the
    reported error is the exact one of the averaged circuit, leakage out of the code space
    included)."""
    build, isometry, times, _, options = CASES[name]
    model = build()
    w = isometry(model)
    program = compile_program(model, times, dephasing="kicks", realizations=2, seed=0, **options)
    ref = evolve(model, times, frame="rotating", full_state=True, truncation_tol=1.0).states
    gamma = model.jumps[0].rate
    for i, info in _z_pubs(program):
        state = _averaged_state(program.pubs[i][0], info.time, info.steps, gamma)
        dist = _trace_norm(state - w @ ref[info.time_index] @ w.T)
        bound = program.error_bound[info.time_index]
        assert bound <= 1e-2
        assert dist == pytest.approx(bound, abs=1e-8)


@pytest.mark.parametrize("method", ["channel", "weak"])
def test_deterministic_methods_on_dicke_states_match_the_reference(method):
    """star(2) with Dicke-state batteries, L' = n_C: the Kraus channel and the weak measurement
    (ancilla outcome forgotten) give the reference state within the reported error."""
    model = star(2, 1.0, 0.5, 1.0)
    times = [0.5, 1.5, 3.0]
    program = compile_program(model, times, dephasing=method)
    ref = evolve(model, times, frame="rotating", full_state=True).states
    w = _kron([_binary(2), _dicke(2)])
    for i, info in _z_pubs(program):
        state = _model_qubits_state(program, _averaged_state(program.pubs[i][0], info.time, info.steps, 1.0))
        dist = _trace_norm(state - w @ ref[info.time_index] @ w.T)
        assert dist <= program.error_bound[info.time_index] + 1e-8


# --- task 2: collective encodings --------------------------------------------------------------

def _battery_state(program, state):
    keep = set(program.model.battery)
    return partial_trace(DensityMatrix(state), [q for q in range(len(program.model.subsystems)) if q not in keep]).data


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("encoding", ["qubits", "binary"])
def test_both_collective_encodings_give_the_full_representation_energy_and_ergotropy(n, encoding):
    """E_B and ergotropy of the averaged circuit's battery, the ergotropy over the Program's
    battery_levels (or H_B's own spectrum), against evolve of star(n, representation="full"):
    2^N battery qubits, so its ergotropy uses the full degenerate spectrum by construction.
    |dE| <= ||H_B|| d and |dW| <= 2 ||H_B|| d for a trace-norm error d (Mirsky's inequality)."""
    times = [0.5, 1.5, 3.0]
    program = compile_program(star(n, 1.0, 0.5, 1.0), times, dephasing="kicks", realizations=2, seed=0,
                              collective_encoding=encoding)
    assert program.collective_encoding == encoding
    assert len(program.model.battery) == (n if encoding == "qubits" else ceil(log2(n + 1)))
    full = evolve(star(n, 1.0, 0.5, 1.0, representation="full"), times, frame="rotating")
    hb = np.asarray(program.model.h_battery)
    scale = np.abs(np.linalg.eigvalsh(hb)).max()
    for i, info in _z_pubs(program):
        rho_b = _battery_state(program, _averaged_state(program.pubs[i][0], info.time, info.steps, 1.0))
        e = energy(rho_b, hb)
        if program.battery_levels is None:
            w = ergotropy(rho_b, hb)
        else:
            w = e - passive_energy(np.linalg.eigvalsh(rho_b), *program.battery_levels)
        d = program.error_bound[info.time_index]
        k = info.time_index
        assert abs(e - full.battery_energy[k]) <= scale * d + 1e-9
        assert abs(w - full.battery_ergotropy[k]) <= 2 * scale * d + 1e-9
    assert full.battery_ergotropy[-1] > 0.05  # the comparison sees real charging


def test_binary_battery_levels_are_the_full_spectrum_and_unused_codes_above_it():
    """star(2) in binary: 3 symmetric levels on 2 qubits.  The levels the ergotropy must use
    are omega k with multiplicity C(2, k) (4 states) plus the unused code, priced above them."""
    program = compile_program(star(2, 1.0, 0.5, 1.0), [1.0], collective_encoding="binary", dephasing="none")
    energies, multiplicities = program.battery_levels
    spectrum = sorted(e for e, m in zip(energies, multiplicities) for _ in range(int(m)))
    assert spectrum[:4] == pytest.approx([0.0, 1.0, 1.0, 2.0]) and len(spectrum) == 5 and spectrum[4] > 2.0
    hb = np.real(np.diag(program.model.h_battery))
    assert hb[:3] == pytest.approx([0.0, 1.0, 2.0]) and hb[3] == pytest.approx(spectrum[4])


def test_auto_keeps_the_encoding_with_fewer_two_qubit_gates_and_records_both():
    model, times = star(3, 1.0, 0.5, 1.0), [1.0, 2.0]
    auto = compile_program(model, times, collective_encoding="auto", realizations=2, seed=0)
    counts = {}
    for encoding in ("qubits", "binary"):
        program = compile_program(model, times, collective_encoding=encoding, realizations=2, seed=0)
        last = next(qc for (qc, _), info in zip(program.pubs, program.info) if info.time_index == len(times) - 1)
        isa = transpile(last, basis_gates=["cz", "rz", "sx", "x"], optimization_level=2, seed_transpiler=0)
        counts[encoding] = isa.count_ops().get("cz", 0)
    assert dict(auto.encoding_costs) == counts
    assert auto.collective_encoding == min(counts, key=counts.get)


def test_auto_on_a_model_without_collective_subsystems_compiles_once():
    program = compile_program(tls_pair(1.0, 0.5, 1.0), [1.0], collective_encoding="auto")
    assert program.collective_encoding == "qubits" and program.encoding_costs is None


# --- task 3: two-qubit gates estimated before synthesis ----------------------------------------

def _no_circuits(monkeypatch):
    """Refusals must come before any circuit is built (the old code built them: 43 s, or a hang)."""
    import qbhw.compile.program as program_module

    def never(*args, **kwargs):
        raise AssertionError("a circuit was built before the refusal")

    monkeypatch.setattr(program_module._Evolution, "build", never)


def test_a_program_of_millions_of_gates_is_refused_before_synthesis(monkeypatch):
    """rabi_parallel(2, rwa) to t = 3 used to compile for 43 s to 2.6 M CX."""
    _no_circuits(monkeypatch)
    with pytest.raises(ResourceError, match=r"two-qubit gates.*limit of 20000") as refused:
        compile_program(rabi_parallel(2, g=0.5, rwa=True), np.linspace(0.0, 3.0, 7))
    assert refused.value.key == "compile.max_two_qubit_gates"
    assert "max_two_qubit_gates" in str(refused.value) and "max_step" in str(refused.value)


def test_the_gate_estimate_bounds_the_synthesised_count_and_the_limit_can_be_raised():
    """tls_oscillator(n_max=3), 4 steps to t = 1 (max_step forces them, accuracy allows them):
    refused under a low limit; with the limit raised the program compiles, and its circuit in
    the CZ basis without optimisation has no more two-qubit gates than the refusal estimated
    (and not far fewer: the estimate is a CX-ladder count, not a loose bound)."""
    model, options = tls_oscillator(1.0, 0.5, 1.0, n_max=3), dict(max_step=0.25, accuracy=1.9)
    with pytest.raises(ResourceError) as refused:
        compile_program(model, [1.0], max_two_qubit_gates=50, **options)
    estimate = int(re.search(r"needs (?:at least|about) (\d+) two-qubit", str(refused.value)).group(1))
    program = compile_program(model, [1.0], max_two_qubit_gates=estimate, **options)
    assert program.steps == (4,)
    isa = transpile(program.pubs[-1][0], basis_gates=["cz", "rz", "sx", "x"], optimization_level=0)
    actual = isa.count_ops().get("cz", 0)
    assert 50 < actual <= estimate <= 1.2 * actual


# --- task 4: cost before work ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, key", [
    (dict(times=[1.0, 2.0], realizations=10**9), "realizations"),
    (dict(times=np.linspace(0.0, 10.0, 100_000)), "times"),
    (dict(times=[1.0, 2.0], realizations=10**5, dephasing="mcm"), "realizations"),
])
def test_runaway_work_is_refused_at_once(monkeypatch, kwargs, key):
    kwargs = dict(kwargs)
    _no_circuits(monkeypatch)
    with pytest.raises(ResourceError) as refused:
        compile_program(tls_pair(1.0, 0.5, 1.0), kwargs.pop("times"), seed=0, **kwargs)
    assert refused.value.key == key and "\n" not in str(refused.value)


def test_realizations_are_not_limited_by_deterministic_methods():
    program = compile_program(tls_pair(1.0, 0.5, 1.0), [1.0], realizations=10**9, dephasing="channel")
    assert program.realizations == 1


# --- task 5: messages and keys -----------------------------------------------------------------

def test_step_limit_without_dephasing_names_accuracy_and_not_the_dephasing_rate():
    for kwargs in (dict(dephasing="none"), dict()):
        model = tls_pair(1.0, 0.5, 1.0 if kwargs else 0.0)  # dephasing switched off, or a zero rate
        with pytest.raises(InputError, match="Trotter steps would be needed") as refused:
            compile_program(model, [0.0, 10.0], accuracy=1e-12, **kwargs)
        assert refused.value.key == "accuracy"
        assert "dephasing" not in str(refused.value) and "relax accuracy" in str(refused.value)
        assert "final time (times)" in str(refused.value)
    with pytest.raises(InputError, match="lower the dephasing rate"):
        compile_program(tls_pair(1.0, 0.5, 1.0), [0.0, 10.0], accuracy=1e-12)
    with pytest.raises(InputError, match="raise max_step") as refused:
        compile_program(tls_pair(1.0, 0.5, 0.0), [500.0], max_step=1.0)
    assert refused.value.key == "max_step"


@pytest.mark.parametrize("build, kwargs, key", [
    (lambda: tls_pair(1.0, 0.5, 1.0), dict(order=3), "order"),
    (lambda: tls_pair(1.0, 0.5, 1.0), dict(accuracy=0.0), "accuracy"),
    (lambda: tls_pair(1.0, 0.5, 1.0), dict(dephasing="telepathy"), "dephasing"),
    (lambda: tls_pair(1.0, 0.5, 1.0), dict(collective_encoding="unary"), "collective_encoding"),
    (lambda: oscillator_pair(1.0, 0.5, 1.0, n_max=3), dict(dephasing="channel"), "dephasing"),
    (lambda: tls_oscillator(1.0, 0.5, 1.0, n_max=15), dict(), "n_max"),  # 5 qubits > 4 (patched below)
    (lambda: star(4, 1.0, 0.5, 1.0), dict(), "n_batteries"),
])
def test_bad_input_is_an_input_error_naming_its_key(build, kwargs, key, monkeypatch):
    import qbhw.compile.program as program

    monkeypatch.setattr(program, "MAX_QUBITS", 4)
    with pytest.raises(InputError) as refused:
        compile_program(build(), [1.0], **kwargs)
    assert refused.value.key == key and isinstance(refused.value, ValueError)
