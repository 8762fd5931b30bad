"""violation.md and its diagrams, written into a run directory when a run is not safe.

The excerpt needs the trace. A run without ``--trace`` is simulated once more with tracing on:
the run is a function of its scenario and seed, so the second run is the same run, and tracing
costs nothing when nothing goes wrong.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.checks.linearizability import LinearizabilityResult
from sim.checks.picture import write_run_picture
from sim.checks.report import (
    Finding,
    excerpt,
    linearizability_findings,
    render,
    replica_findings,
)
from sim.engine.simulation import Simulation
from sim.experiment.causes import explain
from sim.scenario.model import Scenario

MAX_FINDINGS = 3  # the first few: one more of the same kind teaches nothing new


def findings_of(
    summary: dict[str, Any],
    linearizability: LinearizabilityResult | None,
    history_op_ids: Sequence[int],
    requests: Sequence[tuple[Any, ...]],
) -> list[Finding]:
    found = replica_findings(summary["safety"]["violations"][:MAX_FINDINGS])
    if linearizability is not None and not linearizability.ok:
        op_nodes = {row[0]: row[2] for row in requests}
        found += linearizability_findings(linearizability, history_op_ids, op_nodes)
    return found[:MAX_FINDINGS] if found else []


def write_violation_report(
    directory: Path,
    scenario: Scenario,
    summary: dict[str, Any],
    findings: list[Finding],
    simulation: Simulation,
) -> None:
    """Write violation.md (and violation-N.png diagrams) into ``directory``."""
    import matplotlib.pyplot as plt

    from sim.plots.files import write_figures
    from sim.plots.sequence import sequence_diagram

    if not simulation.recorder.tracing:
        simulation = Simulation(scenario, trace=True).run()
    rows = [
        {"time": t, "event": kind, **fields} for t, kind, fields in simulation.recorder.trace_rows
    ]
    excerpts = [excerpt(rows, finding) for finding in findings]
    # A protocol invariant names an epoch and nodes, not operations: follow those instead.
    for i, violation in enumerate(summary["safety"]["violations"][: len(findings)]):
        cause = explain(rows, violation) if findings[i].kind == violation["kind"] else None
        if cause is not None:
            excerpts[i], findings[i].details = cause[0], [*findings[i].details, *cause[1]]
    figures: list[str | None] = []
    for number, (finding, shown) in enumerate(zip(findings, excerpts, strict=True), start=1):
        times = [r["time"] for r in shown if r["time"] is not None]
        if not times:
            figures.append(None)
            continue
        end = finding.end if math.isfinite(finding.end) else max(times)
        if finding.decisions:  # room past the last decision for its ring and label
            end += _typical_latency(rows)
        figure = sequence_diagram(
            shown,
            min(times),
            end,
            nodes=finding.nodes or None,
            title=f"{finding.kind}: the messages that show it",
            violation=_ringed(finding),
        )
        name = f"violation-{number}"
        write_figures({name: figure}, directory)
        plt.close(figure)
        figures.append(f"{name}.png")
    report = render(summary, findings, excerpts, figures)
    picture = None
    if summary.get("linearizable") is False:
        picture = write_run_picture(directory, simulation.recorder.history)
    if picture is not None:
        report += (
            f"\nThe history drawn, its longest linearizable prefix marked: [{picture}]({picture})\n"
        )
    (directory / "violation.md").write_text(report, encoding="utf-8")


def _typical_latency(rows: Sequence[dict[str, Any]]) -> float:
    """The median latency of the run's first messages (1 ms if it sent none)."""
    sends = (r for r in rows if r["event"] == "send")
    latencies = [float(r["arrive"]) - float(r["time"]) for r in itertools.islice(sends, 1000)]
    return statistics.median(latencies) if latencies else 1.0


def _ringed(finding: Finding) -> dict[str, Any] | None:
    """What the sequence diagram rings: the finding's conflicting decisions, if it has them."""
    if not finding.decisions:
        return None
    return {
        "nodes": [d.node for d in finding.decisions],
        "times": [d.time for d in finding.decisions],
        "message": finding.message,
    }
