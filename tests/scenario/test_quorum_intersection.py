"""Quorums that can be disjoint are refused at validation, unless a teaching scenario says
`cluster.unsafe: true`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario


def _file(tmp_path: Path, cluster: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"name: q\ncluster: {cluster}\n")
    return path


def test_two_of_five_is_refused_naming_two_disjoint_quorums(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as error:
        load_scenario(_file(tmp_path, "{nodes: 5, params: {quorum: 2}}"))
    [problem] = [str(p) for p in error.value.problems]
    assert ":2:38: cluster.params.quorum: two quorums of 2 of 5 nodes can be disjoint" in problem
    assert "{n1, n2} and {n3, n4}" in problem and "cluster.unsafe: true" in problem


@pytest.mark.parametrize(("nodes", "quorum"), [(5, 3), (4, 3), (6, 4), (2, 2)])
def test_quorums_that_always_meet_are_accepted(tmp_path: Path, nodes: int, quorum: int) -> None:
    """2 x quorum > n: every two quorums share a node."""
    load_scenario(_file(tmp_path, f"{{nodes: {nodes}, params: {{quorum: {quorum}}}}}"))


@pytest.mark.parametrize(("nodes", "quorum"), [(4, 2), (6, 3), (3, 1)])
def test_half_or_less_is_refused(tmp_path: Path, nodes: int, quorum: int) -> None:
    with pytest.raises(ScenarioError, match="can be disjoint"):
        load_scenario(_file(tmp_path, f"{{nodes: {nodes}, params: {{quorum: {quorum}}}}}"))


def test_unsafe_allows_it_for_teaching(tmp_path: Path) -> None:
    scenario = load_scenario(_file(tmp_path, "{nodes: 5, params: {quorum: 2}, unsafe: true}"))
    assert scenario.cluster.unsafe


@pytest.mark.parametrize("nodes", range(1, 10))
def test_the_articles_and_the_majority_rule_always_meet(tmp_path: Path, nodes: int) -> None:
    """The article's rule (len(peers)//2 + 1 acknowledgments plus the proposer) is a majority
    on every cluster size, as is `majority` (one node: the article's rule is rejected for
    another reason, it needs a peer)."""
    load_scenario(_file(tmp_path, f"{{nodes: {nodes}, params: {{quorum: majority}}}}"))
    if nodes > 1:
        load_scenario(_file(tmp_path, f"{{nodes: {nodes}, params: {{quorum: article}}}}"))
