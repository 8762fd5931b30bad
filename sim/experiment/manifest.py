"""What every result carries about how it was made (as desmod does): version, interpreter,
git revision, the resolved configuration's hash, the command line, the start time."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sim.version import __version__


@cache
def git_revision() -> str | None:
    """The checkout's commit (with ``+dirty`` for local changes), or None outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def manifest(resolved_yaml: str, argv: list[str] | None, started: datetime) -> dict[str, Any]:
    return {
        "version": __version__,
        "python": platform.python_version(),
        "git_rev": git_revision(),
        "config_sha256": hashlib.sha256(resolved_yaml.encode()).hexdigest(),
        "argv": list(sys.argv if argv is None else argv),
        "started_at": started.astimezone(UTC).isoformat(timespec="seconds"),
    }
