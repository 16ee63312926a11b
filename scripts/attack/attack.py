#!/usr/bin/env python3
"""Attack run: malformed, hostile and extreme inputs through the cascade binary.

Generates every input into a fresh working folder (nothing is downloaded), runs each case with a
time limit, and counts outcomes:

  accepted      exit 0
  refused       exit 1 or 2 with one clear message on standard error (see `clear_message`)
  unclear       a non-zero exit whose message is missing, or reads like a debug dump
  signal        killed by a signal (a crash or trap)
  timeout       still running after the time limit (killed)
  changed       an input file's bytes changed, or an input disappeared

    python3 scripts/attack/attack.py [--cascade .build/release/cascade] [--timeout 30] [--keep]

Exits 1 when any case ends in signal, timeout, changed or unclear, or when a case listed as
`refuse` is accepted. Every case is listed in attack-results.tsv in the working folder.
"""

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Phrases that mark a message written for a developer, not a user.
DEBUG_MARKS = ["NSCocoaErrorDomain", "Error Domain=", "Fatal error", "Swift/", "Optional(", "DecodingError",
               "Backtrace", "Thread 0", "💣", "_StringGuts", "Yams.", "ParserError(", "UserInfo="]


def clear_message(stderr: str) -> bool:
    """One message: starts like `cascade: error: ...`, `PATH:LINE:COL: error: ...` or the
    argument parser's `Error: ...`, and holds none of the debug marks."""
    text = stderr.strip()
    if not text:
        return False
    first = text.splitlines()[0]
    starts = first.startswith("cascade: error: ") or first.startswith("Error: ") or ": error: " in first
    return starts and not any(m in text for m in DEBUG_MARKS)


class Work:
    def __init__(self, root):
        self.root = root
        self.out = os.path.join(root, "out")
        os.makedirs(self.out, exist_ok=True)

    def path(self, name):
        return os.path.join(self.root, name)

    def write(self, name, content, mode="w"):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(content)
        return p


def digest_inputs(root):
    sums = {}
    for d, dirs, files in os.walk(root):
        if os.path.abspath(d).startswith(os.path.join(root, "out")):
            continue
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or f.startswith(".") or f == "attack-results.tsv":
                continue
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            sums[p] = h.hexdigest()
    return sums


# ---------------------------------------------------------------------------------------------
# Inputs

DECAY = "model m\n  compartment c = 1\n  species A in c = 10\n  J1: A -> ; k*A\n  k = 0.5\nend\n"


def sbml(body, functions="", level="3", version="2"):
    ns = f"http://www.sbml.org/sbml/level{level}/version{version}/core"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sbml xmlns="{ns}" level="{level}" version="{version}">\n'
            f'<model id="m">{functions}<listOfCompartments><compartment id="c" size="1" constant="true"/>'
            f'</listOfCompartments><listOfSpecies><species id="A" compartment="c" initialConcentration="10" '
            f'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>'
            f'<listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>{body}</model></sbml>\n')


def reaction(math):
    return ('<listOfReactions><reaction id="R1" reversible="false"><listOfReactants>'
            '<speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>'
            f'<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">{math}</math></kineticLaw>'
            '</reaction></listOfReactions>')


def chain_ant(n, cycle=False):
    lines = ["model chain", "  compartment c = 1", "  species A in c = 1", "  J1: A -> ; k*A*v0", "  k = 0.1"]
    for i in range(n):
        nxt = 0 if (cycle and i == n - 1) else i + 1
        lines.append(f"  v{i} := v{nxt}")
    if not cycle:
        lines.append(f"  v{n} = 2")
    return "\n".join(lines) + "\nend\n"


def nested_functions_ant(levels):
    s = "function g0(x)\n  2*x\nend\n"
    for i in range(1, levels + 1):
        s += f"function g{i}(x)\n  g{i-1}(x) + g{i-1}(x)\nend\n"
    return s + f"model m\n  compartment c = 1\n  species A in c = 1\n  J1: A -> ; k*A*g{levels}(1e-13)\n  k = 0.1\nend\n"


