"""`run` and `validate`: one scenario, its run directory and its printed summary."""

from __future__ import annotations

import enum
import importlib.util
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.app import BAD_INPUT, app, err, fail_input, out, writes_files


class TableFormat(enum.Enum):
    csv = "csv"
    parquet = "parquet"


@app.command()
@writes_files
def run(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    seed: Annotated[int | None, typer.Option(help="seed instead of the file's")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a key: cluster.nodes=7")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="write the run here (default results/<name>/<id>)")
    ] = None,
    trace: Annotated[bool, typer.Option("--trace", help="write trace.jsonl")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="print only the run directory")] = False,
    table_format: Annotated[
        TableFormat,
        typer.Option("--format", help="the tables as CSV, or Parquet (large runs; needs pyarrow)"),
    ] = TableFormat.csv,
) -> None:
    """Run one scenario, write its run directory and print a summary."""
    from sim.core.loop import NoProgress
    from sim.experiment.run import run as run_scenario
    from sim.experiment.rundir import default_run_dir
    from sim.metrics.liveness import liveness_warnings
    from sim.outputs import claim, is_run_dir
    from sim.scenario import ScenarioError, load_scenario

    if table_format is TableFormat.parquet and importlib.util.find_spec("pyarrow") is None:
        fail_input(["--format parquet: needs pyarrow (pip install 'quorumsim[parquet]')"])
    try:
        scenario = load_scenario(file, overrides=set_ or [], seed=seed)
    except ScenarioError as error:
        fail_input([str(p) for p in error.problems])
    target = out_dir or default_run_dir(Path("results"), scenario.name, scenario.seed)
    claim(target, is_run_dir, "a run directory")  # now, not after the run has been waited for
    try:
        result = run_scenario(
            scenario,
            out=target,
            trace=trace or None,
            argv=sys.argv,
            table_format=table_format.value,
        )
    except NoProgress as stalled:  # the scenario's fault, but found only by running it
        err.print(f"{file}: {stalled}", markup=False)
        raise typer.Exit(1) from None
    except OSError as error:
        fail_input([f"{target}: cannot write the run directory ({error.strerror or error})"])
    if quiet:
        out.print(str(target), markup=False)
    else:
        _print_summary(result.summary, target)
        if (target / "trace.jsonl").is_file():  # (--trace, or the scenario's output.trace)
            out.print(
                f"replay: quorumsim replay {shlex.quote(str(target))}", markup=False, soft_wrap=True
            )
    for warning in liveness_warnings(result.summary):
        err.print(warning, markup=False)
    if not result.as_expected:
        expected = scenario.checks.expect
        err.print(f"safety: expected {expected}, got {'safe' if result.safe else 'unsafe'}")
        raise typer.Exit(1)
    if result.live_failed:
        err.print("liveness: checks.live is set and the run was not live (see the warning above)")
        raise typer.Exit(1)


def _print_summary(summary: dict[str, Any], directory: Path) -> None:
    from rich.table import Table

    from sim.metrics.summary import latency_figures

    table = Table(
        title=f"{summary['scenario']} ({summary['protocol']}, {summary['nodes']} nodes, "
        f"seed {summary['seed']})",
        show_header=False,
        title_justify="left",
    )
    table.add_column("figure", style="bold")
    table.add_column("value")
    lat = summary["latency_ms"]
    ops = summary["ops"]
    msgs = summary["messages"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    rows = [
        (
            "simulated",
            f"{summary['duration_ms'] / 1000:g} s in {summary['wall_s']:.2f} s wall, "
            f"{summary['events']:,} events",
        ),
        (
            "messages",
            f"{msgs['sent']:,} sent, {msgs['delivered']:,} delivered, "
            f"{msgs['dropped']:,} dropped, {msgs['duplicated']:,} duplicated",
        ),
        ("operations", f"{ops['ok']:,} ok, {ops['fail']:,} fail, {ops['unknown']:,} unknown"),
        ("throughput", f"{summary['throughput_per_s']:.1f} ops/s"),
        (
            "latency ms",
            f"mean {ms(lat['mean'])}  p50 {ms(lat['p50'])}  p90 {ms(lat['p90'])}  "
            f"p99 {ms(lat['p99'])}  max {ms(lat['max'])}",
        ),
        *(
            (  # each client group's own: its site's links set what its clients wait
                f"  group {name}",
                f"mean {ms(group['latency_ms']['mean'])}  p50 {ms(group['latency_ms']['p50'])}  "
                f"p99 {ms(group['latency_ms']['p99'])}  ({group['ops']['ok']:,} ok)",
            )
            for name, group in summary.get("groups", {}).items()
        ),
        (
            "commit ms",  # proposed -> decided at the proposer (docs/spec.md)
            f"mean {ms(summary['commit_latency_ms']['mean'])}  "
            f"p99 {ms(summary['commit_latency_ms']['p99'])}  (proposed to decided)",
        ),
    ]
    if summary["elections"]["count"]:
        recovery = summary["elections"]["leader_recovery_ms"]
        rows.append(
            (
                "elections",
                f"{summary['elections']['count']} terms with an election, "
                f"{summary['elections'].get('split_votes', 0)} split votes",
            )
        )
        if recovery:
            figures = latency_figures(recovery)
            rows.append(
                (
                    "recovery ms",
                    f"{len(recovery)} leader recoveries: p50 {ms(figures['p50'])}  "
                    f"p99 {ms(figures['p99'])}  max {ms(figures['max'])}",
                )
            )
    if summary["faults"]:
        rows.append(("faults", f"{summary['faults']} applied"))
    safety = summary["safety"]
    verdict = "ok" if safety["ok"] else f"VIOLATED ({len(safety['violations'])} violations)"
    if not safety["checked"]:
        verdict = "not checked"
    rows.append(("replica safety", verdict))
    if safety["violations"]:
        rows.append(("first violation", safety["violations"][0]["message"]))
    live = summary.get("liveness")
    if live and live["invoked"]:
        stall = live["longest_stall_ms"]
        rows.append(
            (
                "liveness",
                f"{'ok' if live['live'] else 'NOT LIVE'}: {live['completed']:,} of "
                f"{live['invoked']:,} completed ok, longest stall {ms(stall)} ms"
                + (
                    f", {ms(live['leaderless_ms'])} ms without a leader"
                    if live["leaderless_ms"] is not None
                    else ""
                ),
            )
        )
    if summary["linearizable"] is not None:
        rows.append(("linearizable", "yes" if summary["linearizable"] else "NO"))
    rows.append(("expected", summary["expect"]))
    rows.append(("results", str(directory)))
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="scenario files to check")],
) -> None:
    """Check scenario files without running them."""
    from sim.scenario import ScenarioError, load_scenario

    bad = False
    for file in files:
        try:
            load_scenario(file)
        except ScenarioError as error:
            bad = True
            for problem in error.problems:
                err.print(str(problem), markup=False)
        else:
            out.print(f"ok {file}", markup=False)
    if bad:
        raise typer.Exit(BAD_INPUT)
