"""Compiled TLS-pair programs against the exact Lindblad reference (issue 4 acceptance, TLS pair).

Exact: the transpiled circuits, averaged over dephasing realizations without sampling, give
   E_B within the realization-average's statistical error plus the program's own reported
   trace-norm splitting error (computed from the synthesized product formula).
The sampled end-to-end comparison lives in test_experiment_tls.py.
"""

import numpy as np
import pytest
from qiskit import transpile
from qiskit.quantum_info import Statevector
from qiskit_aer import AerSimulator

from qbhw.compile import compile_program
from qbhw.models import tls_pair
from qbhw.reference import evolve


@pytest.mark.parametrize("method", ["kicks", "flips"])
@pytest.mark.parametrize("gamma", [0.1, 1.0, 10.0])
def test_realization_average_of_the_circuits_is_the_lindblad_state(method, gamma):
    model = tls_pair(1.0, 0.5, gamma)
    times = np.array([2.0, 6.0])
    program = compile_program(model, times, dephasing=method, realizations=300, seed=4)
    ref = evolve(model, times, frame="rotating")
    for (qc, values), info in zip(program.pubs, program.info):
        if info.basis != "Z":
            continue
        circ = transpile(qc, AerSimulator(), optimization_level=1).remove_final_measurements(inplace=False)
        e_k = []
        for row in values:
            amp = Statevector(circ.assign_parameters(dict(zip(circ.parameters, row)))).data
            e_k.append(np.abs(amp[2]) ** 2 + np.abs(amp[3]) ** 2)  # battery = qubit 1 excited
        e_k = np.array(e_k)
        tolerance = 4 * e_k.std() / np.sqrt(e_k.size) + program.error_bound[info.time_index]
        assert abs(e_k.mean() - ref.battery_energy[info.time_index]) <= tolerance


def test_impossible_requests_are_clear_errors():
    from qbhw.models import tls_oscillator

    with pytest.raises(ValueError, match="non-qubit subsystems"):
        compile_program(tls_oscillator(1.0, 0.5, 1.0, n_max=3), [1.0])
    with pytest.raises(ValueError, match="dephasing must be one of"):
        compile_program(tls_pair(1.0, 0.5, 1.0), [1.0], dephasing="telepathy")
    with pytest.raises(ValueError, match="Trotter steps would be needed"):
        compile_program(tls_pair(1.0, 0.5, 2000.0), [10.0])
    with pytest.raises(ValueError, match="times must be"):
        compile_program(tls_pair(1.0, 0.5, 1.0), [1.0, 0.5])
