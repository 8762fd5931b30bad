"""Outages and reigns: every interval without a leader that every live node follows, whatever
began it, checked against a brute-force reading of the definition at every instant."""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace
from typing import Any

from sim.experiment.run import run
from sim.metrics.leadership import Outage, Reign, leaderless_ms, outages, recoveries, reigns
from tests.conftest import make_scenario

NODES = ("n1", "n2", "n3")
EVENTS = ("became_leader", "follows", "campaign_started", "stepped_down")


def _records(leadership: list[tuple[Any, ...]], reach: list[tuple[Any, ...]] | None = None) -> Any:
    return SimpleNamespace(nodes=NODES, leadership=leadership, reach=reach or [])


STABLE = [
    (10.0, "n1", "became_leader", 1, None),
    (12.0, "n2", "follows", 1, "n1"),
    (13.0, "n3", "follows", 1, "n1"),
]


def test_a_step_down_is_an_outage() -> None:
    """No fault: the leader steps down (CheckQuorum, a higher term) and n2 takes over."""
    records = _records(
        [
            *STABLE,
            (500.0, "n1", "stepped_down", 1, None),
            (650.0, "n2", "campaign_started", 2, None),
            (660.0, "n2", "became_leader", 2, None),
            (665.0, "n3", "follows", 2, "n2"),
            (670.0, "n1", "follows", 2, "n2"),
        ]
    )
    spans = outages(records)
    assert spans == [Outage(0.0, 13.0), Outage(500.0, 670.0)]
    assert recoveries(spans) == [170.0]  # the first election is no recovery
    assert leaderless_ms(spans, 1000.0) == 183.0
    assert reigns(records) == [Reign("n1", 1, 10.0, 500.0), Reign("n2", 2, 660.0, None)]


def test_a_candidate_begins_an_outage_and_a_leader_cut_off_does_too() -> None:
    """A follower standing for election ends the leader's hold at once; a partition that
    leaves the leader on the minority side ends it at the fault, though it still believes."""
    standing = _records([*STABLE, (300.0, "n3", "campaign_started", 2, None)])
    assert outages(standing) == [Outage(0.0, 13.0), Outage(300.0, None)]
    cut = _records(STABLE, [(300.0, "partition", "n1 | n2 n3", ("n2", "n3"))])
    assert outages(cut) == [Outage(0.0, 13.0), Outage(300.0, None)]
    assert reigns(cut) == [Reign("n1", 1, 10.0, None)]  # n1 still believes it leads


def test_a_node_cut_off_is_not_waited_for_and_one_back_not_until_it_speaks() -> None:
    """n3 on a minority side standing again and again does not stop n1 leading; back after the
    heal it is not waited for until it stands or accepts."""
    records = _records(
        [
            *STABLE,
            (300.0, "n3", "campaign_started", 2, None),
            (900.0, "n3", "campaign_started", 3, None),
        ],
        [
            (200.0, "isolate", "n3", ("n1", "n2")),
            (800.0, "heal", "n3", NODES),
        ],
    )
    assert outages(records) == [Outage(0.0, 13.0), Outage(900.0, None)]


def test_a_leader_paused_for_a_moment_leads_again() -> None:
    """While paused the cluster has no live leader; resumed, it leads again at once."""
    records = _records(
        STABLE,
        [(100.0, "pause", "n1", ("n2", "n3")), (120.0, "resume", "n1", NODES)],
    )
    assert outages(records) == [Outage(0.0, 13.0), Outage(100.0, 120.0)]
    assert reigns(records) == [Reign("n1", 1, 10.0, None)]


def test_a_crash_ends_a_reign() -> None:
    """A crashed leader believes nothing any more: its reign ends at the crash."""
    records = _records(STABLE, [(100.0, "crash", "n1", ("n2", "n3"))])
    assert reigns(records) == [Reign("n1", 1, 10.0, 100.0)]


# --- the oracle --------------------------------------------------------------------------------


