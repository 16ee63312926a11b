"""Cascade from Python: simulate the ketamine model, a dose series on all cores, the knockout screen.

    pip install ./python          # from the repository root; builds Cascade's library
    python examples/python/quickstart.py

Writes quickstart_trajectory.csv and quickstart_screen.csv in the working directory.
"""

from pathlib import Path

import cascade_sim

ROOT = Path(__file__).resolve().parents[2]

# A model file (.ant or .xml), read and compiled once.
model = cascade_sim.load(ROOT / "models" / "ketamine.ant")
info = model.info()
print(f"{info['id']}: {len(info['species'])} species, {info['state_variables']} state variables")

# One simulation: a DataFrame with `time` and one column per variable (as `cascade simulate`).
df = model.simulate(end="24 h", steps=96, variables=["BDNF", "p_ERK", "p_S6K"])
df.to_csv("quickstart_trajectory.csv", index=False)
print(df.tail(3).to_string(index=False))

# Many parameter sets on every core (one foreign call; the GIL is released meanwhile): the
# ketamine concentration in the bath (µM), from the start.
doses = [0.0, 0.3, 1.0, 3.0, 10.0]
runs = model.simulate_batch({"ketamine_bath": doses}, end="2 h", steps=24, variables=["p_eEF2", "BDNF"])
for dose, run in zip(doses, runs):
    print(f"ketamine {dose:5.1f} uM: p_eEF2 at 30 min {float(run['p_eEF2'].iloc[6]):.4f}, BDNF at 2 h {float(run['BDNF'].iloc[-1]):.4f}")

# The default knockout screen as a long table: one row per condition, readout and time.
screen = cascade_sim.knockouts(ROOT / "models" / "experiments" / "knockout_screen.yaml")
screen.to_csv("quickstart_screen.csv", index=False)
print(screen.pivot_table(index="condition", columns="call", values="readout", aggfunc="count", fill_value=0))

# Errors carry the command line's message, and the file, line and column.
try:
    cascade_sim.load("compartment c = 1; species A in c = 1; R: A -> ; k*A")
except cascade_sim.CascadeError as e:
    print(f"error at line {e.line}, column {e.column}:\n{e}")