def nested_functions_sbml(levels):
    m = "http://www.w3.org/1998/Math/MathML"
    fds = (f'<listOfFunctionDefinitions><functionDefinition id="g0"><math xmlns="{m}"><lambda><bvar><ci>x</ci></bvar>'
           '<apply><times/><cn>2</cn><ci>x</ci></apply></lambda></math></functionDefinition>')
    for i in range(1, levels + 1):
        call = f"<apply><ci>g{i-1}</ci><ci>x</ci></apply>"
        fds += (f'<functionDefinition id="g{i}"><math xmlns="{m}"><lambda><bvar><ci>x</ci></bvar>'
                f'<apply><plus/>{call}{call}</apply></lambda></math></functionDefinition>')
    fds += "</listOfFunctionDefinitions>"
    return sbml(reaction(f"<apply><times/><ci>k</ci><ci>A</ci><apply><ci>g{levels}</ci><cn>1e-13</cn></apply></apply>"), fds)


def chain_sbml(n):
    m = "http://www.w3.org/1998/Math/MathML"
    params = "".join(f'<parameter id="v{i}" constant="false"/>' for i in range(n)) + f'<parameter id="v{n}" value="2" constant="true"/>'
    rules = "".join(f'<assignmentRule variable="v{i}"><math xmlns="{m}"><ci>v{i+1}</ci></math></assignmentRule>' for i in range(n))
    doc = sbml(f"<listOfRules>{rules}</listOfRules>" + reaction("<apply><times/><ci>k</ci><ci>A</ci><ci>v0</ci></apply>"))
    return doc.replace('<parameter id="k" value="0.5" constant="true"/>', '<parameter id="k" value="0.5" constant="true"/>' + params)


def billion_laughs_yaml(depth, width=9, as_keys=False):
    lines = ['a0: &a0 "lol"']
    for d in range(1, depth + 1):
        refs = ", ".join(f"*a{d-1}" for _ in range(width))
        lines.append(f"a{d}: &a{d} [{refs}]")
    if as_keys:
        lines.append(f"bomb: {{? *a{depth} : 1}}")
    return "\n".join(lines) + "\n"


def experiment(work, extra="", sweep=None, readouts="[p_eEF2, BDNF]", times="[30 min, 2 h]", model="ketamine.ant"):
    text = (f"model: {model}\npanel: inhibitors.yaml\nsettle: 1 h\nprotocol:\n"
            "  - {at: -30 min, preincubate: inhibitors}\n  - {at: 0 min, add: ketamine, concentration: 1 uM}\n"
            "  - {at: 1 h, wash: [ketamine]}\n"
            f"readouts: {readouts}\ntimes: {times}\n")
    if sweep is not None:
        text += f"sweep:\n  parameters:\n{sweep}\n"
    return text + extra


