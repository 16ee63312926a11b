#!/usr/bin/env python3
"""Noisy plate readings from a PEtab simulation table (scripts/plate/recover.sh).

Reads the simulation table `cascade petab` writes for a plate problem built with --scaling none
(columns observableId, simulation, well) and the problem's observable table (noiseFormula: the
log-normal sigma of each readout), and writes readings.csv (well,readout,value) with

    value = scale[readout] * simulation * exp(sigma * z),   z ~ N(0, 1)

from a seeded generator (Python's random.Random: same seed, same readings). Each readout's scale
(reading units per model unit, as a plate reader's arbitrary units) is 10^u, u uniform in [1, 4],
from the same generator; the scales are written to SCALES (readout, scale).

Usage: noisy_readings.py SIMULATION.tsv OBSERVABLES.tsv READINGS.csv SCALES.tsv SEED
Standard library only.
"""
import csv
import math
import random
import sys


def main() -> None:
    simulation, observables, readings, scales_out, seed = sys.argv[1:6]
    rng = random.Random(int(seed))
    sigma = {}
    with open(observables, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            sigma[row["observableId"]] = float(row["noiseFormula"])
    rows = []
    with open(simulation, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    scales = {}
    for obs in sorted({r["observableId"] for r in rows}):
        scales[obs] = 10 ** rng.uniform(1, 4)
    with open(readings, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["well", "readout", "value"])
        for r in rows:
            obs = r["observableId"]
            y = float(r["simulation"])
            value = scales[obs] * y * math.exp(sigma[obs] * rng.gauss(0, 1))
            w.writerow([r["well"], obs.removeprefix("obs_"), repr(value)])
    with open(scales_out, "w", newline="") as f:
        f.write("readout\tscale\n")
        for obs, s in scales.items():
            f.write(f"{obs.removeprefix('obs_')}\t{s!r}\n")


if __name__ == "__main__":
    main()
