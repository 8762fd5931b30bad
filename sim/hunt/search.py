"""Running a scenario over seeds until runs go wrong.

Seeds are the scenario's seed, seed + 1, ... A run travels to a worker as plain data (the
scenario as a dict and a seed) and comes back as a small row: its signature and its size. Runs
are submitted a few per worker ahead, so that the hunt stops soon after the first bad seed; the
seeds found are the smallest ones whatever the worker count (a bad seed waits for every smaller
seed still running), so a hunt's result is a function of the scenario.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any

from sim.hunt.verdict import ERROR, signature
from sim.scenario import Scenario, scenario_from_dict

_AHEAD = 2  # runs queued per worker beyond the one it runs
_POLL_S = 0.2


@dataclass
class Found:
    """A seed whose run went wrong."""

    seed: int
    kinds: list[str]
    wall_s: float  # since the hunt began, when this run's result came in
    events: int = 0
    error: str = ""


@dataclass
class HuntProgress:
    """Passed to a hunt's ``progress`` callback after each run."""

    done: int = 0
    total: int | None = None  # None: hunting by time
    found: list[Found] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per run, in seed order at end


def probe(data: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one seed (in whichever process) and return its row."""
    from sim.experiment.run import run

    scenario = scenario_from_dict(data)
    started = time.perf_counter()
    try:
        result = run(scenario, seed=seed)
    except Exception as error:
        wall = time.perf_counter() - started
        return {"seed": seed, "kinds": [ERROR], "events": 0, "wall_s": wall, "error": repr(error)}
    return {
        "seed": seed,
        "kinds": signature(result.scenario, result.summary),
        "events": result.summary["events"],
        "wall_s": time.perf_counter() - started,
        "error": "",
    }


def hunt(
    scenario: Scenario,
    *,
    seeds: int | None = None,
    time_s: float | None = None,
    first: int = 1,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[HuntProgress], None] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> HuntProgress:
    """Run ``scenario`` with seeds from its own upwards, ``seeds`` of them or for ``time_s``
    seconds (whichever ends first), on ``executor`` (None: here), until ``first`` of them went
    wrong. Returns the rows of every run made and the bad seeds, smallest first. ``stopped()``
    true (a signal noted) raises KeyboardInterrupt between two waits for results."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("sweep", None)
    state = HuntProgress(total=seeds)
    deadline = None if time_s is None else state.started + time_s
    next_seed = scenario.seed
    last_seed = None if seeds is None else scenario.seed + seeds - 1

    def more() -> bool:
        if last_seed is not None and next_seed > last_seed:
            return False
        return deadline is None or time.monotonic() < deadline

    pending: dict[Future[dict[str, Any]], int] = {}

    def enough() -> bool:
        # The k smallest bad seeds are known once every smaller seed has come back.
        bad = sorted(f.seed for f in state.found)
        return len(bad) >= first and not any(seed < bad[first - 1] for seed in pending.values())

    def took(row: dict[str, Any]) -> None:
        state.done += 1
        state.rows.append(row)
        if row["kinds"]:
            wall = time.monotonic() - state.started
            state.found.append(
                Found(row["seed"], row["kinds"], wall, row["events"], row.get("error", ""))
            )
        if progress is not None:
            progress(state)

    if executor is None:
        while more() and not enough():
            took(probe(data, next_seed))
            next_seed += 1
    else:
        ahead = workers * (1 + _AHEAD)
        try:
            while True:
                while len(pending) < ahead and more() and not _settled(state, first):
                    pending[executor.submit(probe, data, next_seed)] = next_seed
                    next_seed += 1
                if not pending or enough():
                    break
                done, _ = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.pop(future)
                    took(future.result())
                if stopped is not None and stopped():
                    raise KeyboardInterrupt
        finally:
            for future in pending:
                future.cancel()
    state.found.sort(key=lambda f: f.seed)
    if len(state.found) >= first:
        # Runs of larger seeds that came back meanwhile depend on the timing: left out.
        state.found = state.found[:first]
        last = state.found[-1].seed
        state.rows = [row for row in state.rows if row["seed"] <= last]
        state.done = len(state.rows)
    state.rows.sort(key=lambda row: row["seed"])
    return state


def _settled(state: HuntProgress, first: int) -> bool:
    """Enough bad seeds found that no new seed (all larger) can change the answer."""
    return len(state.found) >= first
