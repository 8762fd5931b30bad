"""Raft's messages: the two RPCs of Figure 2 and their replies, plus the PreVote round (thesis 9.6).

Every message carries the sender's ``term``: a node that sees a higher term steps down to it
(except for PreVote, whose term is only the one the sender *would* campaign in).

Messages and entries are values: nothing changes them once made (a leader sends one AppendEntries
object to every follower at the same position). They are not ``frozen`` dataclasses because those
cost four times as much to build (a call per field), and one is built per message; they stay
hashable (``unsafe_hash``: a hash of the fields, sound as long as no one changes them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocols.api import Op


@dataclass(slots=True, unsafe_hash=True)
class Entry:
    """One log entry: the operation and the term of the leader that appended it."""

    term: int
    op: Op


@dataclass(slots=True, unsafe_hash=True)
class RequestVote:
    term: int
    candidate: str
    last_log_index: int
    last_log_term: int


@dataclass(slots=True, unsafe_hash=True)
class RequestVoteReply:
    term: int
    granted: bool


@dataclass(slots=True, unsafe_hash=True)
class PreVote:
    """ "Would you vote for me in ``term``?": asked before the candidate increments its term."""

    term: int  # the sender's current term + 1; the receiver does not adopt it
    candidate: str
    last_log_index: int
    last_log_term: int


@dataclass(slots=True, unsafe_hash=True)
class PreVoteReply:
    term: int  # the asked term when granted, the receiver's own term when refused
    granted: bool


@dataclass(slots=True, unsafe_hash=True)
class AppendEntries:
    term: int
    leader: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...]
    leader_commit: int
    sent_at: float  # the leader's clock when sent: its lease is measured from acknowledged sends


@dataclass(slots=True, unsafe_hash=True)
class AppendEntriesReply:
    term: int
    success: bool
    prev_log_index: int  # of the request: tells the leader which probe a rejection answers
    match_index: int  # success: the follower's log matches the leader's up to here
    last_log_index: int  # the follower's log end: the leader never backs off past it + 1
    sent_at: float  # echoed from the request
    # On a rejection, for the leader's ``conflict_term`` back-off: the follower's term at
    # prev_log_index (None if its log is shorter) and the first index it holds of that term (else
    # its log end + 1).
    conflict_term: int | None = None
    conflict_index: int = 0
