"""The experiment library (experiments/lib_*.toml, benchmarks/experiment_library.py): every file
parses and runs at reduced size on its own target (or is refused with a reason), its exact
numbers match the seeds' claims or physics.md's corrections, computed here from closed forms
(never copied from qbhw's output), and the README's results block is what the driver writes."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from qbhw.experiment_file import load

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("experiment_library", ROOT / "benchmarks" / "experiment_library.py")
lib = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("experiment_library", lib)  # dataclasses look their module up
_spec.loader.exec_module(lib)

FILES = lib.library_files()
SIN2_MAX = 0.7246113537767085  # max_u sin^2(u) / u (at u = 1.16556), closed form of a Rabi-type curve


def exact_runs(stem: str) -> dict:
    """{coords tuple: results} of one library file at reduced size on target "reference"."""
    (path,) = [f for f in FILES if f.stem == stem]
    runs = lib.run_file(path, reduced=True, target="reference", write=False)
    assert all(r.error is None for r in runs), [r.error for r in runs]
    return {tuple(r.coords.values()): r.results for r in runs}


def test_library_covers_the_seed_results_and_parses():
    stems = [f.stem for f in FILES]
    assert len(stems) == 15 and stems == sorted(lib.ROWS)
    for f in FILES:
        spec = load(f)
        assert spec.target in ("aer-noisy", "reference"), f
        if spec.target == "aer-noisy":
            assert spec.backend == "fake_fez-2025-02-26", f
    reduced = lib.reduce(load(FILES[0]))
    assert reduced.times[0] == 0.0 and reduced.times[-1] == load(FILES[0]).times[-1] and len(reduced.times) == 5


def test_tls_pair_steady_state_and_charging_time():
    """R13: E_B(inf) = omega_B / 2 for every gamma_C > 0; R19: tau(n=1) = 2.29 at gamma_C = 1.41."""
    for results in exact_runs("lib_01_dephasing_regimes").values():
        assert results["summary"]["steady_battery_energy"] == pytest.approx(0.5, abs=1e-9)
    taus = {k[0]: r["summary"]["charging_time"] for k, r in exact_runs("lib_03_charging_time_vs_gamma").items()}
    assert taus[1.41] == pytest.approx(2.29, abs=0.005)
    assert min(taus, key=taus.get) < 1.41 < max(taus, key=taus.get)  # a minimum inside the swept range


def test_steady_ergotropy_is_the_corrected_formula():
    """R14: (F/g)/(1+4(F/g)^2) (0.25 at F/g = 0.5), not the lecture's printed (F/g)/(1+(F/g)^2)."""
    runs = exact_runs("lib_02_steady_ergotropy_vs_drive")
    for (x,), results in runs.items():
        w = results["summary"]["steady_battery_ergotropy"]
        assert w == pytest.approx(x / (1 + 4 * x * x), abs=1e-7)
        assert abs(w - x / (1 + x * x)) > 0.0025  # the printed formula is off at every swept F/g
    assert runs[(0.5,)]["summary"]["steady_battery_ergotropy"] == pytest.approx(0.25, abs=1e-9)


def test_star_late_ratios_match_the_seed():
    """R22: max long-time ergotropy / E_B = 0.5 / 0.62 / 0.69 (seed), 0.5000 / 0.6244 / 0.6927
    (physics.md, 4 digits) at F/g = 0.50 / 0.73 / 0.94."""
    physics = {1: 0.5000, 2: 0.6244, 3: 0.6927}
    seed = {1: 0.5, 2: 0.62, 3: 0.69}
    for (n, _f), results in exact_runs("lib_06_star_late_ratio").items():
        v, *_ , exact = lib.value(results, lib.LATE_RATIO)
        assert exact == pytest.approx(physics[n], abs=6e-5)
        assert exact == pytest.approx(seed[n], abs=0.0051)


def test_collective_power_ratios():
    """R6: global / parallel power = n exactly (both are sin^2 curves, one n times faster);
    the parallel cell and the N = 1 Tavis-Cummings cell have P_max = g max sin^2(u)/u (closed form)."""
    runs = {tuple(k): r for k, r in exact_runs("lib_09_global_vs_parallel").items()}
    assert {n for n, _ in runs} == {2, 3}
    for n in (2, 3):
        glob = runs[(n, "global")]["summary"]["max_average_power"]
        par = runs[(n, "parallel")]["summary"]["max_average_power"]
        assert par == pytest.approx(SIN2_MAX, rel=2e-4)  # E_max = 1: n cells of sin^2(t/n), power sin^2(u)/u
        assert glob / par == pytest.approx(n, rel=1e-3)
    from qbhw.metrics import max_average_power
    from qbhw.models import global_vs_parallel
    from qbhw.reference import evolve

    t = np.linspace(0.0, 6.4, 401)  # n = 4 (not on the emulated device: too slow), exact only
    glob4, par4 = (max_average_power(t, evolve(m, t).battery_energy)[0] for m in global_vs_parallel(4))
    assert par4 == pytest.approx(SIN2_MAX, rel=2e-4) and glob4 / par4 == pytest.approx(4, rel=1e-3)
    g = load(FILES[7]).model_params["g"]
    (cell,) = exact_runs("lib_08_rabi_cell").values()
    dicke = {k[0]: r for k, r in exact_runs("lib_07_dicke").items()}  # coordinates (n_spins, n_max)
    # JC with one photon: E_B(t) = sin^2(g t)
    assert cell["summary"]["max_average_power"] == pytest.approx(g * SIN2_MAX, rel=2e-4)
    assert dicke[1]["summary"]["max_average_power"] == pytest.approx(g * SIN2_MAX, rel=2e-4)
    ratios = [dicke[n]["summary"]["max_average_power"] / (n * g * SIN2_MAX) for n in (1, 2, 3)]
    assert ratios[0] == pytest.approx(1.0, rel=2e-4) and 1 < ratios[1] < ratios[2]  # collective advantage grows


