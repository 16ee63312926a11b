"""Cascade from Python: mechanistic signalling-pathway simulation (SUNDIALS CVODE) with pandas
results.

    import cascade_sim
    model = cascade_sim.load("models/ketamine.ant")
    df = model.simulate(end="2 h", steps=120, variables=["BDNF", "p_ERK"])
    screen = cascade_sim.knockouts()          # the default knockout screen, long table

The package calls Cascade's shared library (the C ABI in Sources/CascadeC) through ctypes. The
GIL is released during every foreign call, so simulations started from several threads run
side by side; :meth:`Model.simulate_batch`, :func:`knockouts`, :func:`sweep`, the PEtab
functions and :func:`fit` run on every core by themselves. Errors raise :class:`CascadeError`
with the message the ``cascade`` command prints for the same input.
"""

from ._api import (
    FitResult,
    Likelihood,
    Model,
    Problem,
    default_file,
    fit,
    knockouts,
    likelihood,
    load,
    load_petab,
    petab_simulate,
    seconds,
    sweep,
)
from ._native import CascadeError, CascadeUsageError, CascadeWarning, version

__version__ = "0.1.0"

__all__ = [
    "CascadeError",
    "CascadeUsageError",
    "CascadeWarning",
    "FitResult",
    "Likelihood",
    "Model",
    "Problem",
    "default_file",
    "fit",
    "knockouts",
    "likelihood",
    "load",
    "load_petab",
    "petab_simulate",
    "seconds",
    "sweep",
    "version",
]
