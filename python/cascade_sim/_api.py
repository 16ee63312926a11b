"""Cascade's Python API: models, simulations, screens, sweeps, PEtab problems and fits."""

from __future__ import annotations

import ctypes
import io
import json
import math
import os
import warnings
from ctypes import POINTER, c_char_p, c_double, c_int64, c_void_p
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _native
from ._native import CascadeError, CascadeUsageError, CascadeWarning, check, encode, lib, take_string

PathLike = Union[str, "os.PathLike[str]"]
Time = Union[float, int, str]

#: Solver defaults of ``cascade simulate`` (the library's).
SIMULATE_RTOL, SIMULATE_ATOL, SIMULATE_MAX_STEPS = 1e-6, 1e-12, 100_000


def seconds(t: Time) -> float:
    """A time in seconds: a number, or text with a unit as the command line reads it
    (``"90"``, ``"30 min"``, ``"2 h"``, ``"3 d"``)."""
    if isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool):
        return float(t)
    out = c_double()
    err = c_void_p()
    check(lib.cascade_time_seconds(encode(str(t)), ctypes.byref(out), ctypes.byref(err)), err)
    return out.value


def _ids(ids: Optional[Union[str, Iterable[str]]]) -> Optional[bytes]:
    """A comma-separated id list for the C ABI (None stays None)."""
    if ids is None:
        return None
    if isinstance(ids, str):
        return ids.encode("utf-8")
    return ",".join(ids).encode("utf-8")


