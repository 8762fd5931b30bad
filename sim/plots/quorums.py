"""Why two majorities always share a node: two quorums drawn over ``n`` nodes on a circle."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.plots.style import FAULT_COLOR, PALETTE, describe, new_figure


def quorum_members(n: int, quorum: int, shift: int) -> tuple[set[int], set[int]]:
    """Quorum A: nodes 0..quorum-1; quorum B: ``quorum`` nodes from ``shift`` on (mod n)."""
    if not 1 <= quorum <= n:
        raise ValueError(f"a quorum has 1 to {n} nodes, not {quorum}")
    first = set(range(quorum))
    second = {(shift + i) % n for i in range(quorum)}
    return first, second


def quorum_overlap(n: int = 5, quorum: int = 3, shift: int | None = None) -> Figure:
    """Two quorums of ``quorum`` nodes out of ``n``; B starts ``shift`` nodes after A (default:
    the last ``quorum`` nodes, the smallest overlap there can be). Any two quorums share at least
    ``2 * quorum - n`` nodes: at least one exactly when a quorum is a majority."""
    if shift is None:
        shift = n - quorum
    first, second = quorum_members(n, quorum, shift)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    x, y = np.cos(angle), np.sin(angle)
    fig, ax = new_figure(4.6, 4.6)
    groups = {
        "in A only": (first - second, PALETTE[0]),
        "in B only": (second - first, PALETTE[1]),
        "in both": (first & second, PALETTE[2]),
        "in neither": (set(range(n)) - first - second, "white"),
    }
    for label, (members, face) in groups.items():
        if members:
            index = sorted(members)
            ax.scatter(x[index], y[index], s=500, c=face, edgecolors="black", label=label, zorder=3)
    for i in range(n):
        ax.annotate(f"n{i + 1}", (x[i], y[i]), ha="center", va="center", fontsize=8, zorder=4)
    shared = len(first & second)
    least = max(0, 2 * quorum - n)
    verdict = (
        f"they share {shared}; any two share >= {least}"
        if least
        else f"they share {shared}: two quorums can be disjoint (split brain)"
    )
    ax.set_title(f"Quorums of {quorum} of {n} nodes: {verdict}", fontsize=9)
    if not least and not shared:
        ax.title.set_color(FAULT_COLOR)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(fontsize=7, loc="lower center", ncols=4, markerscale=0.4, frameon=False)

    def named(members: set[int]) -> str:
        return ", ".join(f"n{i + 1}" for i in sorted(members)) or "none"

    describe(
        fig,
        f"{n} nodes on a circle; quorum A is {named(first)}, quorum B is {named(second)}; "
        f"both: {named(first & second)}. {verdict[0].upper()}{verdict[1:]}.",
    )
    return fig
