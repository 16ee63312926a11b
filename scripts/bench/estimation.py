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


def cascade_gradient(args, yaml, threads):
    command = [args.cascade, "likelihood", yaml, "--gradient", "--repeat", str(args.repeat), "--threads", str(threads),
               "--format", "json"] + cascade_solver_flags(args)
    r = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
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
    objective = pypesto_problem.objective
    fval, grad = objective(x, sensi_orders=(0, 1))
    samples = []
    for _ in range(repeat):
        s = time.perf_counter()
        objective(x, sensi_orders=(0, 1))
        samples.append(time.perf_counter() - s)
    samples.sort()
    return -fval, [-g for g in grad], samples[len(samples) // 2]


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
        "| problem | parameters | Cascade ms/gradient | AMICI ms/gradient | ×AMICI | llh difference | gradient rel. difference | AMICI build s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        g = r["gradient"]
        lines.append(
            f"| {r['problem']} | {r['parameters']} | {fmt(g['cascade_s'] * 1e3)} | {fmt(g['amici_s'] * 1e3)} | "
            f"**{g['amici_s'] / g['cascade_s']:.2f}** | {g['llh_difference']:.2g} | {g['gradient_difference']:.2g} | "
            f"{fmt(r['amici_build_s'])} |")
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
        cascade_rounds, amici_rounds = [], []
        c = a = None
        for k in range(args.rounds):
            log(f"{name}: gradient round {k + 1}/{args.rounds}")
            c = cascade_gradient(args, yaml, 1)
            cascade_rounds.append(c["median_s"])
            a = amici_gradient(pypesto_problem, x, args.repeat)
            amici_rounds.append(a[2])
        names = [pypesto_problem.x_names[i] for i in pypesto_problem.x_free_indices]
        cg = [c["gradient"][n] for n in names]
        scale = max(abs(v) for v in a[1]) or 1
        row["gradient"] = {
            "cascade_s": statistics.median(cascade_rounds), "amici_s": statistics.median(amici_rounds),
            "cascade_rounds": cascade_rounds, "amici_rounds": amici_rounds,
            "cascade_llh": c["llh"], "amici_llh": a[0], "llh_difference": abs(c["llh"] - a[0]),
            "gradient_difference": max(abs(p - q) / max(abs(q), 0.01 * scale) for p, q in zip(cg, a[1])),
        }
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
