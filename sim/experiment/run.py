"""run(): build a simulation from a scenario, run it, check it, and (optionally) write its run
directory. The one place where the layers meet."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.checks.linearizability import LinearizabilityResult, check_records
from sim.engine.simulation import Simulation
from sim.experiment.manifest import manifest
from sim.experiment.rundir import atomic_directory
from sim.experiment.violations import findings_of, write_violation_report
from sim.metrics import leadership, tables
from sim.metrics.liveness import liveness
from sim.metrics.summary import latency_figures, outcome_counts, throughput
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """A finished run: its summary (summary.json as a dict), its tables, where it was written."""

    scenario: Scenario
    summary: dict[str, Any]
    request_rows: list[tuple[Any, ...]] = field(repr=False)
    decision_rows: list[tuple[Any, ...]] = field(repr=False)
    election_rows: list[tuple[Any, ...]] = field(repr=False)
    fault_rows: list[tuple[Any, ...]] = field(repr=False)
    history: list[dict[str, Any]] = field(repr=False)
    linearizability: LinearizabilityResult | None = field(default=None, repr=False)
    directory: Path | None = None

    @property
    def safe(self) -> bool:
        return bool(self.summary["safety"]["ok"]) and self.summary["linearizable"] is not False

    @property
    def as_expected(self) -> bool:
        """Whether the safety result is the one the scenario's ``checks.expect`` names."""
        return self.safe == (self.scenario.checks.expect == "safe")

    @property
    def live(self) -> bool:
        """Whether something completed ok and no stall exceeded ``checks.max_stall``."""
        return bool(self.summary["liveness"]["live"])

    @property
    def live_failed(self) -> bool:
        """Whether the run fails its liveness check: ``checks.live`` asked for and not live."""
        return self.scenario.checks.live and not self.live

    def _frame(self, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(rows, columns=list(columns))

    @property
    def requests(self) -> pd.DataFrame:
        return self._frame(tables.REQUEST_COLUMNS, self.request_rows)

    @property
    def decisions(self) -> pd.DataFrame:
        return self._frame(tables.DECISION_COLUMNS, self.decision_rows)

    @property
    def elections(self) -> pd.DataFrame:
        return self._frame(tables.ELECTION_COLUMNS, self.election_rows)

    @property
    def faults(self) -> pd.DataFrame:
        return self._frame(tables.FAULT_COLUMNS, self.fault_rows)


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario with every default filled in, as YAML that loads back to the same model."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    # PyYAML writes some characters (such as U+0085, a YAML line break) unescaped and reads them
    # back as something else; escaped output is uglier but always loads back the same.
    if yaml.safe_load(text) != data:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text


def run(
    scenario: Scenario,
    seed: int | None = None,
    *,
    out: str | Path | None = None,
    trace: bool | None = None,
    argv: list[str] | None = None,
) -> RunResult:
    """Run ``scenario`` (with ``seed`` instead of its own, if given). With ``out``, write the run
    directory there (replacing it whole, never leaving it half-written)."""
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    started = datetime.now(UTC)
    simulation = Simulation(scenario, trace=trace).run()
    recorder = simulation.recorder
    requests = recorder.requests + simulation.clients.unfinished()
    requests.sort(key=lambda row: row[0])
    elections = [
        (term, leader, started_ms, elected_ms)
        for term, (leader, started_ms, elected_ms) in sorted(recorder.elections.items())
    ]
    linearizability = _check_history(scenario, recorder.history)
    linearizable = None if linearizability is None else linearizability.ok
    yaml_text = resolved_yaml(scenario)
    summary = _summary(scenario, simulation, requests, elections, linearizable)
    summary["manifest"] = manifest(yaml_text, argv, started)
    result = RunResult(
        scenario=scenario,
        summary=summary,
        request_rows=requests,
        decision_rows=recorder.decisions,
        election_rows=elections,
        fault_rows=recorder.faults,
        history=recorder.history,
        linearizability=linearizability,
    )
    if out is not None:
        result.directory = Path(out)
        _write(result, simulation, yaml_text)
    return result


def _check_history(
    scenario: Scenario, history: list[dict[str, Any]]
) -> LinearizabilityResult | None:
    if not scenario.checks.linearizable:
        return None
    return check_records(history)


def _summary(
    scenario: Scenario,
    simulation: Simulation,
    requests: list[tuple[Any, ...]],
    elections: list[tuple[Any, ...]],
    linearizable: bool | None,
) -> dict[str, Any]:
    recorder, network = simulation.recorder, simulation.network
    leader_based = simulation.protocol_cls.leader_based
    outages = leadership.outages(recorder) if leader_based else []
    ops = outcome_counts(requests)
    ok_latencies = [row[8] for row in requests if row[-1] == "ok"]
    window = scenario.duration - scenario.workload.start
    safety_ok = recorder.safety.ok or not scenario.checks.safety
    return {
        "scenario": scenario.name,
        "protocol": scenario.cluster.protocol,
        "nodes": len(simulation.nodes),
        "seed": scenario.seed,
        "duration_ms": scenario.duration,
        "wall_s": round(simulation.wall_s, 3),
        "events": simulation.events,
        "messages": {
            "sent": network.sent,
            "delivered": network.delivered,
            "dropped": network.dropped,
            "duplicated": network.duplicated,
        },
        "ops": ops,
        "throughput_per_s": throughput(ops["ok"], window),
        "latency_ms": latency_figures(ok_latencies),
        "commit_latency_ms": latency_figures(recorder.commit_latencies),
        "decisions": len(recorder.decisions),
        "elections": {
            "count": len(elections),
            "split_votes": sum(1 for row in elections if row[1] is None),
            "leader_recovery_ms": [round(ms, 6) for ms in leadership.recoveries(outages)],
        },
        **(
            {"leadership": _leadership(recorder, outages, scenario.duration)}
            if leader_based
            else {}
        ),
        "faults": len(recorder.faults),
        "safety": {
            "ok": safety_ok,
            "checked": scenario.checks.safety,
            "violations": recorder.safety.violations if scenario.checks.safety else [],
        },
        "linearizable": linearizable,
        "expect": scenario.checks.expect,
        "liveness": liveness(
            requests,
            scenario.duration,
            scenario.checks.max_stall,
            scenario.checks.live,
            leadership.leaderless_ms(outages, scenario.duration) if leader_based else None,
        ),
    }


def _leadership(
    recorder: leadership.Records, outages: list[leadership.Outage], end_ms: float
) -> dict[str, Any]:
    """summary.json's ``leadership``: every outage (the first election's included; the last
    open if the run ended in one) and every node's reigns, for the timeline's leader strip."""
    first = outages[0] if outages and outages[0].start_ms == 0.0 else None
    last = outages[-1] if outages and outages[-1].end_ms is None else None
    return {
        "first_leader_ms": 0.0 if first is None else _ms(first.end_ms),
        "open_outage_ms": None if last is None else _ms(end_ms - last.start_ms),
        "outages": [{"start_ms": _ms(o.start_ms), "end_ms": _ms(o.end_ms)} for o in outages],
        "reigns": [
            {"node": r.node, "term": r.term, "from_ms": _ms(r.from_ms), "to_ms": _ms(r.to_ms)}
            for r in leadership.reigns(recorder)
        ],
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _write(result: RunResult, simulation: Simulation, yaml_text: str) -> None:
    assert result.directory is not None
    with atomic_directory(result.directory) as staging:
        (staging / "scenario.yaml").write_text(yaml_text, encoding="utf-8")
        tables.write_csv(staging / "requests.csv", tables.REQUEST_COLUMNS, result.request_rows)
        tables.write_csv(staging / "decisions.csv", tables.DECISION_COLUMNS, result.decision_rows)
        if simulation.protocol_cls.leader_based:
            tables.write_csv(
                staging / "elections.csv", tables.ELECTION_COLUMNS, result.election_rows
            )
        tables.write_csv(staging / "faults.csv", tables.FAULT_COLUMNS, result.fault_rows)
        tables.write_jsonl(staging / "history.jsonl", result.history)
        if simulation.recorder.tracing:
            tables.write_jsonl(
                staging / "trace.jsonl",
                (
                    {"time": t, "event": kind, **fields}
                    for t, kind, fields in simulation.recorder.trace_rows
                ),
            )
        if not result.safe:
            findings = findings_of(
                result.summary,
                result.linearizability,
                simulation.recorder.history_op_ids,
                result.request_rows,
            )
            write_violation_report(staging, result.scenario, result.summary, findings, simulation)
        with (staging / "summary.json").open("w", encoding="utf-8") as file:
            json.dump(tables.to_json(result.summary), file, indent=2)
            file.write("\n")
