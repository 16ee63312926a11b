#!/usr/bin/env python3
"""Simulate Cascade's cross-check models in libRoadRunner, independently of Cascade.

Each model in Tests/CascadeFormatsTests/Fixtures/antimony/crosscheck/ (listed in MODELS with its
time grid) is converted to SBML by the antimony package and simulated by libRoadRunner's CVODE
at tight tolerances. The trajectories go to Tests/CascadeFormatsTests/Fixtures/roadrunner/<name>.csv
(`time,<ids>`, species as concentrations, as `cascade simulate` writes them) and the tool
versions, settings and command to PROVENANCE.md beside them. RoadRunnerCrossCheckTests.swift runs
`cascade simulate` on the same .ant files and compares.

    python3 -m venv .venv-crosscheck
    .venv-crosscheck/bin/pip install -r scripts/crosscheck/requirements.txt
    .venv-crosscheck/bin/python scripts/crosscheck/crosscheck.py

Cascade is not involved: the script reads only the .ant files.
"""
import argparse
import datetime
import hashlib
import math
import os
import platform
import sys

import antimony
import numpy
import roadrunner

# name: (end time, output intervals, breakpoints). Grids keep event times (except in
# event_at_output, which tests events at output times) and the piecewise
# switch off the output times, where the value would depend on which side of the jump a simulator
# reports. Breakpoints are extra stops, left out of the output, at discontinuities in the right-hand
# side that no event marks: at these tolerances CVODE fails to step across the switch of
# function_piecewise (error test failures down to the minimum step at t = 10) unless it stops there.
MODELS = {
    "abc_chain": (20.0, 40, []),
    "decay": (50.0, 50, []),
    "event_at_output": (6.0, 12, []),
    "event_time5": (12.0, 50, []),
    "events_delay_priority": (10.0, 50, []),
    "function_piecewise": (30.0, 50, [10.0]),
    "michaelis_menten": (10.0, 50, []),
    "reversible_binding": (10.0, 50, []),
    "rules": (10.0, 50, []),
    "two_compartments": (20.0, 40, []),
    "variable_compartment": (10.0, 50, []),
}

RELATIVE_TOLERANCE = 1e-12
ABSOLUTE_TOLERANCE = 1e-14
MAXIMUM_STEPS = 1_000_000

# Closed-form solutions, to show how close the references are to exact.
ANALYTIC = {
    "decay": lambda t: {"A": 10 * math.exp(-0.1 * t)},
    "abc_chain": lambda t: {
        "A": math.exp(-0.5 * t),
        "B": 0.5 / (0.2 - 0.5) * (math.exp(-0.5 * t) - math.exp(-0.2 * t)),
    },
    "function_piecewise": lambda t: {"S": 0.0 if t < 10 else 10 * (1 - math.exp(-0.1 * (t - 10)))},
}


def load(path):
    """The SBML the antimony package makes of an .ant file, and the model's id."""
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyFile(path) < 0:
        raise SystemExit(f"{path}: {antimony.getLastError()}")
    module = antimony.getMainModuleName()
    return antimony.getSBMLString(module), module


def simulate(sbml, end, steps, breakpoints=()):
    """Columns (ids) and rows (time first) on Cascade's grid: time_i = end*i/steps."""
    rr = roadrunner.RoadRunner(sbml)
    rr.setIntegrator("cvode")
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
    integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
    integrator.setValue("maximum_num_steps", MAXIMUM_STEPS)
    integrator.setValue("stiff", True)
    integrator.setValue("variable_step_size", False)
    model = rr.model
    species = list(model.getFloatingSpeciesIds()) + list(model.getBoundarySpeciesIds())
    ids = species + list(model.getGlobalParameterIds()) + list(model.getCompartmentIds())
    # "[S]" is the concentration of S (amount / compartment size), as Cascade reports species.
    rr.timeCourseSelections = ["time"] + [f"[{i}]" if i in species else i for i in ids]
    times = [end * i / steps for i in range(steps + 1)]
    stops = sorted(set(times) | set(breakpoints))
    result = rr.simulate(times=stops)
    rows = [[float(v) for v in row] for row in result if float(row[0]) in times]
    for row, t in zip(rows, times):
        if row[0] != t:
            raise SystemExit(f"libRoadRunner reported time {row[0]!r} for {t!r}")
    return ids, rows


