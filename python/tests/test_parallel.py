"""Batches on all cores and calls from threads give the same numbers as sequential calls."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

import cascade_sim


def parameter_sets(model, n):
    info = model.info()
    ids = [p["id"] for p in info["parameters"] if p["value"]][:2]
    base = {p["id"]: p["value"] for p in info["parameters"]}
    factors = np.logspace(-0.5, 0.5, n)
    return [{ids[0]: base[ids[0]] * f, ids[1]: base[ids[1]] / f} for f in factors]


def test_batch_equals_sequential(ketamine):
    model = cascade_sim.load(ketamine)
    sets = parameter_sets(model, 6)
    batch = model.simulate_batch(sets, end="2 h", steps=24, variables=["BDNF", "p_ERK"], threads=2)
    assert len(batch) == len(sets)
    for s, df in zip(sets, batch):
        pd.testing.assert_frame_equal(df, model.simulate(end="2 h", steps=24, variables=["BDNF", "p_ERK"], parameters=s), rtol=0, atol=0)


def test_batch_from_a_dataframe_with_missing_values(ketamine):
    model = cascade_sim.load(ketamine)
    sets = parameter_sets(model, 2)
    table = pd.DataFrame(sets)
    table.iloc[1, 1] = np.nan  # keeps the model's value
    batch = model.simulate_batch(table, end=3600, steps=10)
    expected = model.simulate(end=3600, steps=10, parameters={table.columns[0]: table.iloc[1, 0]})
    pd.testing.assert_frame_equal(batch[1], expected, rtol=0, atol=0)


def test_batch_failure_names_the_set():
    model = cascade_sim.load("compartment c = 1; species A in c = 1; k = 0; R: -> A; k*A*A")
    try:
        model.simulate_batch([{"k": 0}, {"k": 1}, {"k": 0}], end=2, steps=4)
    except cascade_sim.CascadeError as e:
        assert "parameter set 1" in str(e)
    else:
        raise AssertionError("no error")


def test_threads_run_side_by_side_with_the_same_results(ketamine):
    # ctypes releases the GIL during the foreign call; each call takes a simulator of its own.
    model = cascade_sim.load(ketamine)
    sets = parameter_sets(model, 8)
    expected = [model.simulate(end="1 h", steps=12, parameters=s) for s in sets]
    results = [None] * len(sets)

    def work(i):
        results[i] = model.simulate(end="1 h", steps=12, parameters=sets[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        pd.testing.assert_frame_equal(got, want, rtol=0, atol=0)
