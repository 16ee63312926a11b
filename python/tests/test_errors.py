"""Errors raise CascadeError with the message `cascade` prints, and the file, line and column."""

from __future__ import annotations

import pytest

import cascade_sim
from conftest import run_cli


def cli_message(cli, args) -> str:
    result = run_cli(cli, args, check=False)
    assert result.returncode == 1
    text = result.stderr.rstrip("\n")
    return text[len("cascade: error: "):] if text.startswith("cascade: error: ") else text


def test_syntax_error_names_file_line_and_column(cli, tmp_path):
    bad = tmp_path / "bad.ant"
    bad.write_text("compartment c = 1;\nspecies A in c = 1;\nR: A -> ; k2*A\n")
    with pytest.raises(cascade_sim.CascadeError) as e:
        cascade_sim.load(str(bad))
    assert e.value.file == str(bad)
    assert e.value.line == 3
    assert e.value.column is not None
    assert str(e.value) == cli_message(cli, ["simulate", str(bad), "--end", "1"])


def test_missing_file(cli, tmp_path):
    missing = str(tmp_path / "missing.ant")
    with pytest.raises(cascade_sim.CascadeError) as e:
        cascade_sim.load(missing)
    assert str(e.value) == cli_message(cli, ["simulate", missing, "--end", "1"])


def test_unknown_variable_and_unknown_parameter(cli, ketamine):
    model = cascade_sim.load(str(ketamine))
    with pytest.raises(cascade_sim.CascadeError) as e:
        model.simulate(end=10, variables=["BDNX"])
    assert str(e.value) == cli_message(cli, ["simulate", str(ketamine), "--end", "10", "--variables", "BDNX"])
    with pytest.raises(cascade_sim.CascadeError) as e:
        model.simulate(end=10, parameters={"no_such_parameter": 1.0})
    assert str(e.value) == cli_message(cli, ["simulate", str(ketamine), "--end", "10", "--set", "no_such_parameter=1"])


def test_failed_integration_names_the_time(cli):
    # Blows up in finite time: dA/dt = A², A(0) = 1 reaches infinity at t = 1.
    text = "compartment c = 1; species A in c = 1; R: -> A; A*A"
    with pytest.raises(cascade_sim.CascadeError, match=r"t = 0\.9"):
        cascade_sim.load(text).simulate(end=2, steps=10)


def test_bad_arguments_are_usage_errors(ketamine):
    model = cascade_sim.load(ketamine)
    with pytest.raises(cascade_sim.CascadeUsageError, match="steps"):
        model.simulate(end=10, steps=0)
    with pytest.raises(cascade_sim.CascadeUsageError, match="after start"):
        model.simulate(end=-1)
    with pytest.raises(cascade_sim.CascadeUsageError, match="rtol"):
        model.simulate(end=10, rtol=-1)
    with pytest.raises(ValueError):
        model.simulate(end=10, atol=0)


def test_bad_experiment(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: ../nowhere.ant\nreadouts: [BDNF]\n")
    with pytest.raises(cascade_sim.CascadeError) as e:
        cascade_sim.knockouts(str(bad))
    assert str(e.value) == cli_message(cli, ["knockouts", str(bad)])


def test_negative_species_warns_as_the_cli(cli, tmp_path):
    # Zero-order loss drives A below zero: cascade prints a warning on standard error.
    path = tmp_path / "negative.ant"
    path.write_text("compartment c = 1; species A in c = 1; R: A -> ; 1\n")
    result = run_cli(cli, ["simulate", str(path), "--end", "3", "--steps", "3"])
    expected = [line[len("cascade: warning: "):] for line in result.stderr.splitlines() if line.startswith("cascade: warning: ")]
    assert expected
    with pytest.warns(cascade_sim.CascadeWarning) as record:
        cascade_sim.load(str(path)).simulate(end=3, steps=3)
    assert [str(w.message) for w in record] == expected