def analytic_error(name, ids, rows):
    """The largest |value - exact| / max(|exact|, 1e-3) against the closed form, or None."""
    if name not in ANALYTIC:
        return None
    worst = 0.0
    for row in rows:
        for column, exact in ANALYTIC[name](row[0]).items():
            value = row[1 + ids.index(column)]
            worst = max(worst, abs(value - exact) / max(abs(exact), 1e-3))
    return worst


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    fixtures = os.path.join(repo, "Tests", "CascadeFormatsTests", "Fixtures")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=os.path.join(fixtures, "antimony", "crosscheck"))
    parser.add_argument("--out", default=os.path.join(fixtures, "roadrunner"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    present = sorted(f[:-4] for f in os.listdir(args.models) if f.endswith(".ant"))
    missing = [m for m in present if m not in MODELS]
    if missing:
        raise SystemExit(f"no time grid in MODELS for: {', '.join(missing)}")

    table = []
    for name in present:
        end, steps, breakpoints = MODELS[name]
        path = os.path.join(args.models, name + ".ant")
        sbml, module = load(path)
        ids, rows = simulate(sbml, end, steps, breakpoints)
        lines = [",".join(["time"] + ids)] + [",".join(repr(v) for v in row) for row in rows]
        out = os.path.join(args.out, name + ".csv")
        with open(out + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(out + ".tmp", out)
        error = analytic_error(name, ids, rows)
        table.append((name, sha256(path), end, steps, breakpoints, ids, error))
        note = "" if error is None else f"; deviation from the closed form {error:.1e}"
        print(f"{name}: {len(rows)} rows x {len(ids)} columns -> {os.path.relpath(out, repo)}{note}")

    command = "python scripts/crosscheck/crosscheck.py" + "".join(f" {a}" for a in sys.argv[1:])
    with open(os.path.join(args.out, "PROVENANCE.md"), "w") as f:
        f.write(f"""# libRoadRunner reference trajectories

Generated by `scripts/crosscheck/crosscheck.py` (do not edit by hand; rerun it after changing a
model in `../antimony/crosscheck/` or the grids in the script's `MODELS`).

- Command: `{command}` (from the repository root, in a virtual environment made from
  `scripts/crosscheck/requirements.txt`)
- Date: {datetime.date.today().isoformat()}
- Tools: libroadrunner {roadrunner.__version__}, antimony {antimony.__version__} (both from PyPI),
  numpy {numpy.__version__}, Python {platform.python_version()} on {platform.system()} {platform.machine()}
- Conversion: `antimony.loadAntimonyFile(file)`, then `antimony.getSBMLString(main module)`; Cascade
  is not involved.
- Integrator: CVODE (`stiff` = BDF with Newton iteration), `relative_tolerance` {RELATIVE_TOLERANCE:g},
  `absolute_tolerance` {ABSOLUTE_TOLERANCE:g}, `maximum_num_steps` {MAXIMUM_STEPS}, `variable_step_size`
  false; `simulate(times=...)` on the grid `time_i = end*i/steps`, i = 0 ... steps (the grid
  `cascade simulate --end END --steps STEPS` uses), with extra stops (not written) at the
  breakpoints listed below: discontinuities of the right-hand side that no event marks, which
  CVODE fails to step across at these tolerances.
- Columns: `time`, then every species (floating, then boundary) as a **concentration** (the
  selection `[S]`: amount / compartment size, what `cascade simulate` reports for species),
  then every global parameter and compartment, in libRoadRunner's order. Values are written
  with Python's `repr`, which reads back to the same double.

The last column compares with closed-form solutions where the script has one: the largest
|value − exact| / max(|exact|, 10⁻³) over the grid.

| model | end | steps | breakpoints | columns | sha256 of the .ant file (first 16 hex digits) | against the closed form |
|---|---|---|---|---|---|---|
""")
        for name, digest, end, steps, breakpoints, ids, error in table:
            check = "" if error is None else f"{error:.1e} ({', '.join(ANALYTIC[name](0))})"
            stops = ", ".join(f"{b:g}" for b in breakpoints)
            f.write(f"| {name} | {end:g} | {steps} | {stops} | {', '.join(ids)} | `{digest[:16]}` | {check} |\n")


if __name__ == "__main__":
    main()
