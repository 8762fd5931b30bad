"""One measurement of the whole run (issue 22), on the quorumsim source tree given by ``--root``:

    python -m benchmarks.whole_run --root DIR CASE [--quick]

prints a JSON object. `benchmarks.targets` runs each case in a fresh process, once on the old
tree and once on this one, so that both import their own ``sim``. The cases use only the public
API and ``sim.experiment.run._write``, which the old tree has too.

Times are CPU times (``time.process_time``, or the children's rusage for whole processes), the
best of several: the machine is shared (other work on it took 4x the wall time of a case and
more), and none of these waits for anything but the CPU and the page cache.

Files are written where a user's runs go, under this checkout's ``results/`` (in a temporary
folder of their own, removed after): the file system is part of the whole run. On the machine
these were measured on (a VM disk), creating a run directory's seven files cost from 0.4 to 8 ms
of kernel time, in /tmp and under the checkout alike, from one minute to the next: more than
quorumsim's own work for a short run. ``QUORUMSIM_BENCH_SCRATCH=/dev/shm`` puts the files on a
tmpfs instead, to measure quorumsim's work apart from the disk's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCRATCH = Path(__file__).resolve().parents[1] / "results"


def _scratch() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder of this benchmark's own beside the user's runs (results/)."""
    scratch = Path(os.environ.get("QUORUMSIM_BENCH_SCRATCH", SCRATCH))
    scratch.mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(dir=scratch, prefix="bench-")


# The sweep's one-second Raft run: scenarios/sweep-cluster-size.yaml, Raft on five nodes.
SWEEP_RUN = ["duration=1s", "cluster.protocol=raft", "cluster.nodes=5"]
# A short trial, as a sweep of Figure 16's kind runs them by the thousand: a second of three
# Raft nodes and one client, a few dozen operations.
SHORT_RUN = [
    "duration=1s",
    "sweep.grid={}",
    "cluster.protocol=raft",
    "cluster.nodes=3",
    "workload.clients=1",
    "workload.think=100ms",
]