def build_cases(w: Work):
    """(name, group, argv, expectation) with expectation 'refuse', 'accept' or 'any'."""
    C = []

    def add(group, name, argv, expect="refuse"):
        C.append((f"{group}/{name}", group, argv, expect))

    out = lambda name: os.path.join(w.out, name)

    # Shared, legitimate inputs (copied, so their checksums are watched like every other input).
    for rel in ["models/ketamine.ant", "models/inhibitors.yaml"]:
        shutil.copy(os.path.join(REPO, rel), w.path(os.path.basename(rel)))
    decay = w.write("decay.ant", DECAY)

    # 1. Every malformed Antimony fixture of the test suite.
    folder = os.path.join(REPO, "Tests/CascadeFormatsTests/Fixtures/antimony/malformed")
    for f in sorted(os.listdir(folder)):
        if f.endswith(".ant"):
            p = w.path("antimony-malformed/" + f)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            shutil.copy(os.path.join(folder, f), p)
            add("antimony-fixture", f, ["simulate", p, "--end", "1"])
    for f in sorted(os.listdir(os.path.join(REPO, "Tests/CascadeFormatsTests/Fixtures/fuzz/sbml"))):
        p = w.path("sbml-fuzz/" + f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        shutil.copy(os.path.join(REPO, "Tests/CascadeFormatsTests/Fixtures/fuzz/sbml", f), p)
        add("sbml-fuzz-fixture", f, ["info", p], "any")

    # 2. Hostile and extreme Antimony.
    ant = {
        "chain-20000-rules": (chain_ant(20000), "accept"),
        "chain-cycle-20000": (chain_ant(20000, cycle=True), "refuse"),
        "functions-40-nested": (nested_functions_ant(40), "accept"),
        "parentheses-100000": ("model m\n  k = " + "(" * 100000 + "1" + ")" * 100000 + "\nend\n", "refuse"),
        "unary-minus-100000": ("model m\n  k = " + "-" * 100000 + "1\nend\n", "any"),
        "calls-10000-deep": ("function f(x)\n  x\nend\nmodel m\n  k = " + "f(" * 10000 + "1" + ")" * 10000 + "\nend\n", "any"),
        "sum-100000-terms": ("model m\n  k = " + "+".join(["1"] * 100000) + "\nend\n", "accept"),
        "line-10MB": ("model m\n  k = 1 // " + "x" * 10_000_000 + "\nend\n", "accept"),
        "identifier-1MB": ("model m\n  " + "a" * 1_000_000 + " = 1\nend\n", "accept"),
        "number-1e400": ("model m\n  k = 1e400\nend\n", "refuse"),
        "number-second-exponent": ("model m\n  k = 4.63e-05e3\nend\n", "refuse"),
        "number-hex": ("model m\n  k = 0x1F\nend\n", "refuse"),
        "nul-bytes": ("model m\n  k = 1\x00\x00\nend\n", "refuse"),
        "species-3000": ("model m\n  compartment c = 1\n" + "".join(f"  species S{i} in c = 1\n  J{i}: S{i} -> ; 0.1*S{i}\n" for i in range(3000)) + "end\n", "accept"),
        "negative-compartment": ("model m\n  compartment c = -1\n  species A in c = 1\n  J1: A -> ; A\nend\n", "refuse"),
        "nan-initial": ("model m\n  compartment c = 1\n  species A in c = NaN\n  J1: A -> ; A\nend\n", "refuse"),
        "rate-becomes-nan": ("model m\n  compartment c = 1\n  species A in c = 10; species B in c = 0\n  J0: A -> B; 0.5*A\n  J1: B -> ; 0.01*sqrt(A - 1)\nend\n", "refuse"),
        "rate-log-negative": ("model m\n  compartment c = 1\n  species A in c = 10\n  J1: A -> ; log(2 - A)\nend\n", "refuse"),
        "blow-up": ("model m\n  compartment c = 1\n  species A in c = 10\n  J1: -> A; A*A\nend\n", "refuse"),
        "division-by-zero": ("model m\n  compartment c = 1\n  species A in c = 1\n  J1: A -> ; A/0\nend\n", "refuse"),
        "self-reference": ("model m\n  k := k + 1\nend\n", "refuse"),
        "event-storm": ("model m\n  compartment c = 1\n  species A in c = 1\n  J1: -> A; 1\n  E1: at A > 0: A = 0\nend\n", "any"),
        "invalid-utf8": (b"model m\n  k = 1 // \xff\xfe\xfd\nend\n", "refuse"),
        "empty": ("", "refuse"),
        "binary": (bytes(range(256)) * 100, "refuse"),
    }
    for name, (text, expect) in ant.items():
        p = w.write(f"ant/{name}.ant", text, "wb" if isinstance(text, bytes) else "w")
        add("antimony", name, ["simulate", p, "--end", "10", "--steps", "2"], expect)

    # 3. Hostile and extreme SBML.
    m = "http://www.w3.org/1998/Math/MathML"
    xml = {
        "empty": ("", "refuse"),
        "whitespace": ("   \n\n  ", "refuse"),
        "text-model": (DECAY, "refuse"),
        "binary": (bytes(range(256)) * 50, "refuse"),
        "utf16-bom": ("\ufeff<sbml/>".encode("utf-16"), "refuse"),
        "utf7": (b'<?xml version="1.0" encoding="UTF-7"?><sbml/>', "refuse"),
        "billion-laughs": ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i-1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
                           + ']><sbml>&lol9;</sbml>', "refuse"),
        "external-entity": ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><sbml>&e;</sbml>', "refuse"),
        "nesting-100000": ("<a>" * 100000 + "</a>" * 100000, "refuse"),
        "pi-without-data": ("<?x?>" + sbml(""), "refuse"),
        "unclosed": (sbml("")[:-20], "refuse"),
        "not-sbml": ("<html><body/></html>", "refuse"),
        "level-1": (sbml("", level="1", version="2"), "refuse"),
        "attribute-20MB": ('<sbml x="' + "y" * 20_000_000 + '"/>', "refuse"),
        "text-in-apply": (sbml(reaction("<apply><times/>k<ci>A</ci></apply>")), "refuse"),
        "cdata-in-apply": (sbml(reaction("<apply><times/><![CDATA[k]]><ci>A</ci></apply>")), "refuse"),
        "unknown-mathml": (sbml(reaction("<apply><diff/><ci>A</ci></apply>")), "refuse"),
        "cn-hex": (sbml(reaction("<apply><times/><cn>0x10</cn><ci>A</ci></apply>")), "refuse"),
        "cn-1e999": (sbml(reaction("<apply><times/><cn>1e999</cn><ci>A</ci></apply>")), "any"),
        "cn-second-exponent": (sbml(reaction("<apply><times/><cn>4.63e-05e3</cn><ci>A</ci></apply>")), "refuse"),
        "unknown-species": (sbml(reaction("<ci>B</ci>")), "refuse"),
        "delay": (sbml(reaction(f'<apply><csymbol definitionURL="http://www.sbml.org/sbml/symbols/delay">d</csymbol><ci>A</ci><cn>1</cn></apply>')), "refuse"),
        "math-deep-5000": (sbml(reaction("<apply><minus/>" * 5000 + "<ci>A</ci>" + "</apply>" * 5000)), "refuse"),
        "functions-40-nested": (nested_functions_sbml(40), "accept"),
        "chain-20000-rules": (chain_sbml(20000), "accept"),
        "negative-size": (sbml("").replace('size="1"', 'size="-1"'), "refuse"),
        "nan-value": (sbml("").replace('value="0.5"', 'value="NaN"'), "refuse"),
        "duplicate-ids": (sbml("").replace('id="k"', 'id="A"'), "refuse"),
        "comp-package": (sbml("").replace('level="3" version="2">', 'level="3" version="2" xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" comp:required="true">'), "any"),
    }
    for name, (text, expect) in xml.items():
        p = w.write(f"xml/{name}.xml", text, "wb" if isinstance(text, bytes) else "w")
        add("sbml", name, ["simulate", p, "--end", "10", "--steps", "2"], expect)
    add("sbml", "export-text-model", ["export-sbml", w.path("xml/text-model.xml")])

    # 4. Command-line arguments.
    bad_args = {
        "steps-0": ["--steps", "0"], "steps-negative": ["--steps", "-1"], "steps-1e11": ["--steps", "100000000000"],
        "steps-int-max": ["--steps", "9223372036854775807"], "steps-overflow": ["--steps", "99999999999999999999"],
        "steps-text": ["--steps", "abc"], "end-nan": ["--end", "nan"], "end-inf": ["--end", "inf"],
        "end-negative": ["--end", "-1"], "start-after-end": ["--start", "5", "--end", "1"],
        "rtol-zero": ["--rtol", "0"], "rtol-negative": ["--rtol", "-1e-3"], "rtol-nan": ["--rtol", "nan"],
        "atol-negative": ["--atol", "-1"], "max-steps-0": ["--max-steps", "0"], "max-steps-negative": ["--max-steps", "-5"],
        "set-nan": ["--set", "k=nan"], "set-inf": ["--set", "k=inf"], "set-negative-species": ["--set", "A=-1"],
        "set-no-id": ["--set", "=1"], "set-no-value": ["--set", "k="], "set-unknown": ["--set", "nope=1"],
        "variables-unknown": ["--variables", "nope"], "amounts-unknown": ["--amounts", "nope"],
        "format-unknown": ["--format", "xml"], "solver-unknown": ["--solver", "bogus"],
    }
    for name, extra in bad_args.items():
        args = ["simulate", decay] + (extra if "--end" in extra else ["--end", "1"] + extra)
        add("cli", name, args)
    add("cli", "model-missing", ["simulate", w.path("nope.ant"), "--end", "1"])
    os.makedirs(w.path("dir.ant"), exist_ok=True)
    os.makedirs(w.path("dir.xml"), exist_ok=True)
    add("cli", "model-directory-ant", ["simulate", w.path("dir.ant"), "--end", "1"])
    add("cli", "model-directory-xml", ["simulate", w.path("dir.xml"), "--end", "1"])
    add("cli", "model-is-folder", ["info", w.root])
    add("cli", "unknown-command", ["explode"])
    add("cli", "unknown-option", ["simulate", decay, "--end", "1", "--frobnicate"])

    # 5. Outputs: directories, inputs, missing folders, full disks, two writers.
    os.makedirs(w.path("outdir"), exist_ok=True)
    w.write("outdir/keep.txt", "keep")
    os.symlink(decay, w.path("decay-link.ant"))
    for cmd in [["simulate", decay, "--end", "1"], ["export-sbml", decay]]:
        tag = cmd[0]
        add("output", f"{tag}-to-directory", cmd + ["--output", w.path("outdir")])
        add("output", f"{tag}-to-dot", cmd + ["--output", "."])
        add("output", f"{tag}-to-input", cmd + ["--output", decay])
        add("output", f"{tag}-to-input-symlink", cmd + ["--output", w.path("decay-link.ant")])
        add("output", f"{tag}-to-missing-folder", cmd + ["--output", w.path("no/such/folder/x.csv")])
        add("output", f"{tag}-to-dev-full", cmd + ["--output", "/dev/full"])
        add("output", f"{tag}-to-proc", cmd + ["--output", "/proc/version"])
    add("output", "simulate-to-new-file", ["simulate", decay, "--end", "1", "--output", out("sim.csv")], "accept")

    # 6. Experiment YAML (sweeps) and the sweep's outputs.
    good = w.write("exp/sweep.yaml", experiment(w, sweep="    ketamine: {from: 0.1 uM, to: 1 uM, count: 3}", model="../ketamine.ant").replace("panel: inhibitors.yaml", "panel: ../inhibitors.yaml"))
    add("sweep", "good", ["sweep", good, "--output", out("good.csv"), "--quiet"], "accept")
    add("sweep", "output-directory", ["sweep", good, "--output", w.path("outdir"), "--quiet"])
    add("sweep", "output-dot", ["sweep", good, "--output", ".", "--quiet"])
    add("sweep", "output-is-experiment", ["sweep", good, "--output", good, "--quiet"])
    add("sweep", "output-is-model", ["sweep", good, "--output", w.path("ketamine.ant"), "--quiet"])
    add("sweep", "output-is-panel", ["sweep", good, "--output", w.path("inhibitors.yaml"), "--quiet"])
    add("sweep", "shard-out-of-range", ["sweep", good, "--output", out("s.csv"), "--shard", "3/3"])
    add("sweep", "shard-garbage", ["sweep", good, "--output", out("s.csv"), "--shard", "x/y"])
    add("sweep", "threads-0", ["sweep", good, "--output", out("s.csv"), "--threads", "0"])
    w.write("out/.foreign.csv.partial", "index,junk\n0,1\n")
    add("sweep", "resume-foreign-checkpoint", ["sweep", good, "--output", out("foreign.csv"), "--resume", "--quiet"])
    yaml_cases = {
        "count-1e11": (experiment(w, sweep="    ketamine: {from: 0.1 uM, to: 1 uM, count: 100000000000}"), "refuse"),
        "count-float": (experiment(w, sweep="    ketamine: {from: 0.1 uM, to: 1 uM, count: 1e11}"), "refuse"),
        "count-negative": (experiment(w, sweep="    ketamine: {from: 0.1 uM, to: 1 uM, count: -5}"), "refuse"),
        "grid-product-overflow": (experiment(w, sweep="".join(f"    {p}: {{from: 0.1, to: 1, count: 100000}}\n" for p in ["k_glu_release", "Vmax_EAAT", "kcat_eEF2K", "k_BDNF_tl", "k_BDNF_deg"])), "refuse"),
        "every-point-fails": (experiment(w, sweep="    dendrite: [-1, -2]"), "refuse"),
        "alias-bomb-values": (billion_laughs_yaml(9) + experiment(w, sweep="    ketamine: *a9"), "refuse"),
        "alias-bomb-keys": (billion_laughs_yaml(9, as_keys=True) + experiment(w), "refuse"),
        "alias-bomb-small": (billion_laughs_yaml(3) + experiment(w), "refuse"),
        "unknown-tag": (experiment(w, extra="settle: !!python/object:os.system 1 h\n").replace("settle: 1 h\n", "", 1), "refuse"),
        "custom-tag": (experiment(w).replace("readouts:", "readouts: !mytag"), "refuse"),
        "duplicate-key": (experiment(w) + "times: [1 h]\n", "refuse"),
        "duplicate-readouts": (experiment(w, readouts="[p_eEF2, BDNF, p_eEF2]"), "refuse"),
        "non-scalar-key": (experiment(w) + "? [a, b]\n: 1\n", "refuse"),
        "mapping-key": (experiment(w) + "? {a: 1}\n: 1\n", "refuse"),
        "unknown-readout": (experiment(w, readouts="[nope]"), "refuse"),
        "negative-time": (experiment(w, times="[-1 h]"), "refuse"),
        "unsorted-times": (experiment(w, times="[2 h, 1 h]"), "refuse"),
        "time-unit-unknown": (experiment(w, times="[2 parsecs]"), "refuse"),
        "time-nan": (experiment(w, times="[.nan]"), "refuse"),
        "model-missing": (experiment(w, model="nope.ant"), "refuse"),
        "model-directory": (experiment(w, model="outdir"), "refuse"),
        "model-text-as-xml": (experiment(w, model="xml/text-model.xml"), "refuse"),
        "deep-nesting": ("readouts: " + "[" * 100000 + "]" * 100000 + "\n", "refuse"),
        "string-10MB": ("description: " + "x" * 10_000_000 + "\n" + experiment(w), "any"),
        "empty": ("", "refuse"),
        "comments-only": ("# nothing\n", "refuse"),
        "not-a-mapping": ("- a\n- b\n", "refuse"),
        "binary": (bytes(range(256)) * 10, "refuse"),
        "tabs": (experiment(w).replace("  - ", "\t- "), "refuse"),
        "no-sweep": (experiment(w), "refuse"),
    }
    for name, (text, expect) in yaml_cases.items():
        p = w.write(f"{name}.yaml", text, "wb" if isinstance(text, bytes) else "w")
        add("experiment", name, ["sweep", p, "--output", out(f"{name}.csv"), "--quiet"], expect)
        if name in ("alias-bomb-values", "alias-bomb-keys", "unknown-tag", "duplicate-readouts", "non-scalar-key", "deep-nesting"):
            add("experiment", name + "-knockouts", ["knockouts", p, "--format", "csv"], expect)

    # 7. Other YAML files: plan, lines, hypotheses, scorecard.
    add("plan", "alias-bomb", ["plan", w.write("plan-bomb.yaml", billion_laughs_yaml(9) + "experiment: *a9\n")])
    add("plan", "missing-experiment", ["plan", w.write("plan-missing.yaml", "experiment: nope.yaml\nhypotheses: []\n")])
    add("plan", "not-a-mapping", ["plan", w.write("plan-list.yaml", "- 1\n")])
    add("plan", "unknown-tag", ["plan", w.write("plan-tag.yaml", "experiment: !!binary aGVsbG8=\n")])
    add("cohort", "alias-bomb", ["cohort", w.write("cohort-bomb.yaml", billion_laughs_yaml(9) + "experiment: *a9\n")])
    add("cohort", "not-a-mapping", ["cohort", w.write("cohort-list.yaml", "[1, 2]\n")])
    add("scorecard", "alias-bomb", ["scorecard", "--scorecard", w.write("score-bomb.yaml", billion_laughs_yaml(9) + "defaults: *a9\n")])
    add("scorecard", "not-a-mapping", ["scorecard", "--scorecard", w.write("score-list.yaml", "- 1\n")])
    add("scorecard", "non-scalar-key", ["scorecard", "--scorecard", w.write("score-key.yaml", "? [a]\n: 1\n")])

    # 8. PEtab.
    pe = os.path.join(w.root, "petab")
    os.makedirs(pe, exist_ok=True)
    src = "/work/shared/petab-benchmarks/Boehm_JProteomeRes2014"
    if not os.path.isdir(src):
        src = None
    if src:
        for f in os.listdir(src):
            shutil.copy(os.path.join(src, f), os.path.join(pe, f))
        good_problem = os.path.join(pe, "Boehm_JProteomeRes2014.yaml")
        problem = open(good_problem).read()
        add("petab", "good", ["petab", good_problem, "--output", out("boehm.tsv")], "accept")
        add("petab", "output-is-measurements", ["petab", good_problem, "--output", os.path.join(pe, "measurementData_Boehm_JProteomeRes2014.tsv")])
        add("petab", "output-is-model", ["petab", good_problem, "--output", os.path.join(pe, "model_Boehm_JProteomeRes2014.xml")])
        add("petab", "output-directory", ["petab", good_problem, "--output", pe])
        petab_yaml = {
            "alias-bomb-8": billion_laughs_yaml(8) + problem,
            "alias-bomb-9": billion_laughs_yaml(9) + problem,
            "missing-tables": problem.replace("measurementData_Boehm", "nope_Boehm"),
            "table-is-directory": problem.replace("measurementData_Boehm_JProteomeRes2014.tsv", "."),
            "sbml-is-text": problem.replace("model_Boehm_JProteomeRes2014.xml", "../decay.ant"),
            "unknown-tag": problem.replace("format_version: 1", "format_version: !!python/name:os.system 1"),
            "non-scalar-key": problem + "? [a]\n: 1\n",
            "not-a-mapping": "- 1\n",
            "empty": "",
            "format-version-2": problem.replace("format_version: 1", "format_version: 2"),
        }
        for name, text in petab_yaml.items():
            add("petab", name, ["petab", w.write(f"petab/{name}.yaml", text)])
        tables = {
            "ragged": "observableId\tobservableFormula\nobs\tA\textra\n",
            "binary": bytes(range(256)).decode("latin-1"),
            "empty": "",
            "header-only": "observableId\tobservableFormula\tnoiseFormula\n",
            "formula-garbage": "observableId\tobservableFormula\tnoiseFormula\nobs\t((((\t1\n",
            "formula-deep": "observableId\tobservableFormula\tnoiseFormula\nobs\t" + "(" * 50000 + "1" + ")" * 50000 + "\t1\n",
            "formula-huge-number": "observableId\tobservableFormula\tnoiseFormula\nobs\t1e999\t1\n",
        }
        for name, text in tables.items():
            tp = w.write(f"petab/obs-{name}.tsv", text)
            add("petab", "observables-" + name, ["petab", w.write(f"petab/obs-{name}.yaml", problem.replace("observables_Boehm_JProteomeRes2014.tsv", os.path.basename(tp)))])
        meas = open(os.path.join(pe, "measurementData_Boehm_JProteomeRes2014.tsv")).read().splitlines()
        header = meas[0].split("\t")

        def row_with(column, value):
            fields = meas[1].split("\t")
            fields[header.index(column)] = value
            return "\n".join([meas[0], "\t".join(fields)]) + "\n"

        mt = {
            "nan-time": row_with("time", "nan"),
            "negative-time": row_with("time", "-1"),
            "text-time": row_with("time", "soon"),
            "text-value": row_with("measurement", "x"),
            "unknown-observable": row_with("observableId", "nope"),
            "unknown-condition": row_with("simulationConditionId", "nope"),
            "ragged": meas[0] + "\n" + "a\tb\n",
        }
        for name, text in mt.items():
            tp = w.write(f"petab/meas-{name}.tsv", text)
            add("petab", "measurements-" + name, ["petab", w.write(f"petab/meas-{name}.yaml", problem.replace("measurementData_Boehm_JProteomeRes2014.tsv", os.path.basename(tp)))])

    # 9. Merge.
    sh = []
    for i in range(3):
        sh.append(out(f"shard{i}.csv"))
    pre = [["sweep", good, "--output", s, "--shard", f"{i}/3", "--quiet"] for i, s in enumerate(sh)]
    other = w.write("exp/other.yaml", open(good).read().replace("count: 3", "count: 4"))
    pre.append(["sweep", other, "--output", out("other0.csv"), "--shard", "0/3", "--quiet"])
    pre.append(["sweep", good, "--output", out("whole.csv"), "--quiet"])
    add("merge", "all-shards", ["merge"] + sh + ["--output", out("merged.csv")], "accept")
    add("merge", "one-of-three", ["merge", sh[0], "--output", out("m1.csv")])
    add("merge", "two-sweeps", ["merge", out("other0.csv"), sh[1], sh[2], "--output", out("m2.csv")])
    add("merge", "duplicate-shard", ["merge", sh[0], sh[0], sh[1], sh[2], "--output", out("m3.csv")])
    add("merge", "unsharded-output", ["merge", out("whole.csv"), "--output", out("m4.csv")])
    add("merge", "garbage", ["merge", decay, "--output", out("m5.csv")])
    add("merge", "output-is-shard", ["merge"] + sh + ["--output", sh[0]])
    add("merge", "output-directory", ["merge"] + sh + ["--output", w.path("outdir")])
    add("merge", "missing-file", ["merge", w.path("nope.csv"), "--output", out("m6.csv")])
    add("merge", "no-shards", ["merge", "--output", out("m7.csv")])
    return C, pre


