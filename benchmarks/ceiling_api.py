"""The same ceilings as benchmarks/ceiling.py, shaped as quorumsim is: the least a pluggable
protocol API costs.

quorumsim runs any protocol, including protocols written outside the package, through one API
(docs/protocol-api.md): a protocol is an object per node, it receives message objects and client
requests, and it acts through a context (``send``, ``broadcast``, ``decide``, ``reply``). These
programs keep exactly that shape and nothing else of quorumsim: the same loop of plain tuples, the
same work as `seed_ceiling` and `raft_ceiling` (same cluster, same latencies, same records and
agreement check), but each node a protocol object, each message an instance of a slotted class,
and each action a call on a per-node context. What they lose against the hand-written ceilings is
the price of the API alone; what quorumsim loses against them is its engine, clients and checks.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.ceiling import CLIENT_LINK, CLIENTS, NODES, THINK, Work, _latencies


@dataclass(slots=True)
class Op:
    op_id: int
    op: str
    key: str
    value: Any


@dataclass(slots=True)
class Request:
    op_id: int
    client: int
    op: str
    key: str
    value: Any


class Context:
    """A node's side of the API: its id and the actions it may take (bound by `_Cluster`)."""

    __slots__ = ("broadcast", "decide", "node_id", "now", "protocol", "reply", "send")

    node_id: str
    protocol: Any
    send: Callable[[str, Any], None]
    broadcast: Callable[[Any], None]
    decide: Callable[[int, Op], None]
    reply: Callable[[Request, Any], None]
    now: Callable[[], float]


class _Call:
    """A function at a time: a client's step."""

    __slots__ = ("arg", "fn")

    def __init__(self, fn: Callable[[Any], None], arg: Any) -> None:
        self.fn, self.arg = fn, arg


class _Cluster:
    """Five nodes of one protocol, four closed-loop clients, and the loop that runs them."""

    def __init__(self, make: Callable[[str], Any], record: bool, seed: int) -> None:
        self.draw = _latencies(seed)
        self.queue: list[tuple[Any, ...]] = []
        self.seq = iter(range(1 << 62)).__next__
        self.now = 0.0
        self.record = record
        self.decisions: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.first: list[Any] = [None]
        self.sent = self.ops = self.done = 0
        self.names = [f"n{i + 1}" for i in range(NODES)]
        self.contexts: dict[str, Context] = {}
        for name in self.names:
            self.contexts[name] = self._context(name, make(name))

    def _context(self, name: str, protocol: Any) -> Context:
        ctx = Context()
        ctx.node_id, ctx.protocol = name, protocol
        queue, seq, draw, cluster, contexts = self.queue, self.seq, self.draw, self, self.contexts
        last: dict[str, float] = {}  # FIFO: the last arrival per link
        peers = [n for n in self.names if n != name]
        decisions, first, record = self.decisions, self.first, self.record

        def send(dst: str, msg: Any) -> None:
            arrival = cluster.now + draw()
            if arrival < last.get(dst, 0.0):
                arrival = last[dst]
            last[dst] = arrival
            cluster.sent += 1
            heapq.heappush(queue, (arrival, seq(), contexts[dst], name, msg))

        def broadcast(msg: Any) -> None:
            for dst in peers:
                send(dst, msg)

        def decide(index: int, op: Op) -> None:
            if record:
                decisions.append((name, index, op.op_id, cluster.now))
                if index < len(first):
                    if first[index] is not op:
                        raise AssertionError("replicas disagree")
                else:
                    first.append(op)

        def reply(request: Request, result: Any) -> None:
            self._at(CLIENT_LINK, self._respond, (request, result))

        ctx.send, ctx.broadcast, ctx.decide, ctx.reply = send, broadcast, decide, reply
        ctx.now = lambda: cluster.now
        return ctx

    def _at(self, delay: float, fn: Callable[[Any], None], arg: Any) -> None:
        heapq.heappush(self.queue, (self.now + delay, self.seq(), _Call(fn, arg), None, None))

    def _issue(self, client: int) -> None:
        self.ops += 1
        op_id = self.ops
        request = Request(op_id, client, "write", f"k{op_id % 8}", op_id)
        if self.record:
            self.history.append((client, "invoke", op_id, self.now))
        self._at(CLIENT_LINK, self._reach, request)

    def _reach(self, request: Request) -> None:
        ctx = self.contexts["n1"]  # the leader, fixed
        ctx.protocol.on_request(ctx, request)

    def _respond(self, answer: tuple[Request, Any]) -> None:
        request, _ = answer
        self.done += 1
        if self.record:
            self.history.append((request.client, "ok", request.op_id, self.now))
        self._at(THINK, self._issue, request.client)

    def run(self, duration_ms: float) -> Work:
        for client in range(CLIENTS):
            self._at(0.0, self._issue, client)
        queue, pop = self.queue, heapq.heappop
        started = time.perf_counter()
        while queue:
            entry = pop(queue)
            now = self.now = entry[0]
            if now >= duration_ms:
                break
            target = entry[2]
            if target.__class__ is Context:
                target.protocol.on_message(target, entry[3], entry[4])
            else:
                target.fn(target.arg)
        wall = time.perf_counter() - started
        return Work(self.sent, self.done, len(self.decisions), wall)


# --- the tutorial protocol -------------------------------------------------------------------


@dataclass(slots=True)
class Proposal:
    proposal_id: str
    op: Op


