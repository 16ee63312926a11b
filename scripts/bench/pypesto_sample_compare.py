"""pyPESTO's AdaptiveMetropolisSampler against `cascade sample` on one PEtab problem: posterior
medians and 2.5-97.5% intervals of every estimated parameter from the same start.

    /work/venv-bench/bin/python scripts/bench/pypesto_sample_compare.py PROBLEM.yaml
        [--chains K] [--samples N] [--seed S] [--cascade PATH] [--rtol R] [--atol A] [--work DIR]

Both samplers start every chain at the problem's nominal values (for the benchmark problems, the
published optimum) under the same posterior: the PEtab likelihood (AMICI's for pyPESTO, Cascade's
own for Cascade) times a flat prior on the parameters' scales within their bounds. pyPESTO's
initial proposal covariance is set to what Cascade starts from: the inverse of the Fisher
information at the start (AMICI's, pyPESTO's `hess`) plus 16/range² on the diagonal, times
2.38²/d. Each pyPESTO chain is one `pypesto.sample.sample` run seeded with numpy (seed + chain);
its burn-in is pyPESTO's `geweke_test` (falling back to half the chain when the test finds none),
the draws after it pooled. Cascade runs `cascade sample --chains K --samples N` with its own
burn-in. Prints per parameter the medians and intervals (linear scale) and the differences of
Cascade's from pyPESTO's in units of pyPESTO's 95% interval width on the parameter's scale.

Measured (Boehm_JProteomeRes2014, 9 parameters, rtol 1e-8, atol 1e-12, 4 chains × 20000
iterations, seed 1; 2-core machine shared with other work): see RESULTS below, filled in from
the run documented in docs/estimation.md.

RESULTS
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estimation  # noqa: E402


def unscale(value, scale):
    return 10 ** value if scale == "log10" else math.exp(value) if scale == "log" else value


def to_scale(value, scale):
    return math.log10(value) if scale == "log10" else math.log(value) if scale == "log" else value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yaml")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--samples", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--cascade", default=os.path.join(estimation.HERE, "..", "..", ".build", "release", "cascade"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(estimation.HERE, "work", "estimation"))
    ap.add_argument("--cascade-json", default=None, help="compare with this `cascade sample` summary instead of running it")
    args = ap.parse_args()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.makedirs(args.work, exist_ok=True)
    import numpy as np
    import pypesto.sample

    problem, _, nominal = estimation.load_amici(args, args.yaml)
    free = list(problem.x_free_indices)
    names = [problem.x_names[i] for i in free]
    scales = [problem.x_scales[i] for i in free]
    x0 = np.array(nominal, dtype=float)
    lb, ub = np.array(problem.lb, dtype=float), np.array(problem.ub, dtype=float)
    d = len(x0)

    # Cascade's initial proposal: (FIM + 16/range²)⁻¹ · 2.38²/d.
    fim = np.array(problem.objective(x0, sensi_orders=(2,)), dtype=float)
    precision = fim + np.diag(16.0 / (ub - lb) ** 2)
    cov0 = np.linalg.inv(0.5 * (precision + precision.T)) * 2.38 ** 2 / d

    # pyPESTO: one adaptive Metropolis chain per seed.
    pooled, chains = [], []
    t0 = time.perf_counter()
    for k in range(args.chains):
        np.random.seed(args.seed + k)
        sampler = pypesto.sample.AdaptiveMetropolisSampler(options={"cov0": cov0, "show_progress": False})
        result = pypesto.sample.sample(problem, n_samples=args.samples, sampler=sampler, x0=x0)
        burn = pypesto.sample.geweke_test(result, zscore=2.0)
        burn = result.sample_result.burn_in if burn is None else burn
        trace = np.asarray(result.sample_result.trace_x[0])
        if burn >= len(trace) - 1:
            burn = len(trace) // 2
        print(f"# pyPESTO chain {k}: Geweke burn-in {result.sample_result.burn_in}", file=sys.stderr, flush=True)
        pooled.append(trace[burn:])
        chains.append(trace)
    pypesto_s = time.perf_counter() - t0
    pooled = np.concatenate(pooled)
    # Classic split R-hat of pyPESTO's chains after the largest burn-in (no rank normalisation).
    start = len(chains[0]) - min(len(c) for c in pooled)
    halves = []
    for c in chains:
        kept = c[start:]
        h = len(kept) // 2
        halves += [kept[:h], kept[len(kept) - h:]]
    halves = np.array(halves)
    n = halves.shape[1]
    w = halves.var(axis=1, ddof=1).mean(axis=0)
    b = n * halves.mean(axis=1).var(axis=0, ddof=1)
    pypesto_rhat = np.sqrt(((n - 1) / n * w + b / n) / w)

    # Cascade, from the same start (the problem's parameter table).
    cascade_s = 0.0
    if args.cascade_json:
        with open(args.cascade_json) as f:
            summary = json.load(f)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "chain.tsv")
            parameters = os.path.join(os.path.dirname(args.yaml), _parameter_file(args.yaml))
            command = [args.cascade, "sample", args.yaml, "--parameters", parameters, "--chains", str(args.chains),
                       "--samples", str(args.samples), "--seed", str(args.seed), "--threads", str(args.threads),
                       "--rtol", str(args.rtol), "--atol", str(args.atol), "--output", out]
            t0 = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            cascade_s = time.perf_counter() - t0
            with open(os.path.join(tmp, "chain.json")) as f:
                summary = json.load(f)
    cascade = {p["id"]: p for p in summary["parameters"]}

    print(f"# pyPESTO {args.chains} x {args.samples} in {pypesto_s:.0f} s; Cascade in {cascade_s:.0f} s, "
          f"burn-in {summary['burn_in']} ({summary['burn_in_source']}), max R-hat {summary['max_rhat']:.3f}, "
          f"min bulk ESS {summary['min_ess_bulk']:.0f} ({summary['chains']} x {summary['samples']}); "
          f"pyPESTO split R-hat max {pypesto_rhat.max():.3f}")
    print("parameter\tpypesto_median\tpypesto_q025\tpypesto_q975\tcascade_median\tcascade_q025\tcascade_q975"
          "\td_median\td_q025\td_q975")
    for k, name in enumerate(names):
        column = pooled[:, k]
        q025, med, q975 = np.quantile(column, [0.025, 0.5, 0.975])
        width = max(q975 - q025, 1e-300)
        c = cascade[name]
        diffs = [(to_scale(c[key], scales[k]) - ref) / width for key, ref in (("median", med), ("q025", q025), ("q975", q975))]
        row = [name] + [f"{unscale(v, scales[k]):.4g}" for v in (med, q025, q975)] + \
              [f"{c[key]:.4g}" for key in ("median", "q025", "q975")] + [f"{v:+.3f}" for v in diffs]
        print("\t".join(row), flush=True)


def _parameter_file(yaml):
    with open(yaml) as f:
        for line in f:
            if line.startswith("parameter_file:"):
                return line.split(":", 1)[1].strip()
    raise SystemExit(f"{yaml}: no parameter_file")


if __name__ == "__main__":
    main()
