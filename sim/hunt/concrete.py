"""A run's faults as an explicit `faults:` list, read back from its faults.csv rows.

Each row is a fault or an undo (``restart``, ``resume``, ``heal``, ``uncut``, ``<kind>-end``):
a fault is paired with the first later undo of the same targets, which gives its ``for``. The
nemesis's faults (random or aimed) thus become scripted faults on named nodes at the very times
they struck, which a shrinker can remove one by one. A row no entry can express (an empty target,
a kind this module does not know) is dropped; `shrink` then checks the list still reproduces the
run before it trusts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# fault kind -> the kind of the row its undo writes
_UNDO = {
    "crash": "restart",
    "lose_unsynced": "restart",
    "pause": "resume",
    "partition": "heal",
    "isolate": "heal",
    "cut": "uncut",
    "loss": "loss-end",
    "duplicate": "duplicate-end",
    "delay": "delay-end",
    "clock": "clock-end",
}
_PER_NODE = ("crash", "lose_unsynced", "pause")  # undone node by node (a node may restart early)


def concrete_faults(rows: Sequence[tuple[float, str, str]]) -> list[dict[str, Any]]:
    """The entries of `faults:` that make the faults of ``rows`` (at_ms, kind, targets), in time
    order."""
    # row -> the nodes (per-node undos) or "" (whole rows) some fault's undo took from it
    used: dict[int, set[str]] = {}
    entries: list[tuple[float, int, dict[str, Any]]] = []
    for i, (at, kind, text) in enumerate(rows):
        if kind not in _UNDO or i in used:
            continue
        if kind in _PER_NODE:
            nodes = text.split()
            torn = nodes[-1:] == ["torn"]  # a torn lose_unsynced (`n1 n2 torn`)
            for node in nodes[:-1] if torn else nodes:
                end = _undo_of(rows, i, _UNDO[kind], node, used)
                entries.append(
                    (at, i, _entry(at, kind, [node], end) | ({"torn": True} if torn else {}))
                )
            continue
        body = _body(kind, text)
        if body is not None:
            entries.append(
                (at, i, _entry(at, kind, body, _undo_of(rows, i, _UNDO[kind], None, used)))
            )
    for i, (at, kind, text) in enumerate(rows):
        taken = used.get(i, set())
        if kind == "restart":
            left = [node for node in text.split() if node not in taken]
            if left:
                entries.append((at, i, {"at": at, "restart": left}))
        elif kind == "heal" and text == "all" and not taken:
            entries.append((at, i, {"at": at, "heal": True}))
    return [entry for _, _, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def _undo_of(
    rows: Sequence[tuple[float, str, str]],
    start: int,
    undo: str,
    node: str | None,
    used: dict[int, set[str]],
) -> float | None:
    """The time of the first row after ``start`` that undoes it (of ``node`` alone, if given),
    noted in ``used``; None if none does."""
    text, struck = rows[start][2], rows[start][1]
    for j in range(start + 1, len(rows)):
        at, kind, undone = rows[j]
        if _voids(struck, kind, undone):
            return None  # lifted by a later fault: its own undo did nothing
        if kind != undo:
            continue
        taken = used.setdefault(j, set())
        if node is not None and node in undone.split() and node not in taken:
            taken.add(node)
            return at
        if node is None and undone == text and "" not in taken:
            taken.add("")
            return at
        if not taken:
            del used[j]
    return None


def _voids(struck: str, kind: str, text: str) -> bool:
    """Whether a row of ``kind`` lifts a ``struck`` fault in force: a newer partition replaces
    the one before, and a full heal lifts every partition, isolation and cut."""
    if struck == "partition" and kind == "partition":
        return True
    return struck in ("partition", "isolate", "cut") and kind == "heal" and text == "all"


def _entry(at: float, kind: str, body: Any, end: float | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at, kind: body}
    if end is not None:
        entry["for"] = end - at
    return entry


def _body(kind: str, text: str) -> Any:
    """The value of ``kind``'s key from its faults.csv text, None if it cannot be read."""
    try:
        if kind == "partition":
            groups = [group.split() for group in text.split(" | ")]
            return groups[:-1] if len(groups) > 1 else None  # the last group is the rest
        if kind == "isolate":
            return text.split() or None
        if kind == "cut":
            src, dst = text.split(" -> ")
            return {"from": src.split(), "to": dst.split()}
        if kind in ("loss", "duplicate"):
            return float(text.removeprefix("p="))
        if kind == "clock":
            nodes, factor = text.rsplit(" x", 1)
            return {"node": nodes.split(), "factor": float(factor)}
        if kind == "delay":
            sides, extra = text.rsplit(" +", 1)
            arrow = " <-> " if " <-> " in sides else " -> "
            src, dst = sides.split(arrow)
            body: dict[str, Any] = {"extra": float(extra.removesuffix("ms"))}
            if src != "all":
                body["from"] = src.split()
            if dst != "all":
                body["to"] = dst.split()
            if arrow == " <-> ":
                body["symmetric"] = True
            return body
    except ValueError:
        return None
    return None
