"""Ballots ``(round, node)`` as one integer that orders the same way, the epoch of the events.

A ballot is ``round * n + i`` for the node at index ``i`` of the sorted node names: rounds
compare first, and two nodes never share a ballot. 0 is "no ballot" (round 0 is never used).
"""

from __future__ import annotations


def make(round_: int, index: int, n: int) -> int:
    return round_ * n + index


def round_of(ballot: int, n: int) -> int:
    return ballot // n


def owner(ballot: int, nodes: tuple[str, ...]) -> str:
    """The node whose ballot this is: the only one that proposes in it."""
    return nodes[ballot % len(nodes)]


def show(ballot: int, nodes: tuple[str, ...]) -> str:
    """``(3, n2)`` for traces and violation messages."""
    return f"({round_of(ballot, len(nodes))}, {owner(ballot, nodes)})"
