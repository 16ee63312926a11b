#!/usr/bin/env python3
"""Cascade vs libRoadRunner (and AMICI where it is installed), side by side on one machine.

    python scripts/bench/run.py                      # everything (about an hour on 2 cores)
    python scripts/bench/run.py --quick              # a smoke run: fewer repeats, 100-run sweeps
    python scripts/bench/run.py --models Boehm_JProteomeRes2014,ketamine_plate

Per model, on the same SBML file, output grid and tolerances (rtol 1e-8, atol 1e-12 by default):
  (a) one simulation: median over interleaved rounds of each tool's median time per simulation
      (Cascade: `cascade benchmark`, one reused simulator; roadrunner: resetAll + simulate;
      AMICI: run_simulation), and the ratio other/Cascade;
  (b) a sweep of N simulations (default 1,000) with one parameter scaled over a log grid from
      0.1x to 10x, end to end: the wall time of a fresh process that loads the model and runs
      them all (Cascade on all cores, `cascade benchmark --sweep`; roadrunner and AMICI a Python
      loop setting the same parameter to the same values). The loop alone is reported too;
  (c) cold start: the wall time of a fresh process that loads the model and simulates once
      (`cascade simulate`; python importing roadrunner or AMICI, loading, simulating);
  accuracy: each tool's largest error at the benchmark settings against a reference computed by
      libRoadRunner at rtol 1e-12, atol 1e-16, with Cascade's own tight run for comparison.

The tools' measurements alternate (Cascade, roadrunner, AMICI, Cascade, ...) so that load from
other processes falls on all of them; medians are reported. Results go to standard output (a
Markdown table) and to WORK/results.json and WORK/results.md.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import models  # noqa: E402

TIGHT = {"rtol": 1e-12, "atol": 1e-16}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_json(cmd, timeout=None, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ...: exit {r.returncode}: {r.stderr.strip()[-400:]}")
    out = r.stdout.strip()
    if not out:
        return {}
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return json.loads(out.splitlines()[-1])


def wall(cmd, timeout=None, env=None):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ...: exit {r.returncode}: {r.stderr.strip()[-400:]}")
    return elapsed


class Tools:
    def __init__(self, args, work):
        self.cascade = args.cascade
        self.rr_python = args.rr_python
        self.amici_python = args.amici_python
        self.amici_dir = os.path.join(work, "amici")
        self.amici_env = dict(os.environ)
        if self.amici_python:
            # AMICI compiles models with the SWIG it was built with (pip `swig` in its venv).
            self.amici_env["PATH"] = os.path.dirname(self.amici_python) + os.pathsep + os.environ.get("PATH", "")
        self.rtol, self.atol = args.rtol, args.atol
        self.threads = args.threads

    # Cascade
    def cascade_benchmark(self, spec, repeat, sweep=0, trajectory=None, rtol=None, atol=None):
        cmd = [self.cascade, "benchmark", spec["sbml"], "--end", repr(spec["end"]), "--steps", str(spec["steps"]),
               f"--start={spec['start']!r}", "--rtol", repr(rtol or self.rtol), "--atol", repr(atol or self.atol),
               "--repeat", str(repeat), "--max-steps", "1000000"]
        if sweep:
            cmd += ["--sweep", str(sweep), "--parameter", spec["parameter"], "--threads", str(self.threads)]
        if trajectory:
            cmd += ["--trajectory", trajectory]
        return run_json(cmd)

    def cascade_cold_cmd(self, spec, out):
        return [self.cascade, "simulate", spec["sbml"], "--end", repr(spec["end"]), f"--start={spec['start']!r}",
                "--steps", str(spec["cold_steps"]), "--rtol", repr(self.rtol), "--atol", repr(self.atol),
                "--max-steps", "1000000", "--output", out]

    # libRoadRunner
    def rr(self, spec_path, mode, *extra, rtol=None, atol=None, timeout=None):
        cmd = [self.rr_python, os.path.join(HERE, "rr_worker.py"), spec_path, mode,
               "--rtol", repr(rtol or self.rtol), "--atol", repr(atol or self.atol), *map(str, extra)]
        return cmd if mode == "cold" else run_json(cmd, timeout=timeout)

    # AMICI
    def amici(self, spec_path, mode, *extra, sparse=False, rtol=None, atol=None, timeout=None):
        cmd = [self.amici_python, os.path.join(HERE, "amici_worker.py"), spec_path, mode, "--dir", self.amici_dir,
               "--rtol", repr(rtol or self.rtol), "--atol", repr(atol or self.atol), *map(str, extra)]
        if sparse:
            cmd.append("--sparse")
        return cmd if mode == "cold" else run_json(cmd, timeout=timeout, env=self.amici_env)


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [[float(x) for x in line.split(",")] for line in f if line.strip()]
    return header, rows


def max_error(path, ref_path, skip=()):
    """Largest |x - r| / (|r| + 1e-6 * peak of the column + 1e-12 * peak of all columns), over
    common columns and times. The last term keeps species that stay at rounding-error level
    (1e-25 beside values of 1e9 in Chen_MSB2009) from counting as 100% errors."""
    h, rows = read_csv(path)
    rh, ref = read_csv(ref_path)
    if len(rows) != len(ref):
        return None
    col = {c: i for i, c in enumerate(h)}
    overall = max((abs(r[j]) for r in ref for j, name in enumerate(rh) if name != "time"), default=0.0)
    worst, where, compared = 0.0, None, 0
    for j, name in enumerate(rh):
        if name == "time" or name in skip or name not in col:
            continue
        i = col[name]
        peak = max(abs(r[j]) for r in ref)
        floor = 1e-6 * peak + 1e-12 * overall
        if floor == 0:
            continue
        compared += 1
        for x, r in zip(rows, ref):
            e = abs(x[i] - r[j]) / (abs(r[j]) + floor)
            if e > worst or math.isnan(e):
                worst, where = e, name
    return worst if compared else None  # None: no species could be compared


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=3):
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def ratio(other, cascade):
    return other / cascade if other and cascade else None


def sample_size(ms, n, budget):
    """How many of the n sweep points a Python loop at `ms` per simulation runs within `budget`
    seconds (0: all of them)."""
    if not ms or ms / 1000 * n <= budget:
        return 0
    return min(n, max(5, int(budget / (ms / 1000))))


def timed_sweep(run, n):
    """Runs a worker's sweep; returns the end-to-end seconds and the loop seconds, both scaled
    up to n points when the worker ran a sample, and the worker's JSON."""
    t = time.perf_counter()
    r = run()
    total = time.perf_counter() - t
    scale = n / r["simulated"]
    return total + r["loop_s"] * (scale - 1), r["loop_s"] * scale, r


