"""The EDN and Porcupine exports: read back by quorumsim's readers, they are the history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.checks.formats import read_operations
from sim.checks.formats.edn import Keyword, iter_elements
from sim.checks.history import read_history
from sim.checks.linearizability import check_operations
from sim.cli import app
from sim.export import export_lines

runner = CliRunner()

EVERY_KIND = [
    {"process": 0, "type": "invoke", "f": "write", "key": "k1", "value": 1, "time": 0.0},
    {"process": 1, "type": "invoke", "f": "read", "key": "k1", "value": None, "time": 0.25},
    {"process": 0, "type": "ok", "f": "write", "key": "k1", "value": 1, "time": 1.5},
    {"process": 1, "type": "ok", "f": "read", "key": "k1", "value": 1, "time": 2.125},
    {"process": 0, "type": "invoke", "f": "cas", "key": "k2", "value": [None, 3], "time": 3.0},
    {"process": 0, "type": "fail", "f": "cas", "key": "k2", "value": [None, 3], "time": 4.0},
    {"process": 1, "type": "invoke", "f": "write", "key": "k2", "value": 7, "time": 5.0},
    {"process": 1, "type": "info", "f": "write", "key": "k2", "value": 7, "time": 9.0},
    {"process": 2, "type": "invoke", "f": "read", "key": "k2", "value": None, "time": 9.5},
]


def run_dir(tmp_path: Path, records: list[dict]) -> Path:
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return directory


def same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.process, x.f, x.key, x.value, x.output, x.status, x.index, x.complete_index) == (
            y.process,
            y.f,
            y.key,
            y.value,
            y.output,
            y.status,
            y.index,
            y.complete_index,
        )
        assert x.invoke_time == pytest.approx(y.invoke_time, abs=1e-6)
        assert x.complete_time == pytest.approx(y.complete_time, abs=1e-6) or (
            math.isinf(x.complete_time) and math.isinf(y.complete_time)
        )


def edn_file(tmp_path: Path, directory: Path) -> Path:
    path = tmp_path / "history.edn"
    path.write_text("\n".join(export_lines(directory, "edn")) + "\n")
    return path


def test_every_line_kind_round_trips_through_edn(tmp_path: Path) -> None:
    """invoke, ok, fail, info and a pending invoke: EDN read back gives the same operations."""
    directory = run_dir(tmp_path, EVERY_KIND)
    path = edn_file(tmp_path, directory)
    back = read_operations(path)
    assert back.format == "edn"
    # The EDN file has a comment first: its lines are one further on than the JSONL's.
    original = read_history(directory / "history.jsonl")
    shifted = [
        type(op)(
            **{
                **{f: getattr(op, f) for f in op.__slots__},
                "index": op.index + 1,
                "complete_index": None if op.complete_index is None else op.complete_index + 1,
            }
        )
        for op in original
    ]
    same(back.operations, shifted)


def test_the_edn_lines_are_jepsen_ops(tmp_path: Path) -> None:
    """Each line is a map with keyword :type and :f, :time in integer nanoseconds, :index."""
    lines = export_lines(run_dir(tmp_path, EVERY_KIND), "edn")
    ops = [value for _, value in iter_elements("\n".join(lines))]
    assert len(ops) == len(EVERY_KIND)
    assert ops[3] == {
        Keyword("process"): 1,
        Keyword("type"): Keyword("ok"),
        Keyword("f"): Keyword("read"),
        Keyword("key"): "k1",
        Keyword("value"): 1,
        Keyword("time"): 2_125_000,
        Keyword("index"): 3,
    }
    assert ops[4][Keyword("value")] == [None, 3]


def test_a_run_round_trips_and_keeps_its_verdict(stale_read_run: Path, tmp_path: Path) -> None:
    """A simulated run's history, through EDN, is checked the same (here: not linearizable)."""
    original = read_history(stale_read_run / "history.jsonl")
    back = read_operations(edn_file(tmp_path, stale_read_run)).operations
    assert [(op.process, op.f, op.value, op.output) for op in back] == [
        (op.process, op.f, op.value, op.output) for op in original
    ]
    before, after = check_operations(original), check_operations(back)
    assert (before.ok, len(before.failures)) == (after.ok, len(after.failures)) == (False, 2)
    assert [f.linearized for f in before.failures] == [f.linearized for f in after.failures]


