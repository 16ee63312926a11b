"""The knockout screen from Python against `cascade knockouts --format json`."""

from __future__ import annotations

import math

import cascade_sim
from cascade_sim._api import SCREEN_COLUMNS


def test_screen_calls_equal_cli(cli_screen):
    df = cascade_sim.knockouts()
    assert list(df.columns) == SCREEN_COLUMNS
    expected = [
        (c["id"], e["readout"], e["time"], e["call"], e["vehicle"], e["treated"], e["log2fc"], e["retained"])
        for c in cli_screen["conditions"]
        for e in c["effects"]
    ]
    assert len(df) == len(expected) > 0
    got = list(df[["condition", "readout", "time", "call", "vehicle", "treated", "log2fc", "retained"]].itertuples(index=False))
    for g, x in zip(got, expected):
        assert g[:4] == x[:4]  # condition, readout, time and the call: equal
        # The numbers bit for bit: the library gives the executable's bytes also when loaded
        # with dlopen, as Python loads it (python/README.md, "Same numbers as the CLI").
        vehicle, treated, log2fc, retained = g[4:]
        assert (vehicle, treated) == (x[4], x[5])
        for a, b in ((log2fc, x[6]), (retained, x[7])):
            assert (b is None and math.isnan(a)) or a == b
    assert df.attrs["readouts"] == cli_screen["readouts"]
    assert set(df["condition"]) >= {"none"}
    # Each call's threshold, its assay's minimum fold (models/experiments/knockout_screen.yaml).
    folds = [e["minimum_fold"] for c in cli_screen["conditions"] for e in c["effects"]]
    assert list(df["minimum_fold"]) == folds
    assert set(df.loc[df["readout"] == "spine_density", "minimum_fold"]) == {1.1}
    assert set(df["call"]) <= {"changed", "partial", "blocked", "occluded", "unchanged"}


def test_screen_thresholds_change_calls_as_cli(cli):
    from conftest import run_cli
    import json

    ref = json.loads(run_cli(cli, ["knockouts", "--format", "json", "--retained-changed", "0.95"]).stdout)
    df = cascade_sim.knockouts(retained_changed=0.95, threads=2)
    calls = [e["call"] for c in ref["conditions"] for e in c["effects"]]
    assert list(df["call"]) == calls
