"""`quorumsim hunt`: finds a bad seed, shrinks it, and the minimal scenario replays it exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SCENARIOS

DETERMINISTIC = ("requests.csv", "decisions.csv", "faults.csv", "history.jsonl", "trace.jsonl")


def quorumsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def hunted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The article's protocol under its nemesis, hunted as if it had to be safe."""
    out = tmp_path_factory.mktemp("hunt") / "h"
    done = quorumsim(
        "hunt", str(SCENARIOS / "fault-nemesis.yaml"), "--set", "checks.expect=safe",
        "--seeds", "5", "--workers", "1", "--shrink-time", "20s", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == str(out)
    assert "reproduce: quorumsim run" in done.stderr
    return out


def test_hunt_writes_the_minimal_scenario_and_its_run(hunted: Path) -> None:
    """minimal.yaml has explicit faults (no nemesis), fewer than the nemesis made, and a header
    saying what went; the run directory beside it shows the violation."""
    text = (hunted / "minimal.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Shrunk by `quorumsim hunt`")
    data = yaml.safe_load(text)
    assert all("nemesis" not in fault for fault in data.get("faults", []))
    record = json.loads((hunted / "hunt.json").read_text(encoding="utf-8"))
    shrink = record["shrink"]
    assert shrink["target"] == "agreement"
    assert shrink["after"]["faults"] < shrink["before"]["faults"]
    assert shrink["after"]["events"] < shrink["before"]["events"]
    assert (hunted / "run" / "violation.md").is_file()
    assert record["found"][0]["seed"] == 1


def test_the_minimal_scenario_replays_byte_for_byte(hunted: Path, tmp_path: Path) -> None:
    """`quorumsim run minimal.yaml --trace` writes the very files of the hunt's run."""
    again = tmp_path / "again"
    done = quorumsim("run", str(hunted / "minimal.yaml"), "--trace", "--out", str(again))
    assert done.returncode == 1, done.stderr  # the violation: a safety result not expected
    for name in DETERMINISTIC:
        assert (again / name).read_bytes() == (hunted / "run" / name).read_bytes(), name


def test_a_safe_scenario_finds_nothing(tmp_path: Path) -> None:
    """Every seed passing exits 0 and writes seeds.csv without a minimal scenario."""
    out = tmp_path / "h"
    done = quorumsim(
        "hunt", str(SCENARIOS / "quickstart.yaml"), "--set", "duration=200ms",
        "--seeds", "3", "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 seeds from 1: nothing found" in done.stderr
    assert (out / "seeds.csv").read_text(encoding="utf-8").count("\n") == 4
    assert not (out / "minimal.yaml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time", "soon"], "--time soon:"),
        (["--time", "0s"], "--time 0s: must be > 0"),
        (["--shrink-time", "-1s"], "--shrink-time -1s:"),
        (["--set", "cluster.nodes=zero"], "cluster.nodes"),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    """A bad option or override is bad input: exit 2, a line naming it, no traceback."""
    done = quorumsim(
        "hunt", str(SCENARIOS / "quickstart.yaml"), *args, "--out", str(tmp_path / "h")
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "h").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """--out naming a file of someone else's: exit 2 before any run, the file left as it was."""
    target = tmp_path / "notes.txt"
    target.write_text("mine", encoding="utf-8")
    done = quorumsim("hunt", str(SCENARIOS / "quickstart.yaml"), "--out", str(target))
    assert done.returncode == 2
    assert "not a directory" in done.stderr
    assert target.read_text(encoding="utf-8") == "mine"
