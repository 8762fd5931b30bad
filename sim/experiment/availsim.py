"""Ongaro's thesis, chapter 9 (AvailSim on a WAN): how fast five servers elect a leader when none,
one or two of them have failed.

The thesis's set-up (section 9.4, "Simulated WAN network", and AvailSim's own code, the
``submission`` algorithm with the ``P1-WAN`` and ``P2-WAN`` timing policies), and how each part
is made here:

- Five servers, up to two of them down for the whole trial (AvailSim gives them an infinite
  latency; here they crash at time 0, before any timer fires). The live ones elect a leader from
  scratch: "one failed" is the old leader, "two failed" the leader and a follower at once.
- "Each server in AvailSim begins with a fresh election timer": every node starts at time 0 with
  a timeout drawn from 300-600 ms, as if the last heartbeat had reached all of them at once just
  as the leader failed (the thesis: AvailSim's times are thus half a heartbeat interval too long
  on average). Plain Raft (no pre-vote, no back-off), equal logs and terms; the heartbeat is
  half the minimum timeout, as in AvailSim.
- Each message's latency uniform in 30-40 ms; no disk writes and no processing time ("infinitely
  fast in the simulator").
- The election time runs from time 0 until a candidate becomes leader (AvailSim's
  ``stable_leader_start_time``: the start of the first leadership that then holds), not until
  the others hear of it.
- 10,000 elections per row, as in the thesis's figure.

``python -m sim.experiment.availsim`` runs the figure's three rows (0, 1 and 2 failed) on a
process pool and writes the table with the thesis's figures beside (see docs/availsim.md).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.core.loop import run_until
from sim.engine.simulation import Simulation
from sim.outputs import OutputRefused, claim_file, starts_with, write_csv_table
from sim.scenario import Scenario, scenario_from_dict

SERVERS = 5
ELECTION_TIMEOUT_MS = (300.0, 600.0)
LATENCY_MS = (30.0, 40.0)
TRIALS = 10_000
# The thesis's words (section 9.4): with one server failed "the average election completes within
# about 475 ms, and 99.9% of elections complete within 1.5 s"; with two, "about 650 ms ... 3 s".
THESIS_TEXT: dict[int, dict[str, float]] = {
    1: {"mean_ms": 475.0, "p999_ms": 1500.0},
    2: {"mean_ms": 650.0, "p999_ms": 3000.0},
}
# Its figure (leaderelection/multi-submission-failures.svg in ongardie/dissertation) read from the
# vector data: each CDF is a step path of its 10,000 elections, the mean a marked point; x in ms =
# (x - 274.773438) / 0.03644238 from the axis ticks (0 and 4000 ms), to about 0.2 ms.
THESIS_FIGURES = ("median_ms", "mean_ms", "p99_ms", "p999_ms", "max_ms")
THESIS_FIGURE: dict[int, tuple[float | None, ...]] = {  # None: not read off
    0: (None, 429.9, 833.2, 984.9, 1386.9),
    1: (423.3, 468.6, 1005.2, 1385.1, 1745.2),
    2: (468.7, 631.6, 1928.9, 2853.3, 3831.5),
}
# A trial with no leader after a simulated minute (a hundred times the mean) counts as unelected.
MAX_TRIAL_MS = 60_000.0
CHUNK = 1000  # trials per pool job: enough to outweigh a job's start-up, small enough to share

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference"
OUT_CSV = REFERENCE / "availsim.csv"
FIGURES = ("median_ms", "mean_ms", "p99_ms", "p999_ms", "max_ms", "mean_terms")
COLUMNS = (
    "failed",
    "trials",
    "unelected",
    *FIGURES,
    *(f"thesis_{key}" for key in THESIS_FIGURES),
    "thesis_text_mean_ms",
    "thesis_text_p999_ms",
)
WHAT = "an AvailSim table"


def trial_scenario(
    failed: int,
    election_timeout_ms: tuple[float, float] = ELECTION_TIMEOUT_MS,
    latency_ms: tuple[float, float] = LATENCY_MS,
) -> Scenario:
    """The cluster of one trial (its seed is set per trial): nodes n1..n{failed} crash at time 0,
    messages take a uniform ``latency_ms``, the heartbeat is half the minimum timeout."""
    if not 0 <= failed <= SERVERS // 2:
        raise ValueError(
            f"failed must be 0..{SERVERS // 2} (a majority must be left), got {failed}"
        )
    crashed = [f"n{i}" for i in range(1, failed + 1)]
    return scenario_from_dict(
        {
            "name": f"availsim-wan-{failed}-failed",
            "duration": MAX_TRIAL_MS,
            "cluster": {
                "nodes": SERVERS,
                "protocol": "raft",
                "params": {
                    "election_timeout": list(election_timeout_ms),
                    "heartbeat": election_timeout_ms[0] / 2,
                },
            },
            "network": {
                "latency": {"dist": "uniform", "low": latency_ms[0], "high": latency_ms[1]},
            },
            "workload": {"clients": 0},
            "faults": [{"at": 0, "crash": crashed}] if crashed else [],
        }
    )


def run_trial(scenario: Scenario, seed: int) -> Simulation:
    """Run one trial until every live node follows one leader (or MAX_TRIAL_MS passes)."""
    simulation = Simulation(scenario.model_copy(update={"seed": seed}))
    for host in simulation.hosts.values():
        host.start()  # each draws its fresh election timeout now
    simulation.faults.start()  # the crashes at time 0 come after: the failed never time out
    run_until(
        simulation.env, simulation.env.process(_until_elected(simulation)), simulation.network
    )
    return simulation


def _until_elected(simulation: Simulation) -> Generator[simpy.Event, Any, None]:
    env = simulation.env
    heartbeat = float(simulation.scenario.cluster.params["heartbeat"])
    while not _all_follow_one_leader(simulation):
        if env.now > MAX_TRIAL_MS:
            return
        yield env.timeout(heartbeat)


def _all_follow_one_leader(simulation: Simulation) -> bool:
    states: list[Any] = [host.protocol for host in simulation.hosts.values() if host.up]
    views = {(state.term, state.leader) for state in states}
    return len(views) == 1 and states[0].leader is not None


def election(simulation: Simulation) -> tuple[float, int]:
    """(election time in ms, the winning term) of a trial run by `run_trial`: the time its
    leader became leader, (inf, 0) if the live nodes do not all follow one."""
    if not _all_follow_one_leader(simulation) or not simulation.recorder.leader_changes:
        return math.inf, 0
    # All follow the leader of the last change: a leader deposed before that does not count.
    elected, _leader, term = simulation.recorder.leader_changes[-1]
    return elected, term


def trial_seed(seed: int, failed: int, trial: int) -> int:
    """Each trial's own seed: independent streams, reproducible one by one."""
    return int(np.random.SeedSequence([seed, failed, trial]).generate_state(1, np.uint64)[0] >> 1)


