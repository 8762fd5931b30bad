"""Reading histories: every kind of malformed line is reported with its line number."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from sim.checks.history import (
    MAX_PROBLEMS,
    HistoryError,
    Operation,
    operations_from_records,
    read_history,
)


def event(process: Any, kind: str, f: str, value: Any = None, key: Any = "x", time: Any = 0.0):
    return {"process": process, "type": kind, "f": f, "key": key, "value": value, "time": time}


def write_lines(tmp_path: Path, lines: list[Any]) -> Path:
    path = tmp_path / "history.jsonl"
    text = (line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text("".join(line + "\n" for line in text))
    return path


WRITE = event(0, "invoke", "write", 1)
WRITE_OK = event(0, "ok", "write", 1)

MALFORMED = {
    "bad JSON": (['{"process": 0,'], 1, "not valid JSON: Expecting property name"),
    "empty line": ([WRITE, "", WRITE_OK], 2, "not valid JSON: the line is empty"),
    "not an object": ([WRITE, "[1, 2]"], 2, "a JSON array, not an object"),
    "missing field": ([{k: v for k, v in WRITE.items() if k != "time"}], 1, "missing field 'time'"),
    "unknown field": ([{**WRITE, "index": 3}], 1, "unknown field 'index' (allowed: process,"),
    "unknown type": ([{**WRITE, "type": "start"}], 1, "type 'start' is unknown (one of invoke,"),
    "unknown f": ([{**WRITE, "f": "append"}], 1, "f 'append' is unknown (one of read, write,"),
    "bad process": ([{**WRITE, "process": 1.5}], 1, "process 1.5 is not an id (an integer or"),
    "bad key": ([{**WRITE, "key": [1]}], 1, "key [1] is not a key (a string or an integer)"),
    "non-numeric time": ([{**WRITE, "time": "5ms"}], 1, "time '5ms' is not a number"),
    "time is a boolean": ([{**WRITE, "time": True}], 1, "time True is not a number"),
    "time goes backwards": (
        [{**WRITE, "time": 5}, {**WRITE_OK, "time": 4}],
        2,
        "time 4 is before 5, the time of an earlier line (lines are in time order)",
    ),
    "cas value not a pair": (
        [event(0, "invoke", "cas", [1, 2, 3])],
        1,
        "cas value [1, 2, 3] is not a pair (a list [expected, new])",
    ),
    "completion without invoke": (
        [WRITE, WRITE_OK, WRITE_OK],
        3,
        "ok for process 0, which has no pending invoke",
    ),
    "second invoke while pending": (
        [WRITE, WRITE],
        2,
        "process 0 invokes while its invoke at line 1 is pending",
    ),
    "completion with another f": (
        [WRITE, event(0, "ok", "read", 1)],
        2,
        "ok of read on 'x' completes the write on 'x' invoked at line 1",
    ),
    "completion with another key": (
        [WRITE, event(0, "ok", "write", 1, key="y")],
        2,
        "ok of write on 'y' completes the write on 'x' invoked at line 1",
    ),
    "invoke after info": (
        [WRITE, event(0, "info", "write", 1), WRITE],
        3,
        "process 0 invokes again after its operation ended info at line 2",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_line_is_named(tmp_path: Path, case: str) -> None:
    """Each kind of malformed line raises HistoryError as FILE:LINE: what (what is allowed)."""
    lines, line, message = MALFORMED[case]
    path = write_lines(tmp_path, lines)
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    [problem] = raised.value.problems
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: {message}")
    assert str(problem).endswith(")")
    assert isinstance(raised.value, ValueError)


def test_line_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a bad line, not a crash."""
    path = tmp_path / "history.jsonl"
    path.write_bytes(json.dumps(WRITE).encode() + b"\n\xff\xfe{\n")
    with pytest.raises(HistoryError, match=r":2: not valid JSON"):
        read_history(path)


def test_missing_file_is_a_history_error(tmp_path: Path) -> None:
    """A file that cannot be read is reported like any other bad input."""
    with pytest.raises(HistoryError, match=r"nope\.jsonl: cannot read: No such file"):
        read_history(tmp_path / "nope.jsonl")


def test_every_problem_is_reported_in_order(tmp_path: Path) -> None:
    """All problems are reported at once, not only the first."""
    path = write_lines(tmp_path, [WRITE, "oops", {**WRITE_OK, "f": "cas"}, {"type": "ok"}])
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    lines = [problem.line for problem in raised.value.problems]
    assert lines == [2, 3, 4, 4, 4, 4, 4]
    assert str(raised.value).splitlines()[0].startswith(f"{path}:2: not valid JSON")


def test_problems_are_capped(tmp_path: Path) -> None:
    """A file of garbage stops after MAX_PROBLEMS problems and says so."""
    path = write_lines(tmp_path, ["garbage"] * (MAX_PROBLEMS + 20))
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    assert len(raised.value.problems) == MAX_PROBLEMS and raised.value.truncated
    assert str(raised.value).endswith(f"(stopped after {MAX_PROBLEMS} problems)")


def test_records_are_named_by_position() -> None:
    """In-memory records are reported as <records>:N, N counting from 1."""
    with pytest.raises(HistoryError, match=r"^<records>:2: ok for process 1"):
        operations_from_records([WRITE, event(1, "ok", "write", 1)])


def test_operations_from_a_valid_history() -> None:
    """Completed ops carry both positions; failed ops are dropped; info and pending end at inf."""
    ops = operations_from_records(
        [
            event(0, "invoke", "write", 1, time=0),
            event(1, "invoke", "read", None, time=1),
            event(2, "invoke", "cas", [1, 2], time=1),
            event(0, "ok", "write", 1, time=2),
            event(1, "ok", "read", 1, time=3),
            event(2, "info", "cas", [1, 2], time=4),
            event(3, "invoke", "write", 5, key=7, time=5),
            event(3, "fail", "write", 5, key=7, time=6),
            event(3, "invoke", "read", None, time=7),
        ]
    )
    assert ops == [
        Operation(0, "write", "x", 1, None, 0.0, 2.0, "ok", 0, 3),
        Operation(1, "read", "x", None, 1, 1.0, 3.0, "ok", 1, 4),
        Operation(2, "cas", "x", [1, 2], None, 1.0, math.inf, "info", 2, None),
        Operation(3, "read", "x", None, None, 7.0, math.inf, "info", 8, None),
    ]
