"""Estimation benchmark: Cascade against AMICI and pyPESTO with fides on PEtab problems, both
sides measured in the same run, ratios reported.

    /work/venv-bench/bin/python scripts/bench/estimation.py [--problems A,B,...] [--starts N]
        [--seed S] [--threads T] [--rtol R] [--atol A] [--max-steps M] [--rounds K]
        [--repeat N] [--fit-problems A,B,...] [--cascade PATH] [--work DIR]

Needs a virtual environment with amici, petab, pypesto and fides (scripts/bench/
requirements-estimation.txt) and the release build of cascade. For each problem:

(a) time per gradient at the nominal parameters: Cascade `cascade likelihood --gradient
    --repeat N` (CVODES forward sensitivities; the median of N evaluations after a first one)
    against AMICI's forward sensitivities through pyPESTO's AMICI objective (sensi_orders
    (0, 1): llh and gradient; the median of N calls after a first one), rounds interleaved
    (Cascade, AMICI, Cascade, ...), the median over rounds. Both on one thread, same rtol, atol
    and step limit on states and sensitivities. The llh and the gradient of both are compared.
(b) wall time of a multi-start fit from the same start points: `cascade fit --starts N --seed S
    --threads T` against pyPESTO's `minimize` with fides (the Fisher information from AMICI until 20
    successive iterations leave the trust radius unchanged, then BFGS: fides' HybridFixed, a new
    one for every start)
    on a MultiProcessEngine of T processes, started from the Latin hypercube points Cascade
    draws for that seed (the SplitMix64 sample re-implemented below, moved 1e-8 of the width
    inside the bounds as Cascade's optimiser does). Reported: wall time, best llh, starts that
    reach the reference (the optimum published with AMICI's benchmark tests, or the llh at the
    nominal parameters) to within 1e-3, and the ratio of wall times.

AMICI's model compilation (code generation and g++) is timed and cached under --work; it is
reported separately and is not part of (a) or (b). Results: a Markdown table on standard
output, results.{md,json} in --work; progress on standard error.
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(ROOT, "Tests/CascadePEtabTests/Fixtures/amici-benchmark-llh.tsv")
MASK = (1 << 64) - 1


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- Cascade's start points -------------------------------------------------------------------


class SplitMix64:
    """Sources/CascadeSolver/Random.swift, bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0**-53


def latin_hypercube(count, lower, upper, seed):
    """Sources/CascadeEstimation/LatinHypercube.swift: the same samples for the same seed."""
    rng = SplitMix64(seed)
    out = [[0.0] * len(lower) for _ in range(count)]
    for j in range(len(lower)):
        strata = list(range(count))
        for i in range(count - 1, 0, -1):
            k = rng.next() % (i + 1)
            strata[i], strata[k] = strata[k], strata[i]
        width = upper[j] - lower[j]
        for i in range(count):
            u = (strata[i] + rng.unit()) / count
            out[i][j] = lower[j] + u * width
    return out


def inside(x, lower, upper):
    """As TrustRegionOptimizer.minimize: 1e-8 of the width inside the bounds."""
    return [min(max(v, lo + 1e-8 * (hi - lo)), hi - 1e-8 * (hi - lo)) for v, lo, hi in zip(x, lower, upper)]


# --- helpers ----------------------------------------------------------------------------------


def published():
    out = {}
    with open(FIXTURE) as f:
        next(f)
        for line in f:
            name, value, _ = line.rstrip("\n").split("\t")
            out[name] = float(value)
    return out


def yaml_path(benchmarks, name):
    return os.path.join(benchmarks, name, name + ".yaml")


def cascade_solver_flags(args):
    return ["--rtol", str(args.rtol), "--atol", str(args.atol), "--max-steps", str(args.max_steps)]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cascade_gradient(args, yaml, threads, binary=None, repeat=None, tolerances=None):
    """`cascade likelihood --gradient --repeat N`'s JSON, plus "mean_cpu_s": the process's CPU
    time per gradient, from the CPU time of this run less that of a run without repeats
    (the same for any binary, whatever it reports itself)."""
    flags = cascade_solver_flags(args) if tolerances is None else tolerances
    repeat = args.repeat if repeat is None else repeat

    def run(n):
        command = [binary or args.cascade, "likelihood", yaml, "--gradient", "--repeat", str(n), "--threads", str(threads),
                   "--format", "json"] + flags
        before = children_cpu()
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        return out, children_cpu() - before
    r, cpu = run(repeat)
    if repeat > 0:
        _, cpu0 = run(0)
        r["mean_cpu_s"] = max(cpu - cpu0, 0.0) / repeat
    return r