def test_porcupine_export_reads_back_as_porcupine_kv(crash_run: Path, tmp_path: Path) -> None:
    """Reads and writes become gets and puts of strings; checked with the kv model, the
    verdict is the register's."""
    lines = export_lines(crash_run, "porcupine")
    assert lines[1].startswith("{:process 0, :type :invoke, :f :")
    path = tmp_path / "kv.txt"
    path.write_text("\n".join(lines) + "\n")
    back = read_operations(path)
    assert (back.format, back.model.name) == ("porcupine-kv", "kv")
    original = read_history(crash_run / "history.jsonl")
    assert len(back.operations) == len(original)
    assert {op.f for op in back.operations} == {"get", "put"}
    assert check_operations(back.operations, "kv").ok == check_operations(original).ok


def test_porcupine_export_leaves_out_failed_ops_and_keeps_info_open(tmp_path: Path) -> None:
    """A failed cas-free op is left out; an info op is its invoke alone."""
    records = [r for r in EVERY_KIND if r["f"] != "cas"]
    records.insert(4, {**EVERY_KIND[6], "process": 3})
    records.insert(5, {**EVERY_KIND[6], "process": 3, "type": "fail"})
    lines = export_lines(run_dir(tmp_path, records), "porcupine")
    assert lines[1:] == [
        '{:process 0, :type :invoke, :f :put, :key "k1", :value "1"}',
        '{:process 1, :type :invoke, :f :get, :key "k1", :value nil}',
        '{:process 0, :type :ok, :f :put, :key "k1", :value "1"}',
        '{:process 1, :type :ok, :f :get, :key "k1", :value "1"}',
        '{:process 1, :type :invoke, :f :put, :key "k2", :value "7"}',
        '{:process 2, :type :invoke, :f :get, :key "k2", :value nil}',
    ]


def test_cli_export_refuses_what_it_cannot_write(tmp_path: Path, crash_run: Path) -> None:
    """A cas for Porcupine, a missing trace, another's file: exit 2, one line, nothing written."""
    cas_run = run_dir(
        tmp_path,
        [
            *EVERY_KIND[:4],
            *(dict(r, type="ok") if r["type"] == "fail" else r for r in EVERY_KIND[4:6]),
        ],
    )
    cases = [
        (
            ["export", str(cas_run), "--format", "porcupine"],
            ":5: a cas has no counterpart in Porcupine's kv model",
        ),
        (["export", str(cas_run), "--format", "shiviz"], "no trace.jsonl"),
        (["export", str(tmp_path / "nope"), "--format", "edn"], "no such directory"),
        (
            ["export", str(cas_run), "--format", "xml"],
            "--format 'xml': unknown (one of shiviz, edn, porcupine)",
        ),
    ]
    theirs = tmp_path / "notes.txt"
    theirs.write_text("mine\n")
    cases.append(
        (
            ["export", str(crash_run), "--format", "edn", "--out", str(theirs)],
            "is a file quorumsim did not write",
        )
    )
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert theirs.read_text() == "mine\n"


def test_cli_export_writes_and_rewrites_its_own_file(tmp_path: Path, crash_run: Path) -> None:
    """--out writes the export; writing it again over its own file is allowed."""
    out = tmp_path / "crash.shiviz"
    for _ in range(2):
        result = runner.invoke(
            app, ["export", str(crash_run), "--format", "shiviz", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == export_lines(crash_run, "shiviz")
