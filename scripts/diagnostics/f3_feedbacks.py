#!/usr/bin/env python3
"""Probe candidate negative feedbacks of the BDNF-TrkB-ERK/Akt-mTORC1 network (F3's transience).

F3 (Li 2010, rats 10 mg/kg i.p.) wants p-S6K back within 10% of vehicle by 2 h. This script adds
four textbook negative feedbacks to a copy of models/ketamine.ant, each a first-order state x
that follows its input relative to rest (so x is 1 at the vehicle steady state and no initial
value moves) and acts with the log-gain s (s = 1: the rate falls in proportion to the input's rise):

  IRS  S6K1 -> IRS-1 (Ser phosphorylation, degradation): PIP3 production x x^-s,
       x following p_S6K / rest with time constant tau_IRS (20 min)
  MKP  ERK -> MKP/DUSP induction and stabilisation: ERK dephosphorylation x x^s,
       x following p_ERK / rest (tau_MKP 40 min)
  SOS  ERK -> SOS (Grb2-SOS dissociation, minutes): MEK activation x x^-s (tau_SOS 2 min)
  GRB  mTORC1 -> Grb10 stabilisation (hours): PIP3 production and MEK activation x x^-s,
       x following mTORC1 / rest (tau_GRB 1 h)

The strengths are probes, not sourced constants. For each setting it prints p-S6K, p-ERK and
p-Akt relative to time 0 (the vehicle steady state) at 0.5, 1, 2 and 4 h in the rat protocol and
after a 1 h plate exposure to 1 µM (washout at 1 h); with --scorecard it also runs the scorecard
on the variant model. Nothing in models/ is changed.

    python3 scripts/diagnostics/f3_feedbacks.py [--cascade .build/debug/cascade] [--scorecard]
"""
import argparse
import csv
import io
import os
import re
import subprocess
import tempfile

FEEDBACKS = """
  // ---- candidate feedbacks (scripts/diagnostics/f3_feedbacks.py); 1 at rest ----
  fbref_p_S6K = {p_S6K}
  fbref_p_ERK = {p_ERK}
  fbref_mTORC1 = {mTOR_total}*{Rheb_GTP}/({Kd_Rheb_TOR} + {Rheb_GTP})
  s_IRS = 0
  tau_IRS = 1200
  s_MKP = 0
  tau_MKP = 2400
  s_SOS = 0
  tau_SOS = 120
  s_GRB = 0
  tau_GRB = 3600
  fb_IRS = 1
  fb_MKP = 1
  fb_SOS = 1
  fb_GRB = 1
  fb_IRS' = (p_S6K/fbref_p_S6K - fb_IRS)/tau_IRS
  fb_MKP' = (p_ERK/fbref_p_ERK - fb_MKP)/tau_MKP
  fb_SOS' = (p_ERK/fbref_p_ERK - fb_SOS)/tau_SOS
  fb_GRB' = (mTORC1/fbref_mTORC1 - fb_GRB)/tau_GRB
  irs_gain := fb_IRS^(-s_IRS)
  mkp_gain := fb_MKP^s_MKP
  sos_gain := fb_SOS^(-s_SOS)
  grb_gain := fb_GRB^(-s_GRB)
"""

EDITS = [
    ("PI_make: -> PIP3; dendrite*(1 - f_PI3K)*(", "PI_make: -> PIP3; dendrite*(1 - f_PI3K)*irs_gain*grb_gain*("),
    ("MK_act: MEK -> p_MEK; dendrite*(", "MK_act: MEK -> p_MEK; dendrite*sos_gain*grb_gain*("),
    ("ER_deact1: ERK_p -> ERK; dendrite*k_MKP*", "ER_deact1: ERK_p -> ERK; dendrite*k_MKP*mkp_gain*"),
    ("ER_deact2: p_ERK -> ERK_p; dendrite*k_MKP*", "ER_deact2: p_ERK -> ERK_p; dendrite*k_MKP*mkp_gain*"),
]

