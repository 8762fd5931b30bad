"""Recorded tables kept as columns of typed arrays, so that a row costs bytes, not Python objects.

A run of a million operations records five million decisions, a million requests and two million
history lines: as tuples and dicts of Python objects they took about 1.2 KB an operation; as
columns about 200 bytes.
A `Table` reads as the sequence of row tuples it replaces (indexing, iteration, equality), so the
code that reads rows is unchanged; the writers (`sim.metrics.tables`) read its columns whole.

A column is a typed array (``"q"``: 64-bit ints, ``"d"``: floats), an array of codes for
values that repeat (``NAMES``: node names, op kinds, keys, outcomes; 4 bytes a row), or a plain
list (anything else: a list holds a pointer to a value that is usually shared). An int column also
holds the odd value that is not an int (Raft's ``noop:n2:1`` op ids, a pair of an unordered
protocol's slot): those are kept aside by row, and the array holds a placeholder there. A float
column must only be given floats (an int would come back as a float), and an int column gives a
bool back as an int.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any, overload

_PLACEHOLDER = {"q": 0, "d": 0.0, "I": 0}
NAMES = "names"  # the typecode of a `Names` column


class Column:
    """One column: `add` one value, `extend` many (as `Table.flush` does). ``others``: row ->
    a value the array could not hold."""

    __slots__ = ("append", "data", "others")

    def __init__(self, typecode: str | None) -> None:
        self.data: array[Any] | list[Any] = [] if typecode is None else array(typecode)
        self.others: dict[int, Any] = {}
        self.append = self.data.append

    def add(self, value: Any) -> None:
        try:
            self.append(value)
        except (TypeError, OverflowError):
            self.add_other(value)

    def extend(self, values: Sequence[Any]) -> None:
        data = self.data
        if isinstance(data, list):
            data.extend(values)
            return
        try:
            # All or nothing, and twice as fast as extend() from a tuple (which grows the array
            # value by value): `Table.flush` moves every row through here.
            data.fromlist(values if type(values) is list else list(values))
        except (TypeError, OverflowError):
            for value in values:
                self.add(value)

    def add_other(self, value: Any) -> None:
        """Keep ``value`` aside, the array holding a placeholder in its row."""
        data = self.data
        assert isinstance(data, array)
        self.others[len(data)] = value
        data.append(_PLACEHOLDER[data.typecode])

    @property
    def typed(self) -> bool:
        """Whether every value is in the typed array (none a list, none kept aside)."""
        return isinstance(self.data, array) and not self.others

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, row: int) -> Any:
        return self.others[row] if row in self.others else self.data[row]

    def __iter__(self) -> Iterator[Any]:
        if not self.others:
            return iter(self.data)
        others = self.others
        return (others.get(row, v) for row, v in enumerate(self.data))

    def values(self) -> list[Any]:
        """The column as a list of Python values (for a writer or a frame)."""
        values = self.data.tolist() if isinstance(self.data, array) else list(self.data)
        for row, value in self.others.items():
            values[row] = value
        return values

    def reorder(self, order: Sequence[int]) -> None:
        data = self.data
        if isinstance(data, array):
            self.data = array(data.typecode, map(data.__getitem__, order))
        else:
            self.data = list(map(data.__getitem__, order))
        self.append = self.data.append
        where = {old: new for new, old in enumerate(order) if old in self.others}
        self.others = {where[old]: value for old, value in self.others.items()}


class Names(Column):
    """A column of strings that repeat (a few thousand distinct at most in practice) as an
    array of codes: ``names[code]`` is the value. None is coded too; anything else kept aside."""

    __slots__ = ("_codes", "names")

    def __init__(self) -> None:
        super().__init__("I")
        self._codes: dict[Any, int] = {}
        self.names: list[Any] = []

    def _code(self, value: Any) -> int:
        if value is not None and type(value) is not str:
            raise TypeError("coded: str or None only")  # (1 == 1.0 == True as dict keys)
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.names)
            self.names.append(value)
        return code

    def add(self, value: Any) -> None:
        try:
            self.append(self._code(value))
        except TypeError:  # (unhashable)
            self.add_other(value)

    def extend(self, values: Sequence[Any]) -> None:
        try:
            # The usual case: every name is known already (the keys are str and None: anything
            # else is not found and goes the long way; a str subclass equal to a name would be
            # coded as that name).
            codes = list(map(self._codes.__getitem__, values))
        except (KeyError, TypeError):
            try:
                distinct = dict.fromkeys(values)  # (a few names: code the new ones, map all)
                for value in distinct:
                    self._code(value)
            except TypeError:  # (unhashable, or not a str: value by value, some kept aside)
                for value in values:
                    self.add(value)
                return
            codes = list(map(self._codes.__getitem__, values))
        assert isinstance(self.data, array)  # (of codes)
        self.data.fromlist(codes)

    @property
    def typed(self) -> bool:
        return False

    def __getitem__(self, row: int) -> Any:
        return self.others[row] if row in self.others else self.names[self.data[row]]

    def __iter__(self) -> Iterator[Any]:
        names, others = self.names, self.others
        if not others:
            return map(names.__getitem__, self.data)
        return (others[row] if row in others else names[c] for row, c in enumerate(self.data))

    def values(self) -> list[Any]:
        values = list(map(self.names.__getitem__, self.data))
        for row, value in self.others.items():
            values[row] = value
        return values


def column(typecode: str | None) -> Column:
    return Names() if typecode == NAMES else Column(typecode)


class Table(Sequence[tuple[Any, ...]]):
    """Rows of fixed width, stored as one `Column` per position (``typecodes``: ``"q"``, ``"d"``,
    `NAMES` or None, one per column). Reads as a sequence of tuples.

    Rows are appended as tuples to ``rows`` (a list: on the hot path, one append, as cheap as
    the plain list of tuples it replaces), and moved into the columns a few thousand at a time
    by `flush`, which whoever appends calls once ``rows`` is `FULL` (`append` does) and every
    read calls first."""

    FULL = 4096

    def __init__(self, typecodes: Sequence[str | None]) -> None:
        self._columns = [column(code) for code in typecodes]
        self._positions = [itemgetter(i) for i in range(len(self._columns))]
        self.rows: list[tuple[Any, ...]] = []  # the latest rows, not yet in the columns

    def append(self, row: Sequence[Any]) -> None:
        if len(row) != len(self._columns):
            raise ValueError(f"a row of {len(row)} values in a table of {len(self._columns)}")
        self.rows.append(tuple(row))
        if len(self.rows) >= self.FULL:
            self.flush()

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        """Move the appended rows into the columns."""
        rows = self.rows
        if rows:
            # A column at a time, each in one pass over the rows: zip(*rows) makes an iterator
            # per row, and took twice as long for a narrow table (decisions: four columns).
            for column, position in zip(self._columns, self._positions, strict=True):
                column.extend(list(map(position, rows)))
            rows.clear()  # (the same list: appenders may hold its append method)

    @property
    def columns(self) -> list[Column]:
        self.flush()
        return self._columns

    def sort_by(self, position: int) -> None:
        """Sort the rows on one column's values (stably, as list.sort does)."""
        column = self.columns[position]
        key: Sequence[Any] = column.data if column.typed else column.values()
        if all(a <= b for a, b in itertools.pairwise(key)):
            return  # (the usual case: requests end in about the order they began)
        order = sorted(range(len(key)), key=key.__getitem__)
        for column in self._columns:
            column.reorder(order)

    def __len__(self) -> int:
        return len(self._columns[0]) + len(self.rows) if self._columns else 0

    @overload
    def __getitem__(self, row: int) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, row: slice) -> list[tuple[Any, ...]]: ...
    def __getitem__(self, row: int | slice) -> tuple[Any, ...] | list[tuple[Any, ...]]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError("table row out of range")
        return tuple(column[row] for column in self.columns)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Table of {len(self)} rows>"


class Records(Sequence[dict[str, Any]]):
    """Rows that are dicts of the same keys (history.jsonl's), stored as a `Table` of their
    values (``columns``: name -> typecode). A row with other keys is kept whole, aside."""

    def __init__(self, columns: dict[str, str | None]) -> None:
        self.names = tuple(columns)
        self.table = Table(list(columns.values()))
        self.odd: dict[int, dict[str, Any]] = {}  # row -> a row with other keys

    def append(self, record: dict[str, Any]) -> None:
        if tuple(record) == self.names:  # (in order: a line's keys are written in it)
            self.table.append(tuple(record.values()))
        else:
            self.odd[len(self.table)] = record
            self.table.append([_blank(column) for column in self.table.columns])

    def __len__(self) -> int:
        return len(self.table)

    @overload
    def __getitem__(self, row: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, row: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, row: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        return self.odd.get(row) or dict(zip(self.names, self.table[row], strict=True))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names, odd = self.names, self.odd
        for row, values in enumerate(self.table):
            yield odd[row] if row in odd else dict(zip(names, values, strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Records of {len(self)} rows>"


def _blank(column: Column) -> Any:
    data = column.data
    return _PLACEHOLDER[data.typecode] if isinstance(data, array) else None
