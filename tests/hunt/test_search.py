"""The search over seeds: the bad seeds found are the smallest, whatever the worker count."""

from __future__ import annotations

from sim.experiment.sweep import process_pool
from sim.hunt import hunt
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS


def _nemesis():
    return load_scenario(
        SCENARIOS / "fault-nemesis.yaml", overrides=["checks.expect=safe", "duration=600ms"]
    )


def test_first_k_are_the_smallest_bad_seeds_on_any_pool() -> None:
    """With two workers the hunt stops at the same two bad seeds, and tables the same rows, as
    one seed after the other in this process."""
    scenario = _nemesis()
    alone = hunt(scenario, seeds=12, first=2)
    with process_pool(2) as pool:
        pooled = hunt(scenario, seeds=12, first=2, executor=pool, workers=2)
    assert [f.seed for f in alone.found] == [f.seed for f in pooled.found]
    assert len(alone.found) == 2
    strip = [{k: v for k, v in row.items() if k != "wall_s"} for row in alone.rows]
    assert strip == [{k: v for k, v in row.items() if k != "wall_s"} for row in pooled.rows]
    assert alone.rows[-1]["seed"] == alone.found[-1].seed  # nothing beyond the last one kept


def test_a_budget_of_seeds_is_kept_to() -> None:
    """A hunt that finds nothing runs exactly the seeds it was given, from the file's seed."""
    scenario = load_scenario(SCENARIOS / "quickstart.yaml", overrides=["duration=100ms"])
    state = hunt(scenario, seeds=4)
    assert [row["seed"] for row in state.rows] == [1, 2, 3, 4]
    assert not state.found
