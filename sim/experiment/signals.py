"""Swapping the handlers of SIGINT and SIGTERM for a while, and putting them back: the one
mechanism behind a sweep's stop (`sweep.stop_signals`) and a run directory's deferred renames
(`rundir`). Handlers belong to the main thread; callers check that they run there."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def handlers_replaced(handler: Handler, keep_ignored: bool = False) -> Iterator[list[int]]:
    """``handler`` for SIGINT and SIGTERM while in force, the previous handlers after; yields
    the signals it replaced. A handler set outside Python (None) cannot be put back, so it is
    left alone; with ``keep_ignored``, so is a signal the process was told to ignore."""
    previous = {}
    for signum in STOP_SIGNALS:
        current = signal.getsignal(signum)
        if current is None or (keep_ignored and current is signal.SIG_IGN):
            continue
        previous[signum] = current
    for signum in previous:
        signal.signal(signum, handler)
    try:
        yield list(previous)
    finally:
        for signum, current in previous.items():
            signal.signal(signum, current)
