"""Writing a run directory all at once: built beside its final place, then renamed into it, so
that an interrupted or failed run never leaves a half-written directory behind."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from sim.experiment.signals import handlers_replaced
from sim.outputs import claim, is_run_dir


def default_run_dir(results: Path, name: str, seed: int) -> Path:
    """``results/<name>/<UTC time>-s<seed>``, with a counter if that exists already."""
    return fresh_dir(results / name, "{stamp}-s" + str(seed))


def fresh_dir(parent: Path, pattern: str) -> Path:
    """``parent/<pattern with the UTC time as {stamp}>``, with a counter if that exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = parent / pattern.format(stamp=stamp)
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


@contextlib.contextmanager
def atomic_directory(target: Path, ours: Callable[[Path], bool] = is_run_dir) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces ``target``, on error it is removed
    and ``target`` is left as it was. ``target`` must be new, empty or ``ours`` (OutputRefused
    otherwise, before anything is written): only quorumsim's own directories are replaced."""
    _claim_existing(target, ours)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A fresh name each time: a leftover of the same name is never removed, it may not be
        # ours.
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError:
        claim(target, ours, "a run directory")  # (its probe says why, as OutputRefused)
        raise
    try:
        yield staging
        _claim_existing(target, ours)  # again: the run took time, someone may have
        with _signals_deferred():
            _put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # (gone already if put in place)
        raise


def _claim_existing(target: Path, ours: Callable[[Path], bool]) -> None:
    """`claim` a target that exists. A missing one is not probed for: making the staging
    directory beside it is the probe (a probe's mkdir and rmdir took a sweep's short run 10 ms
    on a busy disk)."""
    if os.path.lexists(target):
        claim(target, ours, "a run directory")


def _put_in_place(staging: Path, target: Path) -> None:
    """rename(2) replaces a missing or empty directory whole; a run of ours is first moved
    aside into a directory of our own, then removed."""
    try:
        staging.rename(target)
        return
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    target.rename(aside / target.name)
    staging.rename(target)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and terminate() off while the renames are half done: their handlers give way
    to one that notes the signal, and each noted signal is raised again once the real handlers
    are back, so that the exception it brings (KeyboardInterrupt, a stopped sweep worker's)
    comes after the renames, not between them. A stopped worker hit that window and left a
    half-written directory.

    Not a signal mask: numpy's BLAS threads leave the signals unblocked, the kernel hands them
    one, and Python runs the handler in the main thread at once all the same. Signal handlers
    belong to the main thread: elsewhere (a Dask worker's thread) nothing is deferred, nor is
    there a signal to defer."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    try:
        with handlers_replaced(note):
            yield
    finally:
        for signum in noted:
            signal.raise_signal(signum)
