"""Raft's replicated log: 1-based indices, index 0 being the empty prefix of term 0.

Durable layout: one key per entry (``log:<index>``) and the length (``log_length``), so that
appending k entries persists k + 1 values instead of rewriting the whole log. Keys beyond the
length are stale leftovers of a truncation and are never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sim.protocols.raft.messages import Entry

_LENGTH_KEY = "log_length"


# The durable keys, "log:<index>", made once per index for the whole process: every node writes
# every entry, and a 301-node cluster would otherwise make 301 copies of each key.
_ENTRY_KEYS: list[str] = ["log:0"]


def _entry_key(index: int) -> str:
    keys = _ENTRY_KEYS
    while len(keys) <= index:
        keys.append(f"log:{len(keys)}")
    return keys[index]


class RaftLog:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: list[Entry] = list(entries)
        # The index of the last entry (0 when empty). A plain attribute, kept up to date by the
        # two methods that change the log (append and merge), rather than a property: Raft reads
        # it several times per message.
        self.last_index = len(self._entries)

    @classmethod
    def restore(cls, durable: Mapping[str, Any]) -> RaftLog:
        """The log as last persisted with `persist_from` (empty on a first start)."""
        length = durable.get(_LENGTH_KEY, 0)
        return cls(durable[_entry_key(index)] for index in range(1, length + 1))

    def persist_from(self, persist: Callable[[str, Any], None], index: int) -> None:
        """Write entries ``index..last_index`` and the length (everything before is unchanged)."""
        _entry_key(self.last_index)  # makes sure every key up to the last is made
        keys = _ENTRY_KEYS  # runs on every node for every entry: `_entry_key`, inlined
        for i, entry in enumerate(self._entries[index - 1 :], index):
            persist(keys[i], entry)
        persist(_LENGTH_KEY, self.last_index)

    @property
    def last_term(self) -> int:
        return self.term_at(self.last_index)

    def term_at(self, index: int) -> int:
        return self._entries[index - 1].term if index > 0 else 0

    def entry(self, index: int) -> Entry:
        return self._entries[index - 1]

    def entries_from(self, index: int, limit: int) -> tuple[Entry, ...]:
        return tuple(self._entries[index - 1 : index - 1 + limit])

    def append(self, entry: Entry) -> int:
        """Append at the end (the leader's only way to write) and return the new index."""
        self._entries.append(entry)
        self.last_index += 1
        return self.last_index

    def matches(self, index: int, term: int) -> bool:
        """Whether this log holds an entry of ``term`` at ``index`` (the AppendEntries check)."""
        return index <= self.last_index and self.term_at(index) == term

    def merge(self, prev_index: int, entries: Sequence[Entry]) -> int | None:
        """Figure 2, AppendEntries receiver steps 3-4, after the consistency check passed.

        Entries already held are kept, and so is everything after them: a delayed, shorter
        AppendEntries must not cut entries a later one brought. The first conflicting entry and all
        that follow it are replaced. Returns the first index written, or None if nothing changed.
        """
        held = self._entries
        if prev_index == self.last_index and entries:
            # The common case, a follower keeping up: all the entries are new.
            held.extend(entries)
            self.last_index = len(held)
            return prev_index + 1
        for offset, entry in enumerate(entries):
            index = prev_index + 1 + offset
            if index <= self.last_index and held[index - 1].term == entry.term:
                continue
            del held[index - 1 :]
            held.extend(entries[offset:])
            self.last_index = len(held)
            return index
        return None

    def candidate_up_to_date(self, last_term: int, last_index: int) -> bool:
        """Whether a log ending at (last_term, last_index) is at least as up to date as this one
        (section 5.4.1: the later last term wins; with equal last terms, the longer log)."""
        return (last_term, last_index) >= (self.last_term, self.last_index)

    def first_index_of_term(self, index: int) -> int:
        """The first index of the run of entries sharing the term at ``index``."""
        term = self.term_at(index)
        while index > 1 and self.term_at(index - 1) == term:
            index -= 1
        return index

    def last_index_of_term(self, term: int) -> int | None:
        """The last index holding an entry of ``term``, None if there is none."""
        for index in range(self.last_index, 0, -1):
            held = self.term_at(index)
            if held == term:
                return index
            if held < term:  # terms never decrease along a log
                return None
        return None
