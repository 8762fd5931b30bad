"""Raft's replicated log: 1-based indices, index 0 being the empty prefix of term 0.

Durable layout: one key, ``log``, holding the list of persisted entries. Each log keeps its own
copy of that list (what its disk holds) and `persist_from` rewrites only its tail, so appending k
entries copies k entries and makes one `persist` call, whatever the log's length. (One key per
entry made k + 1 calls and a string key per index: a tenth of a Raft run.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sim.protocols.raft.messages import Entry

_DURABLE_KEY = "log"


class RaftLog:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: list[Entry] = list(entries)
        # The index of the last entry (0 when empty). A plain attribute, kept up to date by the
        # two methods that change the log (append and merge), rather than a property: Raft reads
        # it several times per message.
        self.last_index = len(self._entries)
        # The persisted entries: the list `persist_from` hands to the durable store. Its own list,
        # never the volatile one, which changes before it is persisted (and a crash loses it).
        self._saved: list[Entry] = list(self._entries)

    @classmethod
    def restore(cls, durable: Mapping[str, Any]) -> RaftLog:
        """The log as last persisted with `persist_from` (empty on a first start)."""
        return cls(durable.get(_DURABLE_KEY, ()))

    def persist_from(self, persist: Callable[[str, Any], None], index: int) -> None:
        """Write entries ``index..last_index`` (everything before is unchanged), and drop what
        the disk held beyond them."""
        saved = self._saved
        saved[index - 1 :] = self._entries[index - 1 :]
        persist(_DURABLE_KEY, saved)

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
        if index > self.last_index:
            return False
        return (self._entries[index - 1].term if index > 0 else 0) == term  # term_at, inlined

    def receive(
        self,
        prev_index: int,
        prev_term: int,
        entries: Sequence[Entry],
        persist: Callable[[str, Any], None],
    ) -> int:
        """Figure 2, AppendEntries receiver steps 2-4, in one call (a follower makes it per
        AppendEntries): if this log `matches` at ``prev_index``, `merge` ``entries`` after it and
        persist what changed (`persist_from`). Returns the last index the message vouched for,
        ``prev_index + len(entries)``, or -1 if the check failed."""
        held, last = self._entries, self.last_index
        if prev_index == last and entries and (held[last - 1].term if last else 0) == prev_term:
            # The common case, a follower keeping up: the entries go at its log's end (`matches`,
            # `merge` and `persist_from` in short: this runs once per AppendEntries).
            held.extend(entries)
            self.last_index = len(held)
            saved = self._saved
            saved[prev_index:] = entries
            persist(_DURABLE_KEY, saved)
            return self.last_index
        if not self.matches(prev_index, prev_term):
            return -1
        first_written = self.merge(prev_index, entries)
        if first_written is not None:
            self.persist_from(persist, first_written)
        return prev_index + len(entries)

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
