"""Raft (extended Raft paper, Figure 2) as a sans-IO state machine; importing registers it."""

from sim.protocols.raft.log import RaftLog
from sim.protocols.raft.messages import (
    AppendEntries,
    AppendEntriesReply,
    Entry,
    PreVote,
    PreVoteReply,
    RequestVote,
    RequestVoteReply,
)
from sim.protocols.raft.protocol import Raft, RaftParams

__all__ = [
    "AppendEntries",
    "AppendEntriesReply",
    "Entry",
    "PreVote",
    "PreVoteReply",
    "Raft",
    "RaftLog",
    "RaftParams",
    "RequestVote",
    "RequestVoteReply",
]
