"""report.py on hand-made results dicts: every time point is shown (or the skip is said), the
table's intervals are the plot's error bars and carry the same label, the data source is named
by target, optional fields (linear energy, warnings, dense reference, schema version) are shown
when present and not required when absent."""

import json

import matplotlib.axes
import numpy as np
import pytest
from specs import TLS_PAIR

from qbhw import report

INTERVAL = "95% basic bootstrap interval, Student-t widened for the realization count, clipped to the physical range"


def measured(n=63, target="aer-noisy", backend="fake_fez", **extra) -> dict:
    """A measured-run results dict with distinct, asymmetric intervals at every time."""
    t = np.linspace(0.0, 6.2, n)
    e, w = 0.5 * np.sin(t / 4) ** 2, 0.3 * np.sin(t / 4) ** 2
    fine = np.linspace(0.0, t[-1], 401)
    out = {
        "times": t.tolist(), "measured": True, "target": target, "backend": backend, "interval": INTERVAL,
        "battery_energy": {"value": e.tolist(), "stderr": np.full(n, 0.01).tolist(),
                           "ci95": np.stack([e - 0.011, e + 0.023], axis=1).tolist()},
        "battery_ergotropy": {"value": w.tolist(), "stderr": np.full(n, 0.02).tolist(),
                              "ci95": np.stack([w - 0.031, w + 0.017], axis=1).tolist(), "bias": [0.0] * n},
        "reference": {"battery_energy": (e + 0.001).tolist(), "battery_ergotropy": (w + 0.001).tolist()},
        "reference_curve": {"times": fine.tolist(), "battery_energy": (0.5 * np.sin(fine / 4) ** 2).tolist(),
                            "battery_ergotropy": (0.3 * np.sin(fine / 4) ** 2).tolist()},
        "summary": {"charging_n": 1.0, "max_average_power": 0.1, "max_average_power_time": 2.0},
        "spec": {"model": {"kind": "tls_pair", "g": 1.0}},
    }
    out.update(extra)
    return out


def data_rows(text: str) -> list[list[str]]:
    """Table lines that start with a time value."""
    rows = []
    for line in text.splitlines():
        cells = line.split()
        try:
            float(cells[0])
        except (IndexError, ValueError):
            continue
        rows.append(cells)
    return rows


def test_table_shows_every_time_point_or_says_how_many_it_shows():
    r = measured(63)
    rows = data_rows(report.table(r))
    assert [float(c[0]) for c in rows] == pytest.approx(np.round(r["times"], 3))
    short = report.table(r, rows=11)
    shown = data_rows(short)
    assert len(shown) == 11
    assert float(shown[0][0]) == 0.0 and float(shown[-1][0]) == pytest.approx(6.2)
    assert "showing 11 of 63 time points; all are in results.json" in short
    assert "showing" not in report.table(measured(5), rows=11)  # nothing skipped, nothing said
    assert len(data_rows(report.markdown(r))) == 63  # report.md: every time point


def test_table_intervals_are_the_plot_error_bars_with_the_same_label(tmp_path, monkeypatch):
    r = measured(7)
    bars = []
    original = matplotlib.axes.Axes.errorbar

    def record(self, x, y, yerr=None, **kwargs):
        bars.append((np.asarray(y, dtype=float), np.asarray(yerr, dtype=float), kwargs.get("label")))
        return original(self, x, y, yerr=yerr, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", record)
    report.plot_charging(tmp_path / "c.png", r)
    assert len(bars) == 2
    text = report.table(r)
    rows = data_rows(text)
    for (key, _), (value, yerr, label), first in zip(report.QUANTITIES, bars, (2, 5)):
        ci = np.asarray(r[key]["ci95"])
        np.testing.assert_allclose(value - yerr[0], ci[:, 0], atol=1e-12)  # bars span the stored interval
        np.testing.assert_allclose(value + yerr[1], ci[:, 1], atol=1e-12)
        printed = np.array([[float(c[first].strip("[,")), float(c[first + 1].strip("]"))] for c in rows])
        np.testing.assert_allclose(printed, ci, atol=5e-5)  # the table prints the same interval
        assert "95% basic bootstrap interval" in label
    assert INTERVAL in text and INTERVAL in report.markdown(r)


@pytest.mark.parametrize("target,backend,expected", [
    ("aer-ideal", "aer_simulator", "emulated (ideal simulator)"),
    ("aer-noisy", "fake_fez", "emulated (fake_fez noise model)"),
    ("fake-local", "fake_fez", "emulated (qiskit-ibm-runtime local mode, fake_fez)"),
    ("ibm", "ibm_fez", "measured on ibm_fez"),
])
def test_data_source_is_named_by_target(target, backend, expected, tmp_path, monkeypatch):
    r = measured(4, target=target, backend=backend)
    assert report.source(r) == expected
    assert expected in report.table(r)
    md = report.markdown(r)
    assert f"- data: {expected}" in md and md.startswith(f"# tls_pair: {expected} vs exact model")
    if target != "ibm":
        assert "measured" not in report.table(r) + report.title(r)
    labels = []
    original = matplotlib.axes.Axes.errorbar
    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar",
                        lambda self, *a, **k: labels.append(k["label"]) or original(self, *a, **k))
    report.plot_charging(tmp_path / "c.png", r)
    assert all(label.startswith(expected) for label in labels) and labels


