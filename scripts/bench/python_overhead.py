"""Overhead of a Python `Model.simulate` call against the in-process `cascade benchmark`, with
libRoadRunner's `r.simulate` on the same model, grid and tolerances beside them.

    python scripts/bench/python_overhead.py [--plate | --model models/ketamine.ant --end 72h --steps 144
        [--start -5d]] [--repeat 200] [--rounds 5] [--cascade .build/release/cascade]
        [--roadrunner-python /work/venv-model/bin/python]

--plate times the model scripts/bench/run.py calls ketamine_plate: the ketamine network under the
standard plate protocol (`cascade check models/references --export-sbml`, plate_standard.xml),
simulated from the manifest's start (the pre-treatment equilibration) with outputs every 30 min
from 0 to 72 h. Without it, --model from 0 (or --start) to --end.

Run it with a Python that has cascade_sim installed (`pip install ./python`). Every round times,
one after the other on the same machine: `cascade benchmark` (compile once, then --repeat
simulations reusing one simulator, median), `Model.simulate` (the same simulations through the
C ABI, returning a DataFrame, median), the foreign call alone (no DataFrame), and, when
--roadrunner-python names a Python with libroadrunner, `RoadRunner.simulate` after `resetAll`
on the model exported to SBML (`cascade export-sbml`). Each tool integrates every species from
--start with --steps + 1 outputs from 0 to --end at rtol 1e-6, atol 1e-12. The overhead is the ratio of
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
times = [spec["end"] * i / spec["steps"] for i in range(spec["steps"] + 1)]
if spec["start"] < 0:
    times = [spec["start"]] + times
def run():
    return r.simulate(0, spec["end"], spec["steps"] + 1) if spec["start"] == 0 else r.simulate(times=times)
r.resetAll(); run()
samples = []
for _ in range(spec["repeat"]):
    t = time.perf_counter()
    r.resetAll()
    run()
    samples.append(time.perf_counter() - t)
print(json.dumps({"median_ms": 1000 * statistics.median(samples), "min_ms": 1000 * min(samples),
                  "version": roadrunner.__version__}))
"""


def cascade_benchmark(cascade: str, model: str, start: float, end: float, steps: int, repeat: int) -> dict:
    out = subprocess.run(
        [cascade, "benchmark", model, "--start", repr(start), "--end", repr(end), "--steps", str(steps), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return json.loads(out)


def time_python(model, start: float, end: float, steps: int, repeat: int) -> list:
    """`Model.simulate` as a user calls it: outputs from 0 to end, the simulation from start."""
    times = [end * i / steps for i in range(steps + 1)]
    model.simulate(times=times, start=start)
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        model.simulate(times=times, start=start)
        samples.append(time.perf_counter() - t)
    return samples


def time_foreign_call(model, start: float, end: float, steps: int, repeat: int) -> list:
    """The C call alone, into a buffer made beforehand: no DataFrame."""
    import numpy as np
    from cascade_sim._native import lib

    times = np.array([end * i / steps for i in range(steps + 1)])
    out = np.empty((steps + 1, len(model.columns())))
    samples = []
    for _ in range(repeat + 1):
        warn, err = c_void_p(), c_void_p()
        t = time.perf_counter()
        status = lib.cascade_model_simulate(
            model._handle, start, 0.0, 0, times.size, times.ctypes.data, None, None, 0, None, None, 1e-6, 1e-12, 100_000,
            out.ctypes.data, out.size, ctypes.byref(warn), ctypes.byref(err),
        )
        samples.append(time.perf_counter() - t)
        assert status == 0, ctypes.string_at(err.value)
        lib.cascade_free(warn)
    return samples[1:]


def export_plate(cascade: str, folder: str):
    """plate_standard.xml and its grid from `cascade check models/references --export-sbml`."""
    subprocess.run([cascade, "check", os.path.join(ROOT, "models", "references"), "--export-sbml", folder],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    with open(os.path.join(folder, "manifest.json")) as f:
        case = next(c for c in json.load(f)["cases"] if c["id"] == "plate_standard")
    times = case["times"]
    return os.path.join(folder, case["sbml"]), float(case["start"]), float(times[-1]), len(times) - 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "ketamine.ant"))
    ap.add_argument("--plate", action="store_true", help="the ketamine plate model of scripts/bench (ketamine_plate)")
    ap.add_argument("--start", default="0")
    ap.add_argument("--end", default="72h")
    ap.add_argument("--steps", type=int, default=144)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cascade", default=os.path.join(ROOT, ".build", "release", "cascade"))
    ap.add_argument("--roadrunner-python", default=os.environ.get("ROADRUNNER_PYTHON", "/work/venv-model/bin/python"))
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()

    import cascade_sim

    folder = tempfile.mkdtemp(prefix="cascade-overhead-")
    start, end = cascade_sim.seconds(a.start), cascade_sim.seconds(a.end)
    if a.plate:
        a.model, start, end, a.steps = export_plate(a.cascade, folder)
    model = cascade_sim.load(a.model)
    rr = None
    if a.roadrunner_python and os.path.exists(a.roadrunner_python):
        sbml = a.model
        if not a.model.endswith(".xml"):
            sbml = os.path.join(folder, "model.xml")
            subprocess.run([a.cascade, "export-sbml", a.model, "--output", sbml], check=True, cwd=ROOT)
        rr = {"sbml": sbml, "start": start, "end": end, "steps": a.steps, "rtol": 1e-6, "atol": 1e-12, "max_steps": 100_000,
              "repeat": a.repeat}
    rounds = []
    for k in range(a.rounds):
        bench = cascade_benchmark(a.cascade, a.model, start, end, a.steps, a.repeat)
        py = time_python(model, start, end, a.steps, a.repeat)
        raw = time_foreign_call(model, start, end, a.steps, a.repeat)
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
        "model": a.model, "start_s": start, "end_s": end, "steps": a.steps, "repeat": a.repeat, "rounds": a.rounds,
        "states": bench["states"], "cascade_version": cascade_sim.version(),
        "median": {key: statistics.median(r[key] for r in rounds) for key in rounds[0] if isinstance(rounds[0][key], float)},
        "per_round": rounds,
    }
    m = summary["median"]
    print(f"model {os.path.basename(a.model)}: {bench['states']} states, from {start:g} s, outputs 0 to {end:g} s ({a.steps + 1}), "
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
