"""The columnar tables read back exactly the rows appended, whatever their values."""

from __future__ import annotations

import pytest

from sim.metrics.columns import NAMES, Records, Table

ROWS = [
    ("n1", 1, 7, 0.5),
    (None, 1, 7, 0.5),
    (["n", 1], 1, "x", 0.5),  # a name that is a list (unhashable)
    (1, 1, 1, 0.5),  # (1 == True == 1.0 as dict keys: a name that is not a str is kept aside)
    (True, 1, 1, 0.5),
    ("n2", ("n1", 3), "noop:n2:1", 1.25),  # a pair slot and a string op id: kept aside
    ("n3", 2**70, -4, 2.0),  # too big for the array: kept aside; a negative int is an int
    ("n1", 3, None, 3.0),
]


@pytest.mark.parametrize("full", [1, 2, 4096])
def test_table_reads_back_its_rows(monkeypatch: pytest.MonkeyPatch, full: int) -> None:
    """Rows of odd values, moved to the columns every ``full`` rows, read back as appended."""
    monkeypatch.setattr(Table, "FULL", full)
    table = Table((NAMES, "q", "q", "d"))
    table.extend(ROWS)
    assert len(table) == len(ROWS)
    assert list(table) == ROWS
    assert table == ROWS and table[1] == ROWS[1] and table[-1] == ROWS[-1]
    assert table[1:3] == ROWS[1:3]
    by_column = [list(values) for values in zip(*ROWS, strict=True)]
    assert [column.values() for column in table.columns] == by_column


def test_a_row_of_the_wrong_width_is_refused() -> None:
    """A row with a value too many is an error at once, not a shifted column later."""
    with pytest.raises(ValueError, match="a row of 5 values in a table of 4"):
        Table((None, "q", "q", "d")).append((*ROWS[0], "extra"))


def test_sort_by_is_stable_and_moves_the_values_kept_aside() -> None:
    """Sorting on a column reorders every column, the odd values with their rows."""
    table = Table(("q", None, "q"))
    rows = [(3, "c", 1), (1, "a", "x"), (2, "b", 2), (1, "a2", 3)]
    table.extend(rows)
    table.sort_by(0)
    assert list(table) == sorted(rows, key=lambda row: row[0])


def test_records_keep_rows_of_other_keys_whole() -> None:
    """A record with the usual keys goes to the columns; one with other keys (or another order)
    is kept as it is; both read back as appended."""
    records = Records({"process": "q", "type": None, "time": "d"})
    rows = [
        {"process": 0, "type": "invoke", "time": 0.0},
        {"process": 1, "type": "ok", "time": 1.5, "error": "late"},
        {"type": "ok", "process": 2, "time": 2.0},
        {"process": 3, "type": "fail", "time": 3.0},
    ]
    for row in rows:
        records.append(row)
    assert list(records) == rows and records == rows
    assert [list(records[i]) for i in range(4)] == [list(row) for row in rows]