def _threads(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if threads < 1:
        raise CascadeUsageError(f"threads must be at least 1, got {threads}", 2)
    return int(threads)


class Model:
    """A model, read and compiled once, simulated many times.

    Made by :func:`load`. Calls may come from several threads at once: each call takes a
    simulator of its own, and the GIL is released while it runs.
    """

    def __init__(self, handle: int, source: str) -> None:
        self._handle = c_void_p(handle)
        self.source = source
        self._columns_cache: Dict[Any, Tuple[Optional[bytes], Optional[bytes], pd.Index]] = {}

    def __del__(self) -> None:
        h = getattr(self, "_handle", None)
        if h is not None and h.value:
            lib.cascade_model_free(h)
            self._handle = c_void_p()

    def __repr__(self) -> str:
        return f"<cascade_sim.Model {self.source!r}>"

    def info(self) -> Dict[str, Any]:
        """What ``cascade info`` prints, as a dictionary: ``id``, ``name``, ``compartments``,
        ``species``, ``parameters``, ``reactions``, ``rules``, ``initial_assignments``,
        ``events``, ``observables``, ``inputs`` (every settable id with its value),
        ``state_variables``, ``jacobian_nonzeros``, ``conserved_moieties``, ``warnings``."""
        out = c_void_p()
        err = c_void_p()
        check(lib.cascade_model_info(self._handle, ctypes.byref(out), ctypes.byref(err)), err)
        return json.loads(take_string(out) or "{}")

    @property
    def species(self) -> List[str]:
        """The ids of the model's species, in declaration order."""
        return [s["id"] for s in self.info()["species"]]

    def columns(
        self, variables: Optional[Union[str, Sequence[str]]] = None, amounts: Optional[Union[str, Sequence[str]]] = None
    ) -> List[str]:
        """The columns :meth:`simulate` returns for these arguments (``time`` first)."""
        return list(self._columns(variables, amounts)[2])

    def _columns(self, variables, amounts) -> Tuple[Optional[bytes], Optional[bytes], pd.Index]:
        key = (
            variables if variables is None or isinstance(variables, str) else tuple(variables),
            amounts if amounts is None or isinstance(amounts, str) else tuple(amounts),
        )
        hit = self._columns_cache.get(key)
        if hit is not None:
            return hit
        v, a = _ids(variables), _ids(amounts)
        ids, count, err = c_void_p(), c_int64(), c_void_p()
        check(lib.cascade_model_columns(self._handle, v, a, ctypes.byref(ids), ctypes.byref(count), ctypes.byref(err)), err)
        text = take_string(ids) or ""
        names = ["time"] + (text.split("\n") if count.value else [])
        entry = (v, a, pd.Index(names))
        self._columns_cache[key] = entry
        return entry

    @staticmethod
    def _grid(end: Optional[Time], steps: int, start: Time, times: Optional[Sequence[float]]):
        """(start, end, steps, n_times, times array or None, rows)."""
        t0 = seconds(start)
        if times is not None:
            try:
                grid = np.ascontiguousarray(times, dtype=float)
            except (TypeError, ValueError):  # times with units
                grid = np.ascontiguousarray([seconds(t) for t in times], dtype=float)
            if grid.ndim != 1 or grid.size == 0:
                raise CascadeUsageError("times must be a non-empty list of times", 2)
            return t0, math.nan, 0, grid.size, grid, grid.size
        if end is None:
            raise CascadeUsageError("give end (and steps) or times", 2)
        return t0, seconds(end), int(steps), 0, None, int(steps) + 1

    def simulate(
        self,
        end: Optional[Time] = None,
        steps: int = 100,
        start: Time = 0.0,
        variables: Optional[Union[str, Sequence[str]]] = None,
        parameters: Optional[Mapping[str, float]] = None,
        rtol: float = SIMULATE_RTOL,
        atol: float = SIMULATE_ATOL,
        max_steps: int = SIMULATE_MAX_STEPS,
        amounts: Optional[Union[str, Sequence[str]]] = None,
        times: Optional[Sequence[Time]] = None,
    ) -> pd.DataFrame:
        """Simulates like ``cascade simulate``.

        Args:
            end: end time, seconds or text with a unit (``"2 h"``).
            steps: output intervals; the result has ``steps + 1`` evenly spaced rows from
                ``start`` to ``end``.
            start: start time of the simulation.
            variables: ids to report (species, parameters, compartments, reactions,
                observables); every species when None.
            parameters: values overriding the model's (``--set ID=VALUE``): parameters,
                compartment sizes, species' initial values.
            rtol, atol, max_steps: the integrator's settings (``--rtol``, ``--atol``,
                ``--max-steps``).
            amounts: species reported as amounts rather than concentrations.
            times: instead of ``end`` and ``steps``, the output times (ascending, none before
                ``start``); the simulation still starts at ``start``.

        Returns:
            A DataFrame with a ``time`` column and one column per variable.

        Raises:
            CascadeError: an unknown id or a failed integration, with the command's message.
            CascadeUsageError: a bad argument (``steps`` below 1, ``end`` not after ``start``).
        """
        v, a, header = self._columns(variables, amounts)
        t0, t1, n_steps, n_times, grid, rows = self._grid(end, steps, start, times)
        n = len(parameters) if parameters else 0
        ids = vals = None
        if n:
            ids = (c_char_p * n)(*[str(k).encode("utf-8") for k in parameters])  # type: ignore[union-attr]
            vals = (c_double * n)(*[float(x) for x in parameters.values()])  # type: ignore[union-attr]
        out = np.empty((rows, len(header)))
        warn, err = c_void_p(), c_void_p()
        status = lib.cascade_model_simulate(
            self._handle, t0, t1, n_steps, n_times, None if grid is None else grid.ctypes.data, v, a, n, ids, vals,
            float(rtol), float(atol), int(max_steps), out.ctypes.data, out.size, ctypes.byref(warn), ctypes.byref(err),
        )
        check(status, err)
        if warn.value:
            for line in (take_string(warn) or "").splitlines():
                warnings.warn(line, CascadeWarning, stacklevel=2)
        return pd.DataFrame(out, columns=header, copy=False)

    def simulate_batch(
        self,
        parameter_sets: Union[pd.DataFrame, Sequence[Mapping[str, float]], Mapping[str, Sequence[float]]],
        end: Optional[Time] = None,
        steps: int = 100,
        start: Time = 0.0,
        variables: Optional[Union[str, Sequence[str]]] = None,
        rtol: float = SIMULATE_RTOL,
        atol: float = SIMULATE_ATOL,
        max_steps: int = SIMULATE_MAX_STEPS,
        amounts: Optional[Union[str, Sequence[str]]] = None,
        threads: Optional[int] = None,
        times: Optional[Sequence[Time]] = None,
    ) -> List[pd.DataFrame]:
        """Simulates many parameter sets on all cores (``threads`` worker threads, every core
        when None), one simulator per thread, in one foreign call.

        Args:
            parameter_sets: one set per row of a DataFrame (columns are ids), a list of
                dictionaries, or a dictionary of equally long lists. A missing value (NaN, or an
                id a dictionary leaves out) keeps the model's own value.
            the rest: as :meth:`simulate`.

        Returns:
            One DataFrame per set, in order, each as :meth:`simulate` returns it; the results
            are the same as simulating the sets one by one.

        Raises:
            CascadeError: the error of the first set (by position) that failed, naming it.
        """
        if isinstance(parameter_sets, pd.DataFrame):
            table = parameter_sets
        elif isinstance(parameter_sets, Mapping):
            table = pd.DataFrame(dict(parameter_sets))
        else:
            table = pd.DataFrame(list(parameter_sets))
        names = [str(c) for c in table.columns]
        matrix = np.ascontiguousarray(table.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        count = len(table)
        v, a, header = self._columns(variables, amounts)
        t0, t1, n_steps, n_times, grid, rows = self._grid(end, steps, start, times)
        ids = (c_char_p * max(1, len(names)))(*[n.encode("utf-8") for n in names])
        out = np.empty((count, rows, len(header)))
        err = c_void_p()
        status = lib.cascade_model_simulate_batch(
            self._handle, t0, t1, n_steps, n_times, None if grid is None else grid.ctypes.data, v, a, count, len(names), ids,
            matrix.ctypes.data if matrix.size else None, float(rtol), float(atol), int(max_steps), _threads(threads),
            out.ctypes.data if out.size else None, out.size, ctypes.byref(err),
        )
        check(status, err)
        return [pd.DataFrame(out[i], columns=header) for i in range(count)]


def load(path_or_text: Union[PathLike, str], name: Optional[str] = None) -> Model:
    """Reads a model: a path to an Antimony (``.ant``) or SBML (``.xml``) file, or the model's
    text itself (SBML when it starts with ``<``, Antimony otherwise; ``name`` names it in
    messages, ``<text>`` by default).

    Raises:
        CascadeError: the reader's error, with file, line and column where it gives them.
    """
    handle = c_void_p()
    err = c_void_p()
    text = os.fspath(path_or_text) if isinstance(path_or_text, os.PathLike) else str(path_or_text)
    # Text, not a path: no such file, and a line break, a statement or an XML tag in it.
    is_text = (
        isinstance(path_or_text, str)
        and not os.path.exists(text)
        and any(mark in text for mark in ("\n", ";", "=", "<"))
    )
    if is_text:
        status = lib.cascade_model_load(None, text.encode("utf-8"), encode(name), ctypes.byref(handle), ctypes.byref(err))
        source = name or "<text>"
    else:
        status = lib.cascade_model_load(encode(text), None, None, ctypes.byref(handle), ctypes.byref(err))
        source = text
    check(status, err)
    return Model(handle.value or 0, source)


# Default files ------------------------------------------------------------------------------


def default_file(relative: str) -> str:
    """A default file under models/, found as the command line finds it: ``$CASCADE_MODELS``,
    then ``models/`` in the working directory or a folder above it, then the copy of models/
    installed with the package."""
    root = os.environ.get("CASCADE_MODELS")
    if root:
        candidate = os.path.join(root, relative)
        if not os.path.exists(candidate):
            raise CascadeError(f"{candidate}: no such file (CASCADE_MODELS is {root})")
        return candidate
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "models" / relative
        if candidate.exists():
            return str(candidate)
    bundled = Path(__file__).resolve().parent / "models" / relative
    if bundled.exists():
        return str(bundled)
    raise CascadeError(
        f"models/{relative}: not found in the working directory, the folders above it or the package; "
        "give the file, or set CASCADE_MODELS to the models folder"
    )


# Screens and sweeps -------------------------------------------------------------------------

SCREEN_COLUMNS = [
    "condition", "inhibitors", "readout", "time", "vehicle", "treated", "log2fc", "retained", "call",
    "confidence", "inhibitor_log2fc", "bliss_excess", "hsa_excess", "minimum_fold",
]


def _nan(v: Optional[float]) -> float:
    return math.nan if v is None else float(v)


def screen_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """The long table of a screen's JSON (``cascade knockouts --format json``): one row per
    condition, readout and time."""
    rows = []
    failures = {}
    for c in result["conditions"]:
        inhibitors = ";".join(f"{k}={_fmt(v)}" for k, v in sorted(c.get("inhibitors", {}).items()))
        if c.get("failure"):
            failures[c["id"]] = c["failure"]
        for e in c["effects"]:
            inter = e.get("interaction") or {}
            rows.append((
                c["id"], inhibitors, e["readout"], float(e["time"]), _nan(e["vehicle"]), _nan(e["treated"]),
                _nan(e["log2fc"]), _nan(e["retained"]), e["call"], _nan(e.get("confidence")),
                _nan(e.get("inhibitor_log2fc")), _nan(inter.get("bliss")), _nan(inter.get("hsa")),
                _nan(e.get("minimum_fold")),
            ))
    df = pd.DataFrame(rows, columns=SCREEN_COLUMNS)
    df.attrs["readouts"] = list(result.get("readouts", []))
    df.attrs["failures"] = failures
    df.attrs["dose_response"] = list(result.get("dose_response", []))
    return df


def _fmt(v: float) -> str:
    return repr(int(v)) if float(v).is_integer() else repr(float(v))


def knockouts(
    experiment: Optional[PathLike] = None,
    minimum_fold: Optional[float] = None,
    retained_changed: Optional[float] = None,
    retained_blocked: Optional[float] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Runs the inhibitor knockout screen (``cascade knockouts``) on all cores.

    Args:
        experiment: the experiment file; models/experiments/knockout_screen.yaml when None.
        minimum_fold, retained_changed, retained_blocked: thresholds of the calls
            (``--minimum-fold`` ...); the experiment's when None.
        threads: worker threads; every core when None.

    Returns:
        One row per condition, readout and time with ``condition``, ``inhibitors``
        (``ID=µM;...``), ``readout``, ``time`` (s), ``vehicle``, ``treated``, ``log2fc``,
        ``retained``, ``call`` (changed, partial, blocked, occluded, unchanged), ``confidence``,
        ``inhibitor_log2fc``, ``bliss_excess``, ``hsa_excess``, ``minimum_fold`` (the readout's
        threshold). ``df.attrs`` holds ``readouts``, ``failures`` (condition → reason) and
        ``dose_response``.
    """
    path = os.fspath(experiment) if experiment is not None else default_file("experiments/knockout_screen.yaml")
    out, err = c_void_p(), c_void_p()
    check(
        lib.cascade_knockouts(
            encode(path), _nan(minimum_fold), _nan(retained_changed), _nan(retained_blocked), _threads(threads),
            ctypes.byref(out), ctypes.byref(err),
        ),
        err,
    )
    return screen_frame(json.loads(take_string(out) or "{}"))


def sweep(
    experiment: PathLike, threads: Optional[int] = None, fold_changes: bool = False
) -> Union[pd.DataFrame, Tuple[pd.DataFrame, pd.DataFrame]]:
    """Runs an experiment's sweep on all cores (``cascade sweep EXPERIMENT --output F``).

    Returns:
        The sweep's table (``index``, the condition columns, ``status``, ``time``, one column
        per output) with ``df.attrs["metadata"]`` (F.meta.json); with ``fold_changes``, also
        the fold-change table of ``--fold-changes`` (treated vs vehicle per point, time and
        readout, with the call), as a pair.
    """
    csv, fold, meta, err = c_void_p(), c_void_p(), c_void_p(), c_void_p()
    check(
        lib.cascade_sweep(
            encode(os.fspath(experiment)), _threads(threads), 1 if fold_changes else 0,
            ctypes.byref(csv), ctypes.byref(fold), ctypes.byref(meta), ctypes.byref(err),
        ),
        err,
    )
    table = pd.read_csv(io.StringIO(take_string(csv) or ""))
    table.attrs["metadata"] = json.loads(take_string(meta) or "{}")
    fold_text = take_string(fold)
    if fold_changes:
        return table, pd.read_csv(io.StringIO(fold_text or ""))
    return table


# PEtab ----------------------------------------------------------------------------------------


def petab_simulate(
    problem: PathLike, rtol: float = 1e-8, atol: float = 1e-14, max_steps: int = 1_000_000, threads: Optional[int] = None
) -> pd.DataFrame:
    """Simulates a PEtab problem at its nominal parameters (``cascade petab``).

    Returns:
        The PEtab simulation table: the measurement table's columns with ``simulation`` in
        place of ``measurement``.
    """
    out, err = c_void_p(), c_void_p()
    check(
        lib.cascade_petab_simulate(
            encode(os.fspath(problem)), float(rtol), float(atol), int(max_steps), _threads(threads),
            ctypes.byref(out), ctypes.byref(err),
        ),
        err,
    )
    return pd.read_csv(io.StringIO(take_string(out) or ""), sep="\t")


@dataclass
class Likelihood:
    """A log-likelihood evaluation (``cascade likelihood --format json``)."""

    llh: float
    chi2: float
    #: ∂llh/∂θ on each estimated parameter's scale, by parameter id (None unless asked for).
    gradient: Optional[pd.Series]


class Problem:
    """A PEtab problem opened for repeated likelihood evaluations (see :func:`load_petab`)."""

    def __init__(self, handle: int, path: str, description: Mapping[str, Any]) -> None:
        self._handle = c_void_p(handle)
        self.path = path
        #: The estimated parameters: ``id``, ``scale``, and ``lower``, ``upper``, ``nominal``
        #: on the parameter's scale.
        self.parameters = pd.DataFrame(description["parameters"], columns=["id", "scale", "lower", "upper", "nominal"])
        self.measurements: int = int(description["measurements"])

    def __del__(self) -> None:
        h = getattr(self, "_handle", None)
        if h is not None and h.value:
            lib.cascade_problem_free(h)
            self._handle = c_void_p()

    def __repr__(self) -> str:
        return f"<cascade_sim.Problem {self.path!r}: {len(self.parameters)} estimated parameters, {self.measurements} measurements>"

    @property
    def parameter_ids(self) -> List[str]:
        """Ids of the estimated parameters: the order of θ."""
        return list(self.parameters["id"])

    def likelihood(
        self,
        parameters: Optional[Union[PathLike, Mapping[str, float], Sequence[float], np.ndarray]] = None,
        gradient: bool = False,
        on_scale: bool = False,
        threads: Optional[int] = None,
    ) -> Likelihood:
        """The PEtab log-likelihood (and chi²), with its gradient when asked.

        Args:
            parameters: None for the problem's nominal values; a path to a PEtab parameter
                table (its nominalValue column, as ``--parameters``); a mapping id → value
                (ids left out keep their nominal values); or one value per estimated parameter
                in :attr:`parameter_ids` order. Values are on the linear scale, as in a
                parameter table, unless ``on_scale`` (then on each parameter's scale, as θ).
            gradient: also compute ∂llh/∂θ on the parameters' scales (forward sensitivities).
        """
        ids = self.parameter_ids
        n = len(ids)
        theta = None
        table = None
        if isinstance(parameters, (str, os.PathLike)):
            table = encode(os.fspath(parameters))
        elif parameters is not None:
            values = np.full(n, np.nan)
            if isinstance(parameters, Mapping):
                index = {p: i for i, p in enumerate(ids)}
                for k, v in parameters.items():
                    if k not in index:
                        raise CascadeError(f"unknown parameter '{k}': not estimated in {self.path} (estimated: {', '.join(ids)})")
                    values[index[k]] = float(v)
            else:
                given = np.asarray(parameters, dtype=float).ravel()
                if given.size != n:
                    raise CascadeUsageError(f"{given.size} parameter values given, {n} parameters are estimated", 2)
                values[:] = given
            theta = (c_double * n)(*values)
        llh, chi2 = c_double(), c_double()
        grad = (c_double * max(1, n))()
        err = c_void_p()
        check(
            lib.cascade_problem_likelihood(
                self._handle, theta, 0 if on_scale else 1, table, 1 if gradient else 0, _threads(threads),
                ctypes.byref(llh), ctypes.byref(chi2), grad, ctypes.byref(err),
            ),
            err,
        )
        g = pd.Series(list(grad)[:n], index=ids, name="gradient") if gradient else None
        return Likelihood(llh.value, chi2.value, g)


def load_petab(problem: PathLike, rtol: float = 1e-8, atol: float = 1e-12, max_steps: int = 1_000_000) -> Problem:
    """Opens a PEtab problem for likelihood evaluations; the solver settings default to
    ``cascade likelihood``'s."""
    handle, desc, err = c_void_p(), c_void_p(), c_void_p()
    path = os.fspath(problem)
    check(
        lib.cascade_problem_load(
            encode(path), float(rtol), float(atol), int(max_steps), ctypes.byref(handle), ctypes.byref(desc), ctypes.byref(err)
        ),
        err,
    )
    return Problem(handle.value or 0, path, json.loads(take_string(desc) or "{}"))


def likelihood(
    problem: PathLike,
    parameters: Optional[Union[PathLike, Mapping[str, float], Sequence[float], np.ndarray]] = None,
    gradient: bool = False,
    rtol: float = 1e-8,
    atol: float = 1e-12,
    max_steps: int = 1_000_000,
    threads: Optional[int] = None,
) -> Likelihood:
    """``cascade likelihood PROBLEM [--parameters TABLE] [--gradient]``: see
    :meth:`Problem.likelihood`. For many evaluations, open the problem once with
    :func:`load_petab`."""
    return load_petab(problem, rtol=rtol, atol=atol, max_steps=max_steps).likelihood(parameters, gradient=gradient, threads=threads)


@dataclass
class FitResult:
    """The outcome of :func:`fit`: what ``cascade fit`` writes."""

    #: fit.json: best_llh, starts, converged, at_best, seconds, parameters (best, linear), ...
    summary: Dict[str, Any]
    #: starts.tsv: one row per start, best first (start, llh, iterations, evaluations,
    #: seconds, exit, then the parameters on the linear scale).
    starts: pd.DataFrame
    #: parameters.tsv: the PEtab parameter table with the best values as nominalValue.
    parameters: pd.DataFrame

    @property
    def best_llh(self) -> Optional[float]:
        return self.summary.get("best_llh")

    @property
    def best(self) -> Dict[str, float]:
        """The best parameters, linear scale, by id."""
        return dict(self.summary.get("parameters", {}))


def fit(
    problem: PathLike,
    starts: int = 100,
    seed: int = 0,
    threads: Optional[int] = None,
    max_iterations: int = 1000,
    bfgs: bool = False,
    hybrid: int = 20,
    ftol: float = 1e-8,
    gtol: float = 1e-6,
    rtol: float = 1e-10,
    atol: float = 1e-14,
    max_steps: int = 100_000,
    output: Optional[PathLike] = None,
    report: bool = True,
) -> FitResult:
    """Fits a PEtab problem by multi-start local optimisation (``cascade fit``), starts in
    parallel. The arguments are the command's options; with ``output`` the command's files
    (starts.tsv, parameters.tsv, fit.json, report.html unless ``report`` is False) are written
    to that folder too."""
    if starts < 1:
        raise CascadeUsageError("--starts must be positive", 2)
    out, err = c_void_p(), c_void_p()
    check(
        lib.cascade_fit(
            encode(os.fspath(problem)), int(starts), int(seed), _threads(threads), int(max_iterations), 1 if bfgs else 0,
            int(hybrid), float(ftol), float(gtol), float(rtol), float(atol), int(max_steps),
            encode(os.fspath(output)) if output is not None else None, 1 if report else 0,
            ctypes.byref(out), ctypes.byref(err),
        ),
        err,
    )
    result = json.loads(take_string(out) or "{}")
    return FitResult(
        summary=result["summary"],
        starts=pd.read_csv(io.StringIO(result["starts"]), sep="\t"),
        parameters=pd.read_csv(io.StringIO(result["parameters"]), sep="\t"),
    )
