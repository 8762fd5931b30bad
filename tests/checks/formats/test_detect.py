"""Formats told from content: each of quorumsim's, Jepsen's and Porcupine's, and a refusal to
guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.checks.formats import detect, read_operations
from sim.checks.history import HistoryError

DATA = Path(__file__).parent / "data"

CASES = {
    "quorumsim": (
        '{"process": 0, "type": "invoke", "f": "read", "key": "k", "value": null, "time": 0}\n',
        "jsonl",
    ),
    "jepsen lines": ("{:process 0, :type :invoke, :f :read, :value nil}\n", "edn"),
    "knossos vector": ("[{:process 0, :type :invoke, :f :read, :value nil}]\n", "edn"),
    "commented list": ("; note\n\n({:type :invoke, :f :write, :value 1, :process 0})\n", "edn"),
    "tagged ops": ("#jepsen.history.Op{:index 0, :type :invoke, :f :read, :process 0}\n", "edn"),
    "jepsen.log": (
        "INFO  jepsen.core - hello\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n",
        "edn",
    ),
    "porcupine kv": (
        '{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n',
        "porcupine-kv",
    ),
    "kv ops without keys are Jepsen's": (
        "{:process 0, :type :invoke, :f :append, :value 1}\n",
        "edn",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_format_is_told_from_the_first_lines(tmp_path: Path, name: str) -> None:
    """Each format is recognised from how its file begins."""
    text, expected = CASES[name]
    path = tmp_path / "history"
    path.write_text(text)
    assert detect(path) == expected


def test_the_public_examples_are_recognised() -> None:
    """Porcupine's logs and the Knossos-style and jepsen.log histories are told apart."""
    assert detect(DATA / "porcupine-c01-ok.txt") == "porcupine-kv"
    assert detect(DATA / "knossos-style.edn") == "edn"
    assert detect(DATA / "jepsen.log") == "edn"


def test_a_jsonl_file_and_an_empty_one_are_quorumsims(tmp_path: Path) -> None:
    """history.jsonl is read as JSON whatever its first line; an empty file is no history."""
    named = tmp_path / "history.jsonl"
    named.write_text("[1, 2]\n")
    assert detect(named) == "jsonl"
    empty = tmp_path / "history"
    empty.write_text("\n")
    assert detect(empty) == "jsonl"


@pytest.mark.parametrize("text", ["time,op\n0,read\n", "hello world\n"])
def test_what_is_none_of_them_is_refused(tmp_path: Path, text: str) -> None:
    """A file that is no known format gets one line asking for --format."""
    path = tmp_path / "history.csv"
    path.write_text(text)
    with pytest.raises(
        HistoryError, match=r"cannot tell the format .*give --format: jsonl, edn, porcupine-kv"
    ):
        read_operations(path)


def test_a_named_format_overrides_detection(tmp_path: Path) -> None:
    """--format edn reads a kv log as plain Jepsen EDN: its :f :get is then not a register's."""
    path = tmp_path / "kv.txt"
    path.write_text('{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n')
    with pytest.raises(HistoryError, match="f 'get' is unknown"):
        read_operations(path, "edn")
    assert read_operations(path, "edn", model="kv").model.name == "kv"
