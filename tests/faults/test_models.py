"""The `faults:` syntax: what each kind accepts, and errors that name the key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.faults.kinds.clock import ClockFault
from sim.faults.kinds.crash import CrashFault
from sim.faults.kinds.delay import DelayFault
from sim.faults.kinds.partition import PartitionFault
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.faults import NemesisFault
from tests.conftest import make_scenario

HEAD = """name: f
duration: 5s
cluster: {nodes: 5}
faults:
"""


def _problems(tmp_path: Path, *entries: str) -> list[tuple[int, str, str]]:
    """Load HEAD + entries (one per line, from line 5) and return (line, path, message)."""
    path = tmp_path / "f.yaml"
    path.write_text(HEAD + "".join(f"  - {entry}\n" for entry in entries), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [(int(p.where.split(":")[-2]), p.path, p.message) for p in caught.value.problems]


def test_each_kind_parses_to_its_model() -> None:
    """Targets become lists, `for` is read, shorthands expand, the nemesis starts at 0."""
    faults = make_scenario(
        faults=[
            {"at": "1s", "crash": "leader", "for": "500ms"},
            {"at": 0, "partition": [["n1"], "minority"]},
            {"at": 0, "delay": "20ms"},
            {"at": 0, "clock": {"node": "n2", "factor": 2}},
            {"nemesis": {"kinds": ["crash"], "every": "1s"}},
        ]
    ).faults
    crash, partition, delay, clock, nemesis = faults
    assert isinstance(crash, CrashFault) and crash.crash == ["leader"] and crash.for_ == 500.0
    assert isinstance(partition, PartitionFault) and partition.partition == [["n1"], ["minority"]]
    assert isinstance(delay, DelayFault) and delay.delay.extra == 20.0 and delay.delay.dst is None
    assert isinstance(clock, ClockFault) and clock.clock.node == ["n2"]
    assert isinstance(nemesis, NemesisFault) and nemesis.at == 0.0
    assert nemesis.nemesis.for_ is None and nemesis.nemesis.stop is None


def test_resolved_scenario_loads_back() -> None:
    """A scenario's faults dumped by alias (as scenario.yaml is written) validate again."""
    scenario = make_scenario(
        faults=[
            {"at": "1s", "isolate": ["n1", "n2"], "for": "1s"},
            {"at": "1s", "cut": {"from": "n1", "to": "followers"}},
            {"at": 0, "nemesis": {"kinds": ["loss"], "every": "1s", "for": "200ms"}},
        ]
    )
    data = scenario.model_dump(mode="json", by_alias=True)
    assert make_scenario(faults=data["faults"]).faults == scenario.faults


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    """An entry with no known kind key names the entry and lists every kind."""
    [(line, path, message)] = _problems(tmp_path, "{at: 1s, explode: n1}")
    assert (line, path) == (5, "faults[0]")
    assert "kinds: crash, restart, pause, partition, cut, isolate, heal" in message


def test_unknown_key_lists_the_kinds_own_keys(tmp_path: Path) -> None:
    """A stray key in a pause entry lists the keys of a pause, not another kind's."""
    [(line, path, message)] = _problems(tmp_path, "{at: 1s, pause: n1, bogus: 2}")
    assert (line, path) == (5, "faults[0].bogus")
    assert message.startswith("unknown key (allowed: at, for, pause)")


def test_unknown_node(tmp_path: Path) -> None:
    """A node the cluster lacks is named with its key path, the roles and a suggestion."""
    problems = _problems(
        tmp_path, "{at: 1s, crash: n9}", "{at: 1s, cut: {from: leadr, to: [n1, n7]}}"
    )
    assert [(line, p) for line, p, _ in problems] == [
        (5, "faults[0].crash"),
        (6, "faults[1].cut.from"),
        (6, "faults[1].cut.to[1]"),
    ]
    assert "unknown node 'n9' (allowed: leader, followers" in problems[0][2]
    assert problems[1][2].endswith("did you mean `leader`?")


def test_overlapping_partition_groups(tmp_path: Path) -> None:
    """A node in two groups is an error at the second group."""
    [(line, path, message)] = _problems(tmp_path, "{at: 1s, partition: [[n1, n2], [n2, n3]]}")
    assert (line, path) == (5, "faults[0].partition[1]")
    assert message == "n2 is already in group 1; groups must not overlap"


def test_fault_after_the_end(tmp_path: Path) -> None:
    """A fault at or after `duration` would never fire: an error on its `at`."""
    [(line, path, message)] = _problems(tmp_path, "{at: 5s, loss: 0.1}")
    assert (line, path) == (5, "faults[0].at")
    assert message == "5000 ms is not before the end of the run (5000 ms)"


def test_restart_takes_no_for(tmp_path: Path) -> None:
    """`for` on a fault that is not undone says so."""
    [(_, path, message)] = _problems(tmp_path, "{at: 1s, restart: crashed, for: 1s}")
    assert path == "faults[0].for"
    assert message == "`restart` is not undone, so it takes no `for`"


def test_bad_values(tmp_path: Path) -> None:
    """Out-of-range probabilities, factors and nemesis kinds are reported, all at once."""
    problems = _problems(
        tmp_path,
        "{at: 1s, loss: 1.5}",
        "{at: 1s, clock: {node: n1, factor: 0}}",
        "{nemesis: {kinds: [restart], every: 1s}}",
        "{at: 1s, crash: 3}",
    )
    assert [p for _, p, _ in problems] == [
        "faults[0].loss",
        "faults[1].clock.factor",
        "faults[2].nemesis.kinds[0]",
        "faults[3].crash",
    ]
    assert problems[-1][2].startswith("a node name, a list of names, or a role")


def test_nemesis_stop_before_start(tmp_path: Path) -> None:
    """A nemesis that would stop before it starts is an error on `stop`."""
    [(_, path, message)] = _problems(
        tmp_path, "{at: 2s, nemesis: {kinds: [crash], every: 1s, stop: 1s}}"
    )
    assert (path, message) == ("faults[0].nemesis.stop", "must be after `at` (2000 ms)")