def test_heat_engine_steady_state_is_detailed_balance():
    """R28: the effective equation relaxes to p_k ~ exp(-beta_e omega_0 k) on the Dicke ladder k = 0..N;
    the ergotropy is that of the N-qubit state (passive state over the full 2^N spectrum, level k
    C(N, k)-fold degenerate, as physics.md's 0.9511 at N = 10)."""
    spec = load(FILES[10])
    beta = spec.model_params["beta_e_omega_0"]
    for (n,), results in exact_runs("lib_11_heat_engine_chargers").items():
        k = np.arange(n + 1)
        p = np.exp(-beta * k) / np.exp(-beta * k).sum()
        energy = float(k @ p)
        levels = np.repeat(k, [math.comb(n, j) for j in k])  # ascending 2^N spectrum
        passive = np.zeros(levels.size)
        passive[: n + 1] = np.sort(p)[::-1]  # largest populations on the lowest levels
        ergotropy = energy - float(levels @ passive)
        assert results["summary"]["steady_battery_energy"] == pytest.approx(energy, abs=1e-6)
        assert results["summary"]["steady_battery_ergotropy"] == pytest.approx(ergotropy, abs=1e-6)


def test_heat_engine_physics_md_numbers_at_n10():
    """physics.md R28: N = 10, beta_e omega_0 = -0.8: e_N = 0.9186, ergotropy / E = 0.9511."""
    from qbhw.models import heat_engine_chargers
    from qbhw.reference import steady_state

    ss = steady_state(heat_engine_chargers(10, -0.8, 0.1))
    assert ss.battery_energy / 10 == pytest.approx(0.9186, abs=6e-5)
    assert ss.battery_ergotropy / ss.battery_energy == pytest.approx(0.9511, abs=6e-5)


def test_open_system_examples():
    """M16: Barra's fixed point G_beta[-H_B] (p_e / p_g = e^{beta omega}, ergotropy tanh(beta omega / 2));
    M20: the dark state of the DFS ring keeps its energy."""
    (diss,) = exact_runs("lib_12_dissipative_charging").values()
    b = load(FILES[11]).model_params["beta_omega"]
    assert diss["summary"]["steady_battery_energy"] == pytest.approx(1 / (1 + math.exp(-b)), abs=1e-7)
    assert diss["summary"]["steady_battery_ergotropy"] == pytest.approx(math.tanh(b / 2), abs=1e-7)
    (ring,) = exact_runs("lib_14_dfs_ring").values()
    e = np.asarray(ring["reference"]["battery_energy"])
    assert np.ptp(e) < 1e-9 and e[0] > 0
    for stem in ("lib_13_dark_state_charging", "lib_15_heat_engine_explicit"):
        (results,) = exact_runs(stem).values()
        assert np.all(np.isfinite(results["reference"]["battery_energy"]))


def test_driver_table_from_a_measured_run(tmp_path):
    """The driver's measured path (aer-ideal, reduced) writes the run folders and a table whose
    rows carry the measured value with its interval beside the exact one; --table-only rebuilds
    the same rows from the folders."""
    out, table = tmp_path / "library", tmp_path / "table.md"
    assert lib.main(["--reduced", "--target", "aer-ideal", "--only", "lib_03", "--out", str(out),
                     "--table", str(table), "--dicke-max-n", "0", "--figures", str(tmp_path / "figures"),
                     "--readme", "none"]) == 0
    text = table.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| lib_03_charging_time_vs_gamma")]
    assert len(rows) == 5 and all(" [" in r for r in rows)
    assert (out / "lib_03_charging_time_vs_gamma" / "points" / "gamma_c=1.41" / "results.json").exists()
    again = tmp_path / "again.md"
    assert lib.main(["--table-only", "--out", str(out), "--table", str(again), "--dicke-max-n", "0",
                     "--figures", "none", "--readme", "none"]) == 0
    assert [r for r in again.read_text().splitlines() if r.startswith("| lib_03")] == rows
    assert (tmp_path / "figures" / "lib_03_charging_time_vs_gamma.png").stat().st_size > 10_000


def test_oscillator_and_spin_chain_files_run():
    """The slow exact references (binary-encoded oscillators, 6-spin chains) complete at reduced size."""
    for stem in ("lib_04_tls_oscillator", "lib_05_oscillator_pair", "lib_10_spin_chain"):
        for results in exact_runs(stem).values():
            assert np.isfinite(results["summary"]["max_average_power"])


