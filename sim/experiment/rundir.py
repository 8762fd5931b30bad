"""Writing a run directory all at once: built beside its final place, then renamed into it, so
that an interrupted or failed run never leaves a half-written directory behind."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


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
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        retired = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
