"""The ceilings: the least pure-Python programs that do the quick-start's work, message for
message, with no protocol API, no engine and no checks. They bound from above what any pure-Python
quorumsim can reach against the SimPy floor, and so say whether a target is a matter of trimming
or out of reach.

Each is one function, one heapq loop of plain tuples (as `sim.core.loop` runs), one ``if`` chain
on the message kind: what a hand-written special-purpose simulator of that one protocol would be.
Both run the quick-start's cluster: five nodes, a fixed leader ``n1``, four closed-loop clients
thinking 1 ms, client links of 100 us, node links lognormal (median 250 us, sigma 0.5), FIFO per
link, drawn ahead in batches. ``record`` adds what a useful run must keep at the least: a
decision row per replica per entry, two history rows per operation and the replicas' agreement
check (the first decision of each slot, compared by identity). quorumsim records more (requests
rows, commit latencies, invariants, validity, gaps) and runs any protocol through one API.

- `seed_ceiling`: the tutorial protocol. Per operation: a proposal to each follower, an
  acknowledgment from each, a commit to each once a majority acknowledged (12 messages), the
  leader's reply after its own commit, each replica deciding in arrival order.
- `raft_ceiling`: Raft's normal case. Per operation: the leader appends an entry and sends one
  AppendEntries per follower (previous index and term, the entry, the commit index); a follower
  checks the previous entry, appends, pushes its election deadline and answers with its match
  index; the leader counts matches, commits the entry of its term a majority holds, applies and
  replies; followers commit what the next AppendEntries says (8 messages). No heartbeats (400 of
  them in 5 s against ~90,000 messages) and no elections.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

NODES = 5
CLIENTS = 4
THINK = 1.0  # ms
CLIENT_LINK = 0.1  # ms
MEDIAN, SIGMA = 0.25, 0.5  # ms


def _latencies(seed: int) -> Any:
    """A function giving the next link latency (FIFO is applied by the caller)."""
    rng = np.random.default_rng(seed)
    pool: list[float] = []

    def draw() -> float:
        if not pool:
            pool.extend(rng.lognormal(np.log(MEDIAN), SIGMA, 4096).tolist())
        return pool.pop()

    return draw


@dataclass(frozen=True)
class Work:
    """What a ceiling run did, to compare with quorumsim's run of the same scenario."""

    messages: int
    operations: int  # completed
    decisions: int  # replica decisions recorded
    wall_s: float


def _network(seed: int) -> tuple[list[tuple[Any, ...]], Callable[[], int], Callable[..., None]]:
    """The event heap, its sequence numbers, and ``send(now, src, dst, kind, body)``, which puts
    a message in flight on the FIFO link from ``src`` to ``dst``."""
    draw = _latencies(seed)
    queue: list[tuple[Any, ...]] = []
    push, seq = heapq.heappush, iter(range(1 << 62)).__next__
    last = [[0.0] * NODES for _ in range(NODES)]  # FIFO: the last arrival per link

    def send(now: float, src: int, dst: int, kind: int, body: Any) -> None:
        arrival = now + draw()
        link = last[src]
        if arrival < link[dst]:
            arrival = link[dst]
        link[dst] = arrival
        push(queue, (arrival, seq(), kind, dst, src, body))

    return queue, seq, send


# message kinds (the if chain tests the common ones first)
PROPOSE, ACK, COMMIT, APPEND, REPLY, REQUEST, RESPONSE, ISSUE = range(8)


def seed_ceiling(duration_ms: float, record: bool = True, seed: int = 1) -> Work:
    """The work and wall time of the tutorial protocol's quick-start, hand-written."""
    queue, seq, send = _network(seed)
    push, pop = heapq.heappush, heapq.heappop
    applied = [0] * NODES  # each replica numbers its decisions 1, 2, 3, ...
    stores: list[dict[Any, Any]] = [{} for _ in range(NODES)]
    acks: dict[int, int] = {}  # proposal -> acknowledgments from peers
    pending: dict[int, tuple[int, tuple[Any, ...]]] = {}  # proposal -> (client, op)
    needed = NODES // 2  # peers' acknowledgments for a majority with the leader's own
    decisions: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    first: list[Any] = [None]  # slot -> the first replica's op (agreement)
    sent = ops = done = 0

    def decide(now: float, node: int, op: tuple[Any, ...]) -> None:
        index = applied[node] = applied[node] + 1
        stores[node][op[1]] = op[2]
        if record:
            decisions.append((node, index, op[0], now))
            if index < len(first):
                if first[index] is not op:
                    raise AssertionError("replicas disagree")
            else:
                first.append(op)

    for client in range(CLIENTS):
        push(queue, (0.0, seq(), ISSUE, 0, client, None))
    started = time.perf_counter()
    while queue:
        now, _, kind, dst, src, body = pop(queue)
        if now >= duration_ms:
            break
        if kind == ACK:
            count = acks.get(body)
            if count is None:
                continue  # committed already: a late acknowledgment
            if count + 1 < needed:
                acks[body] = count + 1
                continue
            del acks[body]
            client, op = pending.pop(body)
            for peer in range(1, NODES):
                send(now, 0, peer, COMMIT, op)
            sent += NODES - 1
            decide(now, 0, op)
            push(queue, (now + CLIENT_LINK, seq(), RESPONSE, 0, client, op))
        elif kind == PROPOSE:
            send(now, dst, 0, ACK, body[0])
            sent += 1
        elif kind == COMMIT:
            decide(now, dst, body)
        elif kind == REQUEST:
            proposal, op = body
            acks[proposal] = 0
            pending[proposal] = (src, op)
            for peer in range(1, NODES):
                send(now, 0, peer, PROPOSE, body)
            sent += NODES - 1
        elif kind == RESPONSE:
            done += 1
            if record:
                history.append((src, "ok", body[0], now))
            push(queue, (now + THINK, seq(), ISSUE, 0, src, None))
        else:  # ISSUE: a client's next write
            ops += 1
            op = (ops, f"k{ops % 8}", ops)
            if record:
                history.append((src, "invoke", ops, now))
            push(queue, (now + CLIENT_LINK, seq(), REQUEST, 0, src, (ops, op)))
    wall = time.perf_counter() - started
    return Work(sent, done, len(decisions), wall)


