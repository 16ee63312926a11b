"""Benchmark models: the exported ketamine plate model, PEtab benchmark models at their nominal
parameters, and a generated 1,000-species signalling cascade. Each becomes one SBML file plus a
spec (time grid, tolerances, swept parameter) that every tool is run with."""
import csv
import glob
import json
import math
import os
import random
import subprocess

import libsbml

# PEtab problems of different sizes (species): small to large.
PETAB_MODELS = [
    "Boehm_JProteomeRes2014",   # 8
    "Fujita_SciSignal2010",     # 9
    "Alkan_SciSignal2018",      # 36
    "SalazarCavazos_MBoC2020",  # 75, 618 reactions
    "Lang_PLOSComputBiol2024",  # 124, 669 reactions
    "Chen_MSB2009",             # 500, 827 reactions
]


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _names(ast):
    """Identifiers in a math tree."""
    out, stack = set(), [ast] if ast is not None else []
    while stack:
        node = stack.pop()
        if node.isName():
            out.add(node.getName())
        stack.extend(node.getChild(i) for i in range(node.getNumChildren()))
    return out


def _sweepable(model, preferred=None):
    """A global parameter that is constant, not set by a rule, initial assignment or event, and
    used in a rate law: scaling it changes the dynamics and means the same in every tool."""
    blocked = set()
    for r in model.getListOfRules():
        blocked.add(r.getVariable())
    for a in model.getListOfInitialAssignments():
        blocked.add(a.getSymbol())
    for e in model.getListOfEvents():
        for a in e.getListOfEventAssignments():
            blocked.add(a.getVariable())
    used = set()
    for r in model.getListOfReactions():
        kl = r.getKineticLaw()
        if kl is None or kl.getMath() is None:
            continue
        used |= _names(kl.getMath())
    # Parameters read by initial assignments or assignment rules would need the tools' different
    # re-initialisation semantics; leave them out.
    reads = set()
    for coll in (model.getListOfInitialAssignments(), model.getListOfRules()):
        for a in coll:
            reads |= _names(a.getMath())
    # (Level 2 files often leave constant="false" on parameters nothing changes.)
    candidates = [p.getId() for p in model.getListOfParameters()
                  if p.getId() not in blocked and p.getId() not in reads
                  and p.getId() in used and p.isSetValue() and p.getValue() > 0]
    if preferred and preferred in candidates:
        return preferred
    if not candidates:
        raise RuntimeError(f"{model.getId()}: no parameter to sweep")
    rate_constants = [c for c in candidates if c.lower().startswith("k")]
    return (rate_constants or candidates)[0]


# Per-problem choices that differ from the defaults (first measured condition, to its last
# measurement time, first rate constant free of rules and initial assignments).
PETAB_OVERRIDES = {
    # Its inputs step up at 1,800 s through a 0.01 s sine ramp (assignment rules with piecewise);
    # libRoadRunner, which does not stop at such discontinuities, fails there at these tolerances
    # (t + h = t, then too much work). The benchmark covers the first 1,700 s.
    "Chen_MSB2009": {"end": 1700.0},
    # Its first condition has no drug, so the default (a drug-damage rate) would change nothing;
    # sweep the growth rate instead.
    "Alkan_SciSignal2018": {"parameter": "kt"},
}


def _species_ids(model):
    return [s.getId() for s in model.getListOfSpecies()]


def _amount_species(model):
    """Species with only substance units (tools differ on whether their states are amounts)."""
    return [s.getId() for s in model.getListOfSpecies() if s.getHasOnlySubstanceUnits()]


