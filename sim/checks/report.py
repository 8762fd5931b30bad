"""Violation reports: what was violated, where and when, and the shortest excerpt of the trace
that shows it (violation.md in the run directory, with a message-sequence diagram beside it).

The excerpt keeps only trace rows about the operations and nodes of the violation, between the
first time one of those operations was invoked and the time the violation showed: the messages
that carried them, the decisions, the faults, the client's requests and replies.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sim.checks.linearizability import LinearizabilityResult
from sim.protocols.base import Op

EXCERPT_ROWS = 60  # beyond this the excerpt keeps its first and last rows
TRACE_KINDS_ALWAYS = frozenset({"fault", "became_leader", "stepped_down"})


class Decision(NamedTuple):
    """One replica's decision, as decisions.csv has it: who, when, which slot, which op."""

    node: str
    time: float
    index: Any
    op_id: Any


@dataclass
class Finding:
    """One violation, with what the excerpt should be about."""

    kind: str
    message: str
    op_ids: set[Any] = field(default_factory=set)
    nodes: list[str] = field(default_factory=list)
    end: float = math.inf  # when it showed
    details: list[str] = field(default_factory=list)  # extra lines for the report
    decisions: list[Decision] = field(default_factory=list)  # a disagreement's two decisions


def replica_findings(violations: Iterable[dict[str, Any]]) -> list[Finding]:
    """Findings from the replica and protocol invariants (summary.safety.violations)."""
    found = []
    for v in violations:
        times = [t for t in v.get("times", []) if t is not None]
        if "time" in v:
            times.append(v["time"])
        found.append(
            Finding(
                kind=v["kind"],
                message=v["message"],
                op_ids=set(v.get("ops", [])),
                nodes=list(v.get("nodes", [])),
                end=max(times) if times else math.inf,
                decisions=_decisions(v),
            )
        )
    return found


def _decisions(violation: dict[str, Any]) -> list[Decision]:
    """The conflicting decisions of a disagreement: its nodes, times and ops pair up, at its
    index. (Other kinds' nodes and times are elections or votes, not decisions.)"""
    if violation["kind"] != "agreement" or "ops" not in violation:
        return []
    where = zip(violation["nodes"], violation["times"], violation["ops"], strict=False)
    return [Decision(node, time, violation.get("index"), op) for node, time, op in where]


def linearizability_findings(
    result: LinearizabilityResult,
    history_op_ids: Sequence[int],
    op_nodes: dict[int, str],
) -> list[Finding]:
    """Findings from a failed linearizability check: per failing key, the operations the search
    could not order (and the last ones it did), mapped back to op ids through the history."""
    found = []
    for failure in result.failures:
        ops = [*failure.prefix_tail[-2:], *failure.stuck, *failure.needing[:4]]
        op_ids = {history_op_ids[op.index] for op in ops if op.index < len(history_op_ids)}
        ends = [op.complete_time for op in ops if math.isfinite(op.complete_time)]
        found.append(
            Finding(
                kind="linearizability",
                message=f"the history of key {failure.key!r} is not linearizable",
                op_ids=op_ids,
                nodes=sorted({op_nodes[i] for i in op_ids if i in op_nodes}),
                end=max(ends) if ends else math.inf,
                details=failure.explain().splitlines(),
            )
        )
    return found


def excerpt(rows: Sequence[dict[str, Any]], finding: Finding) -> list[dict[str, Any]]:
    """The trace rows (``{"time", "event", ...}``) that show ``finding``, in time order."""
    related = [r for r in rows if r["time"] <= finding.end and _about(r, finding)]
    if not related:
        return []
    start = min(r["time"] for r in related)
    kept = [
        r
        for r in rows
        if start <= r["time"] <= finding.end
        and (_about(r, finding) or r["event"] in TRACE_KINDS_ALWAYS)
    ]
    if len(kept) > EXCERPT_ROWS:
        head, tail = EXCERPT_ROWS // 3, EXCERPT_ROWS - EXCERPT_ROWS // 3
        middle = _skipping(kept[head:-tail], _pinned(finding))
        kept = [*kept[:head], *middle, *kept[-tail:]]
    return kept


def _pinned(finding: Finding) -> set[tuple[str, float, Any]]:
    """The rows no excerpt skips: the conflicting decisions, which its diagram rings."""
    return {(d.node, d.time, d.op_id) for d in finding.decisions}


