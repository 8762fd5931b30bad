"""`python -m benchmarks` (or `make bench`): quorumsim's speed as ratios to floors measured in
the same process, so that a noisy shared machine moves both sides together.

Prints a table and writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from benchmarks.floor import heapq_ping, simpy_ping
from sim import load_scenario, run

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeats: int, fn, *args):  # type: ignore[no-untyped-def]
    """The fastest of ``repeats`` runs: the least disturbed by other load on the machine."""
    return min(fn(*args) for _ in range(repeats))


def quickstart(duration: str, overrides: list[str], trace: bool = False) -> tuple[int, float]:
    scenario = load_scenario(
        ROOT / "scenarios" / "quickstart.yaml", overrides=[f"duration={duration}", *overrides]
    )
    result = run(scenario, trace=trace)
    return result.summary["messages"]["sent"], result.summary["wall_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="20s", help="simulated time of each run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rows = []
    cases = [("seed, quick-start", [], False), ("seed, quick-start, --trace", [], True)]
    for label, overrides, trace in cases:
        runs = [quickstart(args.duration, overrides, trace) for _ in range(args.repeats)]
        messages = runs[0][0]
        wall = min(w for _, w in runs)
        floor = best_of(args.repeats, simpy_ping, messages)
        ceiling = best_of(args.repeats, heapq_ping, messages)
        rows.append(
            {
                "case": label,
                "messages": messages,
                "quorumsim_msgs_per_s": round(messages / wall),
                "simpy_floor_msgs_per_s": round(messages / floor),
                "heapq_msgs_per_s": round(messages / ceiling),
                "ratio_to_simpy": round(floor / wall, 3),
            }
        )
    width = max(len(r["case"]) for r in rows)
    print(
        f"{'case':<{width}}  {'messages':>9}  {'quorumsim/s':>11}  {'simpy/s':>9}  "
        f"{'heapq/s':>9}  {'ratio':>5}"
    )
    for r in rows:
        print(
            f"{r['case']:<{width}}  {r['messages']:>9,}  {r['quorumsim_msgs_per_s']:>11,}  "
            f"{r['simpy_floor_msgs_per_s']:>9,}  {r['heapq_msgs_per_s']:>9,}  "
            f"{r['ratio_to_simpy']:>5.2f}"
        )
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(
        json.dumps(
            {"python": platform.python_version(), "argv": sys.argv[1:], "rows": rows}, indent=2
        )
        + "\n"
    )
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
