"""The mutants, the hunting scenario each is hunted with, and the seed budget it must be caught
within; and the catch table (``python -m tests.mutants.catalog`` prints it, shrinking each).

A budget is the seeds the hunt needed when it was set (the first catch's seed, from the
scenario's seed 1) with room to spare (about twice, at least 10 seeds; 200 for the vote bug,
first caught at seed 138), so that a change of the simulator's draws does not make the suite
flaky at once, while a nemesis that stops finding the bug fails it.

`ESCAPED` are mutants the shipped scenarios do not catch in 200 seeds: the catch table lists
them, the suite does not assert on them.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sim.hunt import hunt, shrink
from sim.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class Mutant:
    protocol: str  # module:Class
    scenario: str  # a scenarios/hunt-*.yaml
    budget: int  # seeds
    checks: frozenset[str]  # the kinds that may catch it
    overrides: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.protocol.rsplit(":", 1)[-1]

    def load(self) -> Scenario:
        return load_scenario(
            SCENARIOS / self.scenario,
            overrides=[f"cluster.protocol={self.protocol}", *self.overrides],
        )


SAFETY = frozenset(
    {
        "agreement",
        "election_safety",
        "leader_completeness",
        "log_matching",
        "linearizability",
        "gap",
    }
)
PAXOS = frozenset(
    {"agreement", "one_value_per_slot", "proposals_respect_phase1", "promises_kept",
     "decided_is_chosen", "linearizability", "gap"}
)  # fmt: skip
LIVE = frozenset({"liveness"})
R = "tests.mutants.raft:"
P = "tests.mutants.paxos:"

MUTANTS = [
    Mutant(R + "Figure8", "hunt-raft.yaml", 20, SAFETY),
    Mutant(R + "VoteNotPersisted", "hunt-raft-votes.yaml", 200, SAFETY),
    Mutant(R + "TermNotPersisted", "hunt-raft-votes.yaml", 10, SAFETY),
    Mutant(R + "ReplyBeforePersist", "hunt-raft.yaml", 80, SAFETY),
    Mutant(R + "UpToDateByLength", "hunt-raft.yaml", 20, SAFETY),
    Mutant(R + "AcceptStaleLeader", "hunt-raft.yaml", 50, SAFETY),  # first caught at seed 24
    Mutant(R + "ApplyOnReceipt", "hunt-raft.yaml", 10, SAFETY),
    Mutant(R + "LeaderIgnoresHigherTerm", "hunt-raft-live.yaml", 10, LIVE),
    Mutant(R + "FixedElectionTimeout", "hunt-raft-live.yaml", 10, LIVE),
    Mutant(R + "BackoffSkipsEntries", "hunt-raft-live.yaml", 10, LIVE),
    Mutant(P + "PromiseNotPersisted", "hunt-paxos.yaml", 50, PAXOS),
    Mutant(P + "IgnoresVotedValues", "hunt-paxos.yaml", 10, PAXOS),
    Mutant(P + "Phase1TooSmall", "hunt-paxos.yaml", 10, PAXOS, ("cluster.params.q2=2",)),
    Mutant(P + "AcceptedBeforePersist", "hunt-paxos.yaml", 10, PAXOS),
]

# Caught under durability: fsync only: with sync disks a persist is durable at once.
FSYNC_ONLY = ("ReplyBeforePersist", "AcceptedBeforePersist")

ESCAPED = [Mutant(R + "CommitBeyondMatch", "hunt-raft.yaml", 200, SAFETY)]

# The unmodified protocols, hunted over as many seeds as any mutant of their scenario gets.
ORIGINALS = [
    ("raft", "hunt-raft.yaml", ()),
    ("raft", "hunt-raft-votes.yaml", ()),
    ("raft", "hunt-raft-live.yaml", ()),
    ("multipaxos", "hunt-paxos.yaml", ()),
    ("fpaxos", "hunt-paxos.yaml", ("cluster.params.q2=2",)),
]


def budget_of(scenario: str, overrides: tuple[str, ...]) -> int:
    return max(
        (m.budget for m in MUTANTS if m.scenario == scenario and m.overrides == overrides),
        default=0,
    )


def main(shrink_s: float = 60.0) -> None:
    """Print the catch table: each mutant hunted (seeds and wall seconds to its first catch)
    and shrunk (faults and events before and after)."""
    print(
        "| mutant | caught by | seeds | wall s | faults before -> after | events before -> after |"
    )
    print("|---|---|---:|---:|---|---|")
    for mutant in [*MUTANTS, *ESCAPED]:
        scenario = mutant.load()
        started = time.monotonic()
        state = hunt(scenario, seeds=mutant.budget)
        wall = time.monotonic() - started
        if not state.found:
            print(f"| {mutant.name} | not caught | >{mutant.budget} | {wall:.1f} | | |", flush=True)
            continue
        found = state.found[0]
        bad = scenario.model_copy(update={"seed": found.seed})
        shrunk = shrink(bad, budget_s=shrink_s)
        sizes = ("", "")
        if shrunk is not None:
            b, a = shrunk.before, shrunk.after
            sizes = (f"{b.faults} -> {a.faults}", f"{b.events:,} -> {a.events:,}")
        seeds = found.seed - scenario.seed + 1
        print(
            f"| {mutant.name} | {found.kinds[0]} | {seeds} | {found.wall_s:.1f} | "
            f"{sizes[0]} | {sizes[1]} |",
            flush=True,
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
