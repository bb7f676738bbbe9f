"""The [sweep] grammar: Cartesian keys, [sweep.zip], the older parameter/values form, point
specs and seeds, and one-line errors naming the key.  Nothing runs here."""

import pytest
from specs import TLS_PAIR

from qbhw.experiment_file import SpecError, parse
from qbhw.sweep.grid import point_seed

BASE = TLS_PAIR + """[times]
stop = 4.0
num = 5
[run]
target = "aer-noisy"
seed = 7
"""


def test_cartesian_keys_and_zip_form_the_grid_in_c_order():
    spec = parse(BASE + """[sweep]
gamma_c = [0.1, 1.0, 10.0]
F = [0.25, 0.5]
[sweep.zip]
backend = ["fake_fez-2025-02-26", "fake_marrakesh-2025-02-26"]
qubits = [[5, 6], [12, 13]]
""")
    assert spec.sweep.dims == ("gamma_c", "F", "zip") and spec.sweep.shape == (3, 2, 2)
    points = spec.sweep_points()
    assert len(points) == 12
    point, first = points[0]
    assert point.index == (0, 0, 0)
    assert (first.model_params["gamma_c"], first.model_params["F"], first.backend, first.qubits) == \
        (0.1, 0.25, "fake_fez-2025-02-26", (5, 6))
    point, last = points[-1]
    assert (last.model_params["gamma_c"], last.model_params["F"], last.backend, last.qubits) == \
        (10.0, 0.5, "fake_marrakesh-2025-02-26", (12, 13))
    assert point.label == "gamma_c=10.0,F=0.5,backend=fake_marrakesh-2025-02-26,qubits=12-13"
    assert first.sweep is None and first.model_params["g"] == 1.0  # the rest of the spec kept
    assert len({s.seed for _, s in points}) == 12


def test_run_and_compile_parameters_are_sweepable():
    spec = parse(BASE + '[sweep]\nshots = [100, 400]\ndephasing = ["kicks", "flips"]\norder = [1, 2]\n'
                        'fractional = [false, true]\n')
    specs = [s for _, s in spec.sweep_points()]
    assert {(s.shots, s.dephasing, dict(s.compile_options)["order"], s.fractional) for s in specs} == \
        {(a, b, c, d) for a in (100, 400) for b in ("kicks", "flips") for c in (1, 2) for d in (False, True)}


def test_the_older_parameter_values_form_is_one_axis():
    spec = parse(BASE + '[sweep]\nparameter = "gamma_c"\nvalues = [0.3, 1.0]\n')
    assert spec.sweep.dims == ("gamma_c",)
    assert [s.model_params["gamma_c"] for _, s in spec.sweep_points()] == [0.3, 1.0]


def test_point_seed_depends_on_run_seed_and_coordinates_only():
    a = point_seed(7, (("gamma_c", 0.1), ("F", 0.5)))
    assert a == point_seed(7, (("F", 0.5), ("gamma_c", 0.1)))  # order of the keys does not matter
    assert a != point_seed(8, (("gamma_c", 0.1), ("F", 0.5)))
    assert a != point_seed(7, (("gamma_c", 0.1), ("F", 0.25)))
    # adding a value to an axis leaves the other points' seeds as they were
    small = {p.label: s.seed for p, s in parse(BASE + "[sweep]\ngamma_c = [0.1, 1.0]\n").sweep_points()}
    big = {p.label: s.seed for p, s in parse(BASE + "[sweep]\ngamma_c = [0.1, 0.5, 1.0]\n").sweep_points()}
    assert all(big[k] == v for k, v in small.items())


@pytest.mark.parametrize("table,match", [
    ("gamma_x = [1.0]", r"^sweep\.gamma_x: unknown key"),
    ("seed = [1, 2]", r"^sweep\.seed: not sweepable"),
    ('target = ["reference"]', r"^sweep\.target: not sweepable"),
    ("F = 0.5", r"^sweep\.F: expected a non-empty list"),
    ("F = []", r"^sweep\.F: expected a non-empty list"),
    ("F = [0.25, 0.25]", r"^sweep\.F: repeated value"),
    ("gamma_c = [1.0, -1.0]", r"^sweep\.gamma_c\[1\]: "),
    ("shots = [100, 0]", r"^sweep\.shots\[1\]: must be >= 1"),
    ('dephasing = ["kicks", "zap"]', r"^sweep\.dephasing\[1\]: expected one of"),
    ('F = ["big"]', r"^sweep\.F\[0\]: expected a finite number"),
    ("[sweep.zip]\nF = [0.1, 0.2]\nshots = [100]", r"^sweep\.zip\.shots: 1 values, but sweep\.zip\.F has 2"),
    ("F = [0.1]\n[sweep.zip]\nF = [0.2]", r"^sweep\.zip\.F: already swept"),
    ("[sweep.zip]\nF = [0.1, 0.1]\nshots = [100, 100]", r"^sweep\.zip: repeated combination"),
    ("", r"^sweep: no parameter to sweep"),
    ('parameter = "gamma_c"\nvalues = [1.0]\nF = [0.1]', r"^sweep\.F: unknown key"),
    ('parameter = "dephasing"\nvalues = [1.0]', r"^sweep\.parameter: expected a numeric parameter"),
])
def test_bad_sweeps_give_one_line_errors_naming_the_key(table, match):
    with pytest.raises(SpecError, match=match) as info:
        parse(BASE + "[sweep]\n" + table + "\n")
    assert "\n" not in str(info.value)
    assert info.value.key == str(info.value).split(":", 1)[0]


def test_the_scheduler_key_is_checked():
    assert parse(BASE.replace("seed = 7", 'seed = 7\nscheduler = "tcp://10.0.0.1:8786"')).scheduler == \
        "tcp://10.0.0.1:8786"
    with pytest.raises(SpecError, match=r"^run\.scheduler: expected 'local', 'none' or a scheduler address"):
        parse(BASE.replace("seed = 7", 'seed = 7\nscheduler = "fast"'))
