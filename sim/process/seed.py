"""``seed-process``: the `seed` protocol (the article's proposal/acknowledgment/commit protocol,
unsafe on purpose) written as a SimPy process with `sim.process.adapter`.

It makes the same decisions and answers as `sim.protocols.seed` on the same scenario and seed
(tests/external/test_seed_process.py compares them): read the two side by side to see how a
callback protocol becomes a process. It is not built in: quorumsim's own pyproject.toml declares
it under the ``quorumsim.protocols`` entry point, as any other package would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.process.adapter import Node, Process, ProcessProtocol
from sim.protocols.api import KV, Op, Request, Result
from sim.protocols.seed import SeedParams, acknowledgments_needed
from sim.protocols.seed.messages import Acknowledgment, Commit, Proposal


@dataclass(slots=True)
class _Pending:
    op: Op
    request: Request | None
    acks: set[str] = field(default_factory=set)


class SeedProcess(ProcessProtocol):
    """The article's proposal/acknowledgment/commit protocol, as a SimPy process."""

    name = "seed-process"
    Params = SeedParams
    ordered_slots = True  # each node numbers its own applications 1, 2, 3, ...
    params: SeedParams

    def __init__(self, params: SeedParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        self.needed = acknowledgments_needed(params.quorum, len(nodes))
        self.proposals = 0
        self.pending: dict[str, _Pending] = {}
        self.applied = 0
        self.kv = KV()
        self.last_proposed_at = -1.0

    def run(self, node: Node) -> Process:
        if self.params.bootstrap is not None and node.id == node.nodes[0]:
            self.propose(node, Op(f"bootstrap:{node.id}", "write", None, self.params.bootstrap))
        while True:
            item = yield node.inbox.get()
            if isinstance(item, Request):
                if item.op == "read" and self.params.read == "local":
                    node.reply(item, self.kv.read(item.key))
                else:
                    self.propose(node, Op(item.op_id, item.op, item.key, item.value), item)
                continue
            src, msg = item
            if isinstance(msg, Proposal):
                node.send(src, Acknowledgment(msg.proposal_id))
            elif isinstance(msg, Acknowledgment):
                pending = self.pending.get(msg.proposal_id)
                if pending is not None:
                    pending.acks.add(src)
                    if len(pending.acks) >= self.needed:
                        self.commit(node, msg.proposal_id)
            elif isinstance(msg, Commit):
                self.apply(node, msg.op)

    def propose(self, node: Node, op: Op, request: Request | None = None) -> None:
        self.proposals += 1
        proposal_id = f"{node.id}:{self.proposals}"
        self.pending[proposal_id] = _Pending(op, request)
        self.last_proposed_at = node.now
        node.emit("proposed", op_id=op.op_id)
        if self.needed == 0:
            self.commit(node, proposal_id)
            return
        node.broadcast(Proposal(proposal_id, op))
        if self.params.timeout is not None:
            node.spawn(self.give_up(node, proposal_id, self.params.timeout))

    def give_up(self, node: Node, proposal_id: str, after: float) -> Process:
        """A proposal without its quorum ``after`` ms on is answered ``fail``."""
        yield node.timeout(after)
        pending = self.pending.pop(proposal_id, None)
        if pending is not None and pending.request is not None:
            node.reply(pending.request, Result("fail"))

    def commit(self, node: Node, proposal_id: str) -> None:
        pending = self.pending.pop(proposal_id)
        node.broadcast(Commit(proposal_id, pending.op))
        result = self.apply(node, pending.op)
        if pending.request is not None:
            node.reply(pending.request, result)

    def apply(self, node: Node, op: Op) -> Result:
        """Apply in arrival order: each node numbers its own applications, 1, 2, 3, ..."""
        self.applied += 1
        node.decide(self.applied, op)
        return self.kv.apply(op)

    def leader_rank(self) -> float | None:
        # As `seed`: no leader; fault targets call "leader" the node that proposed last.
        return self.last_proposed_at if self.last_proposed_at >= 0 else None

    def describe(self) -> dict[str, Any]:
        return {"applied": self.applied, "pending": len(self.pending)}