def prepare_ketamine(cascade, repo, out_dir):
    """`cascade check --export-sbml` writes plate_standard.xml (the plate protocol as events) and a
    manifest with the case's start (the pre-treatment equilibration) and output grid (0 to 72 h)."""
    export = os.path.join(out_dir, "ketamine-export")
    os.makedirs(export, exist_ok=True)
    subprocess.run([cascade, "check", os.path.join(repo, "models", "references"), "--export-sbml", export],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(export, "manifest.json")) as f:
        case = next(c for c in json.load(f)["cases"] if c["id"] == "plate_standard")
    path = os.path.join(out_dir, "ketamine_plate_standard.xml")
    with open(os.path.join(export, case["sbml"])) as src, open(path, "w") as dst:
        dst.write(src.read())
    times = case["times"]
    steps = len(times) - 1
    end = times[-1]
    assert abs(times[1] - end / steps) < 1e-9 and times[0] == 0, "expected an even grid from 0"
    doc = libsbml.readSBMLFromFile(path)
    return {"name": "ketamine_plate", "sbml": path, "start": case["start"], "end": end, "steps": steps,
            "parameter": "ketamine_scale", "species": _species_ids(doc.getModel()),
            "amount_species": _amount_species(doc.getModel()),
            "note": f"plate_standard export, start {case['start']:g} s, outputs 0..{end:g} s"}


def prepare_petab(name, petab_root, out_dir):
    """The PEtab problem's SBML with the nominal parameter values and its first simulated
    condition applied (no pre-equilibration), simulated to its last measurement time."""
    d = os.path.join(petab_root, name)
    sbml = [p for p in glob.glob(os.path.join(d, "model_*.xml")) if "allCombinations" not in p][0]
    params = _read_tsv(glob.glob(os.path.join(d, "parameters_*.tsv"))[0])
    conditions = _read_tsv(glob.glob(os.path.join(d, "experimentalCondition*.tsv"))[0])
    measurements = _read_tsv(sorted(glob.glob(os.path.join(d, "measurementData*.tsv")))[0])
    doc = libsbml.readSBMLFromFile(sbml)
    model = doc.getModel()
    nominal = {}
    for row in params:
        v = _float(row.get("nominalValue"))
        if v is not None:
            nominal[row["parameterId"]] = v

    def set_value(sid, v):
        p = model.getParameter(sid)
        if p is not None:
            p.setValue(v)
            model.removeInitialAssignment(sid)
            return
        c = model.getCompartment(sid)
        if c is not None:
            c.setSize(v)
            model.removeInitialAssignment(sid)
            return
        s = model.getSpecies(sid)
        if s is not None:
            if s.getHasOnlySubstanceUnits():
                s.setInitialAmount(v)
            else:
                s.setInitialConcentration(v)
            model.removeInitialAssignment(sid)

    for sid, v in nominal.items():
        if model.getParameter(sid) is not None:
            model.getParameter(sid).setValue(v)
    condition_id = measurements[0]["simulationConditionId"]
    row = next(c for c in conditions if c["conditionId"] == condition_id)
    for col, text in row.items():
        if col in ("conditionId", "conditionName") or text is None or text.strip() == "":
            continue
        v = _float(text)
        if v is None:
            ref = text.strip()
            v = nominal.get(ref)
            if v is None and model.getParameter(ref) is not None:
                v = model.getParameter(ref).getValue()
        if v is None or math.isnan(v):
            continue
        set_value(col, v)
    end = max(float(m["time"]) for m in measurements
              if m["simulationConditionId"] == condition_id and _float(m["time"]) is not None
              and math.isfinite(float(m["time"])))
    path = os.path.join(out_dir, f"{name}.xml")
    libsbml.writeSBMLToFile(doc, path)
    spec = {"name": name, "sbml": path, "start": 0.0, "end": end, "steps": 100,
            "parameter": _sweepable(model), "species": _species_ids(model),
            "amount_species": _amount_species(model)}
    spec.update(PETAB_OVERRIDES.get(name, {}))
    spec["note"] = f"nominal parameters, condition {condition_id}, 0..{spec['end']:g}"
    return spec


