"""Client groups placed at nodes' sites: latency over the site's links, run-wide ids, their own
streams, the `group` column and summary, and bad `groups` entries."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim import run
from sim.cli import app
from sim.engine.simulation import Simulation
from sim.metrics.tables import REQUEST_COLUMNS
from sim.scenario.model import Workload
from tests.conftest import make_scenario

# One-way latencies: a <-> c 5 ms, a -> b 30 ms but b -> a 10 ms (an asymmetric pair, so that a
# reply taking the request's direction shows), clients 1 ms from their site's node.
NETWORK = {
    "latency": "5ms",
    "client_latency": "1ms",
    "links": [
        {"from": "b", "to": "a", "latency": "10ms"},
        {"from": "a", "to": "b", "latency": "30ms"},
    ],
}
# The seed protocol at node a with a quorum of one acknowledgment commits after the round trip
# to c (10 ms), the nearest peer.
CLUSTER = {"nodes": ["a", "b", "c"], "protocol": "seed", "params": {"quorum": "majority"}}


def grouped(**workload: Any) -> Any:
    workload.setdefault("target", "a")
    return make_scenario(cluster=CLUSTER, network=NETWORK, workload=workload)


def test_latency_is_the_sites_links_both_ways() -> None:
    """Each group's latency is client latency + its site's link to a + 10 ms commit + the link
    back + client latency, exactly (constant latencies)."""
    result = run(grouped(groups=[{"near": "a"}, {"near": "b"}, {"near": "c"}]))
    expected = {"a": 1 + 10 + 1, "b": 1 + 10 + 10 + 30 + 1, "c": 1 + 5 + 10 + 5 + 1}
    for name, ms in expected.items():
        figures = result.summary["groups"][name]["latency_ms"]
        assert figures["p50"] == figures["max"] == ms, (name, figures)


def test_a_group_near_the_target_pays_no_link() -> None:
    """A group whose site is the node it targets pays the client latency alone each way."""
    result = run(grouped(target="c", groups=[{"near": "c", "name": "local"}]))
    # c's nearest peer is a (5 ms each way): 1 + 10 + 1.
    assert result.summary["groups"]["local"]["latency_ms"]["max"] == 12


def test_groups_take_the_workloads_keys_as_defaults() -> None:
    """A key a group leaves out is the workload's; one it sets is its own."""
    workload = Workload.model_validate(
        {
            "clients": 3,
            "mix": {"read": 1},
            "timeout": "2s",
            "groups": [{"near": "a"}, {"near": "b", "clients": 1, "name": "far"}],
        }
    )
    (first, a), (second, b) = workload.group_workloads()
    assert (first.label, a.clients, a.mix, a.timeout) == ("a", 3, {"read": 1.0}, 2000.0)
    assert (second.label, b.clients, b.mix, b.groups) == ("far", 1, {"read": 1.0}, [])


def test_ids_are_unique_across_groups() -> None:
    """Op ids are 1..N once each, client numbers follow the file's group order, and no process
    id serves two clients; the history is linearizable (Raft, reads and writes)."""
    scenario = make_scenario(
        cluster={"nodes": ["a", "b", "c"], "protocol": "raft"},
        network=NETWORK,
        workload={
            "mix": {"write": 1, "read": 1},
            "timeout": "200ms",  # some time out: their clients go on under fresh process ids
            "groups": [{"near": "a", "clients": 2}, {"near": "b"}, {"near": "c", "clients": 3}],
        },
        checks={"linearizable": True},
    )
    result = run(scenario)
    frame = result.requests
    assert sorted(frame["op_id"]) == list(range(1, len(frame) + 1))
    assert frame.groupby("group")["client"].unique().map(sorted).to_dict() == {
        "a": [0, 1],
        "b": [2],
        "c": [3, 4, 5],
    }
    recorder = Simulation(scenario).run().recorder
    client_of = dict(zip(frame["op_id"], frame["client"], strict=True))
    clients_of_process: dict[int, set[int]] = {}
    for line, op_id in zip(recorder.history, recorder.history_op_ids, strict=True):
        clients_of_process.setdefault(line["process"], set()).add(client_of[op_id])
    assert len(clients_of_process) > 6  # fresh processes after timeouts, too
    assert all(len(clients) == 1 for clients in clients_of_process.values())
    assert result.summary["linearizable"] is True
    assert (
        sum(g["ops"]["ok"] for g in result.summary["groups"].values())
        == (result.summary["ops"]["ok"])
    )


