"""Porcupine's kv logs: its own test data gives Porcupine's verdicts; bad lines are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.checks.formats import read_operations
from sim.checks.history import HistoryError
from sim.checks.linearizability import check_operations

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "ok"), [("porcupine-c01-ok.txt", True), ("porcupine-c01-bad.txt", False)]
)
def test_porcupines_test_logs_get_porcupines_verdicts(name: str, ok: bool) -> None:
    """c01-ok is linearizable and c01-bad is not, as Porcupine's TestKv1Client* expect."""
    history = read_operations(DATA / name)
    assert (history.format, history.model.name) == ("porcupine-kv", "kv")
    assert {op.f for op in history.operations} == {"get", "put", "append"}
    assert check_operations(history.operations, history.model).ok is ok


def test_the_bad_log_fails_at_the_stale_get_of_key_7() -> None:
    """c01-bad's key 7 reads "x 0 0 y" after "x 0 3 y" was appended to it (line 59)."""
    history = read_operations(DATA / "porcupine-c01-bad.txt")
    result = check_operations(history.operations, history.model)
    (failure,) = result.failures
    assert failure.key == "7"
    assert [(op.output, op.index + 1) for op in failure.stuck] == [("x 0 0 y", 59)]


def test_an_append_onto_the_empty_string(tmp_path: Path) -> None:
    """A key starts as "": appends concatenate onto it, a get sees the concatenation."""
    path = tmp_path / "kv.txt"
    path.write_text(
        '{:process 0, :type :invoke, :f :append, :key "a", :value "x"}\n'
        '{:process 1, :type :invoke, :f :append, :key "a", :value "y"}\n'
        '{:process 0, :type :ok, :f :append, :key "a", :value "x"}\n'
        '{:process 1, :type :ok, :f :append, :key "a", :value "y"}\n'
        '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
        '{:process 0, :type :ok, :f :get, :key "a", :value "yx"}\n'
        '{:process 2, :type :invoke, :f :put, :key "a", :value "z"}\n'
    )
    history = read_operations(path)
    assert [op.status for op in history.operations] == ["ok", "ok", "ok", "info"]
    assert check_operations(history.operations, history.model).ok
    path.write_text(path.read_text().replace('"yx"}', '"xyx"}'))
    assert not check_operations(read_operations(path).operations, "kv").ok


BAD = {
    "unknown f": (
        '{:process 0, :type :invoke, :f :cas, :key "a", :value "x"}',
        ":f :cas is unknown here (one of :get, :put, :append)",
    ),
    "no key": (
        "{:process 0, :type :invoke, :f :get, :value nil}",
        "no :key (every op of a key-value history names its key)",
    ),
    "key not a string": (
        "{:process 0, :type :invoke, :f :get, :key 3, :value nil}",
        ":key 3 is not a string",
    ),
    "value not a string": (
        '{:process 0, :type :invoke, :f :put, :key "a", :value 3}',
        ":value 3 is not a string",
    ),
    "get with a value": (
        '{:process 0, :type :invoke, :f :get, :key "a", :value "x"}',
        "a get's invoke has :value 'x' (nil: it reads)",
    ),
    "not EDN": ('{:process 0, :type :invoke, :f :get, :key "a" :value}', "not EDN at column"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_kv_lines_are_named(tmp_path: Path, name: str) -> None:
    """Each kind of bad line of a kv log is FILE:LINE: what is wrong."""
    line, message = BAD[name]
    path = tmp_path / "kv.txt"
    path.write_text('{:process 9, :type :invoke, :f :get, :key "a", :value nil}\n' + line + "\n")
    with pytest.raises(HistoryError) as raised:
        read_operations(path, "porcupine-kv")
    first = str(raised.value).splitlines()[0]
    assert first.startswith(f"{path}:2: {message}"), first
