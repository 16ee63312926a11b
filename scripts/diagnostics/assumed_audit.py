#!/usr/bin/env python3
"""Audit of the confidence tags of models/ketamine.ant (stdlib only).

Every value line of the model (`name = number  // unit; what; source [tag]`, optionally with a
`compartment`/`species`/`const`/`var` keyword) must carry one confidence tag: [checked],
[secondary], [recalled] or [assumed] / [assumed: reason]. The script counts the tags and sorts the
assumed values into what is not free biology (normalisations, computed steady states and
drug-naive starts, pharmacology hooks and treatment inputs, mode and hypothesis switches,
reference sizes and numerical settings) and the free biological constants, which it lists
(split into those fitted to a stated target and those chosen). A value line without a tag is an
error (exit 1, naming the line); a line with several tags (several sources) counts its weakest.

    python3 scripts/diagnostics/assumed_audit.py [--model models/ketamine.ant] [--mapping models/calibration/mapping.tsv] [--json]

`--json` prints the classified value lines (used by scripts/diagnostics/finding_sensitivity.py).
"""

import argparse
import json
import re
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

VALUE_LINE = re.compile(
    r"^\s*(?:(?:const|var|compartment|species|substanceOnly)\s+)*"
    r"(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*;?\s*"
    r"(?://(?P<comment>.*))?$"
)
ASSIGNMENT = re.compile(r"^\s*(?:(?:const|var|compartment|species|substanceOnly)\s+)*[A-Za-z_]\w*\s*=(?!=)")
TAG = re.compile(r"\[(?P<tag>checked|secondary|recalled|assumed)(?:[:;]\s*(?P<reason>[^\]]*))?\]")
TAGS = ("checked", "secondary", "recalled", "assumed")

# Assumed values that are not free biology, recognised by the reason in their tag (first match wins).
NOT_FREE = [
    ("normalisation", re.compile(r"^normalisation")),
    ("computed steady state", re.compile(r"^(computed steady state|drug-naive start)")),
    ("hook or treatment input", re.compile(r"^(hook|treatment input)")),
    ("switch", re.compile(r"switch|^off until|^1, the slot hypothesis")),
    ("reference size or numerics", re.compile(r"^(reference patient|standard adult|numerical|geometry)")),
]
FITTED = re.compile(r"(?<!not )fitted|calibrated|derived from the fitted|^allometry")


def parse(path):
    """Value lines of the model: dicts with line, name, value, tag, reason, comment."""
    rows = []
    errors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("//"):
            continue
        match = VALUE_LINE.match(line)
        if not match:
            if ASSIGNMENT.match(line):
                errors.append(f"{path}:{number}: '{line.strip()[:60]}' assigns something other than a number (the audit reads `name = number`)")
            continue
        comment = match.group("comment") or ""
        tags = list(TAG.finditer(comment))
        if not tags:
            errors.append(f"{path}:{number}: value line '{match.group('name')}' has no confidence tag (one of [{'], ['.join(TAGS)}] expected)")
            continue
        # A line citing several sources carries several tags: the value is as sure as the weakest.
        tag = max(tags, key=lambda t: TAGS.index(t.group("tag")))
        rows.append(
            {
                "line": number,
                "name": match.group("name"),
                "value": float(match.group("value")),
                "text": match.group("value"),
                "tag": tag.group("tag"),
                "reason": (tag.group("reason") or "").strip(),
                "comment": comment.strip(),
            }
        )
    if errors:
        sys.exit("\n".join(errors))
    if not rows:
        sys.exit(f"{path}: no value lines found")
    return rows


def classify(row):
    """Category of an assumed value: one of the NOT_FREE kinds, 'free, fitted' or 'free, chosen'."""
    if row["tag"] != "assumed":
        return row["tag"]
    for kind, pattern in NOT_FREE:
        if pattern.search(row["reason"]):
            return kind
    if row["value"] == 0:
        # A zero cannot set a size: it is an off switch or an empty share (e.g. share_local_GluA1).
        return "switch"
    return "free, fitted" if FITTED.search(row["reason"]) else "free, chosen"


def calibrated_ids(mapping):
    if not mapping.exists():
        return set()
    ids = set()
    for line in mapping.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) > 1 and fields[1].strip():
            ids.add(fields[1].strip())
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "ketamine.ant")
    parser.add_argument("--mapping", type=Path, default=ROOT / "models" / "calibration" / "mapping.tsv")
    parser.add_argument("--json", action="store_true", help="print the classified value lines as JSON")
    args = parser.parse_args()
    if not args.model.exists():
        sys.exit(f"{args.model}: no such file")
    rows = parse(args.model)
    calibrated = calibrated_ids(args.mapping)
    for row in rows:
        row["category"] = classify(row)
        row["calibrated"] = row["name"] in calibrated
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return

    total = len(rows)
    print(f"{args.model.name}: {total} value lines")
    print(f"{'tag':<34}{'values':>7}{'share':>8}")
    for tag in TAGS:
        n = sum(r["tag"] == tag for r in rows)
        print(f"{'[' + tag + ']':<34}{n:>7}{n / total:>8.0%}")
    assumed = [r for r in rows if r["tag"] == "assumed"]
    print(f"\nassumed, by kind ({len(assumed)})")
    kinds = [k for k, _ in NOT_FREE] + ["free, fitted", "free, chosen"]
    for kind in kinds:
        n = sum(r["category"] == kind for r in assumed)
        print(f"  {kind:<32}{n:>7}")
    free = [r for r in assumed if r["category"].startswith("free")]
    print(f"  {'not free biology':<32}{len(assumed) - len(free):>7}")
    print(f"  {'free biological constants':<32}{len(free):>7}  ({sum(r['calibrated'] for r in free)} of them among the calibrated constants)")
    print(f"\nfree assumed constants ({len(free)}; * = estimated in models/calibration)")
    for r in free:
        mark = "*" if r["calibrated"] else " "
        print(f"{mark} {r['line']:>4}  {r['name']:<24}{r['text']:>14}  {r['category']:<13} {r['reason'][:70]}")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    main()
