"""Raft in the simulator: the options' effects on a cluster, leader recovery, tables, clients."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from sim import run
from sim.engine import Simulation
from sim.experiment.run import RunResult
from tests.conftest import make_scenario


def _raft(
    params: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] | None = None,
    duration: str = "6s",
    **sections: Any,
) -> Any:
    """Five Raft nodes, 2 ms links, 1 ms disk writes, one client."""
    sections.setdefault(
        "network", {"latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.2}}
    )
    sections.setdefault("workload", {"clients": 1, "think": "20ms", "timeout": "500ms"})
    return make_scenario(
        duration=duration,
        cluster={"nodes": 5, "protocol": "raft", "params": params or {}, "disk_write": "1ms"},
        faults=faults or [],
        **sections,
    )


def _stepped_down(simulation: Simulation) -> list[tuple[float, str]]:
    return [
        (t, fields["node"])
        for t, kind, fields in simulation.recorder.trace_rows
        if kind == "stepped_down"
    ]


# --- options from the literature -------------------------------------------------------------


def test_without_prevote_a_healed_node_deposes_the_leader() -> None:
    """A follower isolated for 2 s comes back with a higher term and forces a new election."""
    simulation = Simulation(_raft(faults=[{"at": "1s", "isolate": "n5", "for": "2s"}])).run()
    changes = simulation.recorder.leader_changes
    assert changes[0][1] != "n5"
    assert len(changes) == 2 and changes[1][0] > 3000 and changes[1][2] > 2


def test_with_prevote_a_healed_node_does_not_disrupt() -> None:
    """With PreVote the isolated follower never raises its term: one leader, term 1 throughout."""
    scenario = _raft({"prevote": True}, [{"at": "1s", "isolate": "n5", "for": "2s"}])
    simulation = Simulation(scenario).run()
    assert [(node, term) for _, node, term in simulation.recorder.leader_changes] == [("n2", 1)]
    assert {host.protocol.term for host in simulation.hosts.values()} == {1}


def test_without_check_quorum_an_isolated_leader_keeps_leading() -> None:
    """An isolated leader does not notice: it steps down only once the isolation ends."""
    scenario = _raft(faults=[{"at": "1s", "isolate": "leader", "for": "2s"}])
    simulation = Simulation(scenario, trace=True).run()
    lost = simulation.recorder.leader_losses[0][1]
    assert [t for t, node in _stepped_down(simulation) if node == lost and t < 3000] == []


def test_with_check_quorum_an_isolated_leader_steps_down() -> None:
    """With CheckQuorum the isolated leader steps down within two minimum timeouts."""
    scenario = _raft({"check_quorum": True}, [{"at": "1s", "isolate": "leader", "for": "2s"}])
    simulation = Simulation(scenario, trace=True).run()
    lost = simulation.recorder.leader_losses[0][1]
    down = [t for t, node in _stepped_down(simulation) if node == lost]
    assert down and 1150 <= down[0] <= 1300


def _crash_the_leader(params: dict[str, Any]) -> RunResult:
    """A leader-crash nemesis on a cluster whose election timeouts nearly coincide."""
    tight = {"election_timeout": ["150ms", "152ms"], "heartbeat": "75ms", **params}
    nemesis = {"kinds": ["crash"], "target": "leader", "every": "2s", "for": "1s"}
    return run(_raft(tight, [{"at": "1s", "nemesis": nemesis}], duration="40s"))


def test_a_shorter_candidate_timeout_ends_split_votes_sooner() -> None:
    """After a split vote candidates retry after 10-40 ms: recovery is several times faster."""
    plain = _crash_the_leader({}).summary
    short = _crash_the_leader({"candidate_timeout": ["10ms", "40ms"]}).summary
    assert plain["elections"]["split_votes"] > 50
    assert np.mean(short["elections"]["leader_recovery_ms"]) < (
        np.mean(plain["elections"]["leader_recovery_ms"]) / 3
    )


def test_candidate_backoff_means_fewer_split_votes() -> None:
    """Doubling the candidate timeout after each failure spreads the candidates apart."""
    plain = _crash_the_leader({}).summary["elections"]
    backoff = _crash_the_leader({"candidate_backoff": True}).summary["elections"]
    assert backoff["split_votes"] < 0.7 * plain["split_votes"]
    assert backoff["count"] < plain["count"]
    assert np.mean(backoff["leader_recovery_ms"]) < np.mean(plain["leader_recovery_ms"])


# --- leader recovery ----------------------------------------------------------------------------


def test_leader_recovery_matches_the_hand_computed_time() -> None:
    """3 nodes, 5 ms links, no disk: the first survivor to time out wins at once, so recovery
    is its timeout + RequestVote + reply + AppendEntries (15 ms) after the crash."""
    scenario = make_scenario(
        duration="3s",
        cluster={"nodes": 3, "protocol": "raft", "params": {"heartbeat": "50ms"}},
        network={"latency": "5ms"},
        workload={"clients": 0},
        faults=[{"at": "1s", "crash": "leader"}],
    )
    simulation = Simulation(scenario, trace=True).run()
    recorder = simulation.recorder
    timeouts = [
        t
        for t, kind, fields in recorder.trace_rows
        if kind == "timer" and fields["name"] == "election" and t > 1000
    ]
    assert len(recorder.elections) == 2  # no split vote: one election after the crash
    expected = timeouts[0] + 15.0 - 1000.0
    summary = run(scenario).summary
    assert summary["elections"]["leader_recovery_ms"] == [round(expected, 6)]
    # The last heartbeat left in (950, 1000], a timeout is 150-300 ms.
    assert 150 - 50 + 5 + 15 <= expected <= 300 + 5 + 15


def test_a_run_with_no_fault_has_no_recovery() -> None:
    """No leader loss, no recovery time; the first election is counted."""
    summary = run(_raft(duration="2s")).summary
    assert summary["elections"] == {"count": 1, "split_votes": 0, "leader_recovery_ms": []}


def test_elections_csv_has_a_row_per_term_with_empty_split_votes(tmp_path: Path) -> None:
    """elections.csv: one row per term with an election; leader and elected_ms empty on a
    split vote; its counts match summary.json."""
    tight = {"election_timeout": ["150ms", "152ms"], "heartbeat": "75ms"}
    scenario = _raft(tight, [{"at": "1s", "crash": "leader", "for": "1s"}], duration="4s")
    result = run(scenario, out=tmp_path / "run")
    with (tmp_path / "run" / "elections.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["term", "leader", "started_ms", "elected_ms"]
    terms = [int(row["term"]) for row in rows]
    assert terms == sorted(set(terms))
    split = [row for row in rows if not row["leader"]]
    assert split and all(row["elected_ms"] == "" for row in split)
    won = [row for row in rows if row["leader"]]
    assert all(float(row["started_ms"]) <= float(row["elected_ms"]) for row in won)
    elections = result.summary["elections"]
    assert (elections["count"], elections["split_votes"]) == (len(rows), len(split))


# --- clients ------------------------------------------------------------------------------------


def test_clients_sent_anywhere_are_answered_by_the_leader() -> None:
    """Clients pick random nodes; followers redirect; every ok comes from the leader."""
    result = run(_raft(workload={"clients": 3, "target": "any", "timeout": "500ms"}))
    leaders = {row[1] for row in result.election_rows if row[1]}
    ok_nodes = {row[2] for row in result.request_rows if row[-1] == "ok"}
    assert len(leaders) == 1 and ok_nodes == leaders
    assert result.summary["ops"]["ok"] > 500


def test_a_raft_history_with_reads_and_cas_is_linearizable() -> None:
    """Writes, reads and compare-and-sets over two keys, a leader crash: linearizable."""
    scenario = _raft(
        faults=[{"at": "2s", "crash": "leader", "for": "1s"}],
        duration="4s",
        workload={"clients": 3, "mix": {"write": 1, "read": 1, "cas": 1}, "keys": 2},
        checks={"linearizable": True},
    )
    summary = run(scenario).summary
    assert summary["linearizable"] is True and summary["safety"]["ok"]
    assert summary["elections"]["leader_recovery_ms"]