def test_a_group_keeps_its_draws_when_another_is_added() -> None:
    """Group a's operations (kind and key, in order) are the same with or without group b: each
    group draws from streams of its own."""
    mixed = {"mix": {"write": 1, "read": 1}, "keys": 5}
    alone = run(grouped(**mixed, groups=[{"near": "a"}])).requests
    both = run(grouped(**mixed, groups=[{"near": "a"}, {"near": "b", "clients": 2}])).requests
    ops_of_a = both[both["group"] == "a"]
    count = min(len(alone), len(ops_of_a))
    assert count > 20
    assert (
        list(zip(alone["op"], alone["key"], strict=True))[:count]
        == list(zip(ops_of_a["op"], ops_of_a["key"], strict=True))[:count]
    )


def test_open_group_keeps_its_own_rate() -> None:
    """An open-loop group issues at its own rate (Poisson: 20 s at 50/s is 1000 +- 3 sigma),
    beside a closed-loop group of the same workload."""
    scenario = grouped(
        groups=[{"near": "a", "mode": "open", "rate": "50/s"}, {"near": "c", "clients": 2}]
    ).model_copy(update={"duration": 20_000.0})
    issued = run(scenario).requests.groupby("group").size()
    assert 905 <= issued["a"] <= 1095, issued
    assert issued["c"] > 1000  # closed loop, 22 ms per operation per client


def test_group_column_only_when_groups_are_declared(tmp_path: Path) -> None:
    """requests.csv gains `group` after the usual columns with groups, and keeps its columns
    without; the summary's `groups` likewise."""
    plain = run(make_scenario(cluster=CLUSTER, workload={"target": "a"}), out=tmp_path / "plain")
    with_groups = run(grouped(groups=[{"near": "b", "name": "west"}]), out=tmp_path / "groups")
    assert _header(tmp_path / "plain") == list(REQUEST_COLUMNS)
    assert _header(tmp_path / "groups") == [*REQUEST_COLUMNS, "group"]
    assert "groups" not in plain.summary
    assert list(with_groups.summary["groups"]) == ["west"]
    with (tmp_path / "groups" / "requests.csv").open(encoding="utf-8") as file:
        assert {row["group"] for row in csv.DictReader(file)} == {"west"}


def _header(directory: Path) -> list[str]:
    with (directory / "requests.csv").open(encoding="utf-8") as file:
        return next(csv.reader(file))


HEAD = "name: x\nduration: 2s\ncluster: {nodes: [ca, va, eu]}\nworkload:\n  groups:\n"
BAD_GROUPS = [
    (
        "unknown-near",
        "    - {near: ca}\n    - {near: vaa}\n",
        ":7:14: workload.groups[1].near: unknown node 'vaa' (allowed: ca, eu, va); did you mean",
    ),
    (
        "unknown-target",
        "    - {near: ca, target: eux}\n",
        ":6:26: workload.groups[0].target: unknown node 'eux' (allowed: leader, any, ca, eu, va)",
    ),
    (
        "repeated-name",
        "    - {near: ca}\n    - {near: va, name: ca}\n",
        ":6:5: workload.groups: group names must be unique",
    ),
    (
        "unknown-key",
        "    - {near: ca, nearr: 3}\n",
        ":6:18: workload.groups[0].nearr: unknown key (allowed: name, near, clients,",
    ),
    ("no-near", "    - {clients: 3}\n", ":6:7: workload.groups[0].near: required key is missing"),
    (
        "zero-mix",
        "    - {near: ca, mix: {write: 0}}\n",
        ":6:23: workload.groups[0].mix: mix needs at least one operation with a positive weight",
    ),
    (
        "late-start",
        "    - {near: ca, start: 3s}\n",
        ":6:25: workload.groups[0].start: 3000 ms is not before the end of the run (2000 ms)",
    ),
    ("not-a-list", "    {near: ca}\n", ":6:5: workload.groups: input should be a valid list"),
    (
        "zero-timeout",
        "    - {near: ca, timeout: 0}\n",
        ":6:27: workload.groups[0].timeout: timeout must",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in BAD_GROUPS], ids=[c[0] for c in BAD_GROUPS]
)
def test_bad_group_exits_2_at_its_place(tmp_path: Path, text: str, expected: str) -> None:
    """A bad `groups` entry is reported at its file, line, column and key path, exit 2, no
    traceback, nothing written."""
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{path}{expected}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_every_bad_group_is_reported_at_once(tmp_path: Path) -> None:
    """A bad group does not hide the next group's unknown `near`."""
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + "    - {near: ca, clients: -1}\n    - {near: vx}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "workload.groups[0].clients" in result.stderr
    assert "workload.groups[1].near: unknown node 'vx'" in result.stderr
