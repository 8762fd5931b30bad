"""Instructions per message, counted by valgrind's callgrind: a figure a noisy shared machine does
not move (timings there moved by 5% and more from run to run; these repeat within about 5%).

    python -m benchmarks.instructions [--tree DIR] CASE...

CASE is one of `CASES`: the floors, the ceilings (benchmarks/ceiling.py, ceiling_api.py) or
quorumsim's 5 s quick-start simulations (seed, raft). Each case runs twice under callgrind, at
about 20,000 and 60,000 messages, and the difference of the two counts over the difference of the
messages is printed: start-up and imports cancel out. ``--tree`` measures another source tree
(``git archive <commit> | tar -x -C DIR``) with this checkout's Python; the ceilings and floors
are this checkout's. Needs valgrind (Debian: ``apt-get install valgrind``); a case takes about
half a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATE = (
    "from sim import load_scenario; from sim.engine.simulation import Simulation; "
    "s = Simulation(load_scenario('scenarios/quickstart.yaml', overrides=["
    "'duration=%dms' % ({messages} / {per_ms}){overrides}]), trace=False).run(); "
    "print(s.network.sent)"
)
RAFT = ", 'cluster.protocol=raft', 'cluster.params={{}}', 'workload.target=leader'"
# Each prints the messages it sent last; {messages} is about how many to send (the quick-start
# sends about 27.6 messages a simulated ms with seed and 18 with Raft).
CASES = {
    "floor": "from benchmarks.floor import simpy_ping; simpy_ping({messages}); print({messages})",
    "heapq": "from benchmarks.floor import heapq_ping; heapq_ping({messages}); print({messages})",
    "seed-ceiling": "from benchmarks.ceiling import seed_ceiling as c; "
    "print(c({messages} / 27.6).messages)",
    "raft-ceiling": "from benchmarks.ceiling import raft_ceiling as c; "
    "print(c({messages} / 18.6).messages)",
    "seed-api": "from benchmarks.ceiling_api import seed_api_ceiling as c; "
    "print(c({messages} / 27.6).messages)",
    "raft-api": "from benchmarks.ceiling_api import raft_api_ceiling as c; "
    "print(c({messages} / 18.6).messages)",
    "seed": SIMULATE.replace("{per_ms}", "27.6").replace("{overrides}", ""),
    "raft": SIMULATE.replace("{per_ms}", "18.0").replace("{overrides}", RAFT),
}


def instructions(code: str, tree: Path) -> tuple[int, int]:
    """(instructions, messages) of one run of ``code`` under callgrind."""
    # One thread for numpy's pools and a fixed hash seed: both moved the counts by 1-2%.
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT}", "PYTHONHASHSEED": "0"}
    env.update(dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1"))
    callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    done = subprocess.run(
        [*callgrind, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tree,
        env=env,
        check=True,
    )
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if counted is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(counted.group(1)), int(done.stdout.split()[-1])


def per_message(case: str, tree: Path, small: int = 20_000, large: int = 60_000) -> float:
    (low, sent_low), (high, sent_high) = (
        instructions(CASES[case].format(messages=size), tree) for size in (small, large)
    )
    return (high - low) / (sent_high - sent_low)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="+", choices=sorted(CASES), metavar="CASE")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree of seed, raft")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.exit(2, "benchmarks.instructions: needs valgrind (apt-get install valgrind)\n")
    for case in args.cases:
        tree = args.tree.resolve() if case in ("seed", "raft") else ROOT
        print(f"{case:<14} {per_message(case, tree):>9,.0f} instructions per message", flush=True)


if __name__ == "__main__":
    main()
