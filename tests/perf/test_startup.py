"""Start-up: `quorumsim --help`, `validate` and `check` import only what they use (issue 22).

Each command runs in a fresh interpreter, which then lists the heavy modules it has loaded: a
module-level import of the engine, numpy or pandas in any command's module (every one is
imported for every command) shows up here, where a timing would only be noisy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "pandas", "simpy", "matplotlib", "sim.engine", "sim.experiment", "sim.plots")

PROBE = """
import json, sys
from sim.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if not m.startswith("_"))))
"""


def loaded_by(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy(modules: set[str], extra: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY + extra or m in HEAVY + extra)


def test_help_imports_no_simulator() -> None:
    """`--help` loads neither the scenario models nor anything of numpy, pandas, the engine."""
    assert heavy(loaded_by("--help"), ("yaml",)) == []
    assert not {"sim.scenario", "sim.checks"} & loaded_by("--help")


def test_validate_imports_no_engine() -> None:
    """`validate` loads the scenario models and YAML, not numpy, pandas or the engine."""
    modules = loaded_by("validate", "scenarios/quickstart.yaml")
    assert "sim.scenario.model" in modules  # (the probe did validate)
    assert heavy(modules) == []


def test_check_imports_only_the_checker(tmp_path: Path) -> None:
    """`check` loads the checker, not the scenario models, YAML, numpy or the engine."""
    history = tmp_path / "history.jsonl"
    lines = [
        {"process": 0, "type": "invoke", "f": "write", "key": "k", "value": 1, "time": 0.0},
        {"process": 0, "type": "ok", "f": "write", "key": "k", "value": 1, "time": 1.0},
    ]
    history.write_text("".join(json.dumps(line) + "\n" for line in lines))
    modules = loaded_by("check", str(history))
    assert "sim.checks.linearizability" in modules
    assert heavy(modules, ("yaml", "sim.scenario")) == []


@pytest.mark.parametrize("module", ["sim", "sim.checks.linearizability", "sim.scenario"])
def test_library_entry_points_stay_light(module: str) -> None:
    """Importing the package, the checker or the scenario loader pulls in no numpy or engine."""
    code = f"import json, sys, {module}; print(json.dumps(list(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert heavy(set(json.loads(done.stdout))) == []
