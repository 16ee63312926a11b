#!/usr/bin/env python3
"""Which free assumed constants of models/ketamine.ant decide the counted scorecard findings.

For each free assumed constant (as classified by scripts/diagnostics/assumed_audit.py) the script
writes two copies of the model into a temporary directory, one with the constant x2 and one with
it /2 (a share or fraction whose double exceeds 1 is set to 1 instead, and said so), runs
`cascade scorecard --model COPY --format json` on each and records which of the counted findings
change their verdict against the unmodified model. models/ is never modified. Each copy keeps the
model's normalisation constants (`*_ref`) and starts from the model's vehicle steady state (the
scorecard equilibrates every arm for 20 days first), so a perturbation also moves the resting
operating point; with --renormalise the normalisation constants of readouts and drives
of translation and GSK-3 (p_4EBP1_ref, eEF2_active_ref, GSK3_ref) are set to the copy's own
vehicle steady state (200 days, iterated) and its states start there, as the model's README asks
when upstream constants change; the references inside the homeostatic firing loop stay.

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
SHARE = re.compile(r"^\s*(share|fraction)\b", re.IGNORECASE)

# Normalisation constants of the model and the vehicle steady-state quantity each must equal
# (models/README.md: "refit them when upstream constants change"): those of the translation
# machinery and GSK-3. The references inside the homeostatic firing loop are kept: the activity
# sensor's set points (pyr_rate_set, Ca_ref) and the AMPAR drive's (glutamate_ref,
# GluA1_surf_ref), through which scaling acts; re-setting them to the state they produce defeats
# the homeostat (tested: h_E x2 then flips between a 40 Hz and a 1.7 Hz rest at each round).
REFERENCES = {
    "p_4EBP1_ref": lambda s: s["p_4EBP1"],
    "eEF2_active_ref": lambda s: s["eEF2"] / (s["eEF2"] + s["p_eEF2"]),
    "GSK3_ref": lambda s: s["GSK3_activity"],
}
# States that are not species (rate rules) and the assignment behind GSK3_ref.
EXTRA_VARIABLES = ["pyr_rate", "int_rate", "S845_share", "spine_program", "arbor_growth", "soma_growth", "GSK3_activity"]


def perturbed_value(row, factor):
    """The new value and a note: a share or fraction whose double would exceed 1 has the
    complement halved instead (0.6 -> 0.8), so it stays a share."""
    new = row["value"] * factor
    if new > 1 and row["value"] <= 1 and SHARE.search(row["comment"]):
        return 1 - (1 - row["value"]) / 2, "complement halved"
    return new, ""


def edit(lines, rows_by_name, values):
    """The model's lines with the value lines named in `values` set to them."""
    edited = list(lines)
    for name, value in values.items():
        row = rows_by_name[name]
        line = edited[row["line"] - 1]
        match = assumed_audit.VALUE_LINE.match(line)
        start, end = match.span("value")
        edited[row["line"] - 1] = line[:start] + repr(float(value)) + line[end:]
    return edited


def steady_state(cascade, model, variables, timeout):
    """The vehicle state after 200 days, {id: value}, or an error string."""
    try:
        done = subprocess.run(
            [str(cascade), "simulate", str(model), "--end", "200 d", "--steps", "1", "--rtol", "1e-8", "--atol", "1e-14",
             "--variables", ",".join(variables)],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"steady state timed out after {timeout} s"
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]
        return f"steady state failed: {message[:160]}"
    rows = done.stdout.strip().splitlines()
    header, last = rows[0].split(","), rows[-1].split(",")
    return {name: float(value) for name, value in zip(header, last)}


def renormalised(cascade, lines, rows_by_name, values, path, variables, timeout, iterations=6):
    """Writes the copy with `values`, its normalisation constants set to its own vehicle steady
    state and its states started there (iterated, since the references act on the dynamics).
    Returns an error string or the largest relative change of a reference in the last round."""
    current = dict(values)
    change = float("inf")
    for _ in range(iterations):
        path.write_text("\n".join(edit(lines, rows_by_name, current)) + "\n", encoding="utf-8")
        state = steady_state(cascade, path, variables, timeout)
        if isinstance(state, str):
            return state
        if any(v != v for v in state.values()):
            return "steady state has NaN"
        new_refs = {name: f(state) for name, f in REFERENCES.items()}
        change = max(abs(new_refs[n] / float(current.get(n, rows_by_name[n]["value"])) - 1) for n in new_refs)
        current.update(new_refs)
        current.update({n: v for n, v in state.items() if n in rows_by_name and n != "time" and n not in values})
        if change < 1e-6:
            break
    path.write_text("\n".join(edit(lines, rows_by_name, current)) + "\n", encoding="utf-8")
    return change


def write_copy(lines, row, value, path):
    path.write_text("\n".join(edit(lines, {row["name"]: row}, {row["name"]: value})) + "\n", encoding="utf-8")


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
    parser.add_argument(
        "--renormalise",
        action="store_true",
        help="set each copy's translation and GSK-3 references (p_4EBP1_ref, eEF2_active_ref, GSK3_ref) to its own vehicle steady state and start its states there",
    )
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
    rows_by_name = {r["name"]: r for r in rows}
    for name in REFERENCES if args.renormalise else []:
        if name not in rows_by_name:
            sys.exit(f"{args.model}: normalisation constant {name} not found")

    def prepare_and_run(job):
        row, value, path = job[0], job[2], job[4]
        if args.renormalise:
            result = renormalised(args.cascade, lines, rows_by_name, {row["name"]: value} if row else {}, path, variables, args.timeout)
            if isinstance(result, str):
                return result
            if result > 1e-3:
                print(f"warning: {path.name}: normalisation constants still moved by {result:.1e} after the last round", file=sys.stderr)
            outcome = run_scorecard(args.cascade, path, args.timeout)
            if result > 0.05 and not isinstance(outcome, str):
                outcome["unsettled"] = True
            return outcome
        elif row:
            write_copy(lines, row, value, path)
        else:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return run_scorecard(args.cascade, path, args.timeout)

    variables = []
    if args.renormalise:
        with tempfile.TemporaryDirectory(prefix="finding_sensitivity.") as tmp:
            probe = Path(tmp) / "probe.ant"
            probe.write_text("\n".join(lines) + "\n", encoding="utf-8")
            done = subprocess.run([str(args.cascade), "simulate", str(probe), "--end", "1", "--steps", "1"], cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"cascade simulate failed on the unmodified model: {done.stderr.strip()[-300:]}")
            variables = [v for v in done.stdout.splitlines()[0].split(",")[1:]] + EXTRA_VARIABLES

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="finding_sensitivity.") as tmp:
        tmp = Path(tmp)
        baseline = prepare_and_run((None, 1.0, None, "", tmp / "base.ant"))
        if isinstance(baseline, str):
            sys.exit(f"the unmodified model's scorecard {baseline}")
        findings = sorted(baseline, key=lambda f: int(f[1:]))
        jobs = []
        for row in free:
            for factor in (2.0, 0.5):
                value, note = perturbed_value(row, factor)
                jobs.append((row, factor, value, note, tmp / f"{row['name']}_x{factor:g}.ant"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(prepare_and_run, jobs))

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
            if outcome.get("unsettled"):
                note = (note + "; " if note else "") + "no settled rest: references still move"
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
        f"{len(results)} free assumed constants, {len(jobs)} scorecards in {time.time() - started:.0f} s"
        f"{', each copy renormalised to its own vehicle steady state' if args.renormalise else ', normalisation constants kept'}.",
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
