"""Reading histories: every kind of malformed line is reported with its line number."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from sim.checks.history import (
    MAX_HISTORY_BYTES,
    MAX_LINE_BYTES,
    MAX_NESTING,
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


def test_line_longer_than_the_limit_is_named_and_skipped(tmp_path: Path) -> None:
    """A line over MAX_LINE_BYTES is reported at its number; the lines after it are still read."""
    long_line = json.dumps({**WRITE, "value": "v" * MAX_LINE_BYTES})
    path = write_lines(tmp_path, [WRITE, long_line, {**WRITE_OK, "f": "append"}])
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    [long, bad_f] = raised.value.problems
    assert str(long) == (
        f"{path}:2: the line is longer than {MAX_LINE_BYTES // 2**20} MiB "
        f"(one JSON object of at most {MAX_LINE_BYTES // 2**20} MiB per line)"
    )
    assert bad_f.line == 3


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    """The limit is inclusive: a line of MAX_LINE_BYTES bytes (and its newline) is read."""
    record = json.dumps({**WRITE, "value": ""})
    padded = record[:-1] + " " * (MAX_LINE_BYTES - len(record)) + "}"
    assert len(padded) == MAX_LINE_BYTES
    path = write_lines(tmp_path, [padded, WRITE_OK])
    [op] = read_history(path)
    assert op.value == ""


def test_long_line_is_never_held_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a line far over the limit asks the file for bounded pieces only."""
    path = write_lines(tmp_path, ["[" + "1," * (2 * MAX_LINE_BYTES) + "1]", WRITE])
    asked: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, file: Any) -> None:
            self.file = file

        def readline(self, size: int = -1) -> bytes:
            asked.append(size)
            return self.file.readline(size)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    monkeypatch.setattr("builtins.open", lambda *a, **k: Spy(real_open(*a, **k)))
    with pytest.raises(HistoryError, match=r":1: the line is longer than"):
        read_history(path)
    assert asked and all(0 < size <= MAX_LINE_BYTES + 1 for size in asked)


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """A history one byte over MAX_HISTORY_BYTES (sparse) is refused by its size alone."""
    path = tmp_path / "history.jsonl"
    with path.open("wb") as file:
        file.truncate(MAX_HISTORY_BYTES + 1)
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    assert str(raised.value) == (
        f"{path}: larger than {MAX_HISTORY_BYTES // 2**20} MiB "
        f"(a history file is at most {MAX_HISTORY_BYTES // 2**20} MiB)"
    )


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 900, 100_000])
def test_deeply_nested_json_is_a_bad_line(tmp_path: Path, depth: int) -> None:
    """Arrays nested deeper than MAX_NESTING are a bad line, not a RecursionError (in the
    decoder beyond ~1000 levels, in the checker below that)."""
    deep = "[" * depth + "]" * depth
    path = write_lines(tmp_path, [json.dumps(WRITE).replace('"value": 1', f'"value": {deep}')])
    with pytest.raises(HistoryError) as raised:
        read_history(path)
    [problem] = raised.value.problems
    assert str(problem) == (
        f"{path}:1: not valid JSON: nested deeper than {MAX_NESTING} levels "
        "(one JSON object per line)"
    )


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    """A value nested exactly MAX_NESTING - 1 levels inside its line's object is accepted."""
    depth = MAX_NESTING - 1
    deep = "[" * depth + "]" * depth
    path = write_lines(tmp_path, [json.dumps(WRITE).replace('"value": 1', f'"value": {deep}')])
    [op] = read_history(path)
    assert json.dumps(op.value) == deep


def test_check_command_exits_2_on_deep_nesting(tmp_path: Path) -> None:
    """`quorumsim check` on 100 000 nested arrays: exit 2 with FILE:LINE, no traceback."""
    from typer.testing import CliRunner

    from sim.cli import app

    path = write_lines(tmp_path, [json.dumps(WRITE), "[" * 100_000])
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:2: not valid JSON: nested deeper than")
    assert "Traceback" not in result.stderr + result.stdout
