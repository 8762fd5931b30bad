"""Peak memory of the current process, for benchmarks that run each case in a fresh process."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set size since it started, in MiB.

    On Linux, VmHWM: ru_maxrss would not do, as it carries over the parent's size from the fork
    that preceded the exec of this process.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, else KiB
    [line] = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 2**10
