"""The values a protocol is handed and hands back: client requests, its answers, and the
operations replicas order and decide.

Requests, results and operations are values: nothing changes them once made (one Op travels to
every replica, `OK` and `FAIL` are shared). They are not ``frozen`` dataclasses only because those
cost twice as much to build, and each client operation builds all three.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

OpId = int | str
"""Client operations have integer ids; entries a protocol makes itself (a Raft no-op, the
article's bootstrap proposal) use a string id such as ``"noop:n1:3"``."""

Slot = Hashable
"""Where a decision sits: a log index (an int) for log protocols, or any hashable value, such as
a ``(replica, instance)`` pair in EPaxos. Replicas must agree on the operation of each slot."""


@dataclass(slots=True)
class Request:
    """A client operation on the key-value store, as it arrives at a node."""

    op_id: int
    client: int
    op: str  # "write" | "read" | "cas" | "append" | "delete" (see kv.py)
    key: str
    value: Any  # write: the new value; cas: [expected, new]; read: None


@dataclass(slots=True)
class Result:
    """A node's answer to a client request. ``status`` says whether the operation took effect:

    - ``"ok"``: it did. ``value`` is what a read returned; other operations' values are not read.
    - ``"fail"``: it did not, and never will. A cas whose expected value differs from the stored
      one is ``fail`` (not ``ok`` with a false value): the linearizability checker drops failed
      operations and must find every ``ok`` one in the history's order.
    - ``"redirect"``: not done here; try ``leader``, which may be None when the node knows no
      leader.

    A node that cannot tell whether an operation will take effect does not answer; the client
    times out and the outcome is unknown (``info`` in the history).
    """

    status: str
    value: Any = None
    leader: str | None = None


OK = Result("ok")
FAIL = Result("fail")


@dataclass(slots=True)
class Op:
    """An operation as it is ordered and decided by replicas (also entries a protocol makes:
    ``op`` is then ``"noop"``, which the key-value store leaves alone)."""

    op_id: OpId
    op: str
    key: str | None = None
    value: Any = None
