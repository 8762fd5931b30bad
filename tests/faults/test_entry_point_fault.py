"""A fault kind an installed package declares under the entry-point group `quorumsim.faults`
runs from the CLI; one that cannot be loaded is reported where a scenario names it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

KIND = '''
from pydantic import Field

from sim.faults.api import Target, Undoable, names


class StallFault(Undoable):
    """``{at: 1s, stall: n2, for: 100ms}``: pauses the nodes (without the pause's bookkeeping)."""

    kind = "stall"
    stall: Target = Field(description="the nodes that stall")

    def targets(self):
        return [(("stall",), self.stall)]

    def apply(self, cluster, targets):
        nodes = targets(self.stall)
        for node in nodes:
            cluster.hosts[node].pause()
        cluster.record("stall", names(nodes))

        def undo():
            for node in nodes:
                cluster.hosts[node].resume()
            cluster.record("stall-end", names(nodes))

        return undo
'''

SCENARIO = """name: ep
duration: 1s
cluster: {nodes: 3}
faults:
  - {at: 200ms, %s, for: 100ms}
"""


def _package(tmp_path: Path) -> Path:
    """A folder on the path holding the kind's module and its package's metadata."""
    site = tmp_path / "site"
    info = site / "quorumsim_stall-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: quorumsim-stall\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[quorumsim.faults]\nstall = stallkind:StallFault\nbroken = no_such_module:Thing\n"
    )
    (site / "stallkind.py").write_text(KIND)
    return site


def _quorumsim(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_installed_kind_runs_from_the_cli(tmp_path: Path) -> None:
    """`quorumsim run` finds `stall` through the entry point and writes its rows."""
    site = _package(tmp_path)
    (tmp_path / "ep.yaml").write_text(SCENARIO % "stall: n2")
    done = _quorumsim(site, "run", "ep.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with (tmp_path / "out" / "faults.csv").open() as file:
        rows = [(row["at_ms"], row["kind"], row["targets"]) for row in csv.DictReader(file)]
    assert rows == [("200.0", "stall", "n2"), ("300.0", "stall-end", "n2")]


def test_a_kind_that_cannot_load_is_reported_where_it_is_named(tmp_path: Path) -> None:
    """Naming the broken kind: exit 2, a line naming the entry point; not naming it: valid."""
    site = _package(tmp_path)
    (tmp_path / "bad.yaml").write_text(SCENARIO % "broken: n2")
    (tmp_path / "good.yaml").write_text(SCENARIO % "crash: n2")
    done = _quorumsim(site, "validate", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[0] == (
        "bad.yaml:5:5: faults[0]: fault kind 'broken' (entry point no_such_module:Thing) cannot "
        "be loaded: ModuleNotFoundError: No module named 'no_such_module'"
    )
    assert "Traceback" not in done.stderr
    assert _quorumsim(site, "validate", "good.yaml", cwd=tmp_path).returncode == 0


def test_a_kind_two_packages_declare_is_refused_by_name(tmp_path: Path) -> None:
    """Two packages naming one kind differently: neither runs, the message says uninstall one."""
    site = _package(tmp_path)
    other = site / "quorumsim_other-0.1.dist-info"
    other.mkdir()
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: quorumsim-other\nVersion: 0.1\n")
    (other / "entry_points.txt").write_text("[quorumsim.faults]\nstall = otherkind:Stall\n")
    (tmp_path / "ep.yaml").write_text(SCENARIO % "stall: n2")
    done = _quorumsim(site, "validate", "ep.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "fault kind 'stall' is declared by two packages (" in done.stderr
    assert "stallkind:StallFault" in done.stderr and "otherkind:Stall" in done.stderr
    assert done.stderr.rstrip().endswith("uninstall one")
