"""Overhead of a Python `Model.simulate` call against the in-process `cascade benchmark`, with
libRoadRunner's `r.simulate` on the same model, grid and tolerances beside them.

    python scripts/bench/python_overhead.py [--model models/ketamine.ant] [--end 72h] [--steps 144]
        [--repeat 200] [--rounds 5] [--cascade .build/release/cascade]
        [--roadrunner-python /work/venv-model/bin/python]

Run it with a Python that has cascade_sim installed (`pip install ./python`). Every round times,
one after the other on the same machine: `cascade benchmark` (compile once, then --repeat
simulations reusing one simulator, median), `Model.simulate` (the same simulations through the
C ABI, returning a DataFrame, median), the foreign call alone (no DataFrame), and, when
--roadrunner-python names a Python with libroadrunner, `RoadRunner.simulate` after `resetAll`
on the model exported to SBML (`cascade export-sbml`). Each tool integrates every species from 0
to --end with --steps + 1 outputs at rtol 1e-6, atol 1e-12. The overhead is the ratio of
medians within a round; the report gives each round's figures and the median over rounds (the
machine is shared, so rounds differ).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from ctypes import POINTER, c_double, c_int64, c_void_p

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RR_CODE = r"""
import json, statistics, sys, time
import roadrunner
spec = json.loads(sys.argv[1])
r = roadrunner.RoadRunner(spec["sbml"])
integrator = r.getIntegrator()
integrator.setValue("stiff", True)
integrator.setValue("relative_tolerance", spec["rtol"])
integrator.setValue("absolute_tolerance", [spec["atol"]] * len(integrator.getAbsoluteToleranceVector()))
integrator.setValue("maximum_num_steps", spec["max_steps"])
r.timeCourseSelections = ["time"] + ["[%s]" % s for s in r.model.getFloatingSpeciesIds()]
r.resetAll(); r.simulate(0, spec["end"], spec["steps"] + 1)
samples = []
for _ in range(spec["repeat"]):
    t = time.perf_counter()
    r.resetAll()
    r.simulate(0, spec["end"], spec["steps"] + 1)
    samples.append(time.perf_counter() - t)
print(json.dumps({"median_ms": 1000 * statistics.median(samples), "min_ms": 1000 * min(samples),
                  "version": roadrunner.__version__}))
"""


def cascade_benchmark(cascade: str, model: str, end: float, steps: int, repeat: int) -> dict:
    out = subprocess.run(
        [cascade, "benchmark", model, "--end", repr(end), "--steps", str(steps), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return json.loads(out)


def time_python(model, end: float, steps: int, repeat: int) -> list:
    model.simulate(end=end, steps=steps)
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        model.simulate(end=end, steps=steps)
        samples.append(time.perf_counter() - t)
    return samples


def time_foreign_call(model, end: float, steps: int, repeat: int) -> list:
    """The C call alone: no argument conversion beyond ctypes', no copy, no DataFrame."""
    from cascade_sim._native import lib

    samples = []
    for _ in range(repeat + 1):
        cols, values, warn, err = c_void_p(), POINTER(c_double)(), c_void_p(), c_void_p()
        rows, ncol = c_int64(), c_int64()
        t = time.perf_counter()
        status = lib.cascade_model_simulate(
            model._handle, 0.0, end, steps, None, None, 0, None, None, 1e-6, 1e-12, 100_000,
            ctypes.byref(cols), ctypes.byref(values), ctypes.byref(rows), ctypes.byref(ncol),
            ctypes.byref(warn), ctypes.byref(err),
        )
        samples.append(time.perf_counter() - t)
        assert status == 0
        for p in (cols, warn):
            lib.cascade_free(p)
        lib.cascade_free(ctypes.cast(values, c_void_p))
    return samples[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "ketamine.ant"))
    ap.add_argument("--end", default="72h")
    ap.add_argument("--steps", type=int, default=144)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cascade", default=os.path.join(ROOT, ".build", "release", "cascade"))
    ap.add_argument("--roadrunner-python", default=os.environ.get("ROADRUNNER_PYTHON", "/work/venv-model/bin/python"))
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()

    import cascade_sim

    end = cascade_sim.seconds(a.end)
    model = cascade_sim.load(a.model)
    rr = None
    if a.roadrunner_python and os.path.exists(a.roadrunner_python):
        folder = tempfile.mkdtemp(prefix="cascade-overhead-")
        sbml = os.path.join(folder, "model.xml")
        subprocess.run([a.cascade, "export-sbml", a.model, "--output", sbml], check=True, cwd=ROOT)
        rr = {"sbml": sbml, "end": end, "steps": a.steps, "rtol": 1e-6, "atol": 1e-12, "max_steps": 100_000,
              "repeat": a.repeat}
    rounds = []
    for k in range(a.rounds):
        bench = cascade_benchmark(a.cascade, a.model, end, a.steps, a.repeat)
        py = time_python(model, end, a.steps, a.repeat)
        raw = time_foreign_call(model, end, a.steps, a.repeat)
        row = {
            "cascade_benchmark_ms": bench["single_ms"],
            "python_simulate_ms": 1000 * statistics.median(py),
            "foreign_call_ms": 1000 * statistics.median(raw),
        }
        row["overhead"] = row["python_simulate_ms"] / row["cascade_benchmark_ms"] - 1
        row["python_over_foreign_us"] = 1000 * (row["python_simulate_ms"] - row["foreign_call_ms"])
        if rr:
            out = subprocess.run([a.roadrunner_python, "-c", RR_CODE, json.dumps(rr)], check=True, capture_output=True, text=True)
            got = json.loads(out.stdout)
            row["roadrunner_simulate_ms"] = got["median_ms"]
            row["roadrunner_version"] = got["version"]
        rounds.append(row)
        print(json.dumps({"round": k, **row}), file=sys.stderr)
    summary = {
        "model": a.model, "end_s": end, "steps": a.steps, "repeat": a.repeat, "rounds": a.rounds,
        "states": bench["states"], "cascade_version": cascade_sim.version(),
        "median": {key: statistics.median(r[key] for r in rounds) for key in rounds[0] if isinstance(rounds[0][key], float)},
        "per_round": rounds,
    }
    m = summary["median"]
    print(f"model {os.path.relpath(a.model, ROOT)}: {bench['states']} states, 0 to {end:g} s, {a.steps + 1} outputs, "
          f"rtol 1e-6, atol 1e-12; median of {a.rounds} rounds of {a.repeat} simulations")
    print(f"  cascade benchmark (in process)  {m['cascade_benchmark_ms']:.3f} ms")
    print(f"  cascade_sim Model.simulate      {m['python_simulate_ms']:.3f} ms  (overhead {100 * m['overhead']:+.1f}%)")
    print(f"  the foreign call alone          {m['foreign_call_ms']:.3f} ms  (Python side {m['python_over_foreign_us']:.0f} µs)")
    if "roadrunner_simulate_ms" in m:
        print(f"  libRoadRunner {rounds[0]['roadrunner_version']} r.simulate    {m['roadrunner_simulate_ms']:.3f} ms  "
              f"({m['roadrunner_simulate_ms'] / m['python_simulate_ms']:.2f}x cascade_sim)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
