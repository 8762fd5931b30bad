"""The replicated key-value store every protocol applies its decided operations to.

A replica applies each decided `Op` once, in its protocol's order, and answers the client with
the `Result` that `KV.apply` returns:

============  ==================================  =======================================
operation     when                                result
============  ==================================  =======================================
``write``     always: the key takes ``value``     `OK`
``read``      always                              ``ok`` with the key's value (None unset)
``cas``       the key holds ``value[0]``          `OK`, and the key takes ``value[1]``
``cas``       it holds anything else              `FAIL`: the cas did not happen
``noop``      always (a protocol's own entries)   `OK`, nothing changes
============  ==================================  =======================================

A key never written holds None, so ``cas [null, v]`` succeeds on it. The store is volatile: a
restarted replica starts empty and applies its decided operations again.
"""

from __future__ import annotations

from typing import Any

from sim.protocols.api.operations import FAIL, OK, Op, Result


class KV:
    """One replica's store. ``data`` is the state itself (tests and reports read it)."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data: dict[str | None, Any] = {}

    def apply(self, op: Op) -> Result:
        """Apply one decided operation and return the client's answer (see the table above)."""
        kind = op.op
        if kind == "write":  # most operations: tested first
            self.data[op.key] = op.value
            return OK
        if kind == "read":
            return Result("ok", self.data.get(op.key))
        if kind == "cas":
            expected, new = op.value
            if self.data.get(op.key) != expected:
                return FAIL
            self.data[op.key] = new
            return OK
        if kind == "noop":
            return OK
        raise ValueError(f"unknown operation {kind!r} (known: write, read, cas, noop)")

    def read(self, key: str | None) -> Result:
        """A read answered from this replica's state without ordering it (a local or lease
        read): fresh only if the protocol knows this replica is up to date."""
        return Result("ok", self.data.get(key))
