"""`seed-process`, the tutorial protocol as a SimPy process, makes the same decisions and the same
client outcomes as `seed` on the same scenario and seed: byte for byte, even where many events
share an instant (constant latencies), under loss, reordering, CPU cost, pauses and crashes."""

from __future__ import annotations

import pytest

from sim.experiment.run import run
from sim.protocols.registry import get_protocol, protocol_origin
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

CASES = {
    # Unordered lognormal links: Commits overtake each other and replicas diverge.
    "reorder": ("seed-reorder.yaml", ["duration=2s"]),
    # Constant latencies: sends, timers and replies tie at the same instants all the time, so
    # any difference in the order of handling within an instant would show.
    "ties": (
        "seed-concurrent-proposers.yaml",
        ["duration=1s", "network.latency=1ms", "network.client_latency=0", "workload.clients=6"],
    ),
    # Loss with proposal timeouts, and a CPU cost per message (a queue forms at each node).
    "loss-cpu": (
        "fault-loss.yaml",
        [
            "duration=800ms",
            "cluster.processing=300us",
            "cluster.params.timeout=30ms",
            "faults=[{at: 300ms, loss: 0.3, for: 300ms}]",
        ],
    ),
    # Crashes, restarts, pauses, partitions, clock skew: the nemesis.
    "nemesis": ("fault-nemesis.yaml", ["duration=4s", "cluster.processing=100us"]),
    "pause": ("fault-pause.yaml", ["duration=1s", "faults=[{at: 300ms, pause: n1, for: 200ms}]"]),
    "article": ("article.yaml", []),
}


def test_seed_process_comes_from_the_entry_point() -> None:
    """quorumsim's own metadata declares `seed-process`: the registry finds it there."""
    assert get_protocol("seed-process").__module__ == "sim.process.seed"
    assert protocol_origin("seed-process").startswith("entry point sim.process.seed:SeedProcess")


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_forms_decide_and_answer_the_same(case: str) -> None:
    """The rows of decisions.csv (node, index, op_id, time) and of requests.csv (each client
    operation, its node, times and outcome) of `seed` and `seed-process` are equal."""
    file, overrides = CASES[case]
    rows = {}
    for protocol in ("seed", "seed-process"):
        scenario = load_scenario(SCENARIOS / file, [*overrides, f"cluster.protocol={protocol}"])
        result = run(scenario)
        rows[protocol] = (result.decision_rows, result.request_rows, result.history)
    decisions, requests, _ = rows["seed"]
    assert len(decisions) > 3 and len(requests) >= 1  # (something to compare)
    assert rows["seed-process"] == rows["seed"]