def bench_model(spec, tools, args, work):
    name = spec["name"]
    spec_path = os.path.join(work, f"{name}.json")
    # Cold-start grid: from the start, at the benchmark's output spacing.
    spacing = spec["end"] / spec["steps"]
    spec["cold_steps"] = int(round((spec["end"] - spec["start"]) / spacing))
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    res = {"model": name, "note": spec["note"], "parameter": spec["parameter"], "end": spec["end"],
           "start": spec["start"], "outputs": spec["steps"] + 1}

    # Calibrate: Cascade's time per simulation decides how many repeats fill a round.
    cal = tools.cascade_benchmark(spec, repeat=3)
    res.update(states=cal["states"], jacobian_nonzeros=cal["jacobian_nonzeros"], sparse=cal["sparse"],
               cascade_steps=cal["steps"])
    per_sim = max(cal["single_ms"] / 1000, 1e-6)
    repeat = int(min(args.max_repeat, max(5, args.round_time / per_sim)))
    log(f"[{name}] n={cal['states']} nnz={cal['jacobian_nonzeros']} sparse={cal['sparse']} "
        f"~{cal['single_ms']:.3g} ms/sim, {repeat} per round")

    amici_ok = False
    if tools.amici_python:
        try:
            b = tools.amici(spec_path, "build", timeout=args.amici_build_timeout)
            res["amici_build_s"] = b.get("build_s")
            amici_ok = True
            log(f"[{name}] AMICI build: {b}")
        except Exception as e:  # noqa: BLE001
            res["amici_error"] = f"build: {str(e)[:300]}"
            log(f"[{name}] AMICI build failed: {e}")

    # Accuracy: a tight reference from libRoadRunner, Cascade's tight run beside it.
    traj = os.path.join(work, "trajectories")
    os.makedirs(traj, exist_ok=True)
    ref = os.path.join(traj, f"{name}.rr-tight.csv")
    c_tight = os.path.join(traj, f"{name}.cascade-tight.csv")
    c_bench = os.path.join(traj, f"{name}.cascade.csv")
    r_bench = os.path.join(traj, f"{name}.rr.csv")
    a_bench = os.path.join(traj, f"{name}.amici.csv")
    skip = set(spec.get("amount_species", []))
    try:
        tools.rr(spec_path, "trajectory", "--trajectory", ref, rtol=TIGHT["rtol"], atol=TIGHT["atol"],
                 timeout=args.timeout)
        res["reference"] = f"libRoadRunner rtol {TIGHT['rtol']:g} atol {TIGHT['atol']:g}"
    except Exception as e:  # noqa: BLE001
        log(f"[{name}] tight roadrunner failed ({e}); reference is Cascade's tight run")
        ref = c_tight
        res["reference"] = f"Cascade rtol {TIGHT['rtol']:g} atol {TIGHT['atol']:g} (roadrunner failed)"
    tools.cascade_benchmark(spec, repeat=1, trajectory=c_tight, rtol=TIGHT["rtol"], atol=TIGHT["atol"])
    tools.cascade_benchmark(spec, repeat=1, trajectory=c_bench)
    res["reference_agreement"] = max_error(c_tight, ref) if ref != c_tight else 0.0
    res["cascade_error"] = max_error(c_bench, ref)
    try:
        tools.rr(spec_path, "trajectory", "--trajectory", r_bench, timeout=args.timeout)
        res["rr_error"] = max_error(r_bench, ref)
    except Exception as e:  # noqa: BLE001
        res["rr_error"] = None
        res["rr_failure"] = str(e)[:300]
        log(f"[{name}] roadrunner failed at the benchmark settings: {e}")
    if amici_ok:
        try:
            tools.amici(spec_path, "trajectory", "--trajectory", a_bench, sparse=cal["sparse"], timeout=args.timeout)
            res["amici_error"] = max_error(a_bench, ref, skip)
        except Exception as e:  # noqa: BLE001
            res["amici_error_message"] = str(e)[:300]
            log(f"[{name}] AMICI trajectory failed: {e}")
    rr_ok = "rr_failure" not in res

    # (a) one simulation, interleaved rounds.
    rounds = args.rounds if per_sim < 1 else max(3, args.rounds // 2)
    c_single, r_single, a_single, c_min, r_min, a_min = [], [], [], [], [], []
    r_load, a_load = [], []
    for k in range(rounds):
        c = tools.cascade_benchmark(spec, repeat=repeat)
        c_single.append(c["single_ms"]); c_min.append(c["single_min_ms"])
        res["cascade_load_s"] = c["load_s"]
        if rr_ok:
            r = tools.rr(spec_path, "single", "--min-time", args.round_time, timeout=args.timeout)
            r_single.append(r["single_ms"]); r_min.append(r["single_min_ms"]); r_load.append(r["load_s"])
        if amici_ok and "amici_error_message" not in res:
            try:
                a = tools.amici(spec_path, "single", "--min-time", args.round_time, sparse=cal["sparse"],
                                timeout=args.timeout)
                a_single.append(a["single_ms"]); a_min.append(a["single_min_ms"]); a_load.append(a["load_s"])
            except Exception as e:  # noqa: BLE001
                res["amici_error_message"] = str(e)[:300]
        log(f"[{name}] (a) round {k + 1}/{rounds}: cascade {c['single_ms']:.4g} ms, "
            f"rr {r_single[-1] if r_single else float('nan'):.4g} ms, "
            f"amici {a_single[-1] if a_single else float('nan'):.4g} ms")
    res.update(cascade_ms=median(c_single), rr_ms=median(r_single), amici_ms=median(a_single),
               cascade_min_ms=min(c_min), rr_min_ms=min(r_min) if r_min else None,
               amici_min_ms=min(a_min) if a_min else None, rr_load_s=median(r_load), amici_load_s=median(a_load))

    # (b) sweep, end to end.
    n = args.sweep
    sample = sample_size(res["rr_ms"], n, args.sweep_budget)
    # AMICI runs its own sample when its loop would exceed the budget, else the same points as rr.
    a_sample = sample_size(res["amici_ms"], n, args.sweep_budget) or sample
    est = max(res["rr_ms"] or 0, res["amici_ms"] or 0) / 1000 * n
    sweep_rounds = args.sweep_rounds if est < 60 else 1
    c_sweep, c_loop, r_sweep, r_loop, a_sweep, a_loop = [], [], [], [], [], []
    for k in range(sweep_rounds):
        t = time.perf_counter()
        c = tools.cascade_benchmark(spec, repeat=1, sweep=n)
        c_sweep.append(time.perf_counter() - t); c_loop.append(c["sweep_s"])
        res["cascade_sweep_failures"] = c["sweep_failures"]
        if rr_ok:
            total, loop, r = timed_sweep(lambda: tools.rr(spec_path, "sweep", "--sweep", n, "--sample", sample), n)
            r_sweep.append(total); r_loop.append(loop)
            res["rr_sweep_failures"] = r["sweep_failures"]
            res["rr_sweep_simulated"] = r["simulated"]
        if amici_ok and "amici_error_message" not in res:
            total, loop, a = timed_sweep(lambda: tools.amici(spec_path, "sweep", "--sweep", n, "--sample", a_sample,
                                                             sparse=cal["sparse"]), n)
            a_sweep.append(total); a_loop.append(loop)
            res["amici_sweep_failures"] = a["sweep_failures"]
            res["amici_sweep_simulated"] = a["simulated"]
        log(f"[{name}] (b) round {k + 1}/{sweep_rounds}: cascade {c_sweep[-1]:.3g} s, "
            f"rr {r_sweep[-1] if r_sweep else float('nan'):.3g} s"
            + (f" (extrapolated from {sample})" if sample else "")
            + (f", amici {a_sweep[-1]:.3g} s" if a_sweep else ""))
    res.update(sweep=n, cascade_sweep_s=median(c_sweep), cascade_sweep_loop_s=median(c_loop),
               rr_sweep_s=median(r_sweep), rr_sweep_loop_s=median(r_loop),
               amici_sweep_s=median(a_sweep), amici_sweep_loop_s=median(a_loop))

    # (c) cold start.
    out = os.path.join(work, "cold.csv")
    c_cold, r_cold, a_cold = [], [], []
    cold_rounds = args.cold_rounds if (res["rr_load_s"] or 0) < 5 else max(3, args.cold_rounds // 2)
    for k in range(cold_rounds):
        c_cold.append(wall(tools.cascade_cold_cmd(spec, out)))
        if rr_ok:
            r_cold.append(wall(tools.rr(spec_path, "cold"), timeout=args.timeout))
        if amici_ok and "amici_error_message" not in res:
            a_cold.append(wall(tools.amici(spec_path, "cold", sparse=cal["sparse"]), env=tools.amici_env,
                               timeout=args.timeout))
    res.update(cascade_cold_s=median(c_cold), rr_cold_s=median(r_cold), amici_cold_s=median(a_cold))
    log(f"[{name}] (c) cold: cascade {res['cascade_cold_s']:.3g} s, rr {fmt(res['rr_cold_s'])} s, "
        f"amici {fmt(res['amici_cold_s'])} s")
    return res


def table(results, with_amici):
    lines = []
    head = ["model", "n", "solver",
            "(a) Cascade ms", "rr ms", "rr/C"] + (["AMICI ms", "AMICI/C"] if with_amici else []) + \
           ["(b) Cascade s", "rr s", "rr/C"] + (["AMICI s", "AMICI/C"] if with_amici else []) + \
           ["(c) Cascade s", "rr s", "rr/C"] + (["AMICI s", "AMICI/C"] if with_amici else []) + \
           ["error Cascade", "rr"] + (["AMICI"] if with_amici else []) + ["ref. agreement"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for r in results:
        if "error" in r:
            lines.append(f"| {r['model']} | failed: {r['error'][:120]} |")
            continue
        row = [r["model"], str(r["states"]), "KLU" if r["sparse"] else "dense",
               fmt(r["cascade_ms"]), fmt(r["rr_ms"]), fmt(ratio(r["rr_ms"], r["cascade_ms"]), 2)]
        if with_amici:
            row += [fmt(r.get("amici_ms")), fmt(ratio(r.get("amici_ms"), r["cascade_ms"]), 2)]
        rr_sweep = fmt(r["rr_sweep_s"])
        if r.get("rr_sweep_simulated") and r["rr_sweep_simulated"] < r["sweep"]:
            rr_sweep += f" (est. from {r['rr_sweep_simulated']})"
        row += [fmt(r["cascade_sweep_s"]), rr_sweep, fmt(ratio(r["rr_sweep_s"], r["cascade_sweep_s"]), 2)]
        if with_amici:
            a_sweep = fmt(r.get("amici_sweep_s"))
            if r.get("amici_sweep_simulated") and r["amici_sweep_simulated"] < r["sweep"]:
                a_sweep += f" (est. from {r['amici_sweep_simulated']})"
            row += [a_sweep, fmt(ratio(r.get("amici_sweep_s"), r["cascade_sweep_s"]), 2)]
        row += [fmt(r["cascade_cold_s"]), fmt(r["rr_cold_s"]), fmt(ratio(r["rr_cold_s"], r["cascade_cold_s"]), 2)]
        if with_amici:
            row += [fmt(r.get("amici_cold_s")), fmt(ratio(r.get("amici_cold_s"), r["cascade_cold_s"]), 2)]
        row += [fmt(r["cascade_error"], 2), fmt(r["rr_error"], 2)]
        if with_amici:
            row += [fmt(r.get("amici_error") if isinstance(r.get("amici_error"), float) else None, 2)]
        row += [fmt(r["reference_agreement"], 2)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def recompute_errors(results, work):
    """Accuracy columns again from the saved trajectories (after a change of the metric)."""
    traj = os.path.join(work, "trajectories")
    for r in results:
        name = r["model"]
        ref = os.path.join(traj, f"{name}.rr-tight.csv")
        if not os.path.exists(ref) or "error" in r:
            continue
        spec_path = os.path.join(work, f"{name}.json")
        skip = set(json.load(open(spec_path)).get("amount_species", [])) if os.path.exists(spec_path) else set()
        for key, tool, sk in [("cascade_error", "cascade", ()), ("rr_error", "rr", ()), ("amici_error", "amici", skip),
                              ("reference_agreement", "cascade-tight", ())]:
            path = os.path.join(traj, f"{name}.{tool}.csv")
            # amici_error holds a message instead of a number when AMICI's build failed.
            if os.path.exists(path) and not isinstance(r.get(key), str):
                r[key] = max_error(path, ref, sk)


def write_report(meta, results, with_amici, work):
    md = table(results, with_amici)
    versions = meta["versions"]
    notes = [
        f"{meta['date']}, {meta['cores']} cores, Cascade {meta['cascade_commit']}, {versions}; rtol {meta['rtol']:g}, "
        f"atol {meta['atol']:g}; load average {meta['load_average_start'][0]:.1f} at the start"
        + (f", {meta['load_average_end'][0]:.1f} at the end." if meta.get("load_average_end") else "."),
        "(a) median ms per simulation; (b) seconds for a fresh process to load the model and run "
        f"{meta['sweep']} simulations (Cascade on {meta.get('threads', meta['cores'])} threads, the others a Python "
        "loop); (c) seconds for a fresh process to load the model and simulate once. Ratios: other tool / Cascade "
        "(above 1: Cascade faster). error: largest |x - ref| / (|ref| + 1e-6 peak of the species + 1e-12 peak of "
        "all species) over species and outputs, – where no species could be compared (AMICI's states for species "
        "with only substance units are amounts); ref. agreement: Cascade at the reference tolerances against the "
        "reference.",
    ]
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    with open(os.path.join(work, "results.md"), "w") as f:
        f.write(md + "\n\n" + "\n\n".join(notes) + "\n")
    print(md)
    print()
    print("\n\n".join(notes))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cascade", default=os.path.join(REPO, ".build", "release", "cascade"),
                    help="the cascade binary (built with `swift build -c release --product cascade` if missing)")
    ap.add_argument("--rr-python", default=sys.executable, help="a Python with libroadrunner (default: this one)")
    ap.add_argument("--amici-python", default=os.environ.get("AMICI_PYTHON", "/work/venv-amici/bin/python"),
                    help="a Python with amici; skipped when it does not exist ('' to skip)")
    ap.add_argument("--petab", default=os.path.join(REPO, "..", "shared", "petab-benchmarks"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--models", help="comma-separated subset (names as in the table)")
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds for (a)")
    ap.add_argument("--round-time", type=float, default=1.0, help="seconds of simulations per tool per round")
    ap.add_argument("--max-repeat", type=int, default=2000)
    ap.add_argument("--sweep", type=int, default=1000)
    ap.add_argument("--sweep-rounds", type=int, default=3, help="rounds for sweeps shorter than a minute")
    ap.add_argument("--sweep-budget", type=float, default=900,
                    help="seconds a Python loop may take; longer loops run a sample and are extrapolated")
    ap.add_argument("--cold-rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--amici-build-timeout", type=float, default=3600)
    ap.add_argument("--quick", action="store_true", help="3 rounds, 0.3 s rounds, 100-run sweeps, 3 cold starts")
    ap.add_argument("--report", action="store_true",
                    help="run nothing: print the table of WORK/results.json again, accuracy recomputed from the "
                         "saved trajectories")
    args = ap.parse_args()
    if args.report:
        work = os.path.abspath(args.work)
        with open(os.path.join(work, "results.json")) as f:
            saved = json.load(f)
        recompute_errors(saved["results"], work)
        write_report(saved["meta"], saved["results"], any("amici_ms" in r for r in saved["results"]), work)
        return 0
    if args.quick:
        args.rounds, args.round_time, args.sweep, args.sweep_rounds, args.cold_rounds = 3, 0.3, 100, 1, 3
        args.sweep_budget = 60
    if args.amici_python and not os.path.exists(args.amici_python):
        log(f"AMICI: {args.amici_python} not found, skipped")
        args.amici_python = ""
    if not os.path.exists(args.cascade):
        log("building cascade (swift build -c release --product cascade)...")
        subprocess.run(["swift", "build", "-c", "release", "--product", "cascade"], cwd=REPO, check=True)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    tools = Tools(args, work)

    only = set(args.models.split(",")) if args.models else None
    specs = models.prepare_all(args.cascade, REPO, os.path.abspath(args.petab), os.path.join(work, "models"), only)
    versions = {"roadrunner": subprocess.run([args.rr_python, "-c", "import roadrunner; print(roadrunner.__version__)"],
                                             capture_output=True, text=True).stdout.strip()}
    if args.amici_python:
        versions["amici"] = subprocess.run([args.amici_python, "-c", "import amici; print(amici.__version__)"],
                                           capture_output=True, text=True, env=tools.amici_env).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "host": platform.node(),
            "cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(), "cascade_commit": commit,
            "versions": versions, "rtol": args.rtol, "atol": args.atol, "sweep": args.sweep,
            "load_average_start": os.getloadavg(), "command": " ".join(sys.argv)}
    log(f"settings: rtol {args.rtol:g}, atol {args.atol:g}; {os.cpu_count()} cores; {versions}")
    results = []
    for spec in specs:
        try:
            results.append(bench_model(spec, tools, args, work))
        except Exception as e:  # noqa: BLE001
            log(f"[{spec['name']}] failed: {e}")
            results.append({"model": spec["name"], "error": str(e)})
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    meta["load_average_end"] = os.getloadavg()
    meta["threads"] = args.threads
    write_report(meta, results, bool(args.amici_python), work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
