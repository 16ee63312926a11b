#!/usr/bin/env python3
"""Further check B3 across the NMDAR shares of excitatory drive (models/README.md, "Further checks beyond
the 18"): glutamine cycling change at 30 min after 10, 30 and 80 mg/kg i.p. in the rat, for each pair of
nmda_share_int x nmda_share_pyr on a grid, held as a genotype. A diagnostic of the model's structure, not a
fit: it asks whether any fixed pair of shares gives a rise at 30 mg/kg and none at 80 mg/kg.

    python3 scripts/diagnostics/b3_share_grid.py [--cascade .build/debug/cascade]
"""
import argparse
import json
import pathlib
import re
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARES_INT = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
SHARES_PYR = [0.05, 0.15, 0.3, 0.5, 0.7, 0.9]
DOSES = [10, 30, 80]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cascade", default=str(ROOT / ".build/debug/cascade"))
    args = parser.parse_args()
    probe = (ROOT / "scripts/diagnostics/further_checks_probe.yaml").read_text()
    lines = [probe[: probe.index("findings:")], "findings:\n"]
    for si in SHARES_INT:
        for sp in SHARES_PYR:
            lines.append(f"  - id: g_{si}_{sp}\n    claim: grid\n    checks:\n")
            for d in DOSES:
                lines.append(
                    f"      - {{protocol: rat_ip_{d}, readout: glutamine_cycling, time: 30 min, expect: range, of: change,"
                    f" range: [-1.0e9, 1.0e9], genotype: {{nmda_share_int: {si}, nmda_share_pyr: {sp}}}}}\n"
                )
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as card:
        card.write("".join(lines))
        card.flush()
        command = [args.cascade, "scorecard", "--scorecard", card.name, "--format", "json"]
        results = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    print("nmda_share_int nmda_share_pyr  cycling change at 30 min after 10 / 30 / 80 mg/kg")
    for r in results:
        _, si, sp = r["id"].split("_")
        figures = re.findall(r"glutamine_cycling ([-+][\d.]+%)", r["figure"])
        print(f"{si:>14} {sp:>14}  {' / '.join(figures)}")


if __name__ == "__main__":
    main()
