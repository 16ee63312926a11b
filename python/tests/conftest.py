"""Fixtures: the repository, the `cascade` command line to compare with, and its output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import List

import pytest

ROOT = Path(os.environ.get("CASCADE_ROOT", Path(__file__).resolve().parents[2]))


def _cli() -> Path:
    given = os.environ.get("CASCADE_CLI")
    if given:
        return Path(given)
    for config in ("release", "debug"):
        path = ROOT / ".build" / config / "cascade"
        if path.exists():
            return path
    raise RuntimeError("no cascade executable: build it (swift build -c release --product cascade) or set CASCADE_CLI")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    # A missing executable fails the tests (they compare with it), never skips them.
    return _cli()


def run_cli(cli: Path, args: List[str], check: bool = True) -> subprocess.CompletedProcess:
    """Runs `cascade ARGS` in the repository."""
    result = subprocess.run([str(cli), *args], cwd=ROOT, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"cascade {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


@pytest.fixture(scope="session")
def ketamine(root: Path) -> Path:
    return root / "models" / "ketamine.ant"


@pytest.fixture(scope="session")
def decay(root: Path) -> Path:
    return root / "Tests" / "CascadePEtabTests" / "Fixtures" / "decay" / "decay.yaml"


@pytest.fixture(scope="session")
def cli_screen(cli: Path) -> dict:
    """`cascade knockouts --format json` on the default experiment (run once)."""
    return json.loads(run_cli(cli, ["knockouts", "--format", "json"]).stdout)
