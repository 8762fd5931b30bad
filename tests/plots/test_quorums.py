"""The quorum picture: every node drawn once, the shared ones marked."""

from __future__ import annotations

import pytest

from sim.plots import quorum_overlap


def _counts(n: int, q: int, shift: int | None = None) -> dict[str, int]:
    ax = quorum_overlap(n, q, shift).axes[0]
    return {c.get_label(): len(c.get_offsets()) for c in ax.collections}


@pytest.mark.parametrize(("n", "q"), [(5, 3), (7, 4), (6, 4), (9, 5)])
def test_majorities_share_at_least_two_q_minus_n(n: int, q: int) -> None:
    """By default B is placed to overlap A least: they still share 2q - n nodes."""
    counts = _counts(n, q)
    assert sum(counts.values()) == n
    assert counts["in both"] == 2 * q - n


def test_small_quorums_can_be_disjoint() -> None:
    """Two of five: no shared node; the title says split brain."""
    counts = _counts(5, 2)
    assert "in both" not in counts and counts["in A only"] == counts["in B only"] == 2
    assert "split brain" in quorum_overlap(5, 2).axes[0].get_title()
    assert _counts(5, 3, shift=1)["in both"] == 2
