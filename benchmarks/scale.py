"""Scale: events per wall second and peak memory as clusters grow, and a long run's memory.

Each case runs in a fresh process (spawned), so that its peak memory is its own. Run as
``python -m benchmarks.scale`` (``--quick`` for the small cases only); ``python -m benchmarks``
runs it too, after the ratios to the floors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.memory import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results-scale.json"
NODES = (3, 5, 9, 33, 101, 301)
QUICK_NODES = 33  # --quick: up to this many nodes, and no long run
# Runs of 5 nodes and of the largest cluster, taking turns, for their ratio: as many as the speed
# cases take, since with 3 two runs of the same code gave 1.58x and 1.95x for Raft.
PAIRED_REPEATS = 5


def measure(protocol: str, nodes: int, duration: str, ops: int | None) -> dict[str, float]:
    """One run of the quick-start scenario with ``protocol`` on ``nodes`` nodes."""
    from sim import load_scenario, run

    overrides = [f"cluster.protocol={protocol}", f"cluster.nodes={nodes}", f"duration={duration}"]
    if protocol != "seed":
        overrides += ["cluster.params={}", "workload.target=leader"]
    if ops is not None:
        overrides.append(f"workload.ops={ops}")
    scenario = load_scenario(ROOT / "scenarios" / "quickstart.yaml", overrides=overrides)
    before = peak_rss_mb()
    started = time.perf_counter()
    result = run(scenario)
    wall = time.perf_counter() - started
    summary = result.summary
    return {
        "events": summary["events"],
        "messages": summary["messages"]["sent"],
        "ops_ok": summary["ops"]["ok"],
        "rows": len(result.request_rows) + len(result.decision_rows),
        "sim_wall_s": summary["wall_s"],
        "run_wall_s": round(wall, 3),
        "events_per_s": round(summary["events"] / summary["wall_s"]),
        "peak_mb": round(peak_rss_mb() - before, 1),
    }


def _in_fresh_process(*args: object) -> dict[str, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


def cases(quick: bool) -> list[tuple[str, int, str, int | None]]:
    found: list[tuple[str, int, str, int | None]] = [
        (p, n, "5s", None) for p in ("seed", "raft") for n in NODES
    ]
    if quick:
        return [c for c in found if c[1] <= QUICK_NODES]
    return [*found, ("seed", 5, "3h", 100_000), ("seed", 5, "3h", 1_000_000)]


def run_scale(quick: bool) -> dict[str, Any]:
    """Run the scale cases, printing a line per case; the rows and the 301-vs-5-node ratios."""
    rows = []
    print(f"{'case':<28} {'events':>10} {'events/s':>10} {'peak MB':>8} {'MB/1k ops':>9}")
    for protocol, nodes, duration, ops in cases(quick):
        row = _in_fresh_process(protocol, nodes, duration, ops)
        label = f"{protocol}, {nodes} nodes" + (f", {ops:,} ops" if ops else f", {duration}")
        per_op = 1000 * row["peak_mb"] / max(row["ops_ok"], 1)
        print(
            f"{label:<28} {row['events']:>10,} {row['events_per_s']:>10,} "
            f"{row['peak_mb']:>8.1f} {per_op:>9.3f}",
            flush=True,
        )
        rows.append({"protocol": protocol, "nodes": nodes, "duration": duration, "ops": ops, **row})
    # Events per second at the largest cluster against 5 nodes (target: within 2x). One run of
    # each is at the mercy of the shared machine (+-30% seen), so the two take turns, each in a
    # fresh process, and the best of each counts; the large cluster runs 1 s simulated (10 s).
    slowdown = {}
    largest = max(n for _, n, _, ops in cases(quick) if not ops)
    for protocol in ("seed", "raft"):
        best: dict[int, float] = {5: 0, largest: 0}
        for _ in range(PAIRED_REPEATS):
            for nodes, duration in ((5, "5s"), (largest, "1s")):
                rate = _in_fresh_process(protocol, nodes, duration, None)["events_per_s"]
                best[nodes] = max(best[nodes], rate)
        slowdown[protocol] = {
            "nodes": largest,
            "events_per_s_5": best[5],
            f"events_per_s_{largest}": best[largest],
            "events_per_s_5_over_largest": round(best[5] / best[largest], 2),
        }
        print(
            f"{protocol}: events/s at 5 nodes / at {largest} nodes = {best[5]:,} / "
            f"{best[largest]:,} = {slowdown[protocol]['events_per_s_5_over_largest']:.2f} "
            f"(best of {PAIRED_REPEATS} runs each, taking turns)",
            flush=True,
        )
    return {"rows": rows, "slowdown": slowdown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 to 33 nodes, no long run")
    args = parser.parse_args()
    scale = run_scale(args.quick)
    if not args.quick:
        report = {
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            "load_average_after": os.getloadavg()[0],
            **scale,
        }
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