def test_linear_energy_column_and_warnings_in_report_md():
    n = 4
    lin = np.array([-0.02, 0.1, 0.2, 0.3])
    r = measured(n, warnings=["predicted signal 0.06 of the ideal contrast on qubits [1, 2]"],
                 battery_energy_linear={"value": lin.tolist(), "stderr": [0.01] * n,
                                        "ci95": np.stack([lin - 0.05, lin + 0.04], axis=1).tolist()})
    md = report.markdown(r)
    assert "**warning**: predicted signal 0.06 of the ideal contrast on qubits [1, 2]" in md
    assert report.warnings(r) == ["predicted signal 0.06 of the ideal contrast on qubits [1, 2]"]
    header = next(line for line in md.splitlines() if line.lstrip().startswith("t "))
    assert "E_B linear" in header and "E_B linear" not in report.table(r)  # own column, in report.md
    rows = data_rows(md)
    assert [float(c[7]) for c in rows] == pytest.approx(lin)  # after t, E_B [lo, hi], W [lo, hi]
    assert [float(c[8].strip("[,")) for c in rows] == pytest.approx(lin - 0.05, abs=5e-5)


def test_old_results_without_optional_fields_still_report(tmp_path):
    """Results written before intervals were labelled, and without the linear energy, warnings,
    the dense curve or a schema version."""
    r = measured(5)
    for key in ("interval", "reference_curve", "spec"):
        del r[key]
    del r["battery_ergotropy"]["ci95"]
    text = report.table(r)
    assert report.STDERR_INTERVAL in text and report.DEFAULT_INTERVAL in text
    w, err = np.asarray(r["battery_ergotropy"]["value"]), np.asarray(r["battery_ergotropy"]["stderr"])
    printed = np.array([[float(c[5].strip("[,")), float(c[6].strip("]"))] for c in data_rows(text)])
    np.testing.assert_allclose(printed, np.stack([w - err, w + err], axis=1), atol=5e-5)
    (tmp_path / "results.json").write_text(json.dumps(r))
    loaded = report.load_results(tmp_path)
    report.plot_charging(tmp_path / "charging.png", loaded)
    assert "E_B linear" not in report.markdown(loaded) and "warning" not in report.markdown(loaded)


def test_reference_target_table_has_the_exact_columns_only():
    r = measured(3, target="reference", backend="reference", measured=False)
    text = report.table(r)
    assert text.splitlines()[0].split() == ["t", "E_B", "(exact)", "ergotropy", "(exact)"]
    assert [float(c[1]) for c in data_rows(text)] == pytest.approx(r["reference"]["battery_energy"], abs=5e-6)


def test_results_json_carries_the_schema_version_and_newer_ones_are_refused(tmp_path):
    report.write_all(tmp_path, measured(3))
    data = json.loads((tmp_path / "results.json").read_text())
    assert next(iter(data)) == "schema_version" and data["schema_version"] == report.SCHEMA_VERSION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["charging.png", "report.md", "results.json"]
    data["schema_version"] = report.SCHEMA_VERSION + 1
    (tmp_path / "results.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="newer"):
        report.load_results(tmp_path)


SWEEP_SPEC = TLS_PAIR + """[times]
stop = 6.2
num = 5
[run]
target = "aer-noisy"
[sweep]
gamma_c = [0.5, 2.0]
"""


def test_sweep_plot_draws_each_exact_curve_densely_and_one_figure_per_axis(tmp_path, monkeypatch):
    from qbhw.experiment_file import parse
    from qbhw.sweep import dataset, engine

    spec = parse(SWEEP_SPEC)
    for point, _ in spec.sweep_points():
        sub = engine.point_folder(tmp_path, point)
        sub.mkdir(parents=True)
        report.write_results(sub / "results.json", measured(5))
    ds = dataset.build(tmp_path, spec)
    lengths = []
    original = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda self, *a, **k: lengths.append(len(a[0])) or original(self, *a, **k))
    paths = report.plot_sweep(tmp_path, ds)
    assert [p.name for p in paths] == report.sweep_plot_names(ds) == ["sweep.png", "sweep_gamma_c.png"]
    assert lengths.count(401) == 4  # E_B and ergotropy of both values, 401 times each
    w = measured(5)["battery_ergotropy"]
    np.testing.assert_allclose(ds["battery_ergotropy_ci_low"].sel(gamma_c=0.5), np.asarray(w["ci95"])[:, 0])
    assert all(p.stat().st_size > 5_000 for p in paths)
