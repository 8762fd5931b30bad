"""Text labels that do not print over each other: each label tries a few offsets from its point
and takes the first that overlaps no label placed before it; one that fits nowhere is hidden
(a figure with a hidden label still says everything its legend and title say)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

# Offsets in points from the labelled point, nearest first: above right, below right, then
# further up and down; each also tried to the left of the point (near the right edge).
OFFSETS = ((2, 3), (2, -9), (2, 10), (2, -16), (2, 17), (2, -23), (2, 24))


def place(
    fig: Figure, labels: Sequence[Annotation], offsets: Sequence[tuple[float, float]] = OFFSETS
) -> int:
    """Move each of ``labels`` (annotations in ``offset points``) to its first free offset, in
    the order given: inside its axes if it can be, else anywhere free; returns how many were
    hidden for lack of room."""
    if not labels:
        return 0
    fig.draw_without_rendering()  # lays the figure out, so that extents are final
    renderer = fig._get_renderer()  # type: ignore[attr-defined]
    taken: list[Bbox] = []
    hidden = 0
    tries: list[tuple[float, float, Literal["left", "right"]]] = [
        (dx, dy, "left") for dx, dy in offsets
    ] + [(-dx, dy, "right") for dx, dy in offsets]
    for label in labels:
        if not _shown(label):
            continue
        inside = label.axes.bbox if label.axes is not None else None
        free = []
        for dx, dy, align in tries:
            label.xyann = (dx, dy)
            label.set_horizontalalignment(align)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in taken):
                free.append((dx, dy, align, box))
                if inside is None or _within(box, inside):
                    break
        else:
            free = free[:1]  # nowhere inside the axes: the nearest free place outside
        if not free:
            label.set_visible(False)
            hidden += 1
            continue
        dx, dy, align, box = free[-1]
        label.xyann = (dx, dy)
        label.set_horizontalalignment(align)
        taken.append(box)
    return hidden


def _within(box: Bbox, outer: Bbox) -> bool:
    return bool(
        box.x0 >= outer.x0 and box.x1 <= outer.x1 and box.y0 >= outer.y0 and box.y1 <= outer.y1
    )


def visible_boxes(fig: Figure, labels: Sequence[Annotation]) -> list[Bbox]:
    """The display boxes of the labels that are shown (for tests and for `place` itself)."""
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # type: ignore[attr-defined]
    return [
        label.get_window_extent(renderer)
        for label in labels
        if label.get_visible() and _shown(label)
    ]


def _shown(label: Annotation) -> bool:
    """Whether the labelled point is inside its axes (a label outside is clipped away)."""
    ax = label.axes
    if ax is None:
        return False
    x, y = ax.transData.transform(label.xy)
    return bool(ax.bbox.contains(x, y))