def generate_cascade(out_dir, stages=500, seed=20261130):
    """A stiff signalling cascade of 2·stages species (1,000 by default).

    Stage i has an inactive X_i and an active Xp_i. X_i is activated by the active form of the
    stage before (the stimulus S for stage 0) with Michaelis-Menten kinetics and inactivated by
    first-order (mass-action) dephosphorylation; every tenth stage feeds back on the stage nine
    before it with a bimolecular mass-action inactivation. Rate constants are drawn log-uniformly
    over several decades (seeded), which makes the system stiff."""
    rng = random.Random(seed)

    def logu(lo, hi):
        return 10 ** rng.uniform(math.log10(lo), math.log10(hi))

    species, params, reactions = [], [("S", 1.0)], []
    for i in range(stages):
        species.append((f"X{i}", 1.0))
        species.append((f"Xp{i}", 0.0))
    for i in range(stages):
        kcat, km, kd = logu(0.1, 1000), logu(0.01, 10), logu(0.01, 100)
        params += [(f"kcat{i}", kcat), (f"Km{i}", km), (f"kd{i}", kd)]
        enzyme = "S" if i == 0 else f"Xp{i - 1}"
        modifiers = [] if i == 0 else [enzyme]
        reactions.append((f"act{i}", [f"X{i}"], [f"Xp{i}"], modifiers,
                          f"cell * kcat{i} * {enzyme} * X{i} / (Km{i} + X{i})"))
        reactions.append((f"deact{i}", [f"Xp{i}"], [f"X{i}"], [], f"cell * kd{i} * Xp{i}"))
        if i % 10 == 9:
            kf = logu(0.1, 100)
            params.append((f"kf{i}", kf))
            j = i - 9
            reactions.append((f"fb{i}", [f"Xp{j}"], [f"X{j}"], [f"Xp{i}"], f"cell * kf{i} * Xp{i} * Xp{j}"))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">',
             f'  <model id="cascade{2 * stages}" name="generated stiff signalling cascade, {2 * stages} species, seed {seed}">',
             '    <listOfCompartments>',
             '      <compartment id="cell" spatialDimensions="3" size="1" constant="true"/>',
             '    </listOfCompartments>', '    <listOfSpecies>']
    for sid, x0 in species:
        lines.append(f'      <species id="{sid}" compartment="cell" initialConcentration="{x0!r}" '
                     'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>')
    lines += ['    </listOfSpecies>', '    <listOfParameters>']
    for pid, v in params:
        lines.append(f'      <parameter id="{pid}" value="{v!r}" constant="true"/>')
    lines += ['    </listOfParameters>', '    <listOfReactions>']
    for rid, reactants, products, modifiers, formula in reactions:
        lines.append(f'      <reaction id="{rid}" reversible="false">')
        for tag, refs in (("listOfReactants", reactants), ("listOfProducts", products)):
            lines.append(f'        <{tag}>')
            for r in refs:
                lines.append(f'          <speciesReference species="{r}" stoichiometry="1" constant="true"/>')
            lines.append(f'        </{tag}>')
        if modifiers:
            lines.append('        <listOfModifiers>')
            for m in modifiers:
                lines.append(f'          <modifierSpeciesReference species="{m}"/>')
            lines.append('        </listOfModifiers>')
        math_ml = libsbml.writeMathMLToString(libsbml.parseL3Formula(formula))
        math_ml = math_ml.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "")
        lines.append('        <kineticLaw>')
        lines.append("          " + math_ml.strip().replace("\n", "\n          "))
        lines.append('        </kineticLaw>')
        lines.append('      </reaction>')
    lines += ['    </listOfReactions>', '  </model>', '</sbml>']
    path = os.path.join(out_dir, f"cascade{2 * stages}.xml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    doc = libsbml.readSBMLFromFile(path)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) > 0:
        raise RuntimeError(doc.getErrorLog().toString())
    return {"name": f"cascade{2 * stages}", "sbml": path, "start": 0.0, "end": 100.0, "steps": 100,
            "parameter": "S", "species": [s for s, _ in species], "amount_species": [],
            "note": f"generated, {len(reactions)} reactions, seed {seed}"}


def prepare_all(cascade, repo, petab_root, out_dir, only=None):
    os.makedirs(out_dir, exist_ok=True)
    specs = []
    wanted = lambda n: only is None or n in only
    if wanted("ketamine_plate"):
        specs.append(prepare_ketamine(cascade, repo, out_dir))
    for name in PETAB_MODELS:
        if wanted(name):
            specs.append(prepare_petab(name, petab_root, out_dir))
    if wanted("cascade1000"):
        specs.append(generate_cascade(out_dir))
    return specs