def _best_ms(work: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return round(best * 1000, 3)


def write_ms(root: Path, quick: bool) -> dict[str, Any]:
    """Writing the run directory of the sweep's one-second Raft run (best of several)."""
    from sim import load_scenario, run

    module = sys.modules["sim.experiment.run"]
    scenario = load_scenario(root / "scenarios" / "sweep-cluster-size.yaml", overrides=SWEEP_RUN)
    write, times = module._write, []

    def timed(*args: Any) -> None:
        started = time.process_time()
        write(*args)
        times.append(time.process_time() - started)

    module._write = timed
    with _scratch() as tmp:
        for i in range(5 if quick else 15):
            run(scenario, out=Path(tmp) / f"r{i}")
    return {"write_ms": round(min(times) * 1000, 2)}


def build_ms(root: Path, quick: bool) -> dict[str, Any]:
    """Building a `Simulation` of the sweep's five-node Raft scenario (best of many)."""
    from sim import load_scenario
    from sim.engine.simulation import Simulation

    scenario = load_scenario(root / "scenarios" / "sweep-cluster-size.yaml", overrides=SWEEP_RUN)
    Simulation(scenario)
    return {"build_ms": _best_ms(lambda: Simulation(scenario), 100 if quick else 400)}


def sweep_ms(root: Path, quick: bool) -> dict[str, Any]:
    """CPU milliseconds per run (this process and its pool's worker), and wall milliseconds, of
    a sweep of short runs on a process pool of one worker, writing every run directory. The CPU
    time is the steadier on a shared machine; the wall time is what a user waits."""
    from sim import load_scenario
    from sim.experiment.sweep import process_pool, sweep

    runs = 200 if quick else 1000
    scenario = load_scenario(
        root / "scenarios" / "sweep-cluster-size.yaml",
        overrides=[*SHORT_RUN, f"sweep.seeds={runs}"],
    )
    with _scratch() as tmp:
        before, started = _cpu_s(), time.perf_counter()
        with process_pool(1) as pool:
            result = sweep(scenario, pool, out=Path(tmp) / "sweep")
        cpu, wall = _cpu_s() - before, time.perf_counter() - started
    assert len(result.runs) == runs and result.ok
    return {
        "sweep_cpu_ms_per_run": round(1000 * cpu / runs, 2),
        "sweep_wall_ms_per_run": round(1000 * wall / runs, 2),
        "runs": runs,
    }


def _children_cpu_s() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # (the pool's, once it is joined)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def memory_mb(root: Path, quick: bool) -> dict[str, Any]:
    """Peak memory (VmHWM above the start) of a run of 100,000 operations (quick) or
    1,000,000: the quick-start scenario, its duration long enough for them."""
    from benchmarks.memory import peak_rss_mb
    from sim import load_scenario, run

    ops = 100_000 if quick else 1_000_000
    scenario = load_scenario(
        root / "scenarios" / "quickstart.yaml", overrides=["duration=3h", f"workload.ops={ops}"]
    )
    before = peak_rss_mb()
    result = run(scenario)
    assert result.summary["ops"]["ok"] == ops
    return {"ops": ops, "peak_mb": round(peak_rss_mb() - before, 1)}


def startup_s(root: Path, quick: bool) -> dict[str, Any]:
    """Whole-process CPU seconds (best of 5) of `quorumsim --help`, `validate` on the quick-start
    scenario and `check` on a 100-operation history."""
    with _scratch() as tmp:
        history = Path(tmp) / "history.jsonl"
        lines = []
        for op in range(100):
            for kind, t in (("invoke", 2 * op), ("ok", 2 * op + 1)):
                line = {"process": op % 4, "type": kind, "f": "write", "key": "k1"}
                lines.append(json.dumps({**line, "value": op, "time": float(t)}))
        history.write_text("\n".join(lines) + "\n")
        commands = {
            "help_s": ["--help"],
            "validate_s": ["validate", str(root / "scenarios" / "quickstart.yaml")],
            "check_s": ["check", str(history)],
        }
        code = "import sys; from sim.cli import main; sys.argv[0] = 'quorumsim'; main()"
        env = {**os.environ, "PYTHONPATH": str(root)}
        found = {}
        for name, argv in commands.items():
            best = float("inf")
            for _ in range(5):
                started = _children_cpu_s()
                subprocess.run(
                    [sys.executable, "-c", code, *argv], env=env, capture_output=True, cwd=root
                )
                best = min(best, _children_cpu_s() - started)
            found[name] = round(best, 3)
    return found


def hot_path(root: Path, quick: bool) -> dict[str, Any]:
    """Messages and simulation CPU seconds (best of 3) of the quick-start scenario with the seed
    protocol, Raft (and Multi-Paxos, where the tree has it), tracing off, checks as the
    scenario has them; without --quick also Raft's events per CPU second on 5 and 1,001 nodes."""
    from sim import load_scenario
    from sim.engine.simulation import Simulation

    path = root / "scenarios" / "quickstart.yaml"
    raft = ["cluster.protocol=raft", "cluster.params={}", "workload.target=leader"]

    def simulate(overrides: list[str]) -> tuple[Simulation, float]:
        simulation = Simulation(load_scenario(path, overrides=overrides))
        started = time.process_time()
        simulation.run()
        return simulation, time.process_time() - started

    from sim.protocols.registry import protocol_names

    cases: list[tuple[str, list[str]]] = [("seed", []), ("raft", raft)]
    if "multipaxos" in protocol_names():
        cases.append(("multipaxos", ["cluster.protocol=multipaxos", *raft[1:]]))
    found: dict[str, Any] = {}
    for name, overrides in cases:
        walls = []
        for _ in range(3):
            simulation, cpu = simulate(["duration=5s", *overrides])
            walls.append(cpu)
        found[name] = {"messages": simulation.network.sent, "cpu_s": round(min(walls), 4)}
    if not quick:
        best = {5: 0.0, 1001: 0.0}
        for _ in range(3):  # (taking turns, best of 3 each: one run of each moved by 50%)
            for nodes, duration in ((5, "5s"), (1001, "300ms")):
                overrides = [*raft, f"cluster.nodes={nodes}", f"duration={duration}"]
                simulation, cpu = simulate(overrides)
                best[nodes] = max(best[nodes], simulation.events / cpu)
        for nodes, rate in best.items():
            found[f"raft_{nodes}_events_per_s"] = round(rate)
    return found


CASES = {f.__name__: f for f in (write_ms, build_ms, sweep_ms, memory_mb, startup_s, hot_path)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--root", type=Path, required=True, help="the source tree to measure")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    print(json.dumps(CASES[args.case](args.root.resolve(), args.quick)))


if __name__ == "__main__":
    main()
