"""Primary-backup replication: the first node is the primary; it orders every client operation
in its log and answers once enough backups hold the entry durably.

- A client request at a backup is redirected to the primary.
- The primary appends the operation to its log, persists the log, and sends each backup every
  entry it has not acknowledged yet (so a message that overtakes another carries what the other
  did). A backup appends the entries that extend its log, persists, and acknowledges how far its
  log goes. Every ``retry`` the primary sends the same again (an empty heartbeat to a backup
  that has everything), which repairs lost messages.
- An entry commits once ``acks`` backups hold it: the primary applies it to its key-value store
  and answers the client. Backups apply entries as they append them, which is safe here because
  no other node ever orders operations: an entry once in a log is never replaced.
- There is no failover: while the primary is down nothing commits. A restarted primary reads its
  log back, starts a new epoch, and commits its entries again as the backups acknowledge them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from primary_backup.messages import Ack, Replicate
from sim.protocols.base import OK, Context, Op, Protocol, ProtocolParams, Request, Result
from sim.units import Duration

BATCH = 256  # entries per Replicate at most: a backup that was down catches up over a few


class PrimaryBackupParams(ProtocolParams):
    retry: Duration = Field(
        default=20.0,
        description="how often the primary resends each backup what it has not acknowledged "
        "(an empty heartbeat when it has everything)",
    )
    acks: Literal["all", "majority"] = Field(
        default="all",
        description="all: an entry commits once every backup holds it; majority: once a "
        "majority of the nodes does, the primary counting",
    )


class PrimaryBackup(Protocol):
    """Primary-backup replication: the first node orders operations, the others copy its log."""

    name = "primary-backup"
    Params = PrimaryBackupParams
    leader_based = True  # faults may target `leader`, clients follow it, elections.csv is written
    ordered_slots = True  # every replica decides log indices 1, 2, 3, ... in order
    params: PrimaryBackupParams

    def __init__(self, params: PrimaryBackupParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        # Volatile state: a crash loses all of it (on_start reads the durable part back).
        self.primary = nodes[0]
        self.current_epoch = 0  # the primary's lives: each restart of the primary starts one
        self.log: list[Op] = []
        self.applied = 0  # entries applied to the store, and decided
        self.store: dict[str | None, Any] = {}
        # The primary's: how far each backup's log goes, and who waits for which entry.
        self.acked: dict[str, int] = {}
        self.waiting: dict[int, Request] = {}
        backups = len(nodes) - 1
        self.needed = backups if params.acks == "all" else len(nodes) // 2

    @property
    def is_leader(self) -> bool:
        return self.node_id == self.primary

    @property
    def epoch(self) -> int:
        return self.current_epoch  # the leader ranks by it: see Protocol.leader_rank

    def describe(self) -> dict[str, Any]:
        return {"epoch": self.current_epoch, "log": len(self.log), "applied": self.applied}

    # --- callbacks ----------------------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self.log = list(ctx.durable.get("log", ()))
        if not self.is_leader:
            self._apply_through(ctx, len(self.log))  # what it held before a crash
            return
        self.current_epoch = ctx.durable.get("epoch", 0) + 1
        ctx.persist("epoch", self.current_epoch)  # the heartbeats below leave once it is durable
        ctx.emit("became_leader", epoch=self.current_epoch)
        self.acked = dict.fromkeys(ctx.peers, 0)
        self._commit(ctx)  # (a cluster of one commits what it holds at once)
        self._heartbeat(ctx)

    def on_request(self, ctx: Context, request: Request) -> None:
        if not self.is_leader:
            ctx.reply(request, Result("redirect", leader=self.primary))
            return
        op = Op(request.op_id, request.op, request.key, request.value)
        self.log.append(op)
        ctx.persist("log", self.log)
        index = len(self.log)
        self.waiting[index] = request
        ctx.emit("proposed", op_id=op.op_id)  # commit latency runs from here to its decision
        self._send_unacknowledged(ctx)
        self._commit(ctx)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if type(msg) is Replicate:
            self._replicate(ctx, src, msg)
        elif type(msg) is Ack:
            self._acknowledged(src, msg, ctx)

    def on_timer(self, ctx: Context, name: str) -> None:
        if name == "retry":
            self._heartbeat(ctx)

    # --- the backup's side --------------------------------------------------------------------

    def _replicate(self, ctx: Context, src: str, msg: Replicate) -> None:
        if msg.epoch < self.current_epoch:
            return  # sent by the primary before it restarted
        if msg.epoch > self.current_epoch:
            self.current_epoch = msg.epoch
            ctx.emit("follows", leader=src, epoch=msg.epoch)  # once per epoch per life
        have = len(self.log)
        if msg.start <= have + 1:  # it extends the log (else a gap: wait for the resend)
            new = msg.entries[have + 1 - msg.start :]
            if new:
                self.log.extend(new)
                ctx.persist("log", self.log)
                self._apply_through(ctx, len(self.log))
        ctx.send(
            src, Ack(self.current_epoch, len(self.log))
        )  # after the persist: sent once durable

    # --- the primary's side -------------------------------------------------------------------

    def _acknowledged(self, src: str, msg: Ack, ctx: Context) -> None:
        if not self.is_leader or msg.epoch != self.current_epoch:
            return  # an answer to the primary's earlier life
        if msg.upto > self.acked[src]:
            self.acked[src] = msg.upto
            self._commit(ctx)

    def _commit(self, ctx: Context) -> None:
        """Apply, and answer, every entry that enough backups hold."""
        if self.needed == 0:
            committed = len(self.log)
        else:
            committed = sorted(self.acked.values(), reverse=True)[self.needed - 1]
        while self.applied < committed:
            result = self._apply_next(ctx)
            request = self.waiting.pop(self.applied, None)
            if request is not None:
                ctx.reply(request, result)

    def _heartbeat(self, ctx: Context) -> None:
        self._send_unacknowledged(ctx)
        ctx.set_timer("retry", self.params.retry)

    def _send_unacknowledged(self, ctx: Context) -> None:
        for backup, upto in self.acked.items():
            entries = tuple(self.log[upto : upto + BATCH])
            ctx.send(backup, Replicate(self.current_epoch, upto + 1, entries))

    # --- the replicated store -----------------------------------------------------------------

    def _apply_through(self, ctx: Context, index: int) -> None:
        while self.applied < index:
            self._apply_next(ctx)

    def _apply_next(self, ctx: Context) -> Result:
        self.applied += 1
        op = self.log[self.applied - 1]
        ctx.decide(self.applied, op)
        if op.op == "write":
            self.store[op.key] = op.value
            return OK
        if op.op == "read":
            return Result("ok", self.store.get(op.key))
        expected, new = op.value  # cas: done only if the key holds `expected`
        if self.store.get(op.key) != expected:
            return Result("fail")
        self.store[op.key] = new
        return OK
