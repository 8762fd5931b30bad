"""The protocol events the metrics read: emit these (one call each) to get the figures.

Leadership is keyed on an **epoch**: Raft's term, a Paxos ballot, a view number; an integer that
only rises, at most one leader per epoch. (A ballot that is a pair, such as ``(round, node)``,
is encoded as one integer that orders the same way.)

==========================  ============================================================
event                       meaning, and what it feeds
==========================  ============================================================
``campaign_started(e)``     the node stands for leadership in epoch e (a candidacy, a
                            prepare): the start of e's row in elections.csv
``became_leader(e)``        it leads epoch e: the row's leader and end; leader changes;
                            the end of a leaderless interval
``follows(leader, e)``      it accepts ``leader`` as the leader of e (once per epoch per
                            life): the end of leader recovery at that node
``stepped_down(e)``         it stops leading e
``proposed(op_id)``         it starts ordering a client op: commit latency runs from here
                            to this node's decision of it
==========================  ============================================================

elections.csv keeps its column name ``term`` for the epoch. A node's view of who leads is its
latest leadership event (`sim.metrics.leadership`): a campaign means it follows no one.
Any other event name is the protocol's own: traced, and handed to its invariants.
"""

from __future__ import annotations

from sim.protocols.api.context import Context
from sim.protocols.api.operations import OpId

CAMPAIGN_STARTED = "campaign_started"
BECAME_LEADER = "became_leader"
FOLLOWS = "follows"
STEPPED_DOWN = "stepped_down"
PROPOSED = "proposed"

LEADERSHIP_EVENTS = frozenset({CAMPAIGN_STARTED, BECAME_LEADER, FOLLOWS, STEPPED_DOWN})
"""The events that say who leads; each carries ``epoch`` (and ``follows`` its ``leader``)."""


def campaign_started(ctx: Context, epoch: int) -> None:
    ctx.emit(CAMPAIGN_STARTED, epoch=epoch)


def became_leader(ctx: Context, epoch: int) -> None:
    ctx.emit(BECAME_LEADER, epoch=epoch)


def follows(ctx: Context, leader: str, epoch: int) -> None:
    ctx.emit(FOLLOWS, epoch=epoch, leader=leader)


def stepped_down(ctx: Context, epoch: int) -> None:
    ctx.emit(STEPPED_DOWN, epoch=epoch)


def proposed(ctx: Context, op_id: OpId) -> None:
    ctx.emit(PROPOSED, op_id=op_id)
