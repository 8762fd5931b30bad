"""`quorumsim check --model / --timeout / --workers`: user models, time limits, exit statuses."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.checks.history import operations_from_records
from sim.checks.linearizability import check_operations
from sim.cli import app

runner = CliRunner()


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _event(process: Any, kind: str, f: str, value: Any, time: float, key: str = "s") -> dict:
    return {"process": process, "type": kind, "f": f, "key": key, "value": value, "time": time}


def hard_set_history(adds: int, keys: tuple[str, ...] = ("s",)) -> list[dict]:
    """Per key, ``adds`` concurrent adds of distinct values, then a read that returns nothing:
    not linearizable, but the search visits every subset of the adds (2**adds) to find out."""
    records = []
    for key in keys:
        base = len(records)
        records += [_event(f"{key}{i}", "invoke", "add", i, base + i, key) for i in range(adds)]
        records += [_event(f"{key}{i}", "ok", "add", i, base + adds + i, key) for i in range(adds)]
        records += [
            _event(f"{key}r", "invoke", "read", None, base + 2 * adds, key),
            _event(f"{key}r", "ok", "read", [], base + 2 * adds + 1, key),
        ]
    return records


def test_timeout_gives_unknown_within_the_limit(tmp_path: Path) -> None:
    """A history whose search needs 2**40 steps: exit 3, verdict unknown with how far the
    search got, in well under twice the 1 s limit."""
    path = _write(tmp_path / "hard.jsonl", hard_set_history(40))
    start = time.monotonic()
    result = runner.invoke(app, ["check", str(path), "--model", "set", "--timeout", "1s"])
    elapsed = time.monotonic() - start
    assert result.exit_code == 3, result.output
    assert result.output.startswith("unknown: 1 of 1 keys undecided in time (41 operations")
    assert "out of time after exploring" in result.output
    assert elapsed < 1.6


def test_timeout_with_workers_stops_every_worker() -> None:
    """Two hard keys in two worker processes: both unknown, within the limit's double."""
    ops = operations_from_records(hard_set_history(40, ("a", "b")), functions=("add", "read"))
    start = time.monotonic()
    result = check_operations(ops, "set", timeout=0.5, workers=2)
    assert time.monotonic() - start < 1.0
    assert result.verdict == "unknown" and [u.key for u in result.unknown] == ["a", "b"]
    assert all(u.explored > 1000 for u in result.unknown)


def test_a_failure_beats_unknown() -> None:
    """A key that fails makes the verdict "not linearizable" even if another is unknown."""
    records = hard_set_history(40, ("a",)) + hard_set_history(3, ("b",))
    for time_, record in enumerate(records):  # the second history's times follow the first's
        record["time"] = time_
    ops = operations_from_records(records, functions=("add", "read"))
    result = check_operations(ops, "set", timeout=0.3)
    assert result.verdict == "not linearizable"
    assert [f.key for f in result.failures] == ["b"] and [u.key for u in result.unknown] == ["a"]


def test_workers_give_the_serial_report() -> None:
    """Checked in 3 processes, a history of many keys, some failing, is reported as serially."""
    records = []
    for n in range(30):
        key = f"k{n}"
        records += [
            _event(f"w{n}", "invoke", "write", 1, len(records), key),
            _event(f"w{n}", "ok", "write", 1, len(records) + 1, key),
            _event(f"r{n}", "invoke", "read", None, len(records) + 2, key),
            _event(f"r{n}", "ok", "read", 1 if n % 7 else None, len(records) + 3, key),
        ]
    ops = operations_from_records(records)
    serial = check_operations(ops)
    parallel = check_operations(ops, workers=3)
    assert not serial.ok and len(serial.failures) == 5
    assert parallel == serial


USER_MODEL = '''
from sim.checks.models.base import Model

class Counter(Model):
    """A counter per key: inc adds its value, read returns the total."""
    name = "counter"
    functions = ("inc", "read")

    def init(self):
        return 0

    def step(self, state, op):
        if op.f == "inc":
            return True, state + op.value
        return op.status != "ok" or op.output == state, state

class Plain:
    functions = ("inc", "read")

    def init(self):
        return 0

    def step(self, state, op):
        return Counter().step(state, op)

NOT_A_MODEL = 3

class Broken(Counter):
    def step(self, state, op):
        raise RuntimeError("oops")

class Boom(Broken):
    """Its path, my_models:Boom, holds an emoji code, ":Boom:"."""

class Listy(Counter):
    def init(self):
        return []
'''


@pytest.fixture
def user_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "my_models.py").write_text(textwrap.dedent(USER_MODEL))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("my_models", None)


