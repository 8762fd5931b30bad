"""violation.md for a protocol invariant follows its epoch and votes, and names the vote that
made it inevitable."""

from __future__ import annotations

from pathlib import Path

from sim import load_scenario, run
from tests.conftest import SCENARIOS


def test_election_safety_report_shows_the_votes_of_its_term(tmp_path: Path) -> None:
    """Two leaders of one term (a node that forgets its term on restart): the excerpt holds the
    term's campaign, requests for votes and granted votes, and the report names the voter that
    voted twice and its restart in between."""
    scenario = load_scenario(
        SCENARIOS / "hunt-raft-votes.yaml",
        overrides=["cluster.protocol=tests.mutants.raft:TermNotPersisted", "seed=2"],
    )
    result = run(scenario, out=tmp_path / "run")
    violation = result.summary["safety"]["violations"][0]
    assert violation["kind"] == "election_safety"
    report = (tmp_path / "run" / "violation.md").read_text(encoding="utf-8")
    section = report.split("## 1.")[1].split("## 2.")[0]
    assert "(no trace rows mention it)" not in section
    assert f"RequestVoteReply(term={violation['term']}, granted=True)" in section
    assert "| campaign_started |" in section and "| became_leader |" in section
    assert "Inevitable from" in section
    assert "voted twice in term" in section and "in between (its vote forgotten)" in section
