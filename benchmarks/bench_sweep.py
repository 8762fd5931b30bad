"""How much faster a sweep runs on more worker processes: runs per second on 1 and 2 workers.

    python -m benchmarks.bench_sweep [--duration 1s] [--seeds 2] [--workers 1 2]

The sweep is scenarios/sweep-cluster-size.yaml (the seed protocol and Raft on 3 to 9 nodes),
shortened to ``--duration``, written to a temporary directory. Each worker count runs it on a
process pool of that size (so 1 worker pays the same pickling and process start-up as 2), and
the tables of every count must agree (but for wall-clock columns), as a sweep promises. The load
average is printed first: other work on the machine takes cores away from the pool.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

from sim import load_scenario
from sim.experiment.sweep import WALL_CLOCK, process_pool, sweep

ROOT = Path(__file__).resolve().parents[1]


def timed_sweep(workers: int, duration: str, seeds: int, out: Path) -> tuple[int, float]:
    """Runs done, and the wall seconds of the whole sweep."""
    scenario = load_scenario(
        ROOT / "scenarios" / "sweep-cluster-size.yaml",
        overrides=[f"duration={duration}", f"sweep.seeds={seeds}"],
    )
    started = time.perf_counter()
    with process_pool(workers) as pool:
        result = sweep(scenario, pool, out=out)
    wall = time.perf_counter() - started
    assert result.ok, "every run of the benchmark sweep should run, and be safe"
    return len(result.runs), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="1s", help="simulated time of each run")
    parser.add_argument("--seeds", type=int, default=2, help="replicates per point")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}")
    print(f"{'workers':>7}  {'runs':>5}  {'wall s':>7}  {'runs/s':>7}  {'speed-up':>8}")
    base_rate = None
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            out = Path(tmp) / f"w{workers}"
            runs, wall = timed_sweep(workers, args.duration, args.seeds, out)
            rate = runs / wall
            base_rate = base_rate or rate
            print(f"{workers:>7}  {runs:>5}  {wall:>7.2f}  {rate:>7.2f}  {rate / base_rate:>7.2f}x")
            tables.append(_without_wall_clock(out / "runs.csv"))
    assert all(t == tables[0] for t in tables), "runs.csv differs between worker counts"


def _without_wall_clock(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    keep = [i for i, name in enumerate(rows[0]) if name not in WALL_CLOCK]
    return [[row[i] for i in keep] for row in rows]


if __name__ == "__main__":
    main()
