"""`python -m benchmarks` (or `make bench`): quorumsim's speed as ratios to floors measured in
the same process, so that a noisy shared machine moves both sides together.

One run measures: the floors (bare SimPy delivering the same number of messages as timeout
callbacks, and a bare heapq loop doing the same); quorumsim's simulated messages per wall second
on the quick-start scenario with the seed protocol and with Raft, tracing off, with ``--trace``
and with the linearizability check on, each with its ratio to the SimPy floor; then the scale
cases (benchmarks/scale.py: 3 to 301 nodes and a 1,000,000-operation run, each in a fresh
process, events/s and peak memory). ``--quick`` keeps the scale cases to 33 nodes and no long
run; ``--no-scale`` skips them. Prints tables and writes benchmarks/results.json.

Then the ceilings: the quick-start's work, message for message, done by the least pure-Python
programs (benchmarks/ceiling.py, one hand-written function per protocol; benchmarks/ceiling_api.py,
the same through the least protocol API), against the same floor. They bound what any pure-Python
quorumsim can reach, and say whether a target is a matter of trimming or out of reach.

Last, the whole run's targets (benchmarks/targets.py, issue 22): run-directory writing, building
a Simulation, a sweep of short runs, memory, start-up and the hot path, each before (``--before
DIR``: the old source tree; else the figures stored when it was measured) and after.

The floor is one definition everywhere: bare SimPy delivering the same number of messages, each
a Timeout with a callback (benchmarks/floor.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import targets
from benchmarks.ceiling import raft_ceiling, seed_ceiling
from benchmarks.ceiling_api import raft_api_ceiling, seed_api_ceiling
from benchmarks.floor import heapq_ping, simpy_ping
from benchmarks.scale import run_scale
from sim import load_scenario, run
from sim.checks.linearizability import check_records
from sim.protocols.registry import protocol_names

ROOT = Path(__file__).resolve().parents[1]
RAFT = ["cluster.protocol=raft", "cluster.params={}", "workload.target=leader"]
MULTIPAXOS = ["cluster.protocol=multipaxos", "cluster.params={}", "workload.target=leader"]


def quickstart(duration: str, overrides: list[str], trace: bool, check: bool) -> tuple[int, float]:
    """(messages sent, wall seconds) of one quick-start run. The wall time is the simulation's;
    with ``check`` the linearizability check is on and its own time (it runs after the
    simulation, on the recorded history) is added."""
    if check:
        overrides = [*overrides, "checks.linearizable=true"]
    scenario = load_scenario(
        ROOT / "scenarios" / "quickstart.yaml", overrides=[f"duration={duration}", *overrides]
    )
    result = run(scenario, trace=trace)
    wall = result.summary["wall_s"]
    if check:
        assert result.summary["linearizable"], "the quick-start history must be linearizable"
        started = time.perf_counter()  # the check again, timed alone: it is deterministic
        check_records(result.history)
        wall += time.perf_counter() - started
    return result.summary["messages"]["sent"], wall


def speed(duration: str, repeats: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    plain: dict[str, float] = {}
    protocols: list[tuple[str, list[str]]] = [("seed", []), ("raft", RAFT)]
    if "multipaxos" in protocol_names():  # (once the protocol is in the registry)
        protocols.append(("multipaxos", MULTIPAXOS))
    for protocol, overrides in protocols:
        for variant, trace, check in (
            ("", False, False),
            (", --trace", True, False),
            (", linearizability check", False, True),
        ):
            # quorumsim and the floors take turns, so that a slow spell of the shared machine
            # slows both sides, and the fastest of each is kept.
            walls, floors, ceilings = [], [], []
            for _ in range(repeats):
                messages, wall = quickstart(duration, overrides, trace, check)
                walls.append(wall)
                floors.append(simpy_ping(messages))
                ceilings.append(heapq_ping(messages))
            wall, floor, ceiling = min(walls), min(floors), min(ceilings)
            if not variant:
                plain[protocol] = wall
            row = {
                "case": f"{protocol}, quick-start{variant}",
                "messages": messages,
                "wall_s": round(wall, 3),
                "quorumsim_msgs_per_s": round(messages / wall),
                "simpy_floor_msgs_per_s": round(messages / floor),
                "heapq_msgs_per_s": round(messages / ceiling),
                "ratio_to_simpy": round(floor / wall, 3),
                "cost_vs_plain": round(wall / plain[protocol], 2),
            }
            rows.append(row)
            print_row(row, first=len(rows) == 1)
    return rows


# The hot-path targets of issue 22, as ratios to the floor.
HOT_TARGETS = {"seed": 0.75, "raft": 0.32}


def ceilings(duration: str, repeats: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ceilings (benchmarks/ceiling.py: hand-written; benchmarks/ceiling_api.py: the same
    through the least protocol API) against the same floor, beside quorumsim's plain rows: what
    share of each ceiling quorumsim reaches, and what share each target asks for (above 1: more
    than the ceiling itself reaches)."""
    ms = load_scenario(ROOT / "scenarios" / "quickstart.yaml", overrides=[f"duration={duration}"])
    found = {row["case"]: row for row in rows}
    out: list[dict[str, Any]] = []
    print(
        f"\n{'ceiling':<{WIDTH}}  {'messages':>9}  {'ceiling/s':>11}  {'simpy/s':>9}  "
        f"{'ratio':>5}  {'quorumsim':>9}  {'share':>5}  {'target':>6}  {'share':>5}"
    )
    cases = (
        ("seed", "hand-written", seed_ceiling),
        ("seed", "protocol API", seed_api_ceiling),
        ("raft", "hand-written", raft_ceiling),
        ("raft", "protocol API", raft_api_ceiling),
    )
    for protocol, shape, ceiling in cases:
        walls, floors = [], []
        for _ in range(repeats):
            work = ceiling(ms.duration)
            walls.append(work.wall_s)
            floors.append(simpy_ping(work.messages))
        ratio = min(floors) / min(walls)
        ours = found[f"{protocol}, quick-start"]["ratio_to_simpy"]
        row = {
            "case": f"{protocol}, {shape}",
            "messages": work.messages,
            "ceiling_msgs_per_s": round(work.messages / min(walls)),
            "simpy_floor_msgs_per_s": round(work.messages / min(floors)),
            "ratio_to_simpy": round(ratio, 3),
            "quorumsim_ratio": ours,
            "quorumsim_share_of_ceiling": round(ours / ratio, 3),
            "target_ratio": HOT_TARGETS[protocol],
            "target_share_of_ceiling": round(HOT_TARGETS[protocol] / ratio, 3),
        }
        out.append(row)
        print(
            f"{row['case']:<{WIDTH}}  {row['messages']:>9,}  {row['ceiling_msgs_per_s']:>11,}  "
            f"{row['simpy_floor_msgs_per_s']:>9,}  {ratio:>5.2f}  {ours:>9.2f}  "
            f"{row['quorumsim_share_of_ceiling']:>5.2f}  {row['target_ratio']:>6.2f}  "
            f"{row['target_share_of_ceiling']:>5.2f}",
            flush=True,
        )
    return out


