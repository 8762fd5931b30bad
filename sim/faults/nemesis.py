"""The random nemesis: every `every`, one fault of a kind drawn from `kinds`, undone `for` later;
and, with `aim`, faults aimed at protocol moments as they happen.

All its draws (kind, then whatever the kind's `nemesis_body` draws, then targets) come from its
own stream, so the fault schedule is a function of the seed alone: the same seed gives the same
faults.csv. A nemesis without `aim` or `buggify` draws exactly what it always drew.

Aimed faults are driven by the shared event vocabulary (`sim.protocols.api.events`), so they
work for every protocol that emits it, and by the fsync disk's writes:

- ``proposed``: the node that proposed crashes within `aim_delay` (its entry half sent);
- ``became_leader``: the new leader is partitioned, with fewer than half of the others, from
  the rest (the majority) within `aim_delay`;
- ``first_commit``: a new leader crashes within `aim_delay` of its first decision (it may have
  told no one yet: Figure 8 of the Raft paper);
- ``campaign_started``: another node crashes within `aim_delay` (after it voted, most likely)
  and restarts within `aim_delay` again, in time for a second vote of the same epoch;
- ``persisted``: the writing node loses power during its disk write (``lose_unsynced``).

With `torn` (true, or a share), the power losses it draws, random or aimed, tear the write in
progress (``torn: true`` of lose_unsynced); a share draws, per loss, from the same stream.

Each moment is struck with probability `chance`, on a node no aimed fault holds, and only
while aimed faults hold fewer than half of the nodes (a storm of them would only keep the
cluster down; Figure 8 of the Raft paper needs two at once in five nodes). With `buggify`, the
run draws first, from the same stream, which kinds and moments are on (each with probability 1/2, at
least one), their weights and chances, and the share of `every` turns that strike at all, as
FoundationDB's simulator does per run: some seeds are storms, others nearly quiet but for the
aimed faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.core.environment import Environment
from sim.core.events import call_later
from sim.protocols.api.events import BECAME_LEADER, CAMPAIGN_STARTED, PROPOSED
from sim.scenario.fault_entry import FaultEntry
from sim.scenario.fault_kinds import fault_kinds
from sim.scenario.faults import NemesisFault

Fire = Callable[[FaultEntry, np.random.Generator], None]


class Nemesis:
    def __init__(
        self,
        env: Environment,
        fault: NemesisFault,
        rng: np.random.Generator,
        fire: Fire,
        cluster: Any = None,
    ) -> None:
        self.env = env
        self.spec = fault.nemesis
        self.at = fault.at
        self.rng = rng
        self.fire = fire
        self.cluster = cluster  # a RunCluster: its hosts and recorder, for aimed faults
        self.length = self.spec.for_ if self.spec.for_ is not None else self.spec.every / 2
        self.aim_length = self.spec.aim_for if self.spec.aim_for is not None else self.length
        self.kinds = list(self.spec.kinds)
        self.weights: np.ndarray | None = None  # None: uniform over kinds (the default)
        self.intensity = 1.0  # the share of `every` turns that strike (buggify draws it)
        self.chances: dict[str, float] = dict.fromkeys(self.spec.aim, self.spec.chance)
        self._aimed: dict[str, float] = {}  # node -> until when an aimed fault holds it
        self._new_leaders: set[str] = set()  # leaders that have decided nothing yet

    def start(self) -> None:
        if self.spec.buggify:
            self._buggify()
        if self.kinds:
            call_later(self.env, self.at, self._strike, None)
        if self.chances:
            self._listen()

    # --- every `every` ------------------------------------------------------------------------

    def _strike(self, _: None) -> None:
        if self._over():
            return
        kinds = self.kinds
        if self.intensity < 1.0 and self.rng.random() >= self.intensity:
            call_later(self.env, self.spec.every, self._strike, None)  # (buggify: a quiet turn)
            return
        if self.weights is None:
            kind = kinds[int(self.rng.integers(len(kinds)))]
        else:
            kind = kinds[int(self.rng.choice(len(kinds), p=self.weights))]
        self.fire(self._fault(kind), self.rng)
        call_later(self.env, self.spec.every, self._strike, None)

    def _over(self) -> bool:
        return self.spec.stop is not None and self.env.now >= self.spec.stop

    def _fault(self, kind: str) -> FaultEntry:
        model = fault_kinds()[kind]
        body = model.nemesis_body(self.rng, self.spec.target)
        entry = {"at": float(self.env.now), kind: body, "for": self.length}
        if kind == "lose_unsynced" and self._tears():
            entry["torn"] = True
        return model.model_validate(entry)

    def _tears(self) -> bool:
        """Whether a power loss it draws tears its write (a draw only for a share of them)."""
        torn = self.spec.torn
        if isinstance(torn, bool) or torn in (0.0, 1.0):
            return bool(torn)
        return bool(self.rng.random() < torn)

    def _buggify(self) -> None:
        """Which kinds and moments this run has, and how often each strikes."""
        rng = self.rng
        kinds = [kind for kind in self.kinds if rng.random() < 0.5] or self.kinds[:1]
        weights = np.array([rng.uniform(0.1, 1.0) for _ in kinds])
        moments = {m: rng.uniform(0.0, 2 * c) for m, c in self.chances.items()}
        on = {m: min(c, 1.0) for m, c in moments.items() if rng.random() < 0.5}
        if not kinds and not on and moments:
            first = next(iter(moments))
            on = {first: min(moments[first], 1.0)}
        self.kinds, self.weights, self.chances = kinds, weights / weights.sum(), on
        self.intensity = float(rng.random())

    # --- aimed at protocol moments ------------------------------------------------------------

    def _listen(self) -> None:
        recorder = self.cluster.recorder
        recorded = recorder.event

        def event(node: str, event: str, fields: dict[str, Any], state: Any = None) -> None:
            recorded(node, event, fields, state)
            if event == BECAME_LEADER:
                self._new_leaders.add(node)
            if event in self.chances:
                self._moment(event, node)

        recorder.event = event  # after the recorder's own: the fault follows the moment
        if "first_commit" in self.chances:
            for node, host in self.cluster.hosts.items():
                host.decide = self._watch_decisions(node, host.decide)
        if "persisted" in self.chances:
            for host in self.cluster.hosts.values():
                disk = getattr(host, "disk", None)  # an fsync disk (the checks ask for fsync)
                if disk is not None:
                    disk.listeners.append(self._persisted)

    def _watch_decisions(self, node: str, decide: Callable[[Any, Any], None]) -> Any:
        # Only with `first_commit` on: one more call per decision.
        new_leaders = self._new_leaders

        def watched(slot: Any, op: Any) -> None:
            decide(slot, op)
            if node in new_leaders:
                new_leaders.discard(node)
                self._moment("first_commit", node)

        return watched

    def _ready(self, moment: str, node: str) -> bool:
        now = self.env.now
        if now < self.at or self._over():
            return False
        # Aimed faults may overlap, on fewer than half of the nodes at a time (a majority is
        # left to make progress, or not), each node struck once at a time.
        held = {n for n, until in self._aimed.items() if until > now}
        if node in held or len(held) + 1 > (len(self.cluster.nodes) - 1) // 2:
            return False
        return bool(self.rng.random() < self.chances[moment])

    def _moment(self, moment: str, node: str) -> None:
        if not self._ready(moment, node):
            return
        delay = float(self.rng.uniform(0.0, self.spec.aim_delay))
        entry: dict[str, Any]
        if moment in (PROPOSED, "first_commit"):
            entry = {"crash": [node]}
        elif moment == BECAME_LEADER:
            others = [n for n in self.cluster.nodes if n != node]
            size = int(self.rng.integers((len(self.cluster.nodes) - 1) // 2))
            picked = self.rng.choice(len(others), size=size, replace=False)
            entry = {"partition": [[node, *(others[int(i)] for i in sorted(picked))]]}
        elif moment == CAMPAIGN_STARTED:
            now = self.env.now
            voters = [
                n
                for n in self.cluster.nodes
                if n != node and self.cluster.hosts[n].up and self._aimed.get(n, -1.0) <= now
            ]
            if not voters:
                return
            voter = voters[int(self.rng.integers(len(voters)))]
            entry = {"crash": [voter]}
            # Back at once: in time for another candidate's request of the same epoch.
            self._aim(voter, entry, delay, float(self.rng.uniform(0.0, self.spec.aim_delay)))
            return
        else:
            return
        self._aim(node, entry, delay, self.aim_length)

    def _persisted(self, node: str, done_at: float) -> None:
        if "persisted" not in self.chances or not self._ready("persisted", node):
            return
        # Strictly inside the write: the last moment the disk may lose it.
        delay = float(self.rng.uniform(0.0, done_at - self.env.now)) * 0.999
        body: dict[str, Any] = {"lose_unsynced": [node]}
        if self._tears():
            body["torn"] = True
        self._aim(node, body, delay, self.aim_length)

    def _aim(self, node: str, body: dict[str, Any], delay: float, length: float) -> None:
        self._aimed[node] = self.env.now + delay + length
        call_later(self.env, delay, self._strike_aimed, (body, length))

    def _strike_aimed(self, aimed: tuple[dict[str, Any], float]) -> None:
        body, length = aimed
        kind = next(iter(body))  # (its first key; lose_unsynced may add torn)
        entry = fault_kinds()[kind].model_validate(
            {"at": float(self.env.now), **body, "for": length}
        )
        self.fire(entry, self.rng)
