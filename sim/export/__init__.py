"""Exports of a run directory for the tools people already use (docs/formats.md): ``shiviz``
(the trace as a ShiViz log with vector clocks), ``edn`` (the client history as a Jepsen/Knossos
history) and ``porcupine`` (the history as the operations Porcupine's kv model reads).

`export_lines` makes the lines; `write_export` writes them to a file quorumsim may write (new,
or an export of its own: known by its first line), whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from sim.export.history import EDN_HEADER, PORCUPINE_HEADER, edn_lines, porcupine_lines
from sim.export.shiviz import REGEX, shiviz_lines
from sim.outputs import claim_file, starts_with, write_whole

FORMATS = ("shiviz", "edn", "porcupine")
HEADERS = {"shiviz": REGEX, "edn": EDN_HEADER, "porcupine": PORCUPINE_HEADER}
"""The first line of each export, by which quorumsim knows an export file as its own."""


class ExportError(ValueError):
    """A run directory that cannot be exported in the format asked for (bad input)."""


def export_lines(directory: Path, format: str) -> list[str]:
    """The lines of ``directory``'s export in ``format``, made whole before any is written;
    raises ExportError (or HistoryError for a malformed history.jsonl, ExportRefused for one
    the format cannot express)."""
    if format == "shiviz":
        trace = directory / "trace.jsonl"
        if not trace.is_file():
            raise ExportError(
                f"{directory}: no trace.jsonl (the ShiViz log is made from the trace: run the "
                "scenario with --trace)"
            )
        reader = _Rows(trace)
        try:
            return list(shiviz_lines(reader))
        except (KeyError, TypeError, ValueError) as error:
            raise ExportError(
                f"{trace}:{reader.line}: not a trace row quorumsim wrote ({error!r})"
            ) from None
    history = directory / "history.jsonl"
    if not history.is_file():
        raise ExportError(f"{directory}: no history.jsonl (not a run directory?)")
    from sim.checks.history import read_history

    read_history(history)  # validates: an export is of a history the checker accepts
    records = list(_Rows(history))
    if format == "edn":
        return list(edn_lines(records))
    if format == "porcupine":
        return list(porcupine_lines(records, str(history)))
    raise ExportError(f"unknown export format {format!r} (one of {', '.join(FORMATS)})")


class _Rows:
    """The JSON objects of a .jsonl file, one a line; ``line`` is the last one read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8") as file:
            for self.line, text in enumerate(file, start=1):
                yield json.loads(text)


def write_export(path: Path, lines: Iterable[str], format: str) -> None:
    """Write an export at ``path`` (OutputRefused unless it is new or an export of ours), beside
    its place and renamed into it, so a reader never sees half of it."""
    claim_file(path, starts_with(HEADERS[format]), f"a {format} export")

    def fill(file: TextIO) -> None:
        for line in lines:
            file.write(line + "\n")

    write_whole(path, fill)
