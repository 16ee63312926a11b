"""Per-iteration traces of fides (a fresh HybridFixed(20) per start, AMICI's Fisher information
through pyPESTO's objective, fides' default options) from the start points `cascade fit --seed S
--starts N` uses, for comparison with `cascade fit --trace`.

    /work/venv-bench/bin/python scripts/bench/fides_trace.py PROBLEM.yaml --start K[,K...] [--starts N]
        [--seed S] [--rtol R] [--atol A] [--max-steps M] [--resample-attempts A] [--work DIR]

A start point where the llh is not finite is replaced as `cascade fit` replaces it (the same
replacement draws, up to --resample-attempts), so both optimisers begin at the same point.
Prints fides' own iteration log (iteration, fval, fdiff, ratio, radius, |g|, |step|, step type,
accepted) on standard error and one summary line per start (iterations, evaluations, final
-llh, seconds, exit flag) on standard output. The AMICI model is compiled once into --work
(shared with estimation.py).
"""
import argparse
import logging
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estimation  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yaml")
    ap.add_argument("--start", required=True, help="start index, or indices separated by commas")
    ap.add_argument("--resample-attempts", type=int, default=20)
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-16)
    ap.add_argument("--max-steps", type=int, default=10000)
    ap.add_argument("--switch", type=int, default=20)
    ap.add_argument("--work", default=os.path.join(estimation.HERE, "work", "estimation"))
    args = ap.parse_args()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    import fides
    problem, _, _ = estimation.load_amici(args, args.yaml)
    lower, upper = list(problem.lb), list(problem.ub)
    import numpy as np
    points = estimation.latin_hypercube(args.starts, lower, upper, args.seed)
    objective = problem.objective
    calls = [0]

    def fun(x):
        calls[0] += 1
        return objective(x, sensi_orders=(0, 1, 2))

    for k in [int(v) for v in args.start.split(",")]:
        t0 = time.perf_counter()
        calls[0] = 0
        x0, drawn = estimation.inside(points[k], lower, upper), 0
        while not usable(objective, x0) and drawn < args.resample_attempts:
            drawn += 1
            x0 = estimation.inside(replacement(args.seed, k, drawn, lower, upper), lower, upper)
        opt = fides.Optimizer(fun, ub=np.array(upper), lb=np.array(lower), verbose=logging.INFO,
                              hessian_update=fides.HybridFixed(switch_iteration=args.switch))
        print(f"start {k}", file=sys.stderr, flush=True)
        try:
            opt.minimize(np.array(x0))
        except RuntimeError as e:
            print(f"stopped: {e}", file=sys.stderr)
        seconds = time.perf_counter() - t0
        print(f"start {k}: resamples {drawn} iterations {opt.iteration} evaluations {calls[0]} fval {opt.fval:.9f} "
              f"fval_min {opt.fval_min:.9f} seconds {seconds:.1f} exit {opt.exitflag.name}", flush=True)


def usable(objective, x):
    """As `cascade fit`: the value and the gradient are finite at x."""
    fval, grad = objective(x, sensi_orders=(0, 1))
    return math.isfinite(fval) and all(math.isfinite(v) for v in grad)


def replacement(seed, start, attempt, lower, upper):
    """Sources/CascadeEstimation/MultiStart.swift replacement(seed:start:attempt:lower:upper:)."""
    mixer = estimation.SplitMix64(seed)
    key = mixer.next() ^ start
    mixer = estimation.SplitMix64(key)
    key = mixer.next() ^ attempt
    rng = estimation.SplitMix64(key)
    return [lo + rng.unit() * (hi - lo) for lo, hi in zip(lower, upper)]


if __name__ == "__main__":
    main()
