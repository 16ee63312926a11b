"""libRoadRunner side of the benchmark, run as its own process by run.py.

    python rr_worker.py SPEC.json MODE [--rtol R] [--atol A] [--min-time S] [--sweep N] [--sample M]
                                       [--trajectory FILE]

MODE single: load, one warm-up, then timed simulations (resetAll + simulate) until --min-time
    seconds and at least 3 have passed; JSON out (median and min).
MODE sweep: load, then N simulations in a Python loop, the parameter scaled by 10^(-1 + 2i/(N-1))
    (the grid of `cascade benchmark --sweep`). With --sample M only M of the N points, evenly
    spread, are run (for models where the full loop would take hours); run.py extrapolates.
MODE trajectory: one simulation written as CSV (time, species concentrations) for accuracy.
MODE cold: import, load, simulate once on the cold-start grid; nothing printed (run.py times
    the whole process).
"""
import argparse
import json
import sys
import time

from common import sweep_factor, sweep_points, time_repeatedly


def configure(rr, spec, rtol, atol):
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", rtol)
    integrator.setValue("absolute_tolerance", atol)
    integrator.setValue("maximum_num_steps", 1_000_000)
    integrator.setValue("stiff", True)
    # libRoadRunner scales absolute_tolerance per state (by the species' initial amount, or its
    # compartment's volume when that is zero; see getAbsoluteToleranceVector()). The other tools
    # apply the value as given to every state, so roadrunner is given the same value for each.
    integrator.setValue("absolute_tolerance", [atol] * len(integrator.getAbsoluteToleranceVector()))
    rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in spec["species"]]


def output_times(spec):
    """The benchmark grid: steps+1 even outputs from 0 to end; the simulation starts at start."""
    steps, end = spec["steps"], spec["end"]
    times = [end * i / steps for i in range(steps + 1)]
    if spec["start"] < 0:
        return [spec["start"]] + times, 1   # the first row (the start) is not an output
    return times, 0


def simulate(rr, spec, times):
    if spec["start"] == 0 and times[0] == 0:
        return rr.simulate(0, spec["end"], len(times))
    return rr.simulate(times=times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("mode", choices=["single", "sweep", "trajectory", "cold"])
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--max-repeat", type=int, default=1000)
    ap.add_argument("--sweep", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--trajectory")
    a = ap.parse_args()
    with open(a.spec) as f:
        spec = json.load(f)
    t0 = time.perf_counter()
    import roadrunner
    rr = roadrunner.RoadRunner(spec["sbml"])
    configure(rr, spec, a.rtol, a.atol)
    load_s = time.perf_counter() - t0
    if a.mode == "cold":
        steps = spec["cold_steps"]
        rr.simulate(spec["start"], spec["end"], steps + 1)
        return 0
    times, skip = output_times(spec)
    if a.mode == "trajectory":
        rr.resetAll()
        res = simulate(rr, spec, times)
        with open(a.trajectory, "w") as out:
            out.write(",".join(["time"] + spec["species"]) + "\n")
            for row in res[skip:]:
                out.write(",".join(repr(float(v)) for v in row) + "\n")
        return 0
    if a.mode == "single":
        rr.resetAll()
        simulate(rr, spec, times)  # warm-up

        def once():
            rr.resetAll()
            simulate(rr, spec, times)
        samples = time_repeatedly(once, a.min_time, a.max_repeat)
        print(json.dumps({"load_s": load_s, "single_ms": 1000 * samples[len(samples) // 2],
                          "single_min_ms": 1000 * samples[0], "repeat": len(samples)}))
        return 0
    # sweep: the same parameter, the same log grid, as `cascade benchmark --sweep`.
    p = spec["parameter"]
    n = a.sweep
    points = sweep_points(n, a.sample)
    nominal = rr[p]
    failures = 0
    s = time.perf_counter()
    for i in points:
        rr.resetAll()
        rr[p] = nominal * sweep_factor(i, n)
        try:
            simulate(rr, spec, times)
        except RuntimeError:
            failures += 1
    loop_s = time.perf_counter() - s
    print(json.dumps({"load_s": load_s, "sweep": n, "simulated": len(points), "loop_s": loop_s,
                      "sweep_failures": failures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
