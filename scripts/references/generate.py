#!/usr/bin/env python3
"""Generate Cascade's reference trajectories independently, with libRoadRunner.

For every case in models/references/references.yaml, Cascade exports a self-contained SBML model
(protocol steps as SBML events, the case's inhibitor doses and arm as parameter values) with
`cascade check --export-sbml`; this script simulates each in libRoadRunner at tight tolerances on
the case's time grid and writes the reference CSV files that `cascade check` compares against.

    python3 -m venv .venv-refs && .venv-refs/bin/pip install -r scripts/references/requirements.txt
    swift build -c release
    .venv-refs/bin/python scripts/references/generate.py [--cascade .build/release/cascade] [--dir models/references]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import roadrunner


def event_targets(sbml_path):
    """Initial values of the parameters that events assign, from the SBML file itself."""
    root = ET.parse(sbml_path).getroot()
    ns = {"s": root.tag.split("}")[0].strip("{")}
    initial = {p.get("id"): float(p.get("value")) for p in root.iter(f"{{{ns['s']}}}parameter") if p.get("value") is not None}
    targets = {a.get("variable") for a in root.iter(f"{{{ns['s']}}}eventAssignment")}
    return {t: initial[t] for t in targets if t in initial}


def simulate(case, sbml_path):
    rr = roadrunner.RoadRunner(sbml_path)
    # libRoadRunner initialises the model at time 0 and fires every event whose trigger is true
    # there (a protocol step at time >= 0, or >= -30 min), even when the simulation starts earlier.
    # Start the clock at the case's start and put the event-assigned parameters back to their
    # SBML values, so each event fires when the integration crosses its time.
    rr.model.setTime(case["start"])
    for pid, value in event_targets(sbml_path).items():
        rr[pid] = value
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", case["rtol"])
    integrator.setValue("absolute_tolerance", case["atol"])
    integrator.setValue("maximum_num_steps", 10_000_000)
    integrator.setValue("stiff", True)
    # Species are reported as concentrations, as Cascade reports them.
    selections = ["time"] + [f"[{r}]" if r in case["species"] else r for r in case["readouts"]]
    rr.timeCourseSelections = selections
    times = [case["start"]] + case["times"]
    result = rr.simulate(times=times)
    return [list(row) for row in result[1:]]  # drop the start row (before the protocol)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cascade", default=os.path.join(repo, ".build", "release", "cascade"))
    parser.add_argument("--dir", default=os.path.join(repo, "models", "references"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.cascade, "check", args.dir, "--export-sbml", tmp], check=True)
        with open(os.path.join(tmp, "manifest.json")) as f:
            manifest = json.load(f)
        generator = f"libroadrunner {roadrunner.__version__} (scripts/references/generate.py; CVODE BDF, " \
                    f"Python {sys.version.split()[0]})"
        for case in manifest["cases"]:
            rows = simulate(case, os.path.join(tmp, case["sbml"]))
            header = [h.replace("GENERATOR", generator) for h in case["header"]]
            lines = [f"# {h}" for h in header]
            lines.append(",".join(["time"] + case["readouts"]))
            for row in rows:
                lines.append(",".join(repr(float(v)) for v in row))
            path = case["csv"]
            tmp_path = path + ".tmp"
            with open(tmp_path, "w") as out:
                out.write("\n".join(lines) + "\n")
            os.replace(tmp_path, path)
            print(f"{case['id']}: {len(rows)} rows -> {path}")


if __name__ == "__main__":
    main()
