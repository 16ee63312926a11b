"""AMICI side of the benchmark, run as its own process (in AMICI's own venv) by run.py.

    python amici_worker.py SPEC.json build --dir DIR
    python amici_worker.py SPEC.json MODE --dir DIR [--rtol R] [--atol A] [--min-time S] [--sweep N]
                                                   [--sample M] [--trajectory FILE] [--sparse]

MODE build: generate and compile the model's C++ module into DIR (done once, timed on its own).
MODE single: import the compiled module, one warm-up, then timed simulations until --min-time
    seconds and at least 3 have passed, JSON out.
MODE sweep: N simulations in a Python loop, the parameter scaled by 10^(-1 + 2i/(N-1)); with
    --sample M only M evenly spread points (run.py extrapolates).
MODE trajectory: one simulation written as CSV (time, states as concentrations).
MODE cold: import amici and the compiled module, simulate once on the cold-start grid (run.py
    times the process).
"""
import argparse
import hashlib
import json
import os
import sys
import time

from common import sweep_factor, sweep_points, time_repeatedly


def module_name(spec):
    digest = hashlib.sha1(open(spec["sbml"], "rb").read()).hexdigest()[:10]
    return "bench_" + "".join(c if c.isalnum() else "_" for c in spec["name"]) + "_" + digest


def build(spec, directory):
    from amici.importers.sbml import SbmlImporter
    name = module_name(spec)
    out = os.path.join(directory, name)
    if os.path.isdir(out) and os.path.exists(os.path.join(out, ".built")):
        return {"build_s": None, "cached": True}
    t0 = time.perf_counter()
    importer = SbmlImporter(spec["sbml"])
    importer.sbml2amici(name, out, generate_sensitivity_code=False, observation_model=[])
    open(os.path.join(out, ".built"), "w").close()
    return {"build_s": time.perf_counter() - t0, "cached": False}


def grid(spec):
    steps, end = spec["steps"], spec["end"]
    return [end * i / steps for i in range(steps + 1)]


def load(spec, directory, rtol, atol, sparse, cold=False):
    import amici
    from amici.sim import sundials as asun
    name = module_name(spec)
    module = amici.import_model_module(name, os.path.join(directory, name))
    model = module.get_model()
    model.set_t0(spec["start"])
    if cold:
        n, start, end = spec["cold_steps"], spec["start"], spec["end"]
        model.set_timepoints([start + (end - start) * i / n for i in range(n + 1)])
    else:
        model.set_timepoints(grid(spec))
    solver = model.create_solver()
    solver.set_relative_tolerance(rtol)
    solver.set_absolute_tolerance(atol)
    solver.set_max_steps(1_000_000)
    if sparse:
        solver.set_linear_solver(asun.LinearSolver.KLU)
    return asun, model, solver


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("mode", choices=["build", "single", "sweep", "trajectory", "cold"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--max-repeat", type=int, default=1000)
    ap.add_argument("--sweep", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--trajectory")
    ap.add_argument("--sparse", action="store_true")
    a = ap.parse_args()
    with open(a.spec) as f:
        spec = json.load(f)
    if a.mode == "build":
        print(json.dumps(build(spec, a.dir)))
        return 0
    t0 = time.perf_counter()
    asun, model, solver = load(spec, a.dir, a.rtol, a.atol, a.sparse, cold=a.mode == "cold")
    load_s = time.perf_counter() - t0
    run = lambda: asun.run_simulation(model, solver)
    if a.mode == "cold":
        rdata = run()
        return 0 if rdata.status == 0 else 1
    if a.mode == "trajectory":
        rdata = run()
        if rdata.status != 0:
            print(json.dumps({"error": f"status {rdata.status}"}))
            return 1
        ids = list(model.get_state_ids())
        with open(a.trajectory, "w") as out:
            out.write(",".join(["time"] + ids) + "\n")
            for t, row in zip(rdata.ts, rdata.x):
                out.write(",".join(repr(float(v)) for v in [t] + list(row)) + "\n")
        return 0
    if a.mode == "single":
        status = run().status

        def once():
            nonlocal status
            status = status or run().status
        samples = time_repeatedly(once, a.min_time, a.max_repeat)
        print(json.dumps({"load_s": load_s, "single_ms": 1000 * samples[len(samples) // 2],
                          "single_min_ms": 1000 * samples[0], "repeat": len(samples), "status": status}))
        return 0
    p = spec["parameter"]
    nominal = model.get_free_parameter_by_id(p)
    n = a.sweep
    points = sweep_points(n, a.sample)
    failures = 0
    s = time.perf_counter()
    for i in points:
        model.set_free_parameter_by_id(p, nominal * sweep_factor(i, n))
        if run().status != 0:
            failures += 1
    loop_s = time.perf_counter() - s
    print(json.dumps({"load_s": load_s, "sweep": n, "simulated": len(points), "loop_s": loop_s,
                      "sweep_failures": failures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
