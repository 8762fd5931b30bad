"""Shrinking a run that went wrong to a small scenario that goes wrong the same way.

The target is the first kind of the run's signature (`sim.hunt.verdict`). The run's faults
become an explicit list (`sim.hunt.concrete`, the nemesis removed), and then, each step kept only
if a run of the smaller scenario still shows the target kind:

1. the duration is cut to just after the violation showed (or halved, while it still fails);
2. faults are removed by delta debugging (Zeller's ddmin: halves, then quarters, ... of the
   list, each removed in turn, then single faults);
3. each fault's ``for`` is halved, and the whole schedule moved earlier;
4. the clients, then the operation count, are cut;
5. steps 1-2 again on what is left, and the operation count once more.

Every candidate is a scenario validated as a file would be, run in this process: a run is a
function of the scenario and its seed, so the minimal scenario replays byte for byte. The
shrinker stops early when ``budget_s`` runs out, keeping the smallest scenario found so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.experiment.run import RunResult, run
from sim.hunt.concrete import concrete_faults
from sim.hunt.verdict import ERROR, LIVENESS, signature
from sim.scenario import Scenario, ScenarioError, scenario_from_dict

Data = dict[str, Any]


@dataclass
class Size:
    """How big a scenario's run is: what the catch table compares."""

    faults: int
    events: int
    duration_ms: float
    clients: int
    ops: int | None

    def text(self) -> str:
        ops = "" if self.ops is None else f", {_count(self.ops, 'op')}"
        return (
            f"{_count(self.faults, 'fault')}, {_count(self.events, 'event')}, "
            f"{self.duration_ms:g} ms, {_count(self.clients, 'client')}{ops}"
        )


@dataclass
class Shrunk:
    """The result of `shrink`: the minimal scenario and what was taken away."""

    scenario: Scenario
    target: str
    before: Size
    after: Size
    removed: list[str] = field(default_factory=list)  # one line per step that helped
    runs: int = 0
    wall_s: float = 0.0
    exact: bool = True  # the concrete faults reproduced the run (else its own faults were kept)


class _Search:
    """The candidates tried so far and the smallest failing one."""

    def __init__(self, target: str, budget_s: float) -> None:
        self.target = target
        self.deadline = time.monotonic() + budget_s
        self.runs = 0
        self.best: Data = {}
        self.best_result: RunResult | None = None

    @property
    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def fails(self, data: Data) -> bool:
        """Whether ``data`` still goes wrong the target's way (kept as the best if so)."""
        if self.out_of_time:
            return False
        try:
            scenario = scenario_from_dict(data)
        except ScenarioError:
            return False
        self.runs += 1
        result, kinds = attempt(scenario)
        if self.target not in kinds:
            return False
        self.best, self.best_result = data, result
        return True


def attempt(scenario: Scenario) -> tuple[RunResult | None, list[str]]:
    """Run ``scenario`` in memory: its result (None if it raised) and its signature."""
    try:
        result = run(scenario)
    except Exception:  # a simulation that raises is a finding too
        return None, [ERROR]
    return result, signature(scenario, result.summary)


def size(scenario: Scenario, result: RunResult | None) -> Size:
    nemeses = sum(1 for f in scenario.faults if f.kind == "nemesis")
    faults = len(concrete_faults(result.fault_rows)) if nemeses and result else len(scenario.faults)
    return Size(
        faults=faults,
        events=int(result.summary["events"]) if result else 0,
        duration_ms=scenario.duration,
        clients=scenario.workload.clients,
        ops=scenario.workload.ops,
    )


def shrink(
    scenario: Scenario,
    target: str | None = None,
    *,
    budget_s: float = 60.0,
    note: Callable[[str], None] | None = None,
) -> Shrunk | None:
    """Shrink ``scenario`` (a run that goes wrong: its seed set) to the smallest scenario found
    within ``budget_s`` whose run still shows ``target`` (default: its first kind). None if the
    run does not go wrong at all."""
    started = time.monotonic()
    result, kinds = attempt(scenario)
    if not kinds or (target is not None and target not in kinds):
        return None
    target = target or kinds[0]
    search = _Search(target, budget_s)
    before = size(scenario, result)
    removed: list[str] = []

    def step(line: str) -> None:
        removed.append(line)
        if note is not None:
            note(line)

    data = _as_data(scenario)
    explicit = _with_faults(data, concrete_faults(result.fault_rows) if result else [])
    exact = result is not None and search.fails(explicit)
    if exact:
        nemeses = sum(1 for f in scenario.faults if f.kind == "nemesis")
        if nemeses:
            step(f"the nemesis: its {len(explicit['faults'])} faults written out one by one")
        data = explicit
    else:
        search.fails(data)  # the scenario's own faults, as they are
    data = search.best or data
    if search.best_result is None:
        search.best_result = result
    for round_ in range(2):
        data = _cut_duration(search, data, step)
        data = _remove_faults(search, data, step)
        if round_ == 0:
            data = _shorten_faults(search, data, step)
            data = _earlier(search, data, step)
            data = _fewer_clients(search, data, step)
        data = _fewer_ops(search, data, step)
    minimal = scenario_from_dict(data)
    best = search.best_result
    return Shrunk(
        scenario=minimal,
        target=target,
        before=before,
        after=size(minimal, best),
        removed=removed,
        runs=search.runs,
        wall_s=time.monotonic() - started,
        exact=exact,
    )


# --- the steps ---------------------------------------------------------------------------------


