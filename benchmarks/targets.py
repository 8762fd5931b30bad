"""Issue 22's targets, before and after, in one run: ``python -m benchmarks.targets [--before
DIR] [--quick]`` (``make bench`` runs it after the speed tables).

Each case of `benchmarks.whole_run` runs in a fresh process on the old source tree (``--before``:
a copy of the commit before the work, made with ``git archive <commit> | tar -x -C DIR``) and
on this one. Without an old tree the "before" column shows the figures measured on it when the
work was done (``before.json``, marked "stored"). The hot path's ratios are to the floor of
`benchmarks.floor`, one definition for every figure of this project: bare SimPy delivering the
same number of messages, each a Timeout with a callback; CPU time on both sides, best of three.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.floor import simpy_ping

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "benchmarks" / "before.json"
CASES = ("write_ms", "build_ms", "sweep_ms", "memory_mb", "startup_s", "hot_path")


def measure(case: str, root: Path, quick: bool) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.whole_run", case, "--root", str(root)]
        + (["--quick"] if quick else []),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def floor_cpu_s(messages: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        simpy_ping(messages)
        best = min(best, time.process_time() - started)
    return best


def rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, Any, Any, bool]]:
    """(target, bar, before, after, met) for each figure."""

    def ratio(side: dict[str, Any], name: str) -> float | None:
        run = side["hot_path"].get(name)
        if run is None:
            return None  # (a protocol the old tree did not have)
        return round(floor_cpu_s(run["messages"]) / run["cpu_s"], 3)

    def per_event(side: dict[str, Any]) -> float | None:
        hot = side["hot_path"]
        if "raft_1001_events_per_s" not in hot:
            return None
        return round(hot["raft_5_events_per_s"] / hot["raft_1001_events_per_s"], 2)

    def both(case: str, key: str) -> tuple[Any, Any]:
        return before[case][key], after[case][key]

    sweep = both("sweep_ms", "sweep_cpu_ms_per_run")
    wall = both("sweep_ms", "sweep_wall_ms_per_run")
    ops = after["memory_mb"]["ops"]
    found = [
        ("run directory: ms", "<= 10", *both("write_ms", "write_ms")),
        ("Simulation build: ms", "<= 0.2", *both("build_ms", "build_ms")),
        ("short-run sweep: CPU ms/run", f"<= {sweep[0] / 3:.1f}", *sweep),
        ("short-run sweep: wall ms/run", f"<= {wall[0] / 3:.1f}", *wall),
        (f"{ops:,}-op run: peak MB", "<= 500" if ops == 1_000_000 else "<= 50",
         *both("memory_mb", "peak_mb")),
        ("check, 100 ops: CPU s", "<= 0.25", *both("startup_s", "check_s")),
        ("validate: CPU s", "<= 0.5", *both("startup_s", "validate_s")),
        ("--help: CPU s", "(less)", *both("startup_s", "help_s")),
        ("Raft / floor", ">= 0.32", ratio(before, "raft"), ratio(after, "raft")),
        ("seed / floor", ">= 0.75", ratio(before, "seed"), ratio(after, "seed")),
        ("Multi-Paxos / floor", "", ratio(before, "multipaxos"), ratio(after, "multipaxos")),
        ("Raft events/s, 5 / 1,001 nodes", "<= 1.6", per_event(before), per_event(after)),
    ]  # fmt: skip
    return [(name, bar, old, new, _meets(bar, new)) for name, bar, old, new in found]


def _meets(bar: str, value: Any) -> bool:
    if value is None or not bar.startswith(("<=", ">=")):
        return False
    limit = float(bar.split()[1])
    return bool(value <= limit) if bar.startswith("<=") else bool(value >= limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="the old source tree (default: stored)")
    parser.add_argument("--quick", action="store_true", help="100,000 ops, 200 runs, no 1,001")
    parser.add_argument("--store", action="store_true", help="write --before's figures to disk")
    args = parser.parse_args()
    report(args.before, args.quick, args.store)


def report(before_root: Path | None, quick: bool, store: bool = False) -> None:
    """Measure every case after (and before, on ``before_root``) and print the table."""
    after = {case: measure(case, ROOT, quick) for case in CASES}
    if before_root is not None:
        before = {case: measure(case, before_root, quick) for case in CASES}
        label = f"measured on {before_root}"
        if store:
            STORED.write_text(json.dumps(before, indent=2) + "\n")
    else:
        before, label = json.loads(STORED.read_text()), f"stored ({STORED.name})"
        if quick:  # (stored: the full cases, and the quick memory case, to compare like with like)
            before["memory_mb"] = before["memory_mb_quick"]
    print(f"before: {label}; CPU times, best of several; floor: bare SimPy, same messages")
    print(f"{'target':<32} {'bar':>9} {'before':>9} {'after':>9}  met")
    for name, bar, old, new, met in rows(before, after):
        verdict = ("yes" if met else "NO") if bar.startswith(("<=", ">=")) else ""
        print(f"{name:<32} {bar:>9} {_show(old):>9} {_show(new):>9}  {verdict}")


def _show(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