def raft_ceiling(duration_ms: float, record: bool = True, seed: int = 1) -> Work:
    """The work and wall time of Raft's normal case on the quick-start, hand-written."""
    queue, seq, send = _network(seed)
    push, pop = heapq.heappush, heapq.heappop
    term = 1
    logs: list[list[tuple[int, Any]]] = [[] for _ in range(NODES)]  # (term, op) per index - 1
    commit = [0] * NODES
    stores: list[dict[Any, Any]] = [{} for _ in range(NODES)]
    deadline = [0.0] * NODES  # a follower's election deadline, pushed per AppendEntries
    timeout = 150.0
    match = [0] * NODES  # the leader's view of each follower
    counts: dict[int, int] = {}  # index above the commit index -> replicas holding it
    waiting: dict[int, int] = {}  # index -> the client to answer
    decisions: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    first: list[Any] = [None]
    majority = NODES // 2 + 1
    sent = ops = done = 0

    def apply(now: float, node: int, upto: int) -> None:
        log, store = logs[node], stores[node]
        for index in range(commit[node] + 1, upto + 1):
            op = log[index - 1][1]
            store[op[1]] = op[2]
            if record:
                decisions.append((node, index, op[0], now))
                if index < len(first):
                    if first[index] is not op:
                        raise AssertionError("replicas disagree")
                else:
                    first.append(op)
            if node == 0:
                client = waiting.pop(index, None)
                if client is not None:
                    push(queue, (now + CLIENT_LINK, seq(), RESPONSE, 0, client, op))
        commit[node] = upto

    for client in range(CLIENTS):
        push(queue, (0.0, seq(), ISSUE, 0, client, None))
    started = time.perf_counter()
    while queue:
        now, _, kind, dst, src, body = pop(queue)
        if now >= duration_ms:
            break
        if kind == APPEND:  # a follower's: (term, prev index, prev term, entries, commit)
            deadline[dst] = now + timeout
            _, prev, prev_term, entries, leader_commit = body
            log = logs[dst]
            if prev > len(log) or (prev and log[prev - 1][0] != prev_term):
                send(now, dst, 0, REPLY, (term, False, len(log)))
                sent += 1
                continue
            if prev == len(log):
                log.extend(entries)
            else:  # (a delayed AppendEntries: keep what matches, replace from a conflict)
                for offset, entry in enumerate(entries):
                    at = prev + offset
                    if at < len(log) and log[at][0] == entry[0]:
                        continue
                    del log[at:]
                    log.extend(entries[offset:])
                    break
            vouched = prev + len(entries)
            upto = leader_commit if leader_commit < vouched else vouched
            if upto > commit[dst]:
                apply(now, dst, upto)
            send(now, dst, 0, REPLY, (term, True, vouched))
            sent += 1
        elif kind == REPLY:  # the leader's: (term, success, match index)
            _, success, matched = body
            if not success or matched <= match[src]:
                continue
            old, match[src] = match[src], matched
            top = 0
            for index in range(max(old, commit[0]) + 1, matched + 1):
                held = counts[index] = counts.get(index, 1) + 1
                if held >= majority:
                    top = index
            if top and logs[0][top - 1][0] == term:
                for index in range(commit[0] + 1, top + 1):
                    counts.pop(index, None)
                apply(now, 0, top)
        elif kind == REQUEST:
            log = logs[0]
            log.append((term, body))
            index = len(log)
            waiting[index] = src
            message = (
                term,
                index - 1,
                log[index - 2][0] if index > 1 else 0,
                (log[-1],),
                commit[0],
            )
            for peer in range(1, NODES):
                send(now, 0, peer, APPEND, message)
            sent += NODES - 1
        elif kind == RESPONSE:
            done += 1
            if record:
                history.append((src, "ok", body[0], now))
            push(queue, (now + THINK, seq(), ISSUE, 0, src, None))
        else:  # ISSUE
            ops += 1
            op = (ops, f"k{ops % 8}", ops)
            if record:
                history.append((src, "invoke", ops, now))
            push(queue, (now + CLIENT_LINK, seq(), REQUEST, 0, src, op))
    wall = time.perf_counter() - started
    return Work(sent, done, len(decisions), wall)
