"""Writing a run directory all at once: built beside its final place, then renamed into it, so
that an interrupted or failed run never leaves a half-written directory behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType


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
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces ``target`` (files or not), on error
    it is removed and ``target`` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        staging.mkdir()
        yield staging
        with _signals_deferred():
            _put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # (gone already if put in place)
        raise


def _put_in_place(staging: Path, target: Path) -> None:
    if target.exists():
        retired = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)


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

    previous = {}
    for held in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(held)
        if handler is not None:  # (None: set outside Python, and could not be put back)
            previous[held] = handler
            signal.signal(held, note)
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)
        for signum in noted:
            signal.raise_signal(signum)