def election_trials(
    failed: int, trials: int = TRIALS, seed: int = 1, first: int = 0, **options: Any
) -> list[tuple[float, int]]:
    """(election time ms, winning term) of trials ``first``..``first + trials - 1`` with
    ``failed`` of the five servers down; ``options`` go to `trial_scenario`
    (election_timeout_ms, latency_ms)."""
    scenario = trial_scenario(failed, **options)
    return [
        election(run_trial(scenario, trial_seed(seed, failed, i)))
        for i in range(first, first + trials)
    ]


def figures(results: list[tuple[float, int]]) -> dict[str, Any]:
    """Median, mean, p99, p99.9 (numpy's linear method), max of the elected trials, their mean
    number of terms, and how many were not elected (None where none was)."""
    elected = [(ms, term) for ms, term in results if math.isfinite(ms)]
    unelected = len(results) - len(elected)
    if not elected:
        return {"unelected": unelected, **dict.fromkeys(FIGURES)}
    times = np.asarray([ms for ms, _ in elected], dtype=float)
    return {
        "unelected": unelected,
        "median_ms": float(np.median(times)),
        "mean_ms": float(times.mean()),
        "p99_ms": float(np.percentile(times, 99, method="linear")),
        "p999_ms": float(np.percentile(times, 99.9, method="linear")),
        "max_ms": float(times.max()),
        "mean_terms": float(np.mean([term for _, term in elected])),
    }


Job = tuple[int, int, int, int]  # failed, first trial, trials, seed


def _run_chunk(job: Job) -> tuple[Job, list[tuple[float, int]]]:
    failed, first, trials, seed = job
    return job, election_trials(failed, trials, seed, first)


def reproduce(
    trials: int = TRIALS, seed: int = 1, workers: int = 2, failures: tuple[int, ...] = (0, 1, 2)
) -> list[dict[str, Any]]:
    """One table row per number of failed servers, the thesis's figures beside (its figure's, and
    the rounded ones of its text). The trials run
    in chunks on ``workers`` processes (1: in this one); the result does not depend on either."""
    jobs: list[Job] = [
        (failed, first, min(CHUNK, trials - first), seed)
        for failed in failures
        for first in range(0, trials, CHUNK)
    ]
    if workers == 1:
        done = [_run_chunk(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_run_chunk, jobs))
    rows = []
    for failed in failures:
        results = [r for job, chunk in done if job[0] == failed for r in chunk]
        figure = dict(zip(THESIS_FIGURES, THESIS_FIGURE[failed], strict=True))
        text = THESIS_TEXT.get(failed, {})
        rows.append(
            {
                "failed": failed,
                "trials": len(results),
                **figures(results),
                **{f"thesis_{key}": figure.get(key) for key in THESIS_FIGURES},
                "thesis_text_mean_ms": text.get("mean_ms"),
                "thesis_text_p999_ms": text.get("p999_ms"),
            }
        )
    return rows


def write_table(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the table at ``path``: a new file, or one this module wrote (OutputRefused
    otherwise); written beside it and renamed into place."""
    cells = ([_cell(column, row[column]) for column in COLUMNS] for row in rows)
    write_csv_table(path, COLUMNS, cells, WHAT)


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 3 if column == "mean_terms" else 1)
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--trials", type=_positive, default=TRIALS, help="elections per row")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=_positive, default=2)
    parser.add_argument("--out", type=Path, default=OUT_CSV)
    args = parser.parse_args(argv)
    try:  # before the trials, not after
        claim_file(args.out, starts_with(",".join(COLUMNS)), WHAT)
    except OutputRefused as refused:
        parser.exit(2, f"{refused}\n")
    started = time.perf_counter()
    rows = reproduce(args.trials, args.seed, args.workers)
    for row in rows:
        ours = " / ".join(str(_cell(key, row[key])) for key in THESIS_FIGURES)
        theirs = " / ".join(str(_cell(key, row[f"thesis_{key}"]) or "-") for key in THESIS_FIGURES)
        print(
            f"{row['failed']} failed, median / mean / p99 / p99.9 / max: {ours} (thesis {theirs})"
        )
    write_table(rows, args.out)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
