"""Histories of other tools, read into quorumsim's operations: Jepsen/Knossos EDN and Porcupine's
key-value logs (docs/formats.md). `read_operations` reads a file in a named format or the one
`detect` finds in its first lines; bad input is a `HistoryError` naming file and line, as for
quorumsim's own ``history.jsonl``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim.checks.history import (
    MAX_PROBLEMS,
    HistoryError,
    Operation,
    Problem,
    operations_from_lines,
)
from sim.checks.models.base import Model

FORMATS = ("jsonl", "edn", "porcupine-kv")
"""``jsonl`` is quorumsim's own history.jsonl (sim.checks.history)."""
AUTO = "auto"
_HEAD_BYTES = 65536
_KV_FUNCTION = re.compile(r":f\s+:(get|put|append)\b")
_ANY_FUNCTION = re.compile(r":f\s+:([^\s,()\[\]{}\"\\;]+)")


@dataclass(frozen=True, slots=True)
class LoadedHistory:
    """A history's operations, the format they were read in, and the data model they are
    checked against."""

    operations: list[Operation]
    format: str
    model: Model


def read_operations(
    path: str | Path, format: str = AUTO, model: Model | str | None = None
) -> LoadedHistory:
    """Read ``path`` in ``format`` (one of FORMATS, or ``auto``) as operations of ``model`` (by
    default the one the format means: Porcupine's kv logs ``kv``, others quorumsim's default);
    `HistoryError` if malformed or not the model's, `BadModel` for a model that cannot be used."""
    from sim.checks.formats import porcupine
    from sim.checks.formats.jepsen import Problems, edn_ops, records
    from sim.checks.formats.text import read_text
    from sim.checks.history import read_history
    from sim.checks.linearizability import model_problems
    from sim.checks.models import DEFAULT, get_model

    source = str(path)
    if format == AUTO:
        format = detect(path)
    if format not in FORMATS:
        raise ValueError(f"unknown history format {format!r}")
    if model is None:
        model = porcupine.MODEL if format == "porcupine-kv" else DEFAULT
    if isinstance(model, str):
        model = get_model(model)
    if format == "jsonl":
        operations = read_history(path, functions=model.functions)
    else:
        text = read_text(path)
        problems = Problems(source)
        if format == "edn":
            found = records(edn_ops(text, problems), problems)
        else:
            found = porcupine.kv_records(text, problems)
        problems.raise_any()
        operations = operations_from_lines(found, source, functions=model.functions)
    wrong = model_problems(operations, model, source)
    if wrong:
        raise HistoryError(wrong[:MAX_PROBLEMS], truncated=len(wrong) > MAX_PROBLEMS)
    return LoadedHistory(operations, format, model)


def detect(path: str | Path) -> str:
    """The format of a history file: a ``.jsonl`` file (or an empty one) is quorumsim's;
    otherwise told from its first bytes: JSON objects are quorumsim's, EDN maps Jepsen's, EDN
    maps of get/put/append with :key Porcupine's kv logs, and a jepsen.log's ``jepsen.util``
    lines Jepsen's. `HistoryError` when it cannot tell."""
    from sim.checks.formats.jepsen import is_jepsen_log

    source = str(path)
    if Path(path).suffix == ".jsonl":  # so a bad line gets the JSON reader's message
        return "jsonl"
    try:
        with open(path, "rb") as file:
            head = file.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError as error:
        raise HistoryError([Problem(source, None, f"cannot read: {error.strerror}")]) from None
    body = _skip_comments(head)
    if not body or (body.startswith("{") and body[1:].lstrip().startswith(('"', "}"))):
        return "jsonl"
    if is_jepsen_log(head):
        return "edn"
    if body.startswith(("{:", "[", "(", "#")):
        first = _ANY_FUNCTION.search(body)
        if first is not None and _KV_FUNCTION.match(first.group()) and ":key" in body[:4096]:
            return "porcupine-kv"
        return "edn"
    shown = body.split("\n", 1)[0][:40]
    raise HistoryError(
        [
            Problem(
                source,
                None,
                f"cannot tell the format from its first line {shown!r} (give --format: "
                f"{', '.join(FORMATS)})",
            )
        ]
    )


def _skip_comments(text: str) -> str:
    """The text from its first character that is not whitespace or in an EDN comment."""
    while True:
        text = text.lstrip(" \t\r\n,")
        if not text.startswith(";"):
            return text
        _, _, text = text.partition("\n")