def _block(text: str) -> str:
    return text[text.index(lib.BEGIN): text.index(lib.END) + len(lib.END)]


def test_readme_block_is_what_table_only_writes(tmp_path):
    """The README's library block is written between its two marker lines by the driver (the rest
    of the README untouched), carries the table's rows, the command and commit that produced the
    runs and links to figures that exist, and --table-only rewrites exactly the same block from
    the stored run folders."""
    original = (ROOT / "README.md").read_text()
    assert original.count(lib.BEGIN) == 1 and original.count(lib.END) == 1
    out, table, figures = tmp_path / "library", tmp_path / "docs" / "table.md", tmp_path / "docs" / "figures"
    readme = tmp_path / "README.md"
    readme.write_text(original)
    common = ["--out", str(out), "--table", str(table), "--figures", str(figures), "--readme", str(readme),
              "--dicke-max-n", "0"]
    assert lib.main(["--reduced", "--target", "reference", "--only", "lib_02,lib_12", *common]) == 0
    written = readme.read_text()
    block = _block(written)
    assert written.replace(block, "") == original.replace(_block(original), "")
    table_rows = [r for r in table.read_text().splitlines() if r.startswith(("| lib_", "| global", "| Dicke"))]
    assert len(table_rows) == 8 and all(r in block.splitlines() for r in table_rows)  # 7 F values + lib_12
    assert "--only lib_02,lib_12 " in block and "` at commit " in block
    for stem in ("lib_02_steady_ergotropy_vs_drive", "lib_12_dissipative_charging"):
        png = figures / f"{stem}.png"
        assert f"[{stem}](docs/figures/{stem}.png)" in block
        assert 10_000 < png.stat().st_size < 300_000
    readme.write_text(original)
    assert lib.main(["--table-only", *common]) == 0
    assert _block(readme.read_text()) == block


def test_figures_draw_refused_and_exact_only_runs(tmp_path):
    """A figure still draws when a sweep point was refused (its reason in the caption) and
    when every run is exact only."""
    stem = "lib_06_star_late_ratio"
    (path,) = [f for f in FILES if f.stem == stem]
    runs = lib.run_file(path, reduced=True, target="reference", write=False,
                        keep=lambda c: c["n_batteries"] < 3)
    refused = lib.Run(stem, {"n_batteries": 3, "F": 0.94}, tmp_path, None,
                      "ResourceError: times: no star keeps coherence for 158.7 us; shorten the evolution", 0.0, None)
    caption = lib._caption([*runs, refused])
    assert "refused n_batteries=3,F=0.94: ResourceError: times: no star keeps coherence for 158.7 us" in caption
    assert "shorten" not in caption
    (png,) = lib.write_figures([*runs, refused], tmp_path)
    assert png.name == f"{stem}.png" and png.stat().st_size > 10_000


#: smaller than --reduced (lib.REDUCED) so that all 15 files run in the suite: 3 times (first,
#: middle, last: the deepest circuit, which decides a refusal, is kept), 2 realizations, 500 shots,
#: and of a sweep its first point only (the smallest system: the larger ones, 6-qubit tomography of
#: Dicke N = 3 or the n = 6 chain, take minutes each; docs/library_table.md has them all)
SMOKE = {"times": 3, "realizations": 2, "shots": 500, "bootstrap": 10}
REFUSALS = ("InputError: ", "ResourceError: ")


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda f: f.stem[:6])
def test_every_file_runs_on_its_own_target_at_reduced_size(path):
    """Each library file, unchanged but for its size, on its own default target (aer-noisy with
    the fake_fez snapshot, or reference): its first sweep point completes with measured curves and
    intervals beside the exact ones, or is refused before running with an InputError /
    ResourceError that names the limit (docs/library_table.md "Runs not done": lib_14 today)."""
    spec = load(path)
    first = lib.points(spec)[0][0]
    runs = lib.run_file(path, reduced=True, write=False, size=SMOKE, keep=lambda c: c == first)
    assert [r.coords for r in runs] == [first]
    for r in runs:
        if r.error is not None:
            assert r.error.startswith(REFUSALS) and len(lib.short_reason(r.error)) > 30, r.error
            continue
        res = r.results
        assert res["target"] == spec.target and len(res["times"]) == min(3, len(spec.times))
        exact = np.asarray(res["reference"]["battery_energy"], dtype=float)
        assert np.all(np.isfinite(exact))
        if spec.target == "reference":
            continue
        assert res["backend"] == "fake_fez" and res["estimated_qpu_seconds"] > 0
        for key in ("battery_energy", "battery_ergotropy"):
            v, ci = np.asarray(res[key]["value"], dtype=float), np.asarray(res[key]["ci95"], dtype=float)
            assert np.all(np.isfinite(v)) and np.all(np.isfinite(ci)) and np.all(ci[:, 0] <= ci[:, 1])
        _, depth, shots = lib.circuit_cost(res)
        assert depth > 0 and shots > 0