def _has_leader_at(records: Any, t: float) -> bool:
    """The definition read literally at time ``t``, from scratch: each node's latest view, the
    live nodes of the latest fault, and who came back without speaking since."""
    rows = [(r[0], 0, i, r) for i, r in enumerate(records.leadership)]
    rows += [(r[0], 1, i, r) for i, r in enumerate(records.reach)]
    rows = sorted(row for row in rows if row[0] <= t)
    live = set(NODES)
    views: dict[str, Any] = dict.fromkeys(NODES)
    back: set[str] = set()
    for _, source, _, row in rows:
        if source == 1:
            _, kind, targets, reach = row
            if kind in ("crash", "restart"):
                for node in targets.split():
                    views[node] = None
            back = (back | (set(reach) - live)) & set(reach)
            live = set(reach)
            continue
        _, node, event, term, leader = row
        views[node] = {
            "became_leader": (term, node),
            "follows": (term, leader),
            "campaign_started": (term, None),
            "stepped_down": None,
        }[event]
        if event != "stepped_down":
            back.discard(node)
    leaders = [n for n in live if views[n] is not None and views[n][1] == n]
    return any(all(views[n] == views[lead] for n in live - back) for lead in leaders)


def _random_records(rng: random.Random) -> Any:
    """A few events and faults at a few instants (ties included), any order of kinds."""
    leadership = []
    reach = []
    for _ in range(rng.randint(0, 14)):
        t = float(rng.randint(0, 12))
        node = rng.choice(NODES)
        if rng.random() < 0.7:
            event = rng.choice(EVENTS)
            leader = rng.choice(NODES) if event == "follows" else None
            leadership.append((t, node, event, rng.randint(1, 3), leader))
        else:
            kind = rng.choice(("crash", "restart", "pause", "partition"))
            alive = tuple(n for n in NODES if rng.random() < 0.7)
            reach.append((t, kind, node, alive))
    leadership.sort(key=lambda r: r[0])
    reach.sort(key=lambda r: r[0])
    return _records(leadership, reach)


def test_outages_match_the_definition_at_every_instant() -> None:
    """2000 random histories: at each instant with rows and between them, in an outage exactly
    when the literal reading finds no leader."""
    rng = random.Random(15)
    for _ in range(2000):
        records = _random_records(rng)
        spans = outages(records)
        times = sorted({0.0} | {r[0] for r in records.leadership} | {r[0] for r in records.reach})
        samples = times + [(a + b) / 2 for a, b in itertools.pairwise(times)]
        samples.append(times[-1] + 1.0)
        for t in samples:
            inside = any(s <= t and (e is None or t < e) for s, e in spans)
            assert inside == (not _has_leader_at(records, t)), (t, records, spans)
        assert all(e is None or s < e for s, e in spans)  # no empty outages
        assert all(
            a.end_ms is not None and a.end_ms < b.start_ms for a, b in itertools.pairwise(spans)
        )


# --- whole runs --------------------------------------------------------------------------------


def _raft(params: dict[str, Any], faults: list[dict[str, Any]]) -> Any:
    return make_scenario(
        duration="4s",
        cluster={
            "nodes": 5,
            "protocol": "raft",
            "params": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms", **params},
        },
        network={"latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.3}},
        workload={"clients": 2, "think": "10ms", "timeout": "500ms"},
        faults=faults,
    )


def test_a_disruptive_rejoin_is_counted() -> None:
    """An isolated follower stands again and again; back, its term deposes the leader, which
    steps down: an outage no fault began, counted as a recovery and drawn as two reigns."""
    summary = run(_raft({}, [{"at": "1s", "isolate": "n5", "for": "1s"}])).summary
    lead = summary["leadership"]
    assert lead["reigns"][0]["node"] != "n5"
    later = [o for o in lead["outages"] if o["start_ms"] > 2000]
    assert later and all(o["end_ms"] is not None for o in later)
    recovered = summary["elections"]["leader_recovery_ms"]
    assert len(recovered) == len(lead["outages"]) - 1
    first = lead["reigns"][0]
    assert first["term"] == 1 and len(lead["reigns"]) >= 2
    assert first["to_ms"] is not None and first["to_ms"] > 2000  # it stepped down after the heal


def test_check_quorum_step_down_after_a_partition_is_counted() -> None:
    """The leader alone on one side: an outage from the cut until the others follow a new
    leader, the old one stale meanwhile; with CheckQuorum it steps down, and the heal brings
    a second outage when its higher term (it stood while alone) deposes the new leader."""
    faults = [{"at": "1s", "partition": [["leader"]], "for": "1.5s"}]
    summary = run(_raft({"check_quorum": True}, faults)).summary
    lead = summary["leadership"]
    starts = [o["start_ms"] for o in lead["outages"]]
    assert starts[:2] == [0.0, 1000.0] and len(starts) == 3 and starts[2] >= 2500
    old, new = lead["reigns"][0], lead["reigns"][1]
    assert old["from_ms"] < 1000 < new["from_ms"] < old["to_ms"] < 2500  # stale, then stepped down
    assert len(summary["elections"]["leader_recovery_ms"]) == 2