def _cut_duration(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    duration = float(data["duration"])
    tries = []
    showed = _violation_time(search)
    if showed is not None and search.target != LIVENESS:
        tries.append(math.floor(showed) + 1.0)
    tries += [duration / 2, duration * 3 / 4]
    for shorter in tries:
        if search.out_of_time or shorter >= duration or shorter <= 0:
            continue
        candidate = _with_duration(data, shorter)
        if search.fails(candidate):
            dropped = len(data.get("faults", [])) - len(candidate["faults"])
            later = f" (and the {dropped} faults after it)" if dropped else ""
            step(f"duration: {duration:g} ms -> {shorter:g} ms{later}")
            return _cut_duration(search, candidate, step)
    return data


def _remove_faults(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    faults = list(data.get("faults", []))
    kept = _ddmin(faults, lambda subset: search.fails({**data, "faults": subset}), search)
    if len(kept) < len(faults):
        step(f"faults: {len(faults)} -> {len(kept)} (delta debugging)")
    return {**data, "faults": kept}


def _ddmin(items: list[Any], fails: Callable[[list[Any]], bool], search: _Search) -> list[Any]:
    """The classic ddmin: a 1-minimal sublist of ``items`` (in order) that still fails."""
    chunks = 2
    while len(items) >= 2 and not search.out_of_time:
        size_ = math.ceil(len(items) / chunks)
        parts = [items[i : i + size_] for i in range(0, len(items), size_)]
        for i in range(len(parts)):
            complement = [x for j, part in enumerate(parts) if j != i for x in part]
            if fails(complement):
                items, chunks = complement, max(chunks - 1, 2)
                break
        else:
            if chunks >= len(items):
                break
            chunks = min(chunks * 2, len(items))
    if len(items) == 1 and fails([]):
        return []
    return items


def _shorten_faults(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    faults = list(data.get("faults", []))
    shortened = 0
    for i in range(len(faults)):
        for _ in range(4):
            length = faults[i].get("for")
            if length is None or length < 0.01 or search.out_of_time:
                break
            candidate = [*faults[:i], {**faults[i], "for": length / 2}, *faults[i + 1 :]]
            if not search.fails({**data, "faults": candidate}):
                break
            faults = candidate
            shortened += 1
    if shortened:
        step(f"for: {shortened} halvings of faults' durations")
    return {**data, "faults": faults}


def _earlier(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    """Move the whole schedule earlier (the quiet start before the first fault), then each
    fault halfway towards the one before it."""
    faults = list(data.get("faults", []))
    if not faults:
        return data
    first = min(f["at"] for f in faults)
    for fraction in (0.5, 0.25):
        shift = first * fraction
        if shift < 1.0 or search.out_of_time:
            continue
        moved = [{**f, "at": f["at"] - shift} for f in faults]
        if search.fails({**data, "faults": moved}):
            step(f"at: every fault {shift:g} ms earlier")
            data = {**data, "faults": moved}
            break
    faults = list(data["faults"])
    moved_one = 0
    for i in range(1, len(faults)):
        gap = faults[i]["at"] - faults[i - 1]["at"]
        if gap < 2.0 or search.out_of_time:
            continue
        candidate = [*faults[:i], {**faults[i], "at": faults[i]["at"] - gap / 2}, *faults[i + 1 :]]
        if search.fails({**data, "faults": candidate}):
            faults = candidate
            moved_one += 1
    if moved_one:
        step(f"at: {moved_one} faults moved earlier")
    return {**data, "faults": faults}


def _fewer_clients(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    workload = dict(data.get("workload", {}))
    clients = int(workload.get("clients", 1))
    for fewer in range(1, clients):
        if search.out_of_time:
            break
        candidate = {**data, "workload": {**workload, "clients": fewer}}
        if search.fails(candidate):
            step(f"clients: {clients} -> {fewer}")
            return candidate
    return data


def _fewer_ops(search: _Search, data: Data, step: Callable[[str], None]) -> Data:
    best = search.best_result
    if best is None:
        return data
    invoked = int(best.summary["liveness"]["invoked"])
    workload = dict(data.get("workload", {}))
    current = workload.get("ops")
    limit = invoked if current is None else min(int(current), invoked)
    tried = [limit, limit // 2, limit // 4]
    for ops in tried:
        if ops <= 0 or search.out_of_time or (current is not None and ops >= current):
            continue
        candidate = {**data, "workload": {**workload, "ops": ops}}
        if search.fails(candidate):
            step(f"ops: {current if current is not None else 'no limit'} -> {ops}")
            return candidate
    return data


# --- helpers -------------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _as_data(scenario: Scenario) -> Data:
    data: Data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("sweep", None)  # a hunt runs one point
    return data


def _with_faults(data: Data, faults: list[dict[str, Any]]) -> Data:
    return {**data, "faults": faults}


def _with_duration(data: Data, duration: float) -> Data:
    faults = [f for f in data.get("faults", []) if f["at"] < duration]
    return {**data, "duration": duration, "faults": faults}


def _violation_time(search: _Search) -> float | None:
    """When the target kind first showed in the best run so far (None: no time known)."""
    best = search.best_result
    if best is None:
        return None
    for violation in best.summary["safety"]["violations"]:
        if violation["kind"] == search.target:
            times = [t for t in violation.get("times", []) if t is not None]
            if "time" in violation:
                times.append(violation["time"])
            return max(times) if times else None
    if search.target == "linearizability" and best.linearizability is not None:
        ends = [
            op.complete_time
            for failure in best.linearizability.failures
            for op in (*failure.stuck, *failure.needing[:4])
            if math.isfinite(op.complete_time)
        ]
        return max(ends) if ends else None
    return None
