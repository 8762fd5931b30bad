"""Where quorumsim may write: a path that does not exist, an empty directory, or a directory that
quorumsim itself wrote. Anything else (a user's file, a device, a FIFO, a directory holding files
that are not ours) is refused before any work starts, so a mistyped ``--out`` never costs a user a
file. A leaf module, like ``sim.units``: the run writer, the sweep and the plots all ask it.

"Ours" is decided from what a directory holds, not from its name: every entry must be a name
quorumsim writes there, and the marker file of its kind must be a quorumsim file (a run's
``summary.json`` carries its manifest). A run directory into which a user dropped a file of their
own is therefore not ours any more, and is refused rather than replaced with that file.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

RUN_FILES = frozenset(
    {
        "summary.json",
        "scenario.yaml",
        "requests.csv",
        "decisions.csv",
        "elections.csv",
        "faults.csv",
        "requests.parquet",  # (`quorumsim run --format parquet`)
        "decisions.parquet",
        "elections.parquet",
        "faults.parquet",
        "history.jsonl",
        "trace.jsonl",
        "violation.md",
        "linearizability.html",
        "replay.html",
        "plots",
    }
)
"""Every name a run directory may hold, besides its violation figures."""
VIOLATION_FIGURE = re.compile(r"violation-[0-9]+\.png")

SWEEP_FILES = frozenset({"scenario.yaml", "sweep.json", "runs.csv", "points.csv", "runs", "plots"})
"""Every name a sweep directory may hold."""

PLOT_SUFFIXES = (".png", ".svg")
_MARKER_BYTES = 1 << 20  # a summary.json larger than this is not one quorumsim wrote


class OutputRefused(Exception):
    """quorumsim will not write at this path; the message says why and what to do."""


def _kind_of(mode: int) -> str | None:
    """What a non-directory is called in a refusal."""
    for test, name in (
        (stat.S_ISREG, "a file"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISDIR(mode) else "not a directory"


def is_run_dir(directory: Path) -> bool:
    """A run directory quorumsim wrote: only run files, and a summary.json with a manifest."""
    return all(
        _is_plots(entry)
        if entry.name == "plots"
        else entry.name in RUN_FILES or VIOLATION_FIGURE.fullmatch(entry.name)
        for entry in _entries(directory)
    ) and _summary_has_manifest(directory / "summary.json")


def is_sweep_dir(directory: Path) -> bool:
    """A sweep directory quorumsim wrote: only sweep files, its scenario and its runs."""
    return (
        all(entry.name in SWEEP_FILES for entry in _entries(directory))
        and (directory / "scenario.yaml").is_file()
        and any((directory / name).exists() for name in ("sweep.json", "runs.csv", "runs"))
        and all(_is_plots(entry) for entry in _entries(directory) if entry.name == "plots")
    )


def is_plots_dir(directory: Path | os.DirEntry[str]) -> bool:
    """A plots directory quorumsim wrote: figure files only."""
    return all(
        entry.is_file(follow_symlinks=False) and entry.name.endswith(PLOT_SUFFIXES)
        for entry in _entries(directory)
    )


def _entries(directory: Path | os.DirEntry[str]) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as entries:  # closed at once, not when collected
        return list(entries)


def _is_plots(entry: os.DirEntry[str]) -> bool:
    return entry.is_dir(follow_symlinks=False) and is_plots_dir(entry)


def _summary_has_manifest(path: Path) -> bool:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MARKER_BYTES:
            return False
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and isinstance(summary.get("manifest"), dict)


def claim(path: Path, ours: Callable[[Path], bool], what: str) -> bool:
    """Check that quorumsim may write ``what`` (e.g. "a run directory") at ``path``; raise
    OutputRefused if not. Returns True when ``path`` exists already (empty or ours).

    Nothing is opened but directories: a FIFO or a device is recognised from ``lstat`` alone, so
    it never blocks and is never replaced. A path that does not exist is checked by making (and
    removing) a probe directory in its nearest existing ancestor, which finds read-only mounts,
    ``/proc`` and permission problems that ``os.access`` does not see as root."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        _check_creatable(path)
        return False
    except OSError as error:
        raise OutputRefused(f"{path}: cannot use it ({error.strerror})") from None
    kind = _kind_of(info.st_mode)
    if kind is not None:
        raise OutputRefused(
            f"{path}: is {kind}, not a directory; quorumsim writes {what} only into a new or "
            "empty directory or one it wrote itself (choose another --out)"
        )
    try:
        empty = not _entries(path)
        if empty or ours(path):
            return True
    except OSError as error:
        raise OutputRefused(f"{path}: cannot read it ({error.strerror})") from None
    raise OutputRefused(
        f"{path}: is a directory with files quorumsim did not write; it is left as it is "
        f"(choose a new or empty directory for {what}, or remove those files yourself)"
    )


def _check_creatable(path: Path) -> None:
    ancestor = path.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputRefused(f"{path}: cannot create it: {ancestor} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".quorumsim-probe-", dir=ancestor))
    except OSError as error:
        raise OutputRefused(
            f"{path}: cannot create it in {ancestor} ({error.strerror}); choose another --out"
        ) from None


def claim_file(path: Path, ours: Callable[[Path], bool], what: str) -> None:
    """As `claim`, for a single file: new, or a regular file ``ours`` recognises."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        _check_creatable(path)
        return
    except OSError as error:
        raise OutputRefused(f"{path}: cannot use it ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(f"{path}: is {_kind_of(info.st_mode) or 'a directory'}, not {what}")
    if not ours(path):
        raise OutputRefused(
            f"{path}: is a file quorumsim did not write; it is left as it is (choose another path)"
        )


def starts_with(header: str) -> Callable[[Path], bool]:
    """``ours`` for a text file quorumsim wrote with this first line (a CSV's header)."""

    def ours(path: Path) -> bool:
        try:
            with path.open("rb") as file:
                return file.readline(len(header) + 2).rstrip(b"\r\n") == header.encode()
        except OSError:
            return False

    return ours


def write_csv_table(
    path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], what: str
) -> None:
    """Write a CSV table quorumsim owns at ``path`` (a new file, or one it wrote: recognised by
    its header; OutputRefused otherwise), beside its place and renamed into it, so a reader
    never sees half of it and nothing else is ever overwritten."""
    claim_file(path, starts_with(",".join(columns)), what)

    def fill(file: TextIO) -> None:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)

    write_whole(path, fill)


def write_whole(path: Path, fill: Callable[[TextIO], object]) -> None:
    """Write a text file at ``path`` (already claimed) through ``fill``: into a fresh file beside
    it, renamed into place once complete, so a reader never sees half of it and a failure
    leaves nothing behind. Text is UTF-8 with ``\\n`` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    partial = Path(name)
    try:
        with open(handle, "w", newline="", encoding="utf-8") as file:
            fill(file)
        mask = os.umask(0)  # (read and put back: mkstemp made it private, the file is not)
        os.umask(mask)
        partial.chmod(0o666 & ~mask)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
