"""Clients: closed loop (wait for the reply, think, go again) or open loop (Poisson arrivals).

Clients live outside the cluster: their links to nodes have `client_latency` and are not cut by
partitions, but a request to a crashed node is lost and the client times out (outcome
`unknown`, an `info` line in the history), as a real client would. Everything is callbacks on
SimPy events: no process per client or per request.

Process ids in the history follow Jepsen: a process runs one operation at a time, and a process
whose operation ended `unknown` is never used again (it may still be running, for all anyone
knows); the client carries on under a fresh process id.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from typing import Protocol as TypingProtocol

import numpy as np

from sim.core.environment import Environment
from sim.core.events import call_at, call_later
from sim.protocols.base import Request, Result
from sim.scenario.model import Workload
from sim.workload.operations import OperationMaker

if TYPE_CHECKING:
    from sim.metrics.recorder import Recorder

MAX_IMMEDIATE_REDIRECTS = 4
RETRY_DELAY_MS = 10.0
_HISTORY_TYPE = {"ok": "ok", "fail": "fail", "unknown": "info"}  # outcome -> history line type


class Host(TypingProtocol):
    """What clients need of a node's host (the engine's NodeHost): its name and its door."""

    node_id: str

    def request(self, request: Request) -> object: ...


class ClientLinks(TypingProtocol):
    """What clients need of the network: the delay of a client <-> node link."""

    def client_delay(self) -> float: ...


class SitePaths(TypingProtocol):
    """What clients at a node's site need of the network (`sim.network.client_paths`)."""

    def delay(self, src: str, dst: str) -> float: ...


