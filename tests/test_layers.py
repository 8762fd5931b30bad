"""The layers hold: import-linter's contracts pass, and fail when a protocol imports simpy;
a built-in protocol imports no simpy."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim.protocols
from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
BUILTIN = sorted(info.name for info in pkgutil.iter_modules(sim.protocols.__path__) if info.ispkg)


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to plant a bad import in."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_contracts_hold(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_a_protocol_importing_simpy_breaks_them(tree: Path) -> None:
    seed = tree / "sim" / "protocols" / "seed" / "protocol.py"
    seed.write_text(seed.read_text() + "\nimport simpy  # planted\n")
    done = _lint(tree)
    assert done.returncode != 0
    assert "Protocols are sans-IO: no simpy, no engine, no checks BROKEN" in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_core_importing_the_engine_breaks_them(tree: Path) -> None:
    loop = tree / "sim" / "core" / "loop.py"
    loop.write_text(loop.read_text() + "\nimport sim.engine.node  # planted\n")
    done = _lint(tree)
    assert done.returncode != 0 and "BROKEN" in done.stdout


@pytest.mark.parametrize("name", BUILTIN)
def test_importing_a_builtin_protocol_imports_no_simpy(name: str) -> None:
    code = f"import sys, sim.protocols.{name}; print('simpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
