"""Figure 16 of the Raft paper (extended version, section 9.3): time to replace a crashed leader.

Five servers. Each trial waits for a stable leader, crashes it at a uniformly random point of a
heartbeat interval, and measures the leader recovery (`sim.metrics.recovery`): from the crash
until every other server has accepted the new leader (received its first AppendEntries).

The paper's set-up, and how each part is made here:

- Broadcast time about 15 ms: one-way latency lognormal with median 7 ms (sigma 0.1), and a
  1 ms disk write, so a round trip plus a write is about 15 ms.
- Heartbeat half the minimum election timeout.
- "Our test script triggered a synchronized broadcast of heartbeat RPCs from the leader before
  terminating its process": the crash falls in the heartbeat interval after a heartbeat that went
  to all followers at once, at a uniformly random point of it.
- "The servers in each trial had different log lengths, so some candidates were not eligible":
  half an interval before that heartbeat the leader appends an entry that two followers (drawn
  at random) do not receive, and their rejections of the heartbeat do not reach the leader, so
  they still lack it at the crash and cannot win (the other two refuse them their votes).

The ``noisy-4ms`` profile adds late timers (``cluster.timer_jitter``), which real servers have and
without which the narrowest ranges recover far slower than the paper's, or never.

``python -m sim.experiment.figure16`` runs every range of the figure (1000 trials each, 100 for
150-150 as in the paper) on a process pool and writes the table with the paper's figures beside
the simulation's.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.core.events import call_later
from sim.core.loop import run_until
from sim.engine.node import NodeHost
from sim.engine.simulation import Simulation
from sim.faults.kinds.crash import CrashFault
from sim.metrics.recovery import leader_recoveries
from sim.outputs import OutputRefused, claim_file, starts_with, write_csv_table
from sim.protocols.base import Request
from sim.scenario import Scenario, scenario_from_dict

RANGES: tuple[tuple[float, float], ...] = (
    (150, 150),
    (150, 151),
    (150, 155),
    (150, 175),
    (150, 200),
    (150, 300),
    (12, 24),
    (25, 50),
    (50, 100),
    (100, 200),
)
TRIALS = 1000
TRIALS_150_150 = 100  # as in the paper, where a trial took minutes
LATENCY_MS = 7.0
LATENCY_SIGMA = 0.1
DISK_WRITE_MS = 1.0
# Mean timer lateness of the noisy profile, fitted to the paper's 150-151 median.
JITTER_MEAN_MS = 0.5
# Network profiles, by broadcast time (round trip + disk write): the paper's stated 15 ms, and
# about 4 ms, which is what the paper's fastest recoveries imply (see docs/raft-figure16.md).
PROFILES: dict[str, dict[str, Any]] = {
    "broadcast-15ms": {"latency_ms": LATENCY_MS, "disk_write_ms": DISK_WRITE_MS},
    "broadcast-4ms": {"latency_ms": 1.5, "disk_write_ms": 1.0},
    # broadcast-4ms with late timers: an exponential scheduling delay added to every timer's
    # firing, its mean calibrated on 150-151 alone (see docs/raft-figure16.md).
    "noisy-4ms": {
        "latency_ms": 1.5,
        "disk_write_ms": 1.0,
        "timer_jitter": {"dist": "exponential", "mean": JITTER_MEAN_MS},
    },
}
SERVERS = 5
# A trial not recovered after ten simulated minutes (longer than any of the paper's, 528 s at
# most) counts as unrecovered: with equal timeouts candidates can stay in lockstep for ever.
MAX_TRIAL_MS = 600_000.0

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference"
PAPER_CSV = REFERENCE / "ongaro-figure16" / "usableFormat.csv"
OUT_CSV = REFERENCE / "raft-figure16.csv"
COLUMNS = (
    "profile",
    "range",
    "trials",
    "unrecovered",
    "median_ms",
    "mean_ms",
    "p99_ms",
    "max_ms",
    "paper_trials",
    "paper_median_ms",
    "paper_mean_ms",
    "paper_p99_ms",
    "paper_max_ms",
)


def range_name(low: float, high: float) -> str:
    return f"{low:g}-{high:g}"


def trial_scenario(
    low: float,
    high: float,
    *,
    prevote: bool = False,
    candidate_backoff: bool = False,
    latency_ms: float = LATENCY_MS,
    disk_write_ms: float = DISK_WRITE_MS,
    timer_jitter: dict[str, Any] | None = None,
) -> Scenario:
    """The cluster of one trial (its seed is set per trial): no clients, no scripted faults."""
    return scenario_from_dict(
        {
            "name": f"raft-figure16-{range_name(low, high)}",
            "duration": MAX_TRIAL_MS,
            "cluster": {
                "nodes": SERVERS,
                "protocol": "raft",
                "params": {
                    "election_timeout": [low, high],
                    "heartbeat": low / 2,
                    "prevote": prevote,
                    "candidate_backoff": candidate_backoff,
                },
                "disk_write": disk_write_ms,
                "timer_jitter": timer_jitter,
            },
            "network": {
                "latency": {"dist": "lognormal", "median": latency_ms, "sigma": LATENCY_SIGMA},
            },
            "workload": {"clients": 0},
        }
    )


def recovery_trial(scenario: Scenario, seed: int, short_logs: int = 2) -> float:
    """One trial: the leader recovery time (ms) after one crash of a stable leader, with
    ``short_logs`` followers lacking its last entry; infinite if there is none within
    MAX_TRIAL_MS."""
    rng = np.random.default_rng(seed)
    simulation = Simulation(scenario.model_copy(update={"seed": seed}))
    env = simulation.env
    # Servers boot one by one, as an operator starts them: with equal timeouts (150-150), five
    # servers started at once would split the very first vote for a long time.
    low = float(scenario.cluster.params["election_timeout"][0])
    for host in simulation.hosts.values():
        call_later(env, float(rng.uniform(0.0, low)), _start, host)
    script = env.process(_crash_the_leader(simulation, rng, short_logs))
    run_until(env, script, simulation.network)
    recoveries = leader_recoveries(simulation.recorder)
    return recoveries[0] if recoveries else math.inf


def _start(host: NodeHost) -> None:
    host.start()


def _crash_the_leader(
    simulation: Simulation, rng: np.random.Generator, short_logs: int
) -> Generator[simpy.Event, Any, None]:
    env, hosts, network = simulation.env, simulation.hosts, simulation.network
    heartbeat = float(simulation.scenario.cluster.params["heartbeat"])
    while (leader := _stable_leader(simulation)) is None:
        if env.now > MAX_TRIAL_MS:
            return
        yield env.timeout(heartbeat)
    # Its heartbeats go out every `heartbeat` from its election on.
    elected = simulation.recorder.leader_changes[-1][0]
    beats = math.floor((env.now - elected) / heartbeat) + 1
    yield env.timeout(elected + (beats + 0.5) * heartbeat - env.now)
    followers = [node for node in simulation.nodes if node != leader]
    picked: Any = rng.choice(len(followers), short_logs, replace=False) if short_logs else []
    short = [followers[int(i)] for i in sorted(picked)]
    for node in short:
        network.cut(leader, node)  # they miss the new entry...
    simulation.recorder.safety.invoke(0, "write", "k", 0)
    hosts[leader].request(Request(op_id=0, client=0, op="write", key="k", value=0))
    for node in short:
        network.uncut(leader, node)
        network.cut(node, leader)  # ...and the leader never hears that they lack it
    # The next heartbeat goes to all at once; the crash falls within the interval after it.
    yield env.timeout(0.5 * heartbeat + float(rng.uniform(0.0, heartbeat)))
    term = hosts[leader].protocol.term  # type: ignore[attr-defined]
    simulation.faults.fire(CrashFault(at=env.now, crash=[leader]), rng)
    survivors = [node for node in simulation.nodes if node != leader]
    while not _all_follow_new_leader(simulation, survivors, term):
        if env.now > MAX_TRIAL_MS:
            return
        yield env.timeout(heartbeat)


def _stable_leader(simulation: Simulation) -> str | None:
    """The leader, once every node is up and follows it in its term."""
    leader = simulation.leader()
    if leader is None:
        return None
    term = simulation.hosts[leader].protocol.term  # type: ignore[attr-defined]
    follows = all(
        host.up and host.protocol.term == term and host.protocol.leader == leader  # type: ignore[attr-defined]
        for host in simulation.hosts.values()
    )
    return leader if follows else None


def _all_follow_new_leader(simulation: Simulation, nodes: list[str], lost_term: int) -> bool:
    states: list[Any] = [simulation.hosts[node].protocol for node in nodes]
    leaders = {(state.term, state.leader) for state in states}
    return len(leaders) == 1 and states[0].leader is not None and states[0].term > lost_term


def trial_seed(seed: int, low: float, high: float, trial: int) -> int:
    """Each trial's own seed: independent streams, reproducible one by one."""
    key = [seed, round(low * 1000), round(high * 1000), trial]
    return int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] >> 1)