def _counter_history(tmp_path: Path, total: int) -> Path:
    return _write(
        tmp_path / "counter.jsonl",
        [
            _event(0, "invoke", "inc", 2, 0),
            _event(1, "invoke", "inc", 3, 1),
            _event(0, "ok", "inc", 2, 2),
            _event(1, "ok", "inc", 3, 3),
            _event(2, "invoke", "read", None, 4),
            _event(2, "ok", "read", total, 5),
        ],
    )


@pytest.mark.parametrize("name", ["my_models:Counter", "my_models:Plain"])
def test_user_model_from_a_python_path(user_models: Path, name: str) -> None:
    """A model class (subclassing Model or not) named module:Class checks a history."""
    good = runner.invoke(app, ["check", str(_counter_history(user_models, 5)), "--model", name])
    assert good.exit_code == 0, good.output
    bad = runner.invoke(app, ["check", str(_counter_history(user_models, 3)), "--model", name])
    assert bad.exit_code == 1 and "state after it: 5" in bad.output


BAD_INPUT = {
    "unknown model": (["--model", "regster"], "unknown model 'regster' (known: register,"),
    "near miss hint": (["--model", "regster"], "did you mean 'register'?"),
    "no module": (["--model", "no_such_mod:X"], "no module named 'no_such_mod'"),
    "no attribute": (["--model", "my_models:Nope"], "module 'my_models' has no 'Nope'"),
    "not a model": (["--model", "my_models:NOT_A_MODEL"], "is a int without init or step"),
    "not a path": (["--model", "a b:c"], "is not a `module:Class` path"),
    "model raises": (["--model", "my_models:Broken"], "raised RuntimeError: oops (my_models.py:"),
    "emoji code in the path": (["--model", "my_models:Boom"], "--model my_models:Boom: model"),
    "unhashable state": (["--model", "my_models:Listy"], "its states must be hashable"),
    "wrong functions": (["--model", "queue"], "f 'inc' is unknown (one of enqueue, dequeue)"),
    "bad timeout": (["--timeout", "soon"], "--timeout soon: not a duration: 'soon'"),
    "zero timeout": (["--timeout", "0s"], "--timeout 0s: must be more than 0"),
    "zero workers": (["--workers", "0"], "--workers 0: out of range (1 to 256)"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_options_exit_2(user_models: Path, case: str) -> None:
    """A bad --model, --timeout or --workers: exit 2, one clear line, no traceback."""
    options, message = BAD_INPUT[case]
    path = _counter_history(user_models, 5)
    result = runner.invoke(app, ["check", str(path), "--model", "my_models:Counter", *options])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_model_from_an_entry_point(user_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name an installed package declares under `quorumsim.models` loads its model."""
    from importlib.metadata import EntryPoint

    import sim.checks.models as models

    point = EntryPoint("counter", "my_models:Counter", models.ENTRY_POINT_GROUP)
    monkeypatch.setattr(models, "_entry_points", lambda: {"counter": point})
    assert "counter" in models.model_names()
    result = runner.invoke(
        app, ["check", str(_counter_history(user_models, 5)), "--model", "counter"]
    )
    assert result.exit_code == 0, result.output


def test_many_hard_keys_cost_little_past_the_limit() -> None:
    """200 hard keys and a 0.5 s limit: the keys whose turn comes late are looked at briefly,
    and the check ends within twice the limit."""
    keys = tuple(f"k{n}" for n in range(200))
    records = hard_set_history(30, keys)
    for time_, record in enumerate(records):
        record["time"] = time_
    ops = operations_from_records(records, functions=("add", "read"))
    start = time.monotonic()
    result = check_operations(ops, "set", timeout=0.5)
    assert time.monotonic() - start < 1.0
    assert result.verdict == "unknown" and len(result.unknown) == 200


@pytest.mark.parametrize(
    ("model", "records", "message"),
    [
        (
            "kv",
            [_event(0, "invoke", "put", 3, 0), _event(0, "ok", "put", 3, 1)],
            ":1: put value 3 is not a string (kv values are strings)",
        ),
        (
            "list-append",
            [_event(0, "invoke", "read", None, 0), _event(0, "ok", "read", 5, 1)],
            ":1: read returned 5, not a list (a read returns the list)",
        ),
        (
            "queue",
            [_event(0, "invoke", "enqueue", None, 0), _event(0, "ok", "enqueue", None, 1)],
            ":1: enqueue of null (null is what a dequeue of an empty queue returns)",
        ),
    ],
)
def test_values_a_model_refuses_exit_2(
    tmp_path: Path, model: str, records: list[dict], message: str
) -> None:
    """An operation whose value the model cannot take: exit 2 naming FILE:LINE."""
    path = _write(tmp_path / "h.jsonl", records)
    result = runner.invoke(app, ["check", str(path), "--model", model])
    assert result.exit_code == 2 and f"{path}{message}" in result.output, result.output