WIDTH = 40


def print_row(r: dict[str, Any], first: bool) -> None:
    if first:
        print(
            f"{'case':<{WIDTH}}  {'messages':>9}  {'quorumsim/s':>11}  {'simpy/s':>9}  "
            f"{'heapq/s':>9}  {'ratio':>5}  {'x plain':>7}"
        )
    print(
        f"{r['case']:<{WIDTH}}  {r['messages']:>9,}  {r['quorumsim_msgs_per_s']:>11,}  "
        f"{r['simpy_floor_msgs_per_s']:>9,}  {r['heapq_msgs_per_s']:>9,}  "
        f"{r['ratio_to_simpy']:>5.2f}  {r['cost_vs_plain']:>7.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="20s", help="simulated time of each run")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each case; the best counts")
    parser.add_argument("--quick", action="store_true", help="scale: up to 33 nodes, no long run")
    parser.add_argument(
        "--scale", action=argparse.BooleanOptionalAction, default=True, help="run the scale cases"
    )
    parser.add_argument(
        "--targets", action=argparse.BooleanOptionalAction, default=True, help="issue 22's table"
    )
    parser.add_argument("--before", type=Path, help="the old source tree, for the targets")
    args = parser.parse_args()

    print(
        "ratio = SimPy floor's wall time / quorumsim's for the same number of messages "
        "(floor: a SimPy Timeout with a callback per delivery)"
    )
    print("x plain = wall time / the same protocol's with tracing and checks off")
    print("linearizability check rows: wall = simulation + the check (run after it)")
    print(
        "ceilings: the same work in one pure-Python function (hand-written, benchmarks/ceiling.py) "
        "and through the least protocol API (benchmarks/ceiling_api.py); share = a ratio over the "
        "ceiling's\n"
    )
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "argv": sys.argv[1:],
        "duration": args.duration,
        "repeats": args.repeats,
        "rows": speed(args.duration, args.repeats),
    }
    report["ceilings"] = ceilings(args.duration, args.repeats, report["rows"])
    if args.scale:
        print()
        report["scale"] = run_scale(args.quick)
    report["load_average_after"] = os.getloadavg()[0]
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    if args.targets:
        print()
        targets.report(args.before, args.quick)


if __name__ == "__main__":
    main()
