"""Per-iteration trace of pyPESTO + fides (HybridFixed(20), AMICI's Fisher information) from one of
the Latin hypercube start points `cascade fit --seed S --starts N` draws, for comparison with
`cascade fit --trace`.

    /work/venv-bench/bin/python scripts/bench/fides_trace.py PROBLEM.yaml --start K [--starts N]
        [--seed S] [--rtol R] [--atol A] [--max-steps M] [--work DIR]

Prints fides' own iteration log (iteration, fval, fdiff, ratio, radius, |g|, |step|, step type,
accepted) on standard error and a summary line (iterations, evaluations, final -llh, seconds,
exit flag) on standard output. The AMICI model is compiled once into --work (shared with
estimation.py).
"""
import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estimation  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yaml")
    ap.add_argument("--start", type=int, required=True)
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
    x0 = estimation.inside(estimation.latin_hypercube(args.starts, lower, upper, args.seed)[args.start], lower, upper)
    objective = problem.objective
    calls = [0]

    def fun(x):
        calls[0] += 1
        r = objective(x, sensi_orders=(0, 1, 2))
        return r

    import numpy as np
    opt = fides.Optimizer(fun, ub=np.array(upper), lb=np.array(lower), verbose=logging.INFO,
                          hessian_update=fides.HybridFixed(switch_iteration=args.switch))
    t0 = time.perf_counter()
    try:
        opt.minimize(np.array(x0))
    except RuntimeError as e:
        print(f"stopped: {e}", file=sys.stderr)
    seconds = time.perf_counter() - t0
    print(f"start {args.start}: iterations {opt.iteration} evaluations {calls[0]} fval {opt.fval:.9f} "
          f"fval_min {opt.fval_min:.9f} seconds {seconds:.1f} exit {opt.exitflag.name}")


if __name__ == "__main__":
    main()
