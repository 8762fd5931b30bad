"""A protocol that knows nothing of Raft but emits the shared event vocabulary gets the
election, leadership and recovery figures: they are keyed on its epoch, not on a term."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sim.experiment.run import run
from sim.protocols import register
from sim.protocols.api import Context, Protocol, ProtocolParams, Request, Result, events
from tests.conftest import make_scenario

NODES = ("n1", "n2", "n3")
PATIENCE_MS = 100.0  # node i campaigns after i x this without a leader
HEARTBEAT_MS = 20.0


@dataclass(slots=True)
class Beat:
    ballot: int


@register
class Ballots(Protocol):
    """A toy leader protocol: a node that hears no leader for its patience takes the next
    ballot it owns and leads (no votes: only the vocabulary matters here)."""

    name = "test-ballots"
    Params = ProtocolParams
    leader_based = True

    def __init__(self, params: ProtocolParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        self.ballot = 0  # the highest seen
        self.followed = 0  # the ballot whose leader this node reported following
        self.leading = False
        self.rank = nodes.index(node_id) + 1

    @property
    def is_leader(self) -> bool:
        return self.leading

    @property
    def epoch(self) -> int:
        return self.ballot

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer("patience", PATIENCE_MS * self.rank)

    def on_timer(self, ctx: Context, name: str) -> None:
        if name == "patience":
            self.ballot += self.rank
            events.campaign_started(ctx, self.ballot)
            self.leading = True
            events.became_leader(ctx, self.ballot)
        ctx.broadcast(Beat(self.ballot))
        ctx.set_timer("beat", HEARTBEAT_MS)

    def on_message(self, ctx: Context, src: str, msg: Beat) -> None:
        if msg.ballot <= self.ballot and (self.leading or msg.ballot < self.ballot):
            return  # an older leader's beat
        if self.leading:
            self.leading = False
            events.stepped_down(ctx, self.ballot)
            ctx.cancel_timer("beat")
        self.ballot = msg.ballot
        if self.followed != msg.ballot:
            self.followed = msg.ballot
            events.follows(ctx, src, msg.ballot)
        ctx.set_timer("patience", PATIENCE_MS * self.rank)

    def on_request(self, ctx: Context, request: Request) -> None:
        ctx.reply(request, Result("fail"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_elections_and_recovery_come_from_the_vocabulary(tmp_path: Path) -> None:
    """n1 leads ballot 1 from 100 ms; crashed at 1010 ms, its last beat (sent at 1000 ms) reached
    n2 at 1005 ms, so n2 campaigns at 1205 ms with ballot 3, and n3 follows it on the beat that
    arrives 5 ms later: two elections, and a recovery of 1210 - 1010 = 200 ms."""
    scenario = make_scenario(
        duration="2s",
        cluster={"nodes": 3, "protocol": "test-ballots"},
        network={"latency": "5ms"},
        workload={"clients": 0},
        faults=[{"at": "1010ms", "crash": "leader"}],
    )
    result = run(scenario, out=tmp_path / "run")
    elections = _rows(tmp_path / "run" / "elections.csv")
    assert [(r["term"], r["leader"], r["started_ms"], r["elected_ms"]) for r in elections] == [
        ("1", "n1", "100.0", "100.0"),
        ("3", "n2", "1205.0", "1205.0"),
    ]
    assert result.summary["elections"]["count"] == 2
    assert result.summary["elections"]["leader_recovery_ms"] == [200.0]
    reigns = result.summary["leadership"]["reigns"]
    assert [(r["node"], r["term"]) for r in reigns] == [("n1", 1), ("n2", 3)]
