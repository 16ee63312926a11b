#!/usr/bin/env python3
"""Writes a copy of a PEtab parameter table with every estimated parameter moved off its nominal
value by a fixed pattern (x1.10, x0.87, x1.23, x0.90, ...: deterministic, no random numbers).

Gradient checks at the nominal parameters of a calibrated problem compare two numbers close to
zero (it is the optimum), so they measure the finite differences' own error; away from it they
measure the gradient.

    perturb_parameters.py parameters.tsv perturbed.tsv
"""
import csv
import sys


def main(source: str, target: str) -> None:
    with open(source, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    columns = list(rows[0].keys()) if rows else []
    for i, row in enumerate(rows):
        if row.get("estimate") != "1":
            continue
        value = float(row["nominalValue"])
        if value <= 0 and row.get("parameterScale", "lin") != "lin":
            # A log-scaled parameter at 0 (off its scale; the objective refuses the table, so
            # gradient_check.sh puts this copy in the problem's place): a point inside the bounds,
            # 1e-4 of the upper bound, where the parameter acts (Lang_PLOSComputBiol2024's lower
            # bounds are 1e-24, where it does nothing and a check of it would say nothing).
            value = float(row["upperBound"]) / 1e4
        factor = 1.0 + 0.1 * (1 if i % 2 == 0 else -1) * (1 + (i % 3) / 3)
        if value == 0 and row.get("parameterScale", "lin") == "lin":
            row["nominalValue"] = "0.05"
        else:
            row["nominalValue"] = repr(value * factor)
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: perturb_parameters.py parameters.tsv perturbed.tsv")
    main(sys.argv[1], sys.argv[2])
