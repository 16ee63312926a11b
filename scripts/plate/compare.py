#!/usr/bin/env python3
"""True against fitted parameters and their 95% profile intervals (scripts/plate/recover.sh).

Usage: compare.py TRUTH_PARAMETERS.tsv START_PARAMETERS.tsv SCALES.tsv INTERVALS.tsv
TRUTH_PARAMETERS is the parameter table of the problem built with the true line (nominalValue =
truth); START_PARAMETERS that of the problem fitted (nominalValue = where it started); SCALES the
true reading scales; INTERVALS the intervals.tsv of `cascade profile`. Prints one row per
parameter and exits 1 when a true value lies outside its interval. Standard library only.
"""
import csv
import sys


def table(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main() -> None:
    truth_path, start_path, scales_path, intervals_path = sys.argv[1:5]
    truth = {r["parameterId"]: float(r["nominalValue"]) for r in table(truth_path)}
    start = {r["parameterId"]: float(r["nominalValue"]) for r in table(start_path)}
    for r in table(scales_path):
        truth["scale_" + r["readout"]] = float(r["scale"])
    print("parameter\ttrue\tstart\tfitted\tlower95\tupper95\twithin")
    failed = 0
    for r in table(intervals_path):
        pid = r["parameterId"]
        best = float(r["best"])
        lower = float(r["lower95"]) if r["lower95"] else float("-inf")
        upper = float(r["upper95"]) if r["upper95"] else float("inf")
        t = truth.get(pid)
        ok = t is not None and lower <= t <= upper
        failed += 0 if ok else 1
        print(f"{pid}\t{t:.6g}\t{start.get(pid, float('nan')):.6g}\t{best:.6g}\t{lower:.6g}\t{upper:.6g}\t{'yes' if ok else 'NO'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
