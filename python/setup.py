"""Builds Cascade's shared library into the package.

`pip install ./python` and `pip wheel ./python` run `swift build -c release --product CascadeC`
in the repository (the folder above this one) and copy `libCascadeC.so` into `cascade_sim/`,
with the models/ folder (the default experiment and model) beside it. No Python runs in the
Swift build.

Environment:
  CASCADE_LIBRARY=/path/libCascadeC.so  use this library instead of building one (e.g. the
                                        release build `make test` already made)
  CASCADE_SWIFT=swift                   the swift executable
  CASCADE_BUNDLE_LIBS=0                 do not copy SUNDIALS and KLU into the package (the
                                        target machine then needs Debian's libsundials-dev or
                                        the runtime packages it pulls in)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 carries bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBRARY = "libCascadeC.so"
# Libraries the wheel carries when they are not part of a base system: SUNDIALS and KLU (with
# the SuiteSparse parts KLU uses). glibc, libstdc++ and libgcc are left to the system.
BUNDLED_PREFIXES = ("libsundials_", "libklu", "libamd", "libcolamd", "libbtf", "libsuitesparseconfig")


def built_library() -> Path:
    given = os.environ.get("CASCADE_LIBRARY")
    if given:
        path = Path(given).resolve()
        if not path.is_file():
            raise SystemExit(f"CASCADE_LIBRARY={given}: no such file")
        return path
    if not (ROOT / "Package.swift").is_file():
        raise SystemExit(
            f"{ROOT}: no Package.swift; build from a Cascade checkout (pip install ./python) or set CASCADE_LIBRARY"
        )
    swift = os.environ.get("CASCADE_SWIFT", "swift")
    command = [swift, "build", "-c", "release", "--product", "CascadeC"]
    print("cascade-sim: " + " ".join(command), flush=True)
    try:
        subprocess.run(command, cwd=ROOT, check=True)
    except FileNotFoundError:
        raise SystemExit(f"{swift}: not found; a Swift toolchain (6.0 or later) builds Cascade's library")
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"swift build failed with status {e.returncode}")
    out = subprocess.run(command + ["--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    return Path(out) / LIBRARY


def dependencies(library: Path) -> list[Path]:
    """The shared libraries `library` needs that the wheel carries (from ldd)."""
    try:
        text = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        return []
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>" and parts[0].startswith(BUNDLED_PREFIXES):
            found.append(Path(parts[2]))
    return found


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "cascade_sim"
        target.mkdir(parents=True, exist_ok=True)
        library = built_library()
        shutil.copy2(library, target / LIBRARY)
        # Debug symbols are most of the file (90 MB → 63 MB); the wheel does without them.
        if shutil.which("strip") and os.environ.get("CASCADE_STRIP", "1") != "0":
            subprocess.run(["strip", "--strip-unneeded", str(target / LIBRARY)], check=True)
        if os.environ.get("CASCADE_BUNDLE_LIBS", "1") != "0":
            libs = target / "_libs"
            libs.mkdir(exist_ok=True)
            for dep in dependencies(library):
                shutil.copy2(dep.resolve(), libs / dep.name)
        models = ROOT / "models"
        if models.is_dir():
            shutil.copytree(models, target / "models", dirs_exist_ok=True)


class BinaryDistribution(Distribution):
    """A distribution with a native library: installed in platlib, the wheel not pure."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """The wheel holds a native library but no Python extension: any Python 3, this platform."""

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
