"""Trajectories from Python against `cascade simulate` (the command line as a separate process)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import cascade_sim
from conftest import run_cli

RTOL = 1e-10


def cli_trajectory(cli, args) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(run_cli(cli, ["simulate", *args, "--format", "csv"]).stdout))


def assert_same(py: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(py.columns) == list(ref.columns)
    assert py.shape == ref.shape
    a, b = py.to_numpy(), ref.to_numpy()
    scale = np.maximum(np.abs(a), np.abs(b))
    assert np.all(np.abs(a - b) <= RTOL * scale), f"largest relative difference {np.max(np.abs(a - b) / np.where(scale > 0, scale, 1))}"


def test_ketamine_every_species_matches_cli(cli, ketamine):
    ref = cli_trajectory(cli, [str(ketamine), "--end", "2h", "--steps", "60"])
    py = cascade_sim.load(str(ketamine)).simulate(end="2 h", steps=60)
    assert py.columns[0] == "time"
    assert len(py) == 61
    assert_same(py, ref)


def test_start_overrides_variables_and_tolerances_match_cli(cli, ketamine):
    model = cascade_sim.load(ketamine)
    info = model.info()
    parameter = next(p["id"] for p in info["parameters"] if p["value"])
    value = next(p["value"] for p in info["parameters"] if p["id"] == parameter) * 3
    species = model.species[:3]
    variables = species + [parameter]
    ref = cli_trajectory(
        cli,
        [str(ketamine), "--end", "90 min", "--start", "-30 min", "--steps", "40", "--set", f"{parameter}={value!r}",
         "--variables", ",".join(variables), "--amounts", species[0], "--rtol", "1e-8", "--atol", "1e-13"],
    )
    py = model.simulate(
        end="90 min", start=-1800, steps=40, parameters={parameter: value}, variables=variables,
        amounts=[species[0]], rtol=1e-8, atol=1e-13,
    )
    assert_same(py, ref)
    assert py[parameter].iloc[0] == pytest.approx(value, rel=1e-15)


def test_sbml_model_matches_cli(cli, root):
    case = root.parent / "shared" / "sbml-test-suite" / "cases" / "00001" / "00001-sbml-l3v2.xml"
    if not case.exists():
        case = next((root / "Tests").rglob("*.xml"))
    ref = cli_trajectory(cli, [str(case), "--end", "5", "--steps", "50"])
    py = cascade_sim.load(str(case)).simulate(end=5, steps=50)
    assert_same(py, ref)


def test_model_from_text_equals_model_from_file(ketamine):
    text = ketamine.read_text()
    a = cascade_sim.load(text, name="ketamine").simulate(end=3600, steps=20)
    b = cascade_sim.load(ketamine).simulate(end=3600, steps=20)
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=0)


def test_analytic_decay_from_text():
    # A -> ; k*A with A(0) = 10, k = 0.5: A(t) = 10 exp(-t/2).
    model = cascade_sim.load("compartment c = 1; species A in c = 10; k = 0.5; R: A -> ; k*A")
    df = model.simulate(end=4, steps=8, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(df["A"], 10 * np.exp(-0.5 * df["time"]), rtol=1e-7)


def test_repeated_calls_give_the_same_bytes(ketamine):
    model = cascade_sim.load(ketamine)
    first = model.simulate(end=7200, steps=30)
    for _ in range(3):
        pd.testing.assert_frame_equal(model.simulate(end=7200, steps=30), first, rtol=0, atol=0)


def test_info_describes_the_model(cli, ketamine):
    info = cascade_sim.load(ketamine).info()
    text = run_cli(cli, ["info", str(ketamine)]).stdout
    assert f"species: {len(info['species'])}" in text
    assert f"parameters: {len(info['parameters'])}" in text
    assert f"state variables: {info['state_variables']}; Jacobian non-zeros: {info['jacobian_nonzeros']}" in text


def test_times_with_units():
    assert cascade_sim.seconds("2 h") == 7200
    assert cascade_sim.seconds("30 min") == 1800
    assert cascade_sim.seconds(5) == 5.0
    with pytest.raises(cascade_sim.CascadeUsageError, match="not a time"):
        cascade_sim.seconds("ten")