def recovery_trials(
    low: float,
    high: float,
    trials: int = TRIALS,
    seed: int = 1,
    short_logs: int = 2,
    **options: Any,
) -> list[float]:
    """Leader recovery times (ms) of ``trials`` independent trials with election timeouts drawn
    from [low, high] and ``short_logs`` of the four survivors unable to win (0-4; the paper: 2);
    ``options`` go to `trial_scenario` (prevote, candidate_backoff, latency_ms, disk_write_ms,
    timer_jitter)."""
    scenario = trial_scenario(low, high, **options)
    return [
        recovery_trial(scenario, trial_seed(seed, low, high, i), short_logs) for i in range(trials)
    ]


def figures(values: list[float]) -> dict[str, Any]:
    """Median, mean, p99 (numpy's linear method) and max of the recovered trials, and how many
    did not recover (None where no trial did)."""
    finite = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    unrecovered = len(values) - len(finite)
    if not len(finite):
        return {"unrecovered": unrecovered, **dict.fromkeys(FIGURES)}
    return {
        "unrecovered": unrecovered,
        "median_ms": float(np.median(finite)),
        "mean_ms": float(finite.mean()),
        "p99_ms": float(np.percentile(finite, 99, method="linear")),
        "max_ms": float(finite.max()),
    }


