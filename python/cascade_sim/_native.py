"""The ctypes binding of Cascade's C ABI (``Sources/CascadeC/cascade.h``).

The shared library is loaded with :class:`ctypes.CDLL`, so every foreign call releases the GIL
while it runs: simulations started from several Python threads run at the same time.
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Optional

_HERE = Path(__file__).resolve().parent
LIBRARY_NAME = "libCascadeC.so"


class CascadeError(Exception):
    """An error reported by Cascade, with the command line's message.

    Attributes:
        message: the message ``cascade`` prints for the same input.
        code: 1 for bad input or a failed simulation (the command's exit code 1), 2 for a bad
            argument (exit code 2).
        file, line, column: where the error is, when the error names a place in a file.
    """

    def __init__(
        self,
        message: str,
        code: int = 1,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.file = file
        self.line = line
        self.column = column


class CascadeUsageError(CascadeError, ValueError):
    """A bad argument (a negative step count, an end before the start, a bad tolerance)."""


class CascadeWarning(UserWarning):
    """A warning the command line prints on standard error (a species far below zero, say)."""


def _library_path() -> Path:
    """The library: $CASCADE_LIBRARY, or the copy bundled in the package."""
    env = os.environ.get("CASCADE_LIBRARY")
    if env:
        return Path(env)
    return _HERE / LIBRARY_NAME


def _preload_bundled() -> None:
    """Loads the system libraries bundled beside the library (SUNDIALS, KLU), when the wheel
    carries them, so that they are found without being installed."""
    folder = _HERE / "_libs"
    if not folder.is_dir():
        return
    pending = sorted(folder.glob("*.so*"))
    # Dependencies among them are found by soname once loaded: retry until no progress.
    while pending:
        failed = []
        for p in pending:
            try:
                ctypes.CDLL(str(p), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                failed.append(p)
        if len(failed) == len(pending):
            return  # the system's copies (or the loader's error for the main library) decide
        pending = failed


def _load() -> ctypes.CDLL:
    path = _library_path()
    if not path.exists():
        raise ImportError(
            f"{path}: Cascade's shared library is missing; build it with "
            "`swift build -c release --product CascadeC` and set CASCADE_LIBRARY, or reinstall with `pip install ./python`"
        )
    _preload_bundled()
    return ctypes.CDLL(str(path))


lib = _load()

_str_out = POINTER(c_char_p)
_err = POINTER(c_void_p)


def _sig(name: str, args: list, res: Any = c_int32) -> None:
    f = getattr(lib, name)
    f.argtypes = args
    f.restype = res


_sig("cascade_version", [], c_void_p)
_sig("cascade_free", [c_void_p], None)
_sig("cascade_time_seconds", [c_char_p, POINTER(c_double), _err])
_sig("cascade_model_load", [c_char_p, c_char_p, c_char_p, POINTER(c_void_p), _err])
_sig("cascade_model_free", [c_void_p], None)
_sig("cascade_model_info", [c_void_p, _err, _err])
_sig("cascade_model_columns", [c_void_p, c_char_p, c_char_p, _err, POINTER(c_int64), _err])
_sig(
    "cascade_model_simulate",
    [
        c_void_p, c_double, c_double, c_int64, c_int64, c_void_p, c_char_p, c_char_p,
        c_int64, POINTER(c_char_p), POINTER(c_double),
        c_double, c_double, c_int64, c_void_p, c_int64, _err, _err,
    ],
)
_sig(
    "cascade_model_simulate_batch",
    [
        c_void_p, c_double, c_double, c_int64, c_int64, c_void_p, c_char_p, c_char_p,
        c_int64, c_int64, POINTER(c_char_p), c_void_p,
        c_double, c_double, c_int64, c_int64, c_void_p, c_int64, _err,
    ],
)
_sig("cascade_knockouts", [c_char_p, c_double, c_double, c_double, c_int64, _err, _err])
_sig("cascade_sweep", [c_char_p, c_int64, c_int32, _err, _err, _err, _err])
_sig("cascade_petab_simulate", [c_char_p, c_double, c_double, c_int64, c_int64, _err, _err])
_sig("cascade_problem_load", [c_char_p, c_double, c_double, c_int64, POINTER(c_void_p), _err, _err])
_sig("cascade_problem_free", [c_void_p], None)
_sig(
    "cascade_problem_likelihood",
    [
        c_void_p, POINTER(c_double), c_int32, c_char_p, c_int32, c_int64,
        POINTER(c_double), POINTER(c_double), POINTER(c_double), _err,
    ],
)
_sig(
    "cascade_fit",
    [
        c_char_p, c_int64, c_uint64, c_int64, c_int64, c_int32, c_int64, c_double, c_double,
        c_double, c_double, c_int64, c_char_p, c_int32, _err, _err,
    ],
)


def take_string(p: c_void_p) -> Optional[str]:
    """The text of a string the library returned, freed."""
    if not p.value:
        return None
    try:
        return ctypes.string_at(p.value).decode("utf-8")
    finally:
        lib.cascade_free(p)


def check(status: int, error: c_void_p) -> None:
    """Raises the library's error when `status` is not 0."""
    if status == 0:
        return
    text = take_string(error)
    info = json.loads(text) if text else {"message": f"Cascade failed with status {status}"}
    cls = CascadeUsageError if status == 2 else CascadeError
    raise cls(info.get("message", ""), status, info.get("file"), info.get("line"), info.get("column"))


def encode(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")


def version() -> str:
    """Cascade's version (``cascade --version``)."""
    return take_string(c_void_p(lib.cascade_version())) or ""