def run_case(binary, argv, cwd, timeout):
    started = time.monotonic()
    p = subprocess.Popen([binary] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    try:
        o, e = p.communicate(timeout=timeout)
        return p.returncode, o.decode("utf-8", "replace"), e.decode("utf-8", "replace"), time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, "", "", time.monotonic() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cascade", default=os.path.join(REPO, ".build/release/cascade"))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    ap.add_argument("--only", help="run only cases whose name contains this")
    args = ap.parse_args()
    binary = os.path.abspath(args.cascade)
    if not os.path.exists(binary):
        sys.exit(f"{binary}: not built (swift build -c release --product cascade)")
    root = tempfile.mkdtemp(prefix="cascade-attack-")
    w = Work(root)
    cases, pre = build_cases(w)
    for argv in pre:
        run_case(binary, argv, root, args.timeout)
    if args.only:
        cases = [c for c in cases if args.only in c[0]]
    counts = {}
    bad = []
    rows = []
    for name, group, argv, expect in cases:
        before = digest_inputs(root)
        rc, out, err, seconds = run_case(binary, argv, root, args.timeout)
        after = digest_inputs(root)
        changed = [p for p in before if after.get(p) != before[p]]
        if rc is None:
            outcome = "timeout"
        elif rc < 0:
            outcome = "signal"
        elif changed:
            outcome = "changed"
        elif rc == 0:
            outcome = "accepted"
        elif clear_message(err):
            outcome = "refused"
        else:
            outcome = "unclear"
        counts.setdefault(group, {}).setdefault(outcome, 0)
        counts[group][outcome] += 1
        first = (err.strip().splitlines() or [""])[0][:160]
        rows.append((name, outcome, expect, f"{seconds:.2f}", str(rc), first))
        surprising = outcome in ("timeout", "signal", "changed", "unclear") or (expect == "refuse" and outcome == "accepted")
        if surprising:
            bad.append((name, outcome, rc, f"{seconds:.1f}s", (err.strip()[:400] or out.strip()[:200]), changed[:3]))
        # Outputs of one case are not inputs of the next.
        for f in os.listdir(w.out):
            if f.startswith("shard") or f in ("other0.csv", "whole.csv", ".foreign.csv.partial"):
                continue
            p = os.path.join(w.out, f)
            if os.path.isfile(p):
                os.remove(p)
    with open(os.path.join(root, "attack-results.tsv"), "w") as f:
        f.write("case\toutcome\texpected\tseconds\tstatus\tfirst line of stderr\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    outcomes = ["accepted", "refused", "unclear", "signal", "timeout", "changed"]
    print(f"{'group':<20}" + "".join(f"{o:>10}" for o in outcomes) + f"{'total':>8}")
    totals = {o: 0 for o in outcomes}
    for g in sorted(counts):
        print(f"{g:<20}" + "".join(f"{counts[g].get(o, 0):>10}" for o in outcomes) + f"{sum(counts[g].values()):>8}")
        for o in outcomes:
            totals[o] += counts[g].get(o, 0)
    print(f"{'total':<20}" + "".join(f"{totals[o]:>10}" for o in outcomes) + f"{sum(totals.values()):>8}")
    for b in bad:
        print("\nSURPRISE", *b, sep="\n  ")
    print(f"\nper-case results: {os.path.join(root, 'attack-results.tsv')}")
    if not args.keep and not bad:
        shutil.rmtree(root, ignore_errors=True)
        print("(working folder removed; --keep keeps it)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
