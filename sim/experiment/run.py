"""run(): build a simulation from a scenario, run it, check it, and (optionally) write its run
directory. The one place where the layers meet."""

from __future__ import annotations

import functools
import json
from array import array
from collections.abc import Sequence
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
from sim.metrics.summary import group_figures, latency_figures, outcome_counts, throughput
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """A finished run: its summary (summary.json as a dict), its tables, where it was written."""

    scenario: Scenario
    summary: dict[str, Any]
    # The tables that grow with the operations are columnar (sim.metrics.columns), each read as
    # a sequence of row tuples (history: of dicts).
    request_rows: Sequence[tuple[Any, ...]] = field(repr=False)
    decision_rows: Sequence[tuple[Any, ...]] = field(repr=False)
    election_rows: list[tuple[Any, ...]] = field(repr=False)
    fault_rows: list[tuple[Any, ...]] = field(repr=False)
    history: Sequence[dict[str, Any]] = field(repr=False)
    linearizability: LinearizabilityResult | None = field(default=None, repr=False)
    directory: Path | None = None
    group_of: tuple[str, ...] | None = field(default=None, repr=False)  # client -> its group

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

    def _frame(self, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(list(rows), columns=list(columns))

    @property
    def requests(self) -> pd.DataFrame:
        """requests.csv as a frame (with its ``group`` column when the workload has groups)."""
        if self.group_of is None:
            return self._frame(tables.REQUEST_COLUMNS, self.request_rows)
        rows = tables.with_groups(self.request_rows, self.group_of)
        return self._frame((*tables.REQUEST_COLUMNS, tables.GROUP_COLUMN), rows)

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
    """The scenario with every default filled in, as YAML that loads back to the same model.

    The runs of a sweep differ mostly in their seeds alone, and writing YAML took half of a
    short run: the text is made once per scenario but for the seed (its top-level ``seed:``
    line, put in afterwards), and kept for the next run of the same scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
    around = _yaml_around_seed(json.dumps({**data, "seed": None}))
    if around is None:
        return _yaml_text(data)
    before, after = around
    return f"{before}seed: {data['seed']}\n{after}"


@functools.lru_cache(maxsize=64)
def _yaml_around_seed(data_json: str) -> tuple[str, str] | None:
    """The YAML text of a scenario (as JSON, its seed None) before and after its seed's line;
    None if there is no such line."""
    data = json.loads(data_json)  # (a dump in JSON mode: it loads back the same)
    data["seed"] = 0
    text = _yaml_text(data)
    before, line, after = ("\n" + text).partition("\nseed: 0\n")
    return (before[1:] + "\n" if before else "", after) if line else None


def _yaml_text(data: dict[str, Any]) -> str:
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
    table_format: str = "csv",
) -> RunResult:
    """Run ``scenario`` (with ``seed`` instead of its own, if given). With ``out``, write the run
    directory there (replacing it whole, never leaving it half-written), its tables as CSV or
    (``table_format="parquet"``, with pyarrow installed) as Parquet files."""
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    started = datetime.now(UTC)
    simulation = Simulation(scenario, trace=trace).run()
    recorder = simulation.recorder
    recorder.safety.close()  # (memory: the summary's arrays come on top of what is kept)
    requests = recorder.requests
    requests.extend(simulation.clients.unfinished())
    requests.sort_by(0)  # (op id)
    elections = [
        (term, leader, started_ms, elected_ms)
        for term, (leader, started_ms, elected_ms) in sorted(recorder.elections.items())
    ]
    linearizability = _check_history(scenario, recorder.history)
    linearizable = None if linearizability is None else linearizability.ok
    yaml_text = resolved_yaml(scenario)
    summary = _summary(scenario, simulation, requests, elections, linearizable)
    group_of = getattr(simulation.clients, "group_of", None)
    if group_of is not None:
        windows = {
            group.label: scenario.duration - workload.start
            for group, workload in scenario.workload.group_workloads()
        }
        summary["groups"] = group_figures(requests, group_of, windows)
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
        group_of=getattr(simulation.clients, "group_of", None),
    )
    if out is not None:
        result.directory = Path(out)
        _write(result, simulation, yaml_text, table_format)
    return result


def _check_history(
    scenario: Scenario, history: Sequence[dict[str, Any]]
) -> LinearizabilityResult | None:
    if not scenario.checks.linearizable:
        return None
    return check_records(history)


def _summary(
    scenario: Scenario,
    simulation: Simulation,
    requests: Sequence[tuple[Any, ...]],
    elections: list[tuple[Any, ...]],
    linearizable: bool | None,
) -> dict[str, Any]:
    recorder, network = simulation.recorder, simulation.network
    leader_based = simulation.protocol_cls.leader_based
    outages = leadership.outages(recorder) if leader_based else []
    ops = outcome_counts(requests)
    ok_latencies = array("d", (row[8] for row in requests if row[-1] == "ok"))
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
            recovery=scenario.checks.recovery,
            healed_ms=recorder.faults[-1][0] if recorder.faults else 0.0,
            min_completion=scenario.checks.min_completion,
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


def _write(
    result: RunResult, simulation: Simulation, yaml_text: str, table_format: str = "csv"
) -> None:
    assert result.directory is not None
    write_table = tables.TABLE_WRITERS[table_format]
    with atomic_directory(result.directory) as staging:
        (staging / "scenario.yaml").write_text(yaml_text, encoding="utf-8")
        if result.group_of is None:
            write_table(staging / "requests", tables.REQUEST_COLUMNS, result.request_rows)
        else:
            write_table(
                staging / "requests",
                (*tables.REQUEST_COLUMNS, tables.GROUP_COLUMN),
                tables.with_groups(result.request_rows, result.group_of),
            )
        write_table(staging / "decisions", tables.DECISION_COLUMNS, result.decision_rows)
        if simulation.protocol_cls.leader_based:
            write_table(staging / "elections", tables.ELECTION_COLUMNS, result.election_rows)
        write_table(staging / "faults", tables.FAULT_COLUMNS, result.fault_rows)
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
