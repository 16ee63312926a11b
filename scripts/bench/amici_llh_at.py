"""AMICI's log-likelihood of a PEtab problem at the parameters a `cascade fit` found, and at the
problem's nominal values: an independent check that an optimum Cascade reports is the model's.

    python scripts/bench/amici_llh_at.py PROBLEM.yaml FITDIR/fit.json [--rtol 1e-10] [--atol 1e-14]
        [--work /tmp/estbench]

Needs the virtual environment of scripts/bench (amici, petab, pypesto); the AMICI model is compiled
once into --work (the same place estimation.py uses).
"""
import argparse
import json
import math
import os

import petab.v1 as petab
import pypesto.petab


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problem")
    ap.add_argument("fit_json")
    ap.add_argument("--rtol", type=float, default=1e-10)
    ap.add_argument("--atol", type=float, default=1e-14)
    ap.add_argument("--max-steps", type=int, default=1_000_000)
    ap.add_argument("--work", default="/tmp/estbench")
    args = ap.parse_args()
    name = os.path.basename(os.path.dirname(os.path.abspath(args.problem)))
    problem = petab.Problem.from_yaml(args.problem)
    importer = pypesto.petab.PetabImporter(problem, output_folder=os.path.join(args.work, "amici", name),
                                           model_name=name + "_bench")
    pypesto_problem = importer.create_problem()
    objective = pypesto_problem.objective
    solver = objective.amici_solver
    solver.set_relative_tolerance(args.rtol)
    solver.set_absolute_tolerance(args.atol)
    solver.set_max_steps(args.max_steps)
    fitted = json.load(open(args.fit_json))["parameters"]
    table = problem.parameter_df
    x = []
    for pid in (pypesto_problem.x_names[i] for i in pypesto_problem.x_free_indices):
        value, scale = fitted[pid], table.loc[pid, "parameterScale"]
        x.append(math.log10(value) if scale == "log10" else math.log(value) if scale == "log" else value)
    print(f"{name}: AMICI llh at the fit {-objective(x, sensi_orders=(0,)):.10g}, "
          f"at the nominal values {-objective(list(problem.x_nominal_free_scaled), sensi_orders=(0,)):.10g} "
          f"(rtol {args.rtol}, atol {args.atol})")


if __name__ == "__main__":
    main()
