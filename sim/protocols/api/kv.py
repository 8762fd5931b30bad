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
``delete``    always                              `OK`, and the key holds None again
``append``    the key holds None or a list        `OK`, and the key holds the list with
                                                  ``value`` added at its end
``append``    it holds anything else              `FAIL`: the append did not happen
``noop``      always (a protocol's own entries)   `OK`, nothing changes
============  ==================================  =======================================

A key never written holds None, so ``cas [null, v]`` succeeds on it, and an append onto it makes
the list ``[value]``. Lists are tuples, never changed in place: a read's result, which the
history keeps, stays what it was (an append copies the list, so keep appended keys short, or
many). The linearizability checker's ``store`` model (sim/checks/models/registers.py) is this
table. The store is volatile: a
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
        if kind == "append":
            current = self.data.get(op.key)
            if current is None:
                self.data[op.key] = (op.value,)
            elif isinstance(current, tuple | list):
                self.data[op.key] = (*current, op.value)
            else:
                return FAIL
            return OK
        if kind == "delete":
            self.data.pop(op.key, None)
            return OK
        raise ValueError(
            f"unknown operation {kind!r} (known: write, read, cas, delete, append, noop)"
        )

    def read(self, key: str | None) -> Result:
        """A read answered from this replica's state without ordering it (a local or lease
        read): fresh only if the protocol knows this replica is up to date."""
        return Result("ok", self.data.get(key))
