"""pyPESTO's profile-likelihood 95% intervals of a PEtab problem (AMICI's objective, fides along
the profiles with a new HybridFixed(20) per point), for comparison with `cascade profile`.

    /work/venv-bench/bin/python scripts/bench/pypesto_profile.py PROBLEM.yaml [--parameter ID]...
        [--rtol R] [--atol A] [--max-steps M] [--work DIR] [--compare PDIR/intervals.tsv]

The profiles start from the problem's nominal values re-optimised once by fides (for the
benchmark problems, the published optimum). The interval is where the profile's likelihood ratio
is at least exp(−χ²₁(0.95)/2), linearly interpolated (pyPESTO's calculate_approximate_ci); a side
whose profile stays above the threshold up to the bound is printed empty, as in Cascade's
intervals.tsv. Prints one line per parameter: id, best, lower, upper (linear scale), points,
seconds, and with --compare the relative differences from Cascade's interval ends. The AMICI
model is compiled once into --work (shared with estimation.py).
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estimation  # noqa: E402


def unscale(value, scale):
    return 10 ** value if scale == "log10" else math.exp(value) if scale == "log" else value


def read_intervals(path):
    out = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            out[row["parameterId"]] = tuple(float(row[k]) if row.get(k) else None for k in ("lower95", "upper95"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yaml")
    ap.add_argument("--parameter", action="append", default=[], help="profile only this parameter (repeatable)")
    ap.add_argument("--rtol", type=float, default=1e-10)
    ap.add_argument("--atol", type=float, default=1e-14)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--work", default=os.path.join(estimation.HERE, "work", "estimation"))
    ap.add_argument("--compare", default=None, help="Cascade's intervals.tsv")
    args = ap.parse_args()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.makedirs(args.work, exist_ok=True)
    import numpy as np
    import pypesto.optimize
    import pypesto.profile
    problem, _, nominal = estimation.load_amici(args, args.yaml)
    names = [problem.x_names[i] for i in problem.x_free_indices]
    scales = [problem.x_scales[i] for i in problem.x_free_indices]
    indices = [problem.x_free_indices[names.index(p)] for p in args.parameter] if args.parameter else list(problem.x_free_indices)
    problem.set_x_guesses([list(problem.get_full_vector(np.array(nominal)))])
    optimizer = pypesto.optimize.FidesOptimizer(hessian_update="default", verbose=0)
    result = pypesto.optimize.minimize(problem, optimizer=optimizer, n_starts=1, progress_bar=False)
    best = result.optimize_result.list[0]
    print(f"# optimum llh {-best.fval:.9f} (nominal {-problem.objective(np.array(nominal)):.9f})", flush=True)
    ratio = pypesto.profile.chi2_quantile_to_ratio(0.95)
    cascade = read_intervals(args.compare) if args.compare else {}
    for index in indices:
        k = list(problem.x_free_indices).index(index)
        t0 = time.perf_counter()
        result = pypesto.profile.parameter_profile(
            problem, result, optimizer=optimizer, profile_index=[index], progress_bar=False,
            profile_list=0 if result.profile_result.list else None)
        seconds = time.perf_counter() - t0
        profile = result.profile_result.list[0][index]
        xs, ratios = profile.x_path[index], profile.ratio_path
        lower, upper = pypesto.profile.calculate_approximate_ci(xs, ratios, ratio)
        # An end at the last point reached is the bound, not a crossing.
        lower = None if ratios[0] >= ratio else unscale(lower, scales[k])
        upper = None if ratios[-1] >= ratio else unscale(upper, scales[k])
        line = [names[k], f"{unscale(best.x[index], scales[k]):.6g}", "" if lower is None else f"{lower:.6g}",
                "" if upper is None else f"{upper:.6g}", str(len(xs)), f"{seconds:.1f}"]
        if names[k] in cascade:
            for mine, theirs in zip((lower, upper), cascade[names[k]]):
                line.append("-" if mine is None or theirs is None else f"{(theirs - mine) / mine:+.2e}")
        print("\t".join(line), flush=True)


if __name__ == "__main__":
    main()
