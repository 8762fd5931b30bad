"""Protocol invariants checked online: the mechanism, and Raft's, on known-bad and normal runs."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from sim.checks.invariants import InvariantChecks
from sim.engine import Simulation
from sim.metrics.recorder import Recorder
from sim.protocols.api import Invariant, Op, Violation
from sim.protocols.raft import Entry, Raft, RaftLog
from tests.conftest import make_scenario

NODES = ("n1", "n2", "n3")


def _recorder(invariants: list[Invariant] | None = None) -> tuple[Recorder, SimpleNamespace]:
    recorder = Recorder(NODES, invariants=Raft.invariants() if invariants is None else invariants)
    clock = SimpleNamespace(now=0.0)
    recorder.clock = clock
    return recorder, clock


def _leader(log: list[tuple[int, str]]) -> SimpleNamespace:
    """A stand-in for a Raft node's state: only its log, as (term, op id) per index."""
    return SimpleNamespace(log=RaftLog(Entry(term, Op(op_id, "noop")) for term, op_id in log))


def _elect(recorder: Recorder, node: str, term: int, log: list[tuple[int, str]]) -> None:
    recorder.event(node, "became_leader", {"epoch": term}, _leader(log))


def _commit(recorder: Recorder, index: int, op_id: str, term: int = 1) -> None:
    """n1, in ``term``, decides ``op_id`` at ``index``."""
    recorder.decide("n1", index, Op(op_id, "noop"), SimpleNamespace(term=term))


def _kinds(recorder: Recorder) -> list[str]:
    return [violation["kind"] for violation in recorder.safety.violations]


class _Counting(Invariant):
    kind = "counting"
    events = frozenset({"ping"})

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        self.seen.append((event, state))
        return {"message": "ping is bad", "nodes": [node]} if fields.get("bad") else None

    def on_commit(self, node: str, index: int, op: Op, now: float, state: Any) -> Violation | None:
        self.seen.append(("commit", index))
        return None


def test_invariant_sees_only_its_events_and_first_decisions() -> None:
    """An invariant gets the events it names (with the node's state) and each index once."""
    counting = _Counting()
    recorder, _ = _recorder([counting])
    recorder.event("n1", "ping", {}, "state-of-n1")
    recorder.event("n1", "pong", {})
    recorder.decide("n1", 1, Op("a", "noop"), SimpleNamespace(term=1))
    recorder.decide("n2", 1, Op("a", "noop"), SimpleNamespace(term=1))
    assert counting.seen == [("ping", "state-of-n1"), ("commit", 1)]


def test_violations_join_replica_safety_under_the_invariant_kind() -> None:
    """A violation an invariant returns is a safety violation named by its kind."""
    reported: list[Violation] = []
    checks = InvariantChecks([_Counting()], reported.append)
    checks.event("n2", "ping", {"bad": True}, 1.0, None)
    assert reported == [{"kind": "counting", "message": "ping is bad", "nodes": ["n2"]}]


def test_two_leaders_in_one_term_break_election_safety() -> None:
    """A second became_leader for a term is an election_safety violation naming both."""
    recorder, clock = _recorder()
    _elect(recorder, "n1", 3, [])
    clock.now = 5.0
    _elect(recorder, "n2", 3, [])
    assert _kinds(recorder) == ["election_safety"]
    assert recorder.safety.violations[0]["nodes"] == ["n1", "n2"]
    assert recorder.safety.violations[0]["times"] == [0.0, 5.0]


def test_one_leader_per_term_is_safe() -> None:
    """Leaders of successive terms, even the same node again, break nothing."""
    recorder, _ = _recorder()
    _elect(recorder, "n1", 1, [])
    _elect(recorder, "n2", 2, [(1, "noop:n1:1")])
    _elect(recorder, "n1", 3, [(1, "noop:n1:1"), (2, "noop:n2:2")])
    assert recorder.safety.ok


def test_leader_missing_a_committed_entry_breaks_completeness() -> None:
    """A leader whose log stops before a committed index violates Leader Completeness."""
    recorder, _ = _recorder()
    _commit(recorder, 1, "a")
    _commit(recorder, 2, "b")
    _elect(recorder, "n3", 2, [(1, "a")])
    assert _kinds(recorder) == ["leader_completeness"]
    assert recorder.safety.violations[0]["index"] == 2


def test_leader_with_another_op_at_a_committed_index_breaks_completeness() -> None:
    """A leader holding a different op where one was committed violates Leader Completeness."""
    recorder, _ = _recorder()
    _commit(recorder, 1, "a")
    _elect(recorder, "n3", 2, [(1, "z"), (2, "b")])
    assert "leader_completeness" in _kinds(recorder)


def test_leader_with_every_committed_entry_is_complete() -> None:
    """A leader holding the committed prefix and more is fine."""
    recorder, _ = _recorder()
    _commit(recorder, 1, "a")
    _elect(recorder, "n2", 2, [(1, "a"), (1, "b")])
    assert recorder.safety.ok


def test_a_late_leader_of_an_older_term_need_not_hold_newer_commits() -> None:
    """Entries committed in term 3 are not required of a leader of term 2 taking office late
    (its election finished after a pause), but those of term 1 are."""
    recorder, _ = _recorder()
    _commit(recorder, 1, "a", term=1)
    _commit(recorder, 2, "b", term=3)
    _elect(recorder, "n2", 2, [(1, "a")])
    assert recorder.safety.ok
    _elect(recorder, "n3", 4, [(1, "a")])
    assert _kinds(recorder) == ["leader_completeness"]


def test_same_index_and_term_with_another_op_breaks_log_matching() -> None:
    """Two leaders' logs with one (index, term) but different ops violate Log Matching."""
    recorder, _ = _recorder()
    _elect(recorder, "n1", 2, [(1, "a"), (1, "b")])
    _elect(recorder, "n2", 3, [(1, "a"), (1, "c")])
    assert _kinds(recorder) == ["log_matching"]
    assert recorder.safety.violations[0]["index"] == 2


def test_same_entry_after_another_prefix_breaks_log_matching() -> None:
    """An entry of one (index, term) after entries of different terms violates Log Matching."""
    recorder, _ = _recorder()
    _elect(recorder, "n1", 3, [(1, "a"), (3, "c")])
    _elect(recorder, "n2", 4, [(2, "b"), (3, "c")])
    assert _kinds(recorder) == ["log_matching"]


def test_a_raft_run_with_crashes_breaks_no_invariant() -> None:
    """Five Raft nodes, the leader crashed twice and restarted: every invariant holds."""
    scenario = make_scenario(
        duration="4s",
        cluster={"nodes": 5, "protocol": "raft"},
        network={"latency": {"dist": "uniform", "low": "1ms", "high": "5ms"}},
        workload={"clients": 2, "timeout": "500ms"},
        faults=[
            {"at": "1s", "crash": "leader", "for": "500ms"},
            {"at": "2.5s", "crash": "leader", "for": "500ms"},
        ],
    )
    simulation = Simulation(scenario).run()
    assert len(simulation.recorder.leader_changes) >= 3
    assert simulation.recorder.safety.violations == []