def _skipping(
    rows: list[dict[str, Any]], pinned: set[tuple[str, float, Any]]
) -> list[dict[str, Any]]:
    """``rows`` as "... N rows skipped" markers, around those of them that are pinned."""
    kept: list[dict[str, Any]] = []
    skipped = 0
    for row in rows:
        if row["event"] == "decide" and (row["node"], row["time"], row["op_id"]) in pinned:
            if skipped:
                kept.append({"time": None, "event": "...", "skipped": skipped})
            kept.append(row)
            skipped = 0
        else:
            skipped += 1
    if skipped:
        kept.append({"time": None, "event": "...", "skipped": skipped})
    return kept


def _about(row: dict[str, Any], finding: Finding) -> bool:
    event = row["event"]
    if event in ("send", "deliver", "drop"):
        # Between the nodes of the violation: what the others saw is not part of the story.
        if len(finding.nodes) > 1 and not (
            row["src"] in finding.nodes and row["dst"] in finding.nodes
        ):
            return False
        return bool(finding.op_ids & _op_ids_in(row["msg"]))
    if "op_id" in row:
        return row["op_id"] in finding.op_ids
    return False


def _op_ids_in(value: Any) -> set[Any]:
    """The op ids a message carries (an Op anywhere inside it, e.g. Raft's entries)."""
    found: set[Any] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Op):
            found.add(item.op_id)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("type") == "Op":
                found.add(item.get("op_id"))
            else:
                stack.extend(item.values())
    return found


def render(
    summary: dict[str, Any],
    findings: list[Finding],
    excerpts: list[list[dict[str, Any]]],
    figures: list[str | None],
) -> str:
    """violation.md: a heading per finding, its message, details, excerpt and diagram."""
    lines = [
        f"# Safety violations: {summary['scenario']} (seed {summary['seed']})",
        "",
        f"Protocol `{summary['protocol']}` on {summary['nodes']} nodes; expected "
        f"`{summary['expect']}`. {len(findings)} finding(s) reported below"
        + (" (the first ones)." if len(findings) > 1 else "."),
        "",
        "Reproduce with `quorumsim run scenario.yaml --trace` in this directory.",
    ]
    for number, (finding, rows, figure) in enumerate(
        zip(findings, excerpts, figures, strict=True), start=1
    ):
        when = "" if math.isinf(finding.end) else f" at {finding.end:.3f} ms"
        lines += ["", f"## {number}. {finding.kind}{when}", "", finding.message]
        if finding.nodes:
            lines += ["", f"Nodes: {', '.join(finding.nodes)}."]
        if finding.op_ids:
            shown = ", ".join(str(i) for i in sorted(finding.op_ids, key=str))
            lines += [f"Operations: {shown}."]
        if finding.details:
            lines += ["", "```", *finding.details, "```"]
        if figure:
            lines += ["", f"![message sequence]({figure})"]
        lines += [
            "",
            f"Trace excerpt ({len(rows)} rows):",
            "",
            "| time ms | event | detail |",
            "|---:|---|---|",
        ]
        lines += [_row(r) for r in rows] or ["| | (no trace rows mention it) | |"]
    return "\n".join(lines) + "\n"


def _row(row: dict[str, Any]) -> str:
    if row["event"] == "...":
        return f"| | ... | {row['skipped']} rows skipped |"
    detail = {k: v for k, v in row.items() if k not in ("time", "event")}
    if "msg" in detail:
        detail["msg"] = _short(detail["msg"])
    detail = {k: f"{v:.3f}" if isinstance(v, float) else v for k, v in detail.items()}
    text = ", ".join(f"{k}={v}" for k, v in detail.items()).replace("|", "\\|")
    return f"| {row['time']:.3f} | {row['event']} | {text} |"


def _short(msg: Any) -> str:
    """A message as ``Type(field=..)`` with ops shown by id, short enough for a table cell."""
    if dataclasses.is_dataclass(msg) and not isinstance(msg, type):
        parts = []
        for f in dataclasses.fields(msg):
            value = getattr(msg, f.name)
            if isinstance(value, Op):
                value = f"op {value.op_id}"
            elif isinstance(value, tuple | list):
                value = f"[{len(value)} items]" if len(value) > 3 else [_short(v) for v in value]
            parts.append(f"{f.name}={value}")
        return f"{type(msg).__name__}({', '.join(parts)})"
    return str(msg)
