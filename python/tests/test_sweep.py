"""Sweeps from Python against `cascade sweep`."""

from __future__ import annotations

import json

import pandas as pd

import cascade_sim
from conftest import run_cli


def test_sweep_and_fold_changes_equal_cli(cli, root, tmp_path):
    experiment = root / "examples" / "sweep" / "dose_response.yaml"
    out = tmp_path / "sweep.csv"
    folds = tmp_path / "folds.csv"
    run_cli(cli, ["sweep", str(experiment), "--output", str(out), "--fold-changes", str(folds), "--quiet"])
    table, effects = cascade_sim.sweep(experiment, fold_changes=True)
    # The same rows, columns, calls and numbers, bit for bit (the CSV holds shortest round-trip
    # numbers read back exactly).
    pd.testing.assert_frame_equal(table, pd.read_csv(out), check_exact=True)
    pd.testing.assert_frame_equal(effects, pd.read_csv(folds), check_exact=True)
    assert list(effects["call"]) == list(pd.read_csv(folds)["call"])
    assert table.attrs["metadata"] == json.loads((tmp_path / "sweep.csv.meta.json").read_text())
    assert (table["status"] == "ok").all()
