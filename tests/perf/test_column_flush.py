"""A flush moves a whole batch into the columns or, if a column refuses a value, none of it."""

from __future__ import annotations

from sim.metrics.columns import NAMES, Table


def test_a_refused_value_late_in_a_batch_leaves_no_stray_values() -> None:
    """A batch whose last row has a value the arrays refuse reads back exactly as appended."""
    table = Table((NAMES, "q", "d"))
    rows = [("n1", 1, 0.5), ("n2", 2, 1.5), ("n1", 3, 2.5)]
    table.rows.extend(rows)
    table.flush()  # (names coded: the next batch takes the known-names path first)
    late = [("n2", 4, 3.5), ("n1", 5, 4.5), ("n9", "noop:n2:1", 5.5), ("n2", 2**70, 6.0)]
    table.rows.extend(late)
    table.flush()
    assert list(table) == rows + late
    ints = table.columns[1]
    assert len(ints.data) == len(rows + late) and ints.others == {5: "noop:n2:1", 6: 2**70}