@dataclass(slots=True)
class Acknowledgment:
    proposal_id: str


@dataclass(slots=True)
class Commit:
    proposal_id: str
    op: Op


class Seed:
    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.needed = NODES // 2  # peers' acknowledgments, with the proposer's own a majority
        self.acks: dict[str, int] = {}
        self.pending: dict[str, tuple[Op, Request]] = {}
        self.proposals = self.applied = 0
        self.kv: dict[str, Any] = {}

    def on_request(self, ctx: Context, request: Request) -> None:
        op = Op(request.op_id, request.op, request.key, request.value)
        self.proposals += 1
        proposal_id = f"{self.node_id}:{self.proposals}"
        self.pending[proposal_id] = (op, request)
        self.acks[proposal_id] = 0
        ctx.broadcast(Proposal(proposal_id, op))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        kind = type(msg)
        if kind is Proposal:
            ctx.send(src, Acknowledgment(msg.proposal_id))
        elif kind is Acknowledgment:
            proposal_id = msg.proposal_id
            count = self.acks.get(proposal_id)
            if count is None:
                return  # committed already
            if count + 1 < self.needed:
                self.acks[proposal_id] = count + 1
                return
            del self.acks[proposal_id]
            op, request = self.pending.pop(proposal_id)
            ctx.broadcast(Commit(proposal_id, op))
            ctx.reply(request, self._apply(ctx, op))
        elif kind is Commit:
            self._apply(ctx, msg.op)

    def _apply(self, ctx: Context, op: Op) -> str:
        self.applied += 1
        ctx.decide(self.applied, op)
        self.kv[op.key] = op.value
        return "ok"


def seed_api_ceiling(duration_ms: float, record: bool = True, seed: int = 1) -> Work:
    """`seed_ceiling`'s work through the least protocol API."""
    return _Cluster(Seed, record, seed).run(duration_ms)


# --- Raft's normal case ----------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    term: int
    op: Op


@dataclass(slots=True)
class AppendEntries:
    term: int
    prev_index: int
    prev_term: int
    entries: tuple[Entry, ...]
    leader_commit: int


@dataclass(slots=True)
class AppendEntriesReply:
    term: int
    success: bool
    match_index: int


class Raft:
    TIMEOUT = 150.0

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.term = 1
        self.log: list[Entry] = []
        self.commit_index = 0
        self.kv: dict[str, Any] = {}
        self.deadline = 0.0  # the election timer, pushed per AppendEntries
        self.match = {f"n{i + 1}": 0 for i in range(NODES)}  # the leader's view
        self.counts: dict[int, int] = {}  # index above the commit index -> replicas holding it
        self.waiting: dict[int, Request] = {}  # index -> the request to answer
        self.majority = NODES // 2 + 1

    def on_request(self, ctx: Context, request: Request) -> None:
        log = self.log
        log.append(Entry(self.term, Op(request.op_id, request.op, request.key, request.value)))
        index = len(log)
        self.waiting[index] = request
        prev_term = log[index - 2].term if index > 1 else 0
        ctx.broadcast(AppendEntries(self.term, index - 1, prev_term, (log[-1],), self.commit_index))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if type(msg) is AppendEntries:
            self._on_append_entries(ctx, src, msg)
        else:
            self._on_reply(ctx, src, msg)

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        self.deadline = ctx.now() + self.TIMEOUT
        log, prev = self.log, msg.prev_index
        if prev > len(log) or (prev and log[prev - 1].term != msg.prev_term):
            ctx.send(src, AppendEntriesReply(self.term, False, len(log)))
            return
        entries = msg.entries
        if prev == len(log):
            log.extend(entries)
        else:  # (a delayed AppendEntries: keep what matches, replace from a conflict)
            for offset, entry in enumerate(entries):
                at = prev + offset
                if at < len(log) and log[at].term == entry.term:
                    continue
                del log[at:]
                log.extend(entries[offset:])
                break
        vouched = prev + len(entries)
        upto = msg.leader_commit if msg.leader_commit < vouched else vouched
        if upto > self.commit_index:
            self._commit(ctx, upto)
        ctx.send(src, AppendEntriesReply(self.term, True, vouched))

    def _on_reply(self, ctx: Context, src: str, msg: AppendEntriesReply) -> None:
        matched, old = msg.match_index, self.match[src]
        if not msg.success or matched <= old:
            return
        self.match[src] = matched
        counts, top = self.counts, 0
        for index in range(max(old, self.commit_index) + 1, matched + 1):
            held = counts[index] = counts.get(index, 1) + 1
            if held >= self.majority:
                top = index
        if top and self.log[top - 1].term == self.term:
            for index in range(self.commit_index + 1, top + 1):
                counts.pop(index, None)
            self._commit(ctx, top)

    def _commit(self, ctx: Context, upto: int) -> None:
        log, kv, waiting = self.log, self.kv, self.waiting
        for index in range(self.commit_index + 1, upto + 1):
            op = log[index - 1].op
            kv[op.key] = op.value
            ctx.decide(index, op)
            request = waiting.pop(index, None)
            if request is not None:
                ctx.reply(request, "ok")
        self.commit_index = upto


def raft_api_ceiling(duration_ms: float, record: bool = True, seed: int = 1) -> Work:
    """`raft_ceiling`'s work through the least protocol API."""
    return _Cluster(Raft, record, seed).run(duration_ms)
