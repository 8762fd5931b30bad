"""A fault kind defined here, outside sim/, works in a scenario file and in the nemesis.

`slow_disk` multiplies some nodes' durable-write latency for a while. On three Raft nodes with
1 ms disks and 1 ms links a write takes 4 ms (the leader's write, a hop, a follower's write, a
hop back); with the disks 20 times slower every write waits on at least one 20 ms write and at
most two (42 ms); once the fault is undone, 4 ms again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from sim import run
from sim.faults.api import (
    Cluster,
    Once,
    Strict,
    Target,
    Targets,
    Undo,
    Undoable,
    names,
    register_fault,
)
from sim.faults.api import Path as EntryPath
from sim.faults.settings import override
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.fault_kinds import fault_kinds
from sim.scenario.reference import render_reference, render_schema
from tests.conftest import ROOT

FACTOR = 20.0
BEFORE = 2 * 1.0 + 2 * 1.0  # two 1 ms writes, two 1 ms hops
SLOWEST = 2 * 1.0 * FACTOR + 2 * 1.0


class DiskWrites(dict[str, float]):
    """Each node's own disk_write, noted before a slow_disk first changes it."""


class SlowDisk(Strict):
    node: Target = Field(description="the nodes whose disks slow down")
    factor: Annotated[float, Field(gt=0.0)] = Field(description="how many times slower")


