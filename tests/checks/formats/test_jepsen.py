"""Jepsen and Knossos histories (EDN, jepsen.log): every line kind read, every bad line named."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.checks.formats import read_operations
from sim.checks.formats import text as text_module
from sim.checks.formats.jepsen import DEFAULT_KEY, Problems, edn_ops, records
from sim.checks.formats.text import read_text
from sim.checks.history import MAX_LINE_BYTES, HistoryError
from sim.checks.linearizability import check_operations

DATA = Path(__file__).parent / "data"

EVERY_KIND = """\
{:type :invoke, :f :write, :value 3, :process 0, :time 1000000, :index 0}
{:type :invoke, :f :read, :value nil, :process 1, :time 1500000, :index 1}
{:type :info, :f :start, :process :nemesis, :time 1600000, :value [:isolated {"n1" #{"n2"}}]}
{:type :ok, :f :write, :value 3, :process 0, :time 2000000, :index 2, :node "n1"}
{:type :ok, :f :read, :value 3, :process 1, :time 2500000, :index 3}
{:type :invoke, :f :cas, :value [3 4], :process 0, :time 3000000, :index 4}
{:type :fail, :f :cas, :value [3 4], :process 0, :time 3500000, :index 5, :error :conflict}
{:type :invoke, :f :write, :value 5, :process 1, :time 4000000, :index 6}
{:type :info, :f :write, :value 5, :process 1, :time 4500000, :index 7, :error :timed-out}
{:type :invoke, :f :read, :value nil, :process 6, :time 5000000, :index 8}
"""


def write(tmp_path: Path, text: str, name: str = "history.edn") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def summary(path: Path) -> list[tuple]:
    ops = read_operations(path).operations
    return [(op.process, op.f, op.key, op.value, op.output, op.status) for op in ops]


def test_every_line_kind_of_a_jepsen_history(tmp_path: Path) -> None:
    """invoke, ok, fail, info, the nemesis and a pending invoke read as Jepsen means them."""
    ops = read_operations(write(tmp_path, EVERY_KIND)).operations
    got = [(op.process, op.f, op.value, op.output, op.status) for op in ops]
    assert got == [
        (0, "write", 3, None, "ok"),
        (1, "read", None, 3, "ok"),
        (1, "write", 5, None, "info"),  # timed out: it may or may not have happened
        (6, "read", None, None, "info"),  # never completed
    ]  # the failed cas did not happen; the nemesis is no client
    assert {op.key for op in ops} == {DEFAULT_KEY}
    assert (ops[0].invoke_time, ops[0].complete_time) == (1.0, 2.0)  # ns -> ms
    assert math.isinf(ops[2].complete_time)
    assert [op.index for op in ops] == [0, 1, 7, 9]  # lines minus one


def test_the_shapes_of_a_history_read_alike(tmp_path: Path) -> None:
    """A map per line, one vector, a list with comments, tagged ops and a jepsen.log agree."""
    lines = [
        "{:process 0, :type :invoke, :f :write, :value 1}",
        "{:process 0, :type :ok, :f :write, :value 1}",
        "{:process 1, :type :invoke, :f :read, :value nil}",
        "{:process 1, :type :ok, :f :read, :value 1}",
    ]
    shapes = {
        "lines": "\n".join(lines),
        "vector": "[" + "\n ".join(lines) + "]",
        "list": "; a comment\n(" + "\n ; between ops\n ".join(lines) + ")",
        "tagged": "\n".join("#jepsen.history.Op" + line for line in lines),
        "log": "INFO  jepsen.core - starting\n"
        + "".join(
            f"INFO  jepsen.util - {p}\t:{t}\t:{f}\t{v}\n"
            for p, t, f, v in [
                (0, "invoke", "write", 1),
                (0, "ok", "write", 1),
                (1, "invoke", "read", "nil"),
                (1, "ok", "read", 1),
            ]
        ),
    }
    expected = [(0, "write", DEFAULT_KEY, 1, None, "ok"), (1, "read", DEFAULT_KEY, None, 1, "ok")]
    for name, text in shapes.items():
        assert summary(write(tmp_path, text, name)) == expected, name


def test_keys_times_and_values_are_kept(tmp_path: Path) -> None:
    """:key names the key (a keyword's name), keyword values become names, vectors lists."""
    text = (
        "{:process 0, :type :invoke, :f :write, :key :x, :value :a, :time 5}\n"
        "{:process 0, :type :ok, :f :write, :key :x, :value :a, :time 7}\n"
        '{:process 0, :type :invoke, :f :write, :key "y", :value [1 {:b 2}], :time 9}\n'
        '{:process 0, :type :ok, :f :write, :key "y", :value [1 {:b 2}], :time 11}\n'
    )
    ops = read_operations(write(tmp_path, text)).operations
    assert [(op.key, op.value) for op in ops] == [("x", "a"), ("y", [1, {"b": 2}])]
    assert ops[1].invoke_time == pytest.approx(9e-6)


def test_a_one_micro_op_transaction_is_that_operation(tmp_path: Path) -> None:
    """[:append k v] and [:r k v] transactions become an append and a read on key k."""
    text = (
        "{:process 0, :type :invoke, :f :txn, :value [[:append 4 1]]}\n"
        "{:process 0, :type :ok, :f :txn, :value [[:append 4 1]]}\n"
        "{:process 1, :type :ok, :f :txn, :value [[:r 4 [1]]]}\n"
    )
    source = read_text(write(tmp_path, text))
    problems = Problems(source.source)
    found = records(edn_ops(source, problems), problems)
    assert not problems.found
    assert [(r["f"], r["key"], r["value"]) for _, r in found] == [
        ("append", 4, 1),
        ("append", 4, 1),
        ("read", 4, [1]),
    ]


BAD = {
    "not EDN": (
        "{:process 0, :type :invoke :f}",
        1,
        "not EDN at column 30: a map needs a value for each key (5 forms in it)",
    ),
    "unclosed map": (
        '{:process 0, :type :invoke, :f :read, :value "x}',
        1,
        "not EDN at column 46: a string is not closed",
    ),
    "not a map": (
        "{:process 0, :type :invoke, :f :read}\n:invoke",
        2,
        "a keyword :invoke, not an op (a map per op)",
    ),
    "no type": ("{:process 0, :f :read}", 1, "no :type (an op has :type, :f, :process and :value)"),
    "unknown type": (
        "{:process 0, :type :start, :f :read}",
        1,
        ":type :start is unknown (one of :invoke, :ok, :fail, :info)",
    ),
    "f not a name": ("{:process 0, :type :invoke, :f 3}", 1, ":f 3 is not a name"),
    "bad process": ("{:process [0], :type :invoke, :f :read}", 1, ":process [0] is not an id"),
    "bad key": ("{:process 0, :type :invoke, :f :read, :key [1]}", 1, ":key [1] is not a key"),
    "bad time": ("{:process 0, :type :invoke, :f :read, :time -4}", 1, ":time -4 is not a time"),
    "mixed times": (
        "{:process 0, :type :invoke, :f :read, :time 4}\n{:process 0, :type :ok, :f :read}",
        2,
        "an op without :time, while line 1 has one",
    ),
    "transaction of two": (
        "{:process 0, :type :invoke, :f :txn, :value [[:append 1 2] [:r 2 nil]]}",
        1,
        "a :txn of 2 micro-ops (quorumsim checks single-key operations",
    ),
    "bad micro-op": (
        "{:process 0, :type :invoke, :f :txn, :value [[:inc 1 2]]}",
        1,
        "micro-op [:inc 1 2] is not",
    ),
    "completion without invoke": (
        "{:process 0, :type :ok, :f :read, :value 1}",
        1,
        "ok for process 0, which has no pending invoke",
    ),
    "log line without fields": (
        "INFO  jepsen.util - 0 :invoke :read nil",
        1,
        "a jepsen.util line without its fields",
    ),
    "log value not EDN": ("INFO  jepsen.util - 0\t:invoke\t:read\t[1", 1, "value '[1' is not EDN"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_lines_are_named_with_their_line(tmp_path: Path, name: str) -> None:
    """Each kind of bad op is reported as FILE:LINE: what is wrong."""
    text, line, message = BAD[name]
    path = write(tmp_path, text)
    with pytest.raises(HistoryError) as raised:
        read_operations(path, "edn")
    first = str(raised.value).splitlines()[0]
    assert first.startswith(f"{path}:{line}: {message}"), first


def test_every_bad_line_is_reported(tmp_path: Path) -> None:
    """Problems of several lines are all listed, in order."""
    text = "{:process 0, :type :begin, :f :read}\n{:process 0, :f :read}\n"
    with pytest.raises(HistoryError) as raised:
        read_operations(write(tmp_path, text), "edn")
    assert [p.line for p in raised.value.problems] == [1, 2]


def test_a_line_too_long_is_refused_unread(tmp_path: Path) -> None:
    """A line over MAX_LINE_BYTES is refused naming it."""
    path = write(tmp_path, '{:process 0}\n{:value "' + "x" * MAX_LINE_BYTES + '"}\n')
    with pytest.raises(HistoryError, match=r":2: the line is longer than 1 MiB"):
        read_operations(path, "edn")


def test_a_file_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the size bound is refused before it is read."""
    monkeypatch.setattr(text_module, "MAX_HISTORY_BYTES", 100)
    path = write(tmp_path, EVERY_KIND)
    with pytest.raises(HistoryError, match="larger than"):
        read_operations(path, "edn")


def test_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    """A line that is not UTF-8 is named."""
    path = tmp_path / "history.edn"
    path.write_bytes(b"{:process 0}\n{:f \xff}\n")
    with pytest.raises(HistoryError, match=r":2: not UTF-8 text \(a bad byte at column 5\)"):
        read_operations(path, "edn")


def test_nesting_too_deep_is_refused(tmp_path: Path) -> None:
    """A value nested deeper than the history bound is an error on its line, not a crash."""
    path = write(
        tmp_path, "{:process 0, :type :invoke, :f :write, :value " + "[" * 5000 + "]" * 5000 + "}"
    )
    with pytest.raises(
        HistoryError, match=r":1: not EDN at column \d+: nested deeper than 100 levels"
    ):
        read_operations(path, "edn")


def test_knossos_style_history_is_not_linearizable_at_the_read_of_7() -> None:
    """The hand-written Knossos-style history fails where its comment says, naming the line."""
    history = read_operations(DATA / "knossos-style.edn")
    result = check_operations(history.operations)
    assert not result.ok
    (failure,) = result.failures
    assert [(op.output, op.index + 1) for op in failure.stuck] == [(7, 6)]


def test_jepsen_log_is_linearizable() -> None:
    """The hand-written jepsen.log (cas, a failed cas, a timed-out write, the nemesis) passes."""
    history = read_operations(DATA / "jepsen.log")
    assert history.format == "edn"
    assert len(history.operations) == 7
    assert check_operations(history.operations).ok


def test_jepsen_log_with_a_stale_read_fails(tmp_path: Path) -> None:
    """The same log with the last read returning a value overwritten before fails."""
    text = (DATA / "jepsen.log").read_text().replace("7\t:ok\t:read\t0", "7\t:ok\t:read\t2")
    history = read_operations(write(tmp_path, text, "jepsen.log"))
    assert not check_operations(history.operations).ok


INDEPENDENT = """\
{:type :invoke, :f :write, :value [1 3], :process 0}
{:type :invoke, :f :read, :value [2 nil], :process 1}
{:type :ok, :f :write, :value [1 3], :process 0}
{:type :ok, :f :read, :value [2 nil], :process 1}
{:type :invoke, :f :cas, :value [1 [3 4]], :process 0}
{:type :info, :f :cas, :value :timed-out, :process 0}
{:type :invoke, :f :read, :value [1 nil], :process 5}
{:type :ok, :f :read, :value [1 4], :process 5}
"""


def test_independent_keys_are_read_as_keys(tmp_path: Path) -> None:
    """jepsen.independent's [key value] values: each op on its key, a timed-out cas on its
    invoke's; reading 4 after the cas that may have happened is linearizable."""
    ops = read_operations(write(tmp_path, INDEPENDENT)).operations
    assert [(op.key, op.f, op.value, op.output, op.status) for op in ops] == [
        (1, "write", 3, None, "ok"),
        (2, "read", None, None, "ok"),
        (1, "cas", [3, 4], None, "info"),
        (1, "read", None, 4, "ok"),
    ]
    assert check_operations(ops).ok
    stale = INDEPENDENT.replace(":value [1 4]", ":value [1 5]")
    assert not check_operations(read_operations(write(tmp_path, stale)).operations).ok


def test_pairs_are_not_keys_when_reads_say_otherwise(tmp_path: Path) -> None:
    """Cas pairs of a single register ([expected new]) are not taken for [key value]."""
    text = (
        "{:type :invoke, :f :cas, :value [1 2], :process 0}\n"
        "{:type :invoke, :f :read, :value nil, :process 1}\n"
    )
    ops = read_operations(write(tmp_path, text)).operations
    assert [(op.key, op.value) for op in ops] == [(DEFAULT_KEY, [1, 2]), (DEFAULT_KEY, None)]
