"""What a Raft leader knows of each follower's replication, as etcd's ``tracker.Progress``.

A follower's progress is in one of two states. While **probing**, ``next_index`` is a guess
being checked, one AppendEntries at a time (etcd's StateProbe). Once one succeeds the leader
**pipelines** (StateReplicate): it sends up to ``max_inflight`` AppendEntries ahead of the
acknowledgments, advancing ``next_index`` as it sends. A rejection that is current sends it back
to probing from a lower guess.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class Progress:
    """One follower, as its leader sees it: Figure 2's nextIndex and matchIndex, and more."""

    next_index: int
    match_index: int = 0
    probing: bool = True
    inflight: deque[int] = field(default_factory=deque)  # last index of each unacked batch
    last_ack: float = -math.inf  # sent_at of the newest AppendEntries it answered in this term

    def acknowledged(self, matched: int) -> None:
        """It holds the leader's log up to ``matched``: pipeline from there on."""
        if matched > self.match_index:
            self.match_index = matched
        if matched >= self.next_index:
            self.next_index = matched + 1
        self.probing = False
        inflight = self.inflight
        while inflight and inflight[0] <= matched:
            inflight.popleft()

    def rejection_is_current(self, prev_index: int) -> bool:
        """A rejection answers a probe still pending, or breaks the pipeline above match_index;
        others are stale (reordered, duplicated, or answering an earlier probe)."""
        if prev_index <= self.match_index:
            return False
        return not self.probing or prev_index == self.next_index - 1

    def probe_from(self, next_index: int) -> None:
        """Check ``next_index`` next, one AppendEntries at a time (what is in flight is lost
        or will be rejected)."""
        self.next_index = next_index
        self.probing = True
        self.inflight.clear()
