"""PEtab simulation, the likelihood and its gradient, and fits against the command line."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

import cascade_sim
from conftest import run_cli


def test_petab_simulate_equals_cli(cli, decay):
    ref = pd.read_csv(io.StringIO(run_cli(cli, ["petab", str(decay)]).stdout), sep="\t")
    pd.testing.assert_frame_equal(cascade_sim.petab_simulate(decay), ref, rtol=0, atol=0)


def test_likelihood_and_gradient_equal_cli(cli, decay):
    ref = json.loads(run_cli(cli, ["likelihood", str(decay), "--gradient", "--format", "json"]).stdout)
    got = cascade_sim.likelihood(decay, gradient=True)
    assert got.llh == ref["llh"]
    assert got.chi2 == ref["chi2"]
    assert got.gradient.to_dict() == ref["gradient"]


def test_likelihood_at_a_parameter_table_and_a_mapping(cli, decay, tmp_path):
    problem = cascade_sim.load_petab(decay)
    ids = problem.parameter_ids
    table = pd.read_csv(decay.parent / "parameters_decay.tsv", sep="\t")
    table["nominalValue"] = table["nominalValue"] * 1.3
    path = tmp_path / "parameters.tsv"
    table.to_csv(path, sep="\t", index=False)
    ref = json.loads(run_cli(cli, ["likelihood", str(decay), "--parameters", str(path), "--format", "json"]).stdout)
    assert problem.likelihood(path).llh == ref["llh"]
    values = dict(zip(table["parameterId"], table["nominalValue"]))
    assert problem.likelihood({i: values[i] for i in ids}).llh == ref["llh"]


def test_gradient_agrees_with_central_differences(decay):
    problem = cascade_sim.load_petab(decay)
    theta = problem.parameters["nominal"].to_numpy()
    g = problem.likelihood(theta, gradient=True, on_scale=True).gradient.to_numpy()
    h = 1e-5
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        fd = (problem.likelihood(up, on_scale=True).llh - problem.likelihood(down, on_scale=True).llh) / (2 * h)
        assert fd == pytest.approx(g[i], rel=1e-4, abs=1e-6)


def test_unknown_parameter_raises(decay):
    with pytest.raises(cascade_sim.CascadeError, match="unknown parameter"):
        cascade_sim.likelihood(decay, parameters={"nope": 1.0})


def test_fit_equals_cli(cli, decay, tmp_path):
    out = tmp_path / "fit"
    run_cli(cli, ["fit", str(decay), "--starts", "3", "--seed", "1", "--threads", "1", "--no-report", "--output", str(out)])
    ref = json.loads((out / "fit.json").read_text())
    got = cascade_sim.fit(decay, starts=3, seed=1, threads=2)
    assert got.summary["best_llh"] == ref["best_llh"]
    assert got.summary["converged"] == ref["converged"]
    assert got.best == ref["parameters"]
    ref_starts = pd.read_csv(out / "starts.tsv", sep="\t")
    pd.testing.assert_frame_equal(got.starts.drop(columns="seconds"), ref_starts.drop(columns="seconds"))