CANDIDATES = [
    ("none", {}),
    ("IRS s=1", {"s_IRS": 1}),
    ("IRS s=2", {"s_IRS": 2}),
    ("MKP s=1", {"s_MKP": 1}),
    ("SOS s=1", {"s_SOS": 1}),
    ("GRB s=1", {"s_GRB": 1}),
    ("GRB s=2", {"s_GRB": 2}),
    ("all s=1", {"s_IRS": 1, "s_MKP": 1, "s_SOS": 1, "s_GRB": 1}),
    ("all s=2", {"s_IRS": 2, "s_MKP": 2, "s_SOS": 2, "s_GRB": 2}),
    ("no metabolites", {"f_norketamine": 0}),
    ("no metabolites, all s=1", {"f_norketamine": 0, "s_IRS": 1, "s_MKP": 1, "s_SOS": 1, "s_GRB": 1}),
]

RAT = ["in_vivo=1", "pk_species=1", "ket_ip=36.472"]  # 10 mg/kg ketamine hydrochloride, a bolus in the i.p. depot
PLATE = ["ketamine_bath=1"]  # 1 µM, washed out at 1 h by the event below


def value(text, name):
    """The value a model line `  name = value  // ...` gives (the vehicle steady state for a species)."""
    match = re.search(rf"^  {name} = ([0-9.eE+-]+)", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no value line for {name}")
    return match.group(1)


def variant(base, washout):
    text = open(base).read()
    refs = {name: value(text, name) for name in ("p_S6K", "p_ERK", "Rheb_GTP", "mTOR_total", "Kd_Rheb_TOR")}
    marker = "  // 15. Cap-dependent"
    cut = text.index(marker)
    cut = text.rindex("  // ---", 0, cut)
    text = text[:cut] + FEEDBACKS.format(**refs) + "\n" + text[cut:]
    for old, new in EDITS:
        if text.count(old) != 1:
            raise SystemExit(f"{base}: expected one '{old}'")
        text = text.replace(old, new)
    if washout:
        end = text.rindex("end")
        text = text[:end] + "  at (time >= 3600): ketamine_bath = 0\n" + text[end:]
    return text


def run(cascade, model, sets):
    args = [cascade, "simulate", model, "--end", "4h", "--steps", "8", "--rtol", "1e-8", "--variables", "p_S6K,p_ERK,p_Akt"]
    for s in sets:
        args += ["--set", s]
    rows = list(csv.DictReader(io.StringIO(subprocess.run(args, check=True, capture_output=True, text=True).stdout)))
    rest = rows[0]
    cells = []
    for i in (1, 2, 4, 8):
        r = rows[i]
        cells.append(" ".join(f"{100 * (float(r[k]) / float(rest[k]) - 1):+5.0f}%" for k in ("p_S6K", "p_ERK", "p_Akt")))
    return " | ".join(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cascade", default=".build/debug/cascade")
    parser.add_argument("--model", default="models/ketamine.ant")
    parser.add_argument("--scorecard", action="store_true", help="also run the scorecard on each variant")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, washed = os.path.join(tmp, "variant.ant"), os.path.join(tmp, "variant_washout.ant")
        open(plain, "w").write(variant(opts.model, False))
        open(washed, "w").write(variant(opts.model, True))
        print("p-S6K p-ERK p-Akt relative to vehicle at 0.5 h | 1 h | 2 h | 4 h")
        for name, values in CANDIDATES:
            sets = [f"{k}={v}" for k, v in values.items()]
            print(f"{name:26s} rat   {run(opts.cascade, plain, RAT + sets)}")
            print(f"{'':26s} plate {run(opts.cascade, washed, PLATE + sets)}")
            if opts.scorecard:
                text = open(plain).read()
                for k, v in values.items():
                    text = text.replace(f"\n  {k} = ", f"\n  {k} = {v} // ", 1)
                scored = os.path.join(tmp, "scored.ant")
                open(scored, "w").write(text)
                out = subprocess.run([opts.cascade, "scorecard", "--model", scored], capture_output=True, text=True).stdout
                for line in out.splitlines():
                    if line.startswith("scorecard:") or " NOT reproduced " in line:
                        print(f"{'':26s} {line[:150]}")


if __name__ == "__main__":
    main()