class Ids:
    """The op and process ids handed out so far, shared by a run's client groups: a history's
    ids are unique across the groups."""

    __slots__ = ("op", "process")

    def __init__(self, processes: int) -> None:
        self.op = 0
        self.process = processes  # the next fresh process id (the first ones are the clients)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a group of clients is (no ``near``: outside the cluster, the single workload) and
    the run-wide numbering it shares with the other groups."""

    ids: Ids
    first_client: int = 0  # the run-wide number of the group's first client
    near: str | None = None
    paths: SitePaths | None = None


@dataclass(slots=True)
class _Pending:
    request: Request
    client: int  # the client's index within its group (``request.client`` is run-wide)
    process: int
    node: str
    invoked: float
    redirects: int = 0
    done: bool = False


class Clients:
    def __init__(
        self,
        env: Environment,
        config: Workload,
        nodes: tuple[str, ...],
        hosts: Mapping[str, Host],
        network: ClientLinks,
        recorder: Recorder,
        rng: np.random.Generator,
        end: float,
        ops_rng: np.random.Generator,
        group: Site | None = None,
    ) -> None:
        self.env = env
        self.config = config
        self.hosts = hosts
        self.nodes = nodes
        self.network = network
        self.recorder = recorder
        self.rng = rng
        self.end = end
        self.ops = OperationMaker(config, ops_rng)  # arrivals and targets: ``rng``
        self.issued = 0
        self.pending: dict[int, _Pending] = {}
        site = group or Site(Ids(config.clients))
        self.ids, self.first_client = site.ids, site.first_client
        self._near, self._paths = site.near, site.paths
        first = self.first_client
        # client -> its current process id (at first the client's run-wide number)
        self._process_of = list(range(first, first + config.clients))
        self._free_processes: list[int] = []  # open loop: processes idle and reusable
        # Where each client thinks the leader is: at first its own site's node, if it has one.
        self._guess = [site.near or self.nodes[0]] * config.clients
        # Every operation times out the same time after its invocation, so deadlines come due in
        # the order operations were issued: one queue and one pending event for them all, rather
        # than an event per operation that would sit in the simulator's heap for the whole
        # timeout (thousands of them, making every heap operation slower).
        self._deadlines: deque[tuple[float, int]] = deque()  # (deadline, op_id), oldest first
        self._watching = False  # whether an event is pending for the oldest deadline
        # Read per operation: bound once (a look-up through the config or the recorder each time
        # is a tenth of a client's work).
        self._closed = config.mode == "closed"
        self._limit, self._timeout, self._think = config.ops, config.timeout, config.think
        # The history's and the requests' rows go to the recorder's tables as tuples, in their
        # columns' order (sim.metrics.recorder), and on to the columns when the history is full.
        self._history, self._history_op_ids = recorder.history.table.rows, recorder.history_op_ids
        self._requests, self._invoke = recorder.requests.rows, recorder.safety.invoke
        self._full, self._flush_rows = recorder.history.table.FULL, recorder.flush_rows
        self._tracing = recorder.tracing

    def start(self) -> None:
        if self.config.clients == 0:
            return
        if self.config.mode == "closed":
            for client in range(self.config.clients):
                call_later(self.env, self.config.start, self._issue, client)
        else:
            call_later(self.env, self.config.start + self._interarrival(), self._arrival, None)

    # --- issuing ------------------------------------------------------------------------------

    def _interarrival(self) -> float:
        rate = self.config.rate
        return float(self.rng.exponential(1000.0 / rate)) if rate > 0 else float("inf")

    def _arrival(self, _: None) -> None:
        client = int(self.rng.integers(self.config.clients))
        if self._issue(client):
            call_later(self.env, self._interarrival(), self._arrival, None)

    def _issue(self, client: int) -> bool:
        """Invoke one operation; False once the workload is over."""
        limit = self._limit
        now = self.env.now  # a float: see Simulation
        if (limit is not None and self.issued >= limit) or now >= self.end:
            return False
        self.issued += 1
        ids = self.ids
        ids.op += 1
        op_id = ids.op
        op, key, value = self.ops.make(op_id)
        request = Request(op_id, self.first_client + client, op, key, value)
        process = self._take_process(client)
        node = self._choose_node(client)
        pending = self.pending[op_id] = _Pending(request, client, process, node, now)
        self._invoke(op_id, op, key, value)
        # (process, type, f, key, value, time)
        self._history.append((process, "invoke", op, key, None if op == "read" else value, now))
        self._history_op_ids.append(op_id)
        if self._tracing:
            self.recorder.trace(
                "invoke",
                client=request.client,
                process=process,
                node=node,
                op_id=op_id,
                op=op,
                key=key,
            )
        self._send(pending)
        deadline = now + self._timeout
        self._deadlines.append((deadline, op_id))
        if not self._watching:
            self._watching = True
            call_at(self.env, deadline, self._deadline_due, None)
        return True

    def _take_process(self, client: int) -> int:
        if self._closed:
            return self._process_of[client]
        if self._free_processes:
            return self._free_processes.pop()
        self.ids.process += 1
        return self.ids.process - 1

    def _choose_node(self, client: int) -> str:
        target = self.config.target
        if target == "any":
            return self.nodes[int(self.rng.integers(len(self.nodes)))]
        if target == "leader":
            return self._guess[client]
        return target

    def _send(self, pending: _Pending) -> None:
        node = pending.node
        delivery = (self.hosts[node], pending.request)
        if self._near is None:
            delay = self.network.client_delay()
        else:
            delay = self._paths.delay(self._near, node)  # type: ignore[union-attr]
        call_later(self.env, delay, self._reach, delivery)

    def _reach(self, delivery: tuple[Host, Request]) -> None:
        host, request = delivery
        if self._tracing:
            self.recorder.trace("request", node=host.node_id, op_id=request.op_id)
        host.request(request)  # a crashed node loses it; the client will time out

    # --- outcomes -----------------------------------------------------------------------------

    def reply(self, node: str, request: Request, result: Result, hold: float) -> None:
        """A node answers (the NodeHost's reply sink); it reaches the client a link later."""
        if self._near is None:
            delay = hold + self.network.client_delay()
        else:
            delay = hold + self._paths.delay(node, self._near)  # type: ignore[union-attr]
        call_later(self.env, delay, self._replied, (node, request, result))

    def _replied(self, answer: tuple[str, Request, Result]) -> None:
        node, request, result = answer
        if self._tracing:
            self.recorder.trace("reply", node=node, op_id=request.op_id, status=result.status)
        pending = self.pending.get(request.op_id)
        if pending is None or pending.node != node:
            return  # timed out already, or an answer from a node the client has left
        if result.status == "redirect":
            self._redirect(pending, result.leader)
            return
        if result.status == "ok":
            self.ops.observed(request.op, request.key, request.value, result.value)
            outcome = "ok"
        else:
            outcome = "fail"
        self._complete(pending, outcome, result.value if request.op == "read" else request.value)

    def _redirect(self, pending: _Pending, leader: str | None) -> None:
        client = pending.client
        if leader is not None and leader != pending.node:
            self._guess[client] = leader
        else:
            self._guess[client] = self._next_node(pending.node)
        pending.node = self._guess[client]
        pending.redirects += 1
        if leader is not None and pending.redirects <= MAX_IMMEDIATE_REDIRECTS:
            self._send(pending)
        else:
            # No leader known (an election is on): wait a little rather than spin.
            call_later(self.env, RETRY_DELAY_MS, self._resend, pending)

    def _resend(self, pending: _Pending) -> None:
        if not pending.done:
            self._send(pending)

    def _next_node(self, node: str) -> str:
        return self.nodes[(self.nodes.index(node) + 1) % len(self.nodes)]

    def _deadline_due(self, _: None) -> None:
        """Time out every operation whose deadline has come and that is still waiting, oldest
        first, then wait for the next deadline."""
        deadlines, now, pending = self._deadlines, self.env.now, self.pending
        # Operations that ended meanwhile leave the queue too, whatever their deadline: the next
        # event waits for the oldest one still running (about one event per timeout, not per
        # operation).
        while deadlines:
            deadline, op_id = deadlines[0]
            if op_id in pending:
                if deadline > now:
                    break
                self._timed_out(op_id)
            deadlines.popleft()
        if deadlines:
            call_at(self.env, deadlines[0][0], self._deadline_due, None)
        else:
            self._watching = False

    def _timed_out(self, op_id: int) -> None:
        pending = self.pending.get(op_id)
        if pending is None:
            return
        client = pending.client
        if self.config.target == "leader":
            self._guess[client] = self._next_node(pending.node)
        self._complete(pending, "unknown", pending.request.value)

    def _complete(self, pending: _Pending, outcome: str, value: Any) -> None:
        request = pending.request
        now = self.env.now
        pending.done = True
        del self.pending[request.op_id]
        history = self._history
        history.append(
            (pending.process, _HISTORY_TYPE[outcome], request.op, request.key, value, now)
        )
        if len(history) >= self._full:
            self._flush_rows()
        self._history_op_ids.append(request.op_id)
        if self._tracing:
            self.recorder.trace(
                "complete", client=request.client, op_id=request.op_id, outcome=outcome, value=value
            )
        self._requests.append(
            (
                request.op_id,
                request.client,
                pending.node,
                request.op,
                request.key,
                request.value,
                pending.invoked,
                now,
                now - pending.invoked,
                outcome,
            )
        )
        self._release_process(pending.client, pending.process, outcome)
        if self._closed:
            call_later(self.env, self._think, self._issue, pending.client)

    def _release_process(self, client: int, process: int, outcome: str) -> None:
        if outcome == "unknown":
            if self._closed:
                self._process_of[client] = self.ids.process
                self.ids.process += 1
        elif not self._closed:
            self._free_processes.append(process)

    def unfinished(self) -> list[tuple[Any, ...]]:
        """Operations still waiting when the run ended: their outcome is unknown."""
        rows = []
        for pending in self.pending.values():
            r = pending.request
            rows.append(
                (
                    r.op_id,
                    r.client,
                    pending.node,
                    r.op,
                    r.key,
                    r.value,
                    pending.invoked,
                    None,
                    None,
                    "unknown",
                )
            )
        return rows
