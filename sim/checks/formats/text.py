"""A history file of another format read whole as text, within the history reader's bounds
(MAX_HISTORY_BYTES in all, MAX_LINE_BYTES a line), and offsets in it turned into lines."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from pathlib import Path

from sim.checks.history import MAX_HISTORY_BYTES, MAX_LINE_BYTES, HistoryError, Problem

_MIB = 2**20
TOO_LARGE = (
    f"larger than {MAX_HISTORY_BYTES // _MIB} MiB "
    f"(a history file is at most {MAX_HISTORY_BYTES // _MIB} MiB)"
)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A file's text and where each of its lines starts."""

    source: str
    text: str
    starts: list[int]

    def line_of(self, offset: int) -> int:
        """The 1-based line holding ``offset``."""
        return bisect.bisect_right(self.starts, offset)

    def column_of(self, offset: int) -> int:
        """The 1-based column of ``offset`` in its line."""
        return offset - self.starts[self.line_of(offset) - 1] + 1

    def line(self, number: int) -> str:
        """The text of line ``number`` (1-based), without its line break."""
        end = self.starts[number] if number < len(self.starts) else len(self.text)
        return self.text[self.starts[number - 1] : end].rstrip("\r\n")


def read_text(path: str | Path) -> SourceText:
    """Read ``path`` as UTF-8 text; `HistoryError` for a file too large, a line too long or
    bytes that are not UTF-8, read no further than the bounds (a pipe has no size to check)."""
    source = str(path)

    def fail(line: int | None, message: str) -> HistoryError:
        return HistoryError([Problem(source, line, message)])

    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_HISTORY_BYTES:
                raise fail(None, TOO_LARGE)
            pieces: list[str] = []
            starts: list[int] = []
            total = offset = 0
            readline = file.readline
            while raw := readline(MAX_LINE_BYTES + 1):
                total += len(raw)
                if total > MAX_HISTORY_BYTES:
                    raise fail(None, TOO_LARGE)
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    size = f"{MAX_LINE_BYTES // _MIB} MiB"
                    raise fail(len(starts) + 1, f"the line is longer than {size} (at most {size})")
                try:
                    piece = raw.decode()
                except UnicodeDecodeError as error:
                    raise fail(
                        len(starts) + 1, f"not UTF-8 text (a bad byte at column {error.start + 1})"
                    ) from None
                starts.append(offset)
                pieces.append(piece)
                offset += len(piece)
    except OSError as error:
        raise fail(None, f"cannot read: {error.strerror}") from None
    return SourceText(source, "".join(pieces), starts or [0])
