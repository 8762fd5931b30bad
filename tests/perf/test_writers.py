"""The columnar writers write the bytes the cell-by-cell writers wrote (kept here as oracles),
and a sweep's YAML made once per scenario is the YAML made afresh for each run."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from sim.experiment.run import _yaml_text, resolved_yaml
from sim.metrics import tables
from sim.metrics.columns import Records, Table
from tests.conftest import make_scenario


def old_csv(path: Path, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([tables.cell(v) for v in row])


def floats(rng: random.Random, n: int) -> list[float]:
    """Floats of every magnitude a run writes and some it never should (tiny, huge, exact)."""
    found = [0.0, -0.0, 1.0, 0.5, 1e-4, 9.9999e-5, 5e-7, 4e-7, 999_999_999.9999996, 1e9, 1e16]
    found += [math.inf, -math.inf, 123.4565, 0.0000005, 2.675, 1.0000005]
    while len(found) < n:
        exponent = rng.uniform(-6, 12)
        found.append(rng.choice((1, -1)) * 10**exponent * rng.random())
    return found


@pytest.mark.parametrize("seed", range(5))
def test_float_cells_are_repr_of_round(seed: int) -> None:
    """The fast float form equals repr(round(v, 6)) on every magnitude (nan included)."""
    values = floats(random.Random(seed), 20_000)
    for start in range(0, len(values), 8):  # (a column with one tiny value is done slowly)
        column = values[start : start + 8]
        assert tables.float_cells(column) == [repr(round(v, 6)) for v in column]
    assert tables.float_cells([math.nan]) == ["nan"]


def test_csv_of_a_table_is_byte_identical(tmp_path: Path) -> None:
    """requests.csv's kinds of values (None, cas pairs, commas and quotes in strings, odd ints)
    come out as the old writer wrote them, from rows and from a Table."""
    rng = random.Random(1)
    rows = []
    for op_id, latency in enumerate(floats(rng, 300)):
        value = rng.choice([op_id, None, [None, op_id], {"a": 1}, 'x,"y"', True, "é"])
        done = None if op_id % 7 == 0 else abs(latency)
        rows.append((op_id, op_id % 3, "n1", "write", "k,1", value, 1.5, done, done, "ok"))
    table = Table(("q", "q", None, None, None, None, "d", None, None, None))
    table.extend(rows)
    columns = tables.REQUEST_COLUMNS
    old_csv(tmp_path / "old.csv", columns, rows)
    tables.write_csv(tmp_path / "rows.csv", columns, rows)
    tables.write_csv(tmp_path / "table.csv", columns, table)
    expected = (tmp_path / "old.csv").read_bytes()
    assert (tmp_path / "rows.csv").read_bytes() == expected
    assert (tmp_path / "table.csv").read_bytes() == expected
    tables.write_csv(tmp_path / "empty.csv", columns, [])
    assert (tmp_path / "empty.csv").read_text() == ",".join(columns) + "\n"


def test_jsonl_of_records_is_byte_identical(tmp_path: Path) -> None:
    """history.jsonl from its columns equals a json.dumps per line (odd rows, unicode, cas)."""
    rng = random.Random(2)
    names = {"process": "q", "type": None, "f": None, "key": None, "value": None, "time": "d"}
    records = Records(names)
    rows: list[dict[str, Any]] = []
    for i, time in enumerate(floats(rng, 500)):
        row = {
            "process": i % 4,
            "type": rng.choice(["invoke", "ok", "fail"]),
            "f": rng.choice(["write", "read", "cas"]),
            "key": rng.choice(["k1", "ké", 'k"2', None]),
            "value": rng.choice([i, None, [1, 2], (3, 4), "v\n"]),
            "time": time if math.isfinite(time) else 1.0,
        }
        if i % 50 == 0:
            row["error"] = "timeout"
        rows.append(row)
        records.append(row)
    tables.write_jsonl(tmp_path / "records.jsonl", records)
    expected = "".join(
        json.dumps(tables.to_json(row), separators=(",", ":")) + "\n" for row in rows
    )
    assert (tmp_path / "records.jsonl").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize(
    "sections",
    [
        {"name": "plain", "seed": 5},
        {"name": "odd", "description": "a\u0085b\nseed: 0\nc", "seed": 0},
        {"name": "big", "description": "seed: 0", "seed": 123_456_789_012},
    ],
)
def test_yaml_made_once_per_scenario_is_the_fresh_yaml(sections: dict[str, Any]) -> None:
    """The cached text with each run's seed put in is the text made afresh, seed by seed."""
    scenario = make_scenario(**sections)
    for seed in (scenario.seed, 0, 42, 2**40):
        one = scenario.model_copy(update={"seed": seed})
        data = one.model_dump(mode="json", by_alias=True, exclude_none=False)
        assert resolved_yaml(one) == _yaml_text(data)
