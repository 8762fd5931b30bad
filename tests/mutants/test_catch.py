"""The mutant suite: hunt catches each planted bug within its seed budget, the unmodified
protocols raise no alarm on the same seeds, and Figure 8 shrinks to a handful of faults."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor

import pytest

from sim.experiment.sweep import process_pool
from sim.hunt import hunt, shrink
from sim.scenario import load_scenario, scenario_from_dict
from tests.mutants.catalog import (
    FSYNC_ONLY,
    MUTANTS,
    ORIGINALS,
    SCENARIOS,
    Mutant,
    budget_of,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with process_pool(2) as executor:
        yield executor


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_hunt_catches_the_mutant(mutant: Mutant, pool: Executor) -> None:
    """Within its budget of seeds, some run of the mutant goes wrong the way its bug does."""
    state = hunt(mutant.load(), seeds=mutant.budget, executor=pool, workers=2)
    assert state.found, f"{mutant.name}: not caught in {mutant.budget} seeds"
    assert set(state.found[0].kinds) & mutant.checks, state.found[0]


@pytest.mark.parametrize(("protocol", "scenario", "overrides"), ORIGINALS)
def test_no_false_alarm(
    protocol: str, scenario: str, overrides: tuple[str, ...], pool: Executor
) -> None:
    """The unmodified protocol passes every seed its scenario's mutants are hunted over."""
    loaded = load_scenario(
        SCENARIOS / scenario, overrides=[f"cluster.protocol={protocol}", *overrides]
    )
    seeds = budget_of(scenario, overrides)
    state = hunt(loaded, seeds=seeds, executor=pool, workers=2)
    assert state.done == seeds
    assert not state.found, state.found[0]


def test_figure8_shrinks_to_a_handful_of_faults() -> None:
    """Figure 8's bug, found by hunt, shrinks to at most eight faults that still show it."""
    figure8 = next(m for m in MUTANTS if m.name == "Figure8")
    scenario = figure8.load()
    state = hunt(scenario, seeds=figure8.budget)
    assert state.found
    shrunk = shrink(scenario.model_copy(update={"seed": state.found[0].seed}), budget_s=60.0)
    assert shrunk is not None and shrunk.exact
    assert shrunk.after.faults <= 8 < shrunk.before.faults
    assert shrunk.target in figure8.checks


@pytest.mark.parametrize("name", FSYNC_ONLY)
def test_reply_before_persist_escapes_a_sync_disk(name: str, pool: Executor) -> None:
    """Under durability: sync a persist is durable at once, so a reply sent before it promises
    nothing false: the same hunt over the same seeds (at least 50), with sync disks (and
    without the power losses, which need fsync), finds nothing."""
    mutant = next(m for m in MUTANTS if m.name == name)
    seeds = max(mutant.budget, 50)
    data = mutant.load().model_dump(mode="json", by_alias=True, exclude_none=True)
    data["cluster"]["durability"] = "sync"
    nemesis = data["faults"][0]["nemesis"]
    nemesis["kinds"] = [kind for kind in nemesis["kinds"] if kind != "lose_unsynced"]
    nemesis["aim"] = [moment for moment in nemesis["aim"] if moment != "persisted"]
    state = hunt(scenario_from_dict(data), seeds=seeds, executor=pool, workers=2)
    assert state.done == seeds and not state.found
