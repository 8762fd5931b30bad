"""The excerpt of a protocol invariant's violation: the epoch, the votes and the nodes it names.

A replica or linearizability finding names operations, and its excerpt follows them. A protocol
invariant (Raft's Election Safety, Leader Completeness, ...) names an epoch (``term``), nodes and
perhaps a slot (``index``): votes and elections carry no operation, so the excerpt follows those
instead: the leadership events of that epoch, the votes of that epoch (a message with a boolean
``granted`` and the epoch as ``term``: RequestVote's reply, a Paxos promise), the requests for
them, the decisions at the slot, and the faults that struck the nodes involved.

When it can tell, it names the earliest event after which the violation was inevitable: for two
leaders of one epoch, the vote that gave the second its majority (and the voter's restart, if
it voted twice); for a leader that lacks a decided entry, the last vote it won before it led.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sim.checks.report import EXCERPT_ROWS

LEADERSHIP = frozenset({"campaign_started", "became_leader", "follows", "stepped_down"})
NODE_FAULTS = frozenset({"crash", "restart", "lose_unsynced", "pause", "resume", "isolate"})


def explain(
    rows: Sequence[dict[str, Any]], violation: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]] | None:
    """The trace rows that show ``violation`` and the lines that say what made it inevitable;
    None for a violation that names no epoch (its operations tell the story)."""
    term = violation.get("term")
    if term is None or violation.get("ops"):
        return None
    index = violation.get("index")
    nodes = set(violation.get("nodes", []))
    times = [t for t in violation.get("times", []) if t is not None]
    end = max(times) if times else float("inf")
    votes = [r for r in rows if r["time"] <= end and _vote(r, term)]
    involved = nodes | {r["src"] for r in votes} | {r["dst"] for r in votes}
    starts = [
        r["time"]
        for r in rows
        if (r["event"] == "campaign_started" and r.get("epoch") == term)
        or (index is not None and r["event"] == "decide" and r.get("index") == index)
    ]
    start = min(starts) if starts else 0.0
    kept = [
        r
        for r in rows
        if start <= r["time"] <= end
        and (
            (r["event"] in LEADERSHIP and r.get("epoch") == term)
            or _vote(r, term)
            or _asks_vote(r, term)
            or (index is not None and r["event"] == "decide" and r.get("index") == index)
            or (r["event"] == "fault" and set(str(r.get("targets", "")).split()) & involved)
        )
    ]
    if len(kept) > EXCERPT_ROWS:  # as the operations' excerpt does: its first and last rows
        head = EXCERPT_ROWS // 3
        skipped = {"time": None, "event": "...", "skipped": len(kept) - EXCERPT_ROWS}
        kept = [*kept[:head], skipped, *kept[-(EXCERPT_ROWS - head) :]]
    return kept, _inevitable(rows, violation, term, end)


def _inevitable(
    rows: Sequence[dict[str, Any]], violation: dict[str, Any], term: int, end: float
) -> list[str]:
    nodes = violation.get("nodes", [])
    if not nodes:
        return []
    leader = nodes[-1] if violation["kind"] == "election_safety" else nodes[0]
    won = [r for r in rows if r["event"] == "deliver" and _vote(r, term) and r["dst"] == leader]
    won = [r for r in won if r["time"] <= end]
    if not won:
        return []
    last = won[-1]
    voters = ", ".join(sorted({r["src"] for r in won}))
    lines = [
        f"Inevitable from {last['time']:.3f} ms: {leader} received the last vote it won in "
        f"term {term}, from {last['src']} (votes from {voters})."
    ]
    if violation["kind"] == "election_safety":
        others = {n for n in nodes if n != leader}
        for voter in sorted({r["src"] for r in won}):
            before = [
                r
                for r in rows
                if r["event"] == "send" and _vote(r, term) and r["src"] == voter
                and r["dst"] in others and r["time"] <= last["time"]
            ]  # fmt: skip
            if before:
                lines.append(
                    f"{voter} voted twice in term {term}: for {before[0]['dst']} at "
                    f"{before[0]['time']:.3f} ms and for {leader} later"
                    + _restart_between(rows, voter, before[0]["time"], last["time"])
                    + "."
                )
    return lines


def _restart_between(rows: Sequence[dict[str, Any]], node: str, start: float, end: float) -> str:
    for r in reversed(rows):  # the latest restart: the one after which it voted again
        if (
            start <= r["time"] <= end
            and r["event"] == "fault"
            and r.get("fault") == "restart"
            and node in str(r.get("targets", "")).split()
        ):
            return f", restarting at {r['time']:.3f} ms in between (its vote forgotten)"
    return ""


def _vote(row: dict[str, Any], term: int) -> bool:
    """A granted vote of ``term`` sent or delivered."""
    if row["event"] not in ("send", "deliver"):
        return False
    msg = row.get("msg")
    return (
        dataclasses.is_dataclass(msg)
        and getattr(msg, "granted", None) is True
        and getattr(msg, "term", None) == term
    )


def _asks_vote(row: dict[str, Any], term: int) -> bool:
    """A request for a vote of ``term`` (a message naming its ``candidate``)."""
    if row["event"] != "send":
        return False
    msg = row.get("msg")
    return (
        dataclasses.is_dataclass(msg)
        and hasattr(msg, "candidate")
        and getattr(msg, "term", None) == term
    )
