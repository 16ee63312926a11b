#!/usr/bin/env python3
"""Which free assumed constants of models/ketamine.ant decide the counted scorecard findings.

For each free assumed constant (as classified by scripts/diagnostics/assumed_audit.py) the script
writes two copies of the model into a temporary directory, one with the constant x2 and one with
it /2 (a share or fraction whose double exceeds 1 is set to 1 instead, and said so), runs
`cascade scorecard --model COPY --format json` on each and records which of the counted findings
change their verdict against the unmodified model. models/ is never modified. Each copy keeps the
model's normalisation constants (`*_ref`) and starts from its vehicle steady state; the scorecard
equilibrates every arm for 20 days first, so a perturbation moves the resting operating point as
an error in that constant would.

    swift build -c release --product cascade
    python3 scripts/diagnostics/finding_sensitivity.py [--cascade .build/release/cascade] \
        [--jobs 2] [--only NAME,...] [--output table.md] [--json results.json]

Prints a ranked markdown table (most flipped findings first). Stdlib only.
"""

import argparse
import concurrent.futures
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import assumed_audit  # noqa: E402

ROOT = assumed_audit.ROOT
SHARE = re.compile(r"^\s*(share|fraction|weight)\b", re.IGNORECASE)


def perturbed_value(row, factor):
    """The new value and a note when it had to be capped (shares and fractions stay <= 1)."""
    new = row["value"] * factor
    if new > 1 and row["value"] <= 1 and SHARE.search(row["comment"]):
        return 1.0, "capped at 1"
    return new, ""


def write_copy(lines, row, value, path):
    line = lines[row["line"] - 1]
    match = assumed_audit.VALUE_LINE.match(line)
    start, end = match.span("value")
    edited = list(lines)
    edited[row["line"] - 1] = line[:start] + repr(value) + line[end:]
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")


def run_scorecard(cascade, model, timeout):
    """{finding id: reproduced} for the counted findings, or an error string."""
    try:
        done = subprocess.run(
            [str(cascade), "scorecard", "--model", str(model), "--format", "json", "--threads", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s"
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]
        return f"failed: {message[:160]}"
    try:
        results = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        return f"unreadable output: {error}"
    return {r["id"]: bool(r["reproduced"]) for r in results if r.get("counted") and r.get("set", "core") == "core"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cascade", type=Path, default=ROOT / ".build" / "release" / "cascade")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "ketamine.ant")
    parser.add_argument("--jobs", type=int, default=2, help="scorecards run at once (each on one thread)")
    parser.add_argument("--only", default="", help="comma-separated constant names (default: every free assumed constant)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--output", type=Path, help="write the markdown table here (atomically)")
    parser.add_argument("--json", type=Path, help="write every run's verdicts here")
    args = parser.parse_args()
    if not args.cascade.exists():
        sys.exit(f"{args.cascade}: no such executable (swift build -c release --product cascade)")

    rows = assumed_audit.parse(args.model)
    calibrated = assumed_audit.calibrated_ids(ROOT / "models" / "calibration" / "mapping.tsv")
    free = [r for r in rows if r["tag"] == "assumed" and assumed_audit.classify(r).startswith("free")]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {r["name"] for r in free}
        if unknown:
            sys.exit(f"not free assumed constants of {args.model}: {', '.join(sorted(unknown))}")
        free = [r for r in free if r["name"] in wanted]
    lines = args.model.read_text(encoding="utf-8").splitlines()

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="finding_sensitivity.") as tmp:
        tmp = Path(tmp)
        base_copy = tmp / "base.ant"
        base_copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
        baseline = run_scorecard(args.cascade, base_copy, args.timeout)
        if isinstance(baseline, str):
            sys.exit(f"the unmodified model's scorecard {baseline}")
        findings = sorted(baseline, key=lambda f: int(f[1:]))
        jobs = []
        for row in free:
            for factor in (2.0, 0.5):
                value, note = perturbed_value(row, factor)
                path = tmp / f"{row['name']}_x{factor:g}.ant"
                write_copy(lines, row, value, path)
                jobs.append((row, factor, value, note, path))
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda job: run_scorecard(args.cascade, job[4], args.timeout), jobs))

    results = {}
    for (row, factor, value, note, _), outcome in zip(jobs, outcomes):
        entry = results.setdefault(
            row["name"],
            {"name": row["name"], "line": row["line"], "value": row["text"], "category": row["category"] if "category" in row else assumed_audit.classify(row),
             "reason": row["reason"], "calibrated": row["name"] in calibrated, "runs": {}},
        )
        key = "x2" if factor == 2 else "/2"
        if isinstance(outcome, str):
            entry["runs"][key] = {"value": value, "note": note, "error": outcome}
        else:
            flips = [f for f in findings if outcome.get(f) != baseline[f]]
            entry["runs"][key] = {"value": value, "note": note, "flips": flips, "reproduced": sum(outcome.get(f, False) for f in findings)}

    def flipped(entry):
        return sorted({f for run in entry["runs"].values() for f in run.get("flips", [])}, key=lambda f: int(f[1:]))

    def score(entry):
        return (len(flipped(entry)), sum(len(run.get("flips", [])) for run in entry["runs"].values()), sum("error" in run for run in entry["runs"].values()))

    ranked = sorted(results.values(), key=score, reverse=True)

    def cell(run):
        if "error" in run:
            return "run fails"
        text = ", ".join(f"{f} {'lost' if baseline[f] else 'gained'}" for f in run["flips"]) or "-"
        return text + (f" ({run['note']})" if run["note"] else "")

    out = [
        f"Baseline: {sum(baseline.values())} of {len(findings)} counted findings reproduced "
        f"({', '.join(f for f in findings if baseline[f])}; not: {', '.join(f for f in findings if not baseline[f]) or 'none'}). "
        f"{len(results)} free assumed constants, {len(jobs)} scorecards in {time.time() - started:.0f} s.",
        "",
        "| rank | constant | value | kind | x2 | /2 | calibrated |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, entry in enumerate(ranked, 1):
        kind = entry["category"].replace("free, ", "")
        out.append(
            f"| {rank} | {entry['name']} | {entry['value']} | {kind} | {cell(entry['runs']['x2'])} | {cell(entry['runs']['/2'])} | "
            f"{'yes' if entry['calibrated'] else ''} |"
        )
    table = "\n".join(out) + "\n"
    if args.output:
        partial = args.output.with_name(args.output.name + ".partial")
        partial.write_text(table, encoding="utf-8")
        partial.replace(args.output)
    if args.json:
        partial = args.json.with_name(args.json.name + ".partial")
        partial.write_text(json.dumps({"baseline": baseline, "constants": ranked}, indent=1) + "\n", encoding="utf-8")
        partial.replace(args.json)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