def load_amici(args, yaml):
    """pyPESTO problem with AMICI's objective (model compiled once into --work)."""
    import petab.v1 as petab
    import pypesto.petab
    name = os.path.basename(os.path.dirname(yaml))
    problem = petab.Problem.from_yaml(yaml)
    t0 = time.perf_counter()
    importer = pypesto.petab.PetabImporter(problem, output_folder=os.path.join(args.work, "amici", name),
                                           model_name=name + "_bench")
    pypesto_problem = importer.create_problem()
    build_s = time.perf_counter() - t0
    objective = pypesto_problem.objective
    solver = objective.amici_solver
    solver.set_relative_tolerance(args.rtol)
    solver.set_absolute_tolerance(args.atol)
    solver.set_relative_tolerance_fsa(args.rtol)
    solver.set_absolute_tolerance_fsa(args.atol)
    solver.set_max_steps(args.max_steps)
    return pypesto_problem, build_s, list(problem.x_nominal_free_scaled)


def amici_gradient(pypesto_problem, x, repeat):
    """llh, gradient, median wall s, mean CPU s per gradient (process_time: this process's CPU
    time, which on a shared machine leaves out the time spent waiting for a core) and AMICI's
    steps."""
    objective = pypesto_problem.objective
    result = objective(x, sensi_orders=(0, 1), return_dict=True)
    fval, grad = result["fval"], result["grad"]
    steps = sum(int(r.numsteps[-1]) for r in result.get("rdatas", []) if r.numsteps is not None and len(r.numsteps))
    samples = []
    cpu = time.process_time()
    for _ in range(repeat):
        s = time.perf_counter()
        objective(x, sensi_orders=(0, 1))
        samples.append(time.perf_counter() - s)
    cpu = (time.process_time() - cpu) / repeat
    samples.sort()
    return -fval, [-g for g in grad], samples[len(samples) // 2], cpu, steps


def cascade_fit(args, yaml, name):
    out = os.path.join(args.work, "cascade-fit", name)
    subprocess.run(["rm", "-rf", out], check=True)
    command = [args.cascade, "fit", yaml, "--starts", str(args.starts), "--seed", str(args.seed), "--threads",
               str(args.threads), "--no-report", "--output", out] + cascade_solver_flags(args)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    summary = json.load(open(os.path.join(out, "fit.json")))
    llhs = []
    with open(os.path.join(out, "starts.tsv")) as f:
        header = next(f).rstrip("\n").split("\t")
        column = header.index("llh")
        for line in f:
            v = line.rstrip("\n").split("\t")[column]
            llhs.append(float(v) if v not in ("NaN", "inf", "-inf") else float("nan"))
    return {"wall_s": wall, "best_llh": summary.get("best_llh"), "llhs": llhs, "converged": summary["converged"],
            "nominal_llh": summary.get("nominal_llh"), "command": " ".join(command[1:])}


def pypesto_fit(args, pypesto_problem):
    import pypesto.engine
    import pypesto.optimize
    lower = list(pypesto_problem.lb)
    upper = list(pypesto_problem.ub)
    starts = [inside(x, lower, upper) for x in latin_hypercube(args.starts, lower, upper, args.seed)]
    pypesto_problem.set_x_guesses([list(pypesto_problem.get_full_vector(x)) for x in starts])
    # "default" makes a new fides.HybridFixed() (switch after 20 iterations without a change of the
    # trust radius) for every start. One HybridFixed instance passed here would be shared by all
    # starts of a SingleCoreEngine, and its switch, once made, is never reset: every later start
    # would run BFGS from its first iteration.
    optimizer = pypesto.optimize.FidesOptimizer(hessian_update="default", verbose=0)
    engine = pypesto.engine.MultiProcessEngine(n_procs=args.threads) if args.threads > 1 else pypesto.engine.SingleCoreEngine()
    t0 = time.perf_counter()
    result = pypesto.optimize.minimize(pypesto_problem, optimizer=optimizer, n_starts=args.starts, engine=engine,
                                       progress_bar=False)
    wall = time.perf_counter() - t0
    llhs = [-r.fval if r.fval is not None and math.isfinite(r.fval) else float("nan")
            for r in result.optimize_result.list]
    finite = [v for v in llhs if math.isfinite(v)]
    return {"wall_s": wall, "best_llh": max(finite) if finite else None, "llhs": llhs}


def reached(llhs, reference):
    return sum(1 for v in llhs if math.isfinite(v) and v >= reference - 1e-3)


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def table(rows, args):
    lines = [
        f"Gradients at the nominal parameters, one thread, rtol {args.rtol}, atol {args.atol}, max steps "
        f"{args.max_steps}; medians over {args.rounds} interleaved rounds of {args.repeat}.",
        "",
        "Wall: median wall time per gradient; CPU: mean CPU time of the process per gradient (on a",
        "machine shared with other work, wall time also counts waiting for a core); each the median",
        "over the rounds. Error: largest",
        "|g − g_ref| / max(|g_ref|, 1% of max |g_ref|) against Cascade's gradient at rtol 1e-12, atol",
        f"{args.reference_atol} (the llh error absolute).",
        "",
        "| problem | parameters | Cascade ms wall | AMICI ms wall | ×AMICI wall | Cascade ms CPU | AMICI ms CPU | ×AMICI CPU "
        "| Cascade llh error | AMICI llh error | Cascade gradient error | AMICI gradient error | AMICI steps | AMICI build s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        g = r["gradient"]
        lines.append(
            f"| {r['problem']} | {r['parameters']} | {fmt(g['cascade_s'] * 1e3)} | {fmt(g['amici_s'] * 1e3)} | "
            f"**{g['amici_s'] / g['cascade_s']:.2f}** | {fmt(g['cascade_cpu_s'] * 1e3)} | {fmt(g['amici_cpu_s'] * 1e3)} | "
            f"**{g['amici_cpu_s'] / g['cascade_cpu_s']:.2f}** | {fmt(g.get('cascade_llh_error'), 2)} | "
            f"{fmt(g.get('amici_llh_error'), 2)} | {fmt(g.get('cascade_gradient_error'), 2)} | "
            f"{fmt(g.get('amici_gradient_error'), 2)} | {g['amici_steps']} | {fmt(r['amici_build_s'])} |")
        if "baseline_s" in g:
            lines.append(
                f"| {r['problem']}, baseline binary | | {fmt(g['baseline_s'] * 1e3)} | | "
                f"{g['amici_s'] / g['baseline_s']:.2f} | {fmt(g['baseline_cpu_s'] * 1e3)} | | "
                f"{g['amici_cpu_s'] / g['baseline_cpu_s']:.2f} | | | | | | |")
    fits = [r for r in rows if "fit" in r]
    if fits:
        lines += [
            "",
            f"Multi-start fits, {args.starts} starts (seed {args.seed}: the same Latin hypercube points for both), "
            f"{args.threads} threads/processes; reached = starts within 1e-3 of the reference llh or above it.",
            "",
            "| problem | reference llh | Cascade best | reached | wall s | pyPESTO+fides best | reached | wall s | ×pyPESTO |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in fits:
            c, p, ref = r["fit"]["cascade"], r["fit"]["pypesto"], r["fit"]["reference"]
            lines.append(
                f"| {r['problem']} | {ref:.6f} | {c['best_llh']:.6f} | {reached(c['llhs'], ref)}/{args.starts} | "
                f"{c['wall_s']:.1f} | {p['best_llh']:.6f} | {reached(p['llhs'], ref)}/{args.starts} | {p['wall_s']:.1f} | "
                f"**{p['wall_s'] / c['wall_s']:.2f}** |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", default="Boehm_JProteomeRes2014,Fujita_SciSignal2010,Bruno_JExpBot2016")
    ap.add_argument("--benchmarks", default=os.path.join(ROOT, "..", "shared", "petab-benchmarks"))
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-16)
    ap.add_argument("--max-steps", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--fit-problems", default=None,
                    help="problems to fit (default: all of --problems; an empty string fits none)")
    ap.add_argument("--cascade", default=os.path.join(ROOT, ".build", "release", "cascade"))
    ap.add_argument("--cascade-baseline", default=None,
                    help="a second cascade binary timed in the same interleaved rounds (before/after a change)")
    ap.add_argument("--reference-atol", type=float, default=1e-16,
                    help="atol of the tight reference gradient (rtol 1e-12) the errors are measured against")
    ap.add_argument("--work", default=os.path.join(HERE, "work", "estimation"))
    args = ap.parse_args()
    # AMICI's model build calls ninja, cmake and swig, which pip installs beside this interpreter.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.makedirs(args.work, exist_ok=True)
    refs = published()
    fit_problems = set((args.fit_problems if args.fit_problems is not None else args.problems).split(",")) - {""}
    rows = []
    for name in args.problems.split(","):
        yaml = yaml_path(args.benchmarks, name)
        log(f"{name}: AMICI import")
        pypesto_problem, build_s, x = load_amici(args, yaml)
        row = {"problem": name, "parameters": pypesto_problem.dim, "amici_build_s": build_s}
        cascade_rounds, amici_rounds, baseline_rounds = [], [], []
        cascade_cpu, amici_cpu, baseline_cpu = [], [], []
        c = a = None
        for k in range(args.rounds):
            log(f"{name}: gradient round {k + 1}/{args.rounds}")
            c = cascade_gradient(args, yaml, 1)
            cascade_rounds.append(c["median_s"])
            cascade_cpu.append(c["mean_cpu_s"])
            a = amici_gradient(pypesto_problem, x, args.repeat)
            amici_rounds.append(a[2])
            amici_cpu.append(a[3])
            if args.cascade_baseline:
                b = cascade_gradient(args, yaml, 1, binary=args.cascade_baseline)
                baseline_rounds.append(b["median_s"])
                baseline_cpu.append(b["mean_cpu_s"])
        names = [pypesto_problem.x_names[i] for i in pypesto_problem.x_free_indices]
        cg = [c["gradient"][n] for n in names]
        scale = max(abs(v) for v in a[1]) or 1
        row["gradient"] = {
            "cascade_s": statistics.median(cascade_rounds), "amici_s": statistics.median(amici_rounds),
            "cascade_cpu_s": statistics.median(cascade_cpu), "amici_cpu_s": statistics.median(amici_cpu),
            "cascade_rounds": cascade_rounds, "amici_rounds": amici_rounds,
            "cascade_cpu_rounds": cascade_cpu, "amici_cpu_rounds": amici_cpu, "amici_steps": a[4],
            "cascade_llh": c["llh"], "amici_llh": a[0], "llh_difference": abs(c["llh"] - a[0]),
            "gradient_difference": max(abs(p - q) / max(abs(q), 0.01 * scale) for p, q in zip(cg, a[1])),
        }
        if baseline_rounds:
            row["gradient"].update({"baseline_s": statistics.median(baseline_rounds),
                                    "baseline_cpu_s": statistics.median(baseline_cpu),
                                    "baseline_rounds": baseline_rounds, "baseline_cpu_rounds": baseline_cpu})
        try:
            log(f"{name}: reference gradient (rtol 1e-12, atol {args.reference_atol})")
            ref = cascade_gradient(args, yaml, 1, repeat=0, tolerances=[
                "--rtol", "1e-12", "--atol", str(args.reference_atol), "--max-steps", str(max(args.max_steps, 100000))])
            rg = [ref["gradient"][n] for n in names]
            rscale = max(abs(v) for v in rg) or 1

            def error(g):
                return max(abs(p - q) / max(abs(q), 0.01 * rscale) for p, q in zip(g, rg))
            row["gradient"].update({
                "reference_llh": ref["llh"], "reference_gradient": rg,
                "cascade_llh_error": abs(c["llh"] - ref["llh"]), "amici_llh_error": abs(a[0] - ref["llh"]),
                "cascade_gradient_error": error(cg), "amici_gradient_error": error(a[1])})
        except subprocess.CalledProcessError as e:
            log(f"{name}: no reference gradient: {e.stderr.strip()}")
        if name in fit_problems:
            log(f"{name}: Cascade fit, {args.starts} starts")
            cf = cascade_fit(args, yaml, name)
            log(f"{name}: pyPESTO + fides fit, {args.starts} starts")
            pf = pypesto_fit(args, pypesto_problem)
            log(f"{name}: Cascade {cf['wall_s']:.1f} s best {cf['best_llh']}, pyPESTO {pf['wall_s']:.1f} s best {pf['best_llh']}")
            ref = refs.get(name, cf["nominal_llh"])
            row["fit"] = {"cascade": cf, "pypesto": pf, "reference": ref}
        rows.append(row)
        json.dump({"settings": vars(args), "rows": rows}, open(os.path.join(args.work, "results.json"), "w"), indent=1)
    text = table(rows, args)
    open(os.path.join(args.work, "results.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