FIGURES = ("median_ms", "mean_ms", "p99_ms", "max_ms")


def paper_trials(path: Path = PAPER_CSV) -> dict[str, list[float]]:
    """The paper's per-trial times (ms) by range name, e.g. ``"150-300"``."""
    times: dict[str, list[float]] = {}
    with path.open(encoding="utf-8") as file:
        rows = csv.reader(file, skipinitialspace=True)
        next(rows)
        for name, _percent, ms in rows:
            times.setdefault(name, []).append(float(ms))
    return times


Job = tuple[str, float, float, int, int]


def _run_range(job: Job) -> tuple[Job, list[float], float]:
    profile, low, high, trials, seed = job
    started = time.perf_counter()
    values = recovery_trials(low, high, trials, seed, **PROFILES[profile])
    return job, values, time.perf_counter() - started


def reproduce(
    trials: int = TRIALS, seed: int = 1, workers: int = 2, profiles: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Every range of the figure for each network profile (default: all), on a process pool:
    one table row per profile and range, the paper's figures beside."""
    jobs: list[Job] = [
        (profile, low, high, min(trials, TRIALS_150_150) if low == high else trials, seed)
        for profile in profiles or tuple(PROFILES)
        for low, high in RANGES
    ]
    # The slowest (almost equal timeouts) first, so that none runs alone at the end.
    order = sorted(jobs, key=lambda job: job[2] - job[1])
    paper = paper_trials()
    results: dict[Job, list[float]] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for job, values, wall in pool.map(_run_range, order):
            results[job] = values
            print(f"{job[0]} {range_name(*job[1:3]):>8}: {len(values)} trials, {wall:.1f} s")
    rows = []
    for job in jobs:
        name = range_name(job[1], job[2])
        theirs = figures(paper[name])
        rows.append(
            {
                "profile": job[0],
                "range": name,
                "trials": len(results[job]),
                **figures(results[job]),
                "paper_trials": len(paper[name]),
                **{f"paper_{key}": theirs[key] for key in FIGURES},
            }
        )
    return rows


def write_table(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the table at ``path``: a new file, or one this module wrote (OutputRefused
    otherwise); written beside it and renamed into place."""
    cells = ([_cell(row[column]) for column in COLUMNS] for row in rows)
    write_csv_table(path, COLUMNS, cells, "a Figure 16 table")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 1) if isinstance(value, float) else value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=TRIALS, help="per range (150-150: <= 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES), default=[])
    parser.add_argument("--out", type=Path, default=OUT_CSV)
    args = parser.parse_args(argv)
    try:  # before hours of trials, not after
        claim_file(args.out, starts_with(",".join(COLUMNS)), "a Figure 16 table")
    except OutputRefused as refused:
        parser.exit(2, f"{refused}\n")
    started = time.perf_counter()
    rows = reproduce(args.trials, args.seed, args.workers, tuple(args.profile))
    write_table(rows, args.out)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
