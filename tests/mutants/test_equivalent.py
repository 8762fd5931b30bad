"""Why `CommitBeyondMatch` escapes: in this Raft the over-commit it plants never commits an
entry the leader does not have, though its code path runs all the time."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from sim import load_scenario, run
from sim.protocols.api import Context
from sim.protocols.raft.messages import AppendEntries
from sim.protocols.raft.protocol import Raft
from tests.mutants.catalog import SCENARIOS
from tests.mutants.raft import _rebind

pytestmark = pytest.mark.slow


@_rebind
class Watched(Raft):
    """Raft that notes, for each AppendEntries a follower accepts with entries of its own past
    the message's last one and below the leader's commit index (where `CommitBeyondMatch`
    commits more than Raft does), whether any of those entries differs from the leader's."""

    nodes: ClassVar[dict[str, Watched]] = {}  # node -> its protocol instance now
    beyond: ClassVar[int] = 0
    differs: ClassVar[list[tuple[float, str, int]]] = []

    def on_start(self, ctx: Context) -> None:
        Watched.nodes[ctx.node_id] = self
        super().on_start(ctx)

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        super()._on_append_entries(ctx, src, msg)
        log, last_new = self.log, msg.prev_log_index + len(msg.entries)
        top = min(msg.leader_commit, log.last_index)
        vouched = msg.entries[-1].term if msg.entries else msg.prev_log_term
        if msg.term != self.term or top <= last_new or log.term_at(last_new) != vouched:
            return  # not accepted, or nothing past it below the commit index
        leader = Watched.nodes[src]
        if leader.term != msg.term:
            return  # (its log may have changed since it sent the message)
        Watched.beyond += 1
        theirs = leader.log
        for index in range(last_new + 1, top + 1):
            if index > theirs.last_index or log.term_at(index) != theirs.term_at(index):
                Watched.differs.append((ctx.now, ctx.node_id, index))


def _watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run 30 seeds of hunt-raft.yaml with `Watched`, from a clean record."""
    monkeypatch.setattr(Watched, "nodes", {})
    monkeypatch.setattr(Watched, "differs", [])
    monkeypatch.setattr(Watched, "beyond", 0)
    for seed in range(1, 31):
        scenario = load_scenario(
            SCENARIOS / "hunt-raft.yaml",
            overrides=[f"seed={seed}", "cluster.protocol=tests.mutants.test_equivalent:Watched"],
        )
        run(scenario)


def test_a_follower_never_holds_entries_the_leader_lacks_below_its_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over 30 seeds of hunt-raft.yaml, followers often accept an AppendEntries with entries
    of their own past it below the leader's commit index, and every such entry is the
    leader's: committing up to the commit index there (the mutant) commits nothing else."""
    _watch(monkeypatch)
    assert Watched.beyond > 1000
    assert Watched.differs == []


def test_the_watch_sees_a_stale_tail_a_leader_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leader that resumes a follower one index below where its back-off lands sends an
    entry both have, and the stale tail past it survives: the watch sees it."""
    backed_off = Raft._backed_off

    def one_lower(self: Raft, progress: Any, msg: Any) -> int:
        return max(progress.match_index + 1, backed_off(self, progress, msg) - 1)

    monkeypatch.setattr(Watched, "_backed_off", one_lower)
    _watch(monkeypatch)
    assert Watched.differs
