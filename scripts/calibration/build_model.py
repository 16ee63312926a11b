#!/usr/bin/env python3
"""Build the SBML model of the calibration problem (models/calibration/model_ketamine.xml).

models/ketamine.ant has no events (protocols add them). PEtab v1 conditions can only set values
at time 0, so the calibration model is the ketamine model plus the protocol ends as events with
condition-settable times: the plate treatments stop at `bath_off`, the infusion at
`infusion_off`, the TTX block at `nav_off`. This script appends those events to the Antimony text
and exports SBML with Cascade's own writer:

    python3 scripts/calibration/build_model.py [--cascade .build/release/cascade]
"""
import argparse
import os
import subprocess
import tempfile

EVENTS = """
  // ---- Calibration protocol ends (added by scripts/calibration/build_model.py) ----
  bath_off = 3600               // s; end of the plate treatment (1 h in the standard protocol) [assumed: protocol]
  infusion_off = 2400           // s; end of the 40 min infusion (Zarate 2012) [checked]
  bdnf_off = 1e9                // s; end of exogenous BDNF (sustained by default) [assumed: protocol]
  nav_off = 1e9                 // s; end of a TTX block (held by default) [assumed: protocol]
  at (time >= bath_off): ketamine_bath = 0, HNK_bath = 0
  at (time >= infusion_off): infusion_rate = 0
  at (time >= bdnf_off): BDNF_bath = 0
  at (time >= nav_off): f_Nav = 0
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cascade", default=os.path.join(repo, ".build", "release", "cascade"))
    parser.add_argument("--output", default=os.path.join(repo, "models", "calibration", "model_ketamine.xml"))
    args = parser.parse_args()
    text = open(os.path.join(repo, "models", "ketamine.ant"), encoding="utf-8").read()
    end = text.rstrip().rfind("\nend")
    if end < 0:
        raise SystemExit("models/ketamine.ant: no closing 'end' of the model")
    text = text[:end] + "\n" + EVENTS + text[end:]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ketamine_calibration.ant")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run([args.cascade, "export-sbml", path, "--output", args.output], check=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