@register_fault
class SlowDiskFault(Undoable):
    """``{at: 1s, slow_disk: {node: leader, factor: 20}, for: 1s}``: durable writes take
    ``factor`` times as long."""

    kind = "slow_disk"
    drawable = True
    slow_disk: SlowDisk

    def targets(self) -> list[tuple[EntryPath, list[str]]]:
        return [(("slow_disk", "node"), self.slow_disk.node)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return {"node": target if target is not None else "random", "factor": FACTOR}

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        nodes = targets(self.slow_disk.node)
        own = cluster.shared(DiskWrites)
        for node in nodes:
            own.setdefault(node, cluster.hosts[node].disk_write)

        def set_factor(node: str, factor: float | None) -> None:
            cluster.hosts[node].disk_write = own[node] * (1.0 if factor is None else factor)

        factor = self.slow_disk.factor
        text = f"{names(nodes)} x{factor:g}"
        return override(cluster, "slow_disk", nodes, factor, set_factor, text)


HEAD = """name: slow
duration: 3s
cluster: {nodes: 3, protocol: raft, disk_write: 1ms}
network: {latency: 1ms}
workload: {clients: 1, timeout: 500ms}
faults:
"""


def _write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "slow.yaml"
    path.write_text(HEAD + "".join(f"  - {entry}\n" for entry in entries), encoding="utf-8")
    return path


def _latencies(requests: pd.DataFrame, start: float, end: float) -> set[float]:
    """Latencies of the writes invoked in [start, end) that completed."""
    window = requests[
        (requests.invoked_ms >= start) & (requests.invoked_ms < end) & (requests.outcome == "ok")
    ]
    assert len(window) > 5
    return set(window.latency_ms)


def test_a_scenario_file_slows_the_disks_and_the_undo_restores_them(tmp_path: Path) -> None:
    """From a file: 4 ms writes before, 22..42 ms while the disks are slow, 4 ms after `for`."""
    entry = "{at: 1s, slow_disk: {node: [n1, n2, n3], factor: 20}, for: 1s}"
    result = run(load_scenario(_write(tmp_path, entry)), out=tmp_path / "run")
    assert result.fault_rows == [
        (1000.0, "slow_disk", "n1 n2 n3 x20"),
        (2000.0, "slow_disk-end", "n1 n2 n3 x20"),
    ]
    requests = result.requests
    assert _latencies(requests, 300, 1000) == {BEFORE}
    during = _latencies(requests, 1100, 1900)
    assert min(during) >= FACTOR * 1.0 + 2 and max(during) == SLOWEST
    assert _latencies(requests, 2100, 3000) == {BEFORE}
    assert "slow_disk,n1 n2 n3 x20" in (tmp_path / "run" / "faults.csv").read_text()


def test_the_nemesis_draws_it(tmp_path: Path) -> None:
    """`nemesis: {kinds: [slow_disk]}` strikes every second and undoes it 500 ms later."""
    entry = "{at: 1s, nemesis: {kinds: [slow_disk], every: 1s, for: 500ms, target: [n1, n2, n3]}}"
    result = run(load_scenario(_write(tmp_path, entry)))
    kinds = [(at, kind) for at, kind, _ in result.fault_rows]
    assert kinds == [
        (1000.0, "slow_disk"),
        (1500.0, "slow_disk-end"),
        (2000.0, "slow_disk"),
        (2500.0, "slow_disk-end"),
    ]
    requests = result.requests
    assert max(_latencies(requests, 1100, 1400)) == SLOWEST
    assert _latencies(requests, 1600, 1900) == {BEFORE}
    assert _latencies(requests, 2600, 2900) == {BEFORE}


def test_the_nemesis_default_target_is_one_random_node(tmp_path: Path) -> None:
    """Without `target` the kind's own default strikes: one node, the same for the same seed."""
    entry = "{at: 1s, nemesis: {kinds: [slow_disk, crash], every: 300ms}}"
    scenario = load_scenario(_write(tmp_path, entry))
    rows = run(scenario).fault_rows
    slowed = [targets for _, kind, targets in rows if kind == "slow_disk"]
    assert slowed and all(len(t.split()) == 2 and t.endswith(" x20") for t in slowed)
    assert run(scenario).fault_rows == rows


def test_its_entries_are_checked_like_a_built_in_kind(tmp_path: Path) -> None:
    """Unknown nodes and keys in a plug-in's entry name the key, line and the kind's own keys."""
    path = _write(
        tmp_path,
        "{at: 1s, slow_disk: {node: n9, factor: 2}}",
        "{at: 1s, slow_disk: {node: n1, factor: 2}, bogus: 1}",
        "{at: 1s, slow_disk: {node: n1, factor: 0}}",
        "{at: 1s, explode: n1}",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = [(p.where.split(":", 1)[1], p.path, p.message) for p in caught.value.problems]
    assert problems[0][:2] == ("7:32", "faults[0].slow_disk.node")
    assert problems[0][2].startswith("unknown node 'n9' (allowed: leader, followers")
    assert problems[1] == ("8:48", "faults[1].bogus", "unknown key (allowed: at, for, slow_disk)")
    assert problems[2] == ("9:44", "faults[2].slow_disk.factor", "input should be greater than 0")
    assert problems[3][1] == "faults[3]"
    assert "kinds: crash, restart, pause, partition, cut, isolate, heal" in problems[3][2]
    assert problems[3][2].endswith("delay, clock, slow_disk, nemesis)")


def test_the_docs_show_only_the_built_in_kinds() -> None:
    """The reference and the schema stay those of quorumsim itself while a plug-in is loaded."""
    assert "slow_disk" in fault_kinds()
    assert "slow_disk" not in fault_kinds(builtin=True)
    assert "slow_disk" not in render_reference() and "slow_disk" not in render_schema()


def test_bad_registrations_are_refused() -> None:
    """A second class for a name, a model without its kind's key, an undrawable undo."""

    class Twin(SlowDiskFault):
        pass

    class Keyless(Undoable):
        kind = "keyless"

        def apply(self, cluster: Cluster, targets: Targets) -> None: ...

    class Forever(Once):
        kind = "forever"
        drawable = True
        forever: bool

        def apply(self, cluster: Cluster, targets: Targets) -> None: ...

    with pytest.raises(ValueError, match="'slow_disk' is registered twice"):
        register_fault(Twin)
    with pytest.raises(ValueError, match="has no field 'keyless'"):
        register_fault(Keyless)
    with pytest.raises(ValueError, match="drawable but not undoable"):
        register_fault(Forever)
    assert {"keyless", "forever"}.isdisjoint(fault_kinds())


def test_validating_faults_imports_no_simpy() -> None:
    """Finding the kinds imports each kind's module, but not the schedule, nor simpy."""
    code = (
        "import sys; from sim.scenario import scenario_from_dict; "
        "scenario_from_dict({'name': 'x', 'faults': [{'at': 1, 'crash': 'leader'}]}); "
        "print('sim.faults.kinds.crash' in sys.modules, 'simpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
