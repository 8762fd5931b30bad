"""The ``quorumsim`` command: parses arguments, prints, sets exit codes. No simulation logic.

Exit codes: 0 ran and met ``checks.expect``; 1 a safety result other than the one expected (or a
history that is not linearizable); 2 bad input, with one line per problem on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sim.experiment.rundir import default_run_dir
from sim.scenario import ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="quorumsim: a discrete-event simulator for consensus experiments.",
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

BAD_INPUT = 2


def _fail_input(problems: list[str]) -> None:
    for line in problems:
        err.print(line, markup=False)
    raise typer.Exit(BAD_INPUT)


@app.command()
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
) -> None:
    """Run one scenario, write its run directory and print a summary."""
    from sim.experiment.run import run as run_scenario

    try:
        scenario = load_scenario(file, overrides=set_ or [], seed=seed)
    except ScenarioError as error:
        _fail_input([str(p) for p in error.problems])
    target = out_dir or default_run_dir(Path("results"), scenario.name, scenario.seed)
    result = run_scenario(scenario, out=target, trace=trace or None, argv=sys.argv)
    if quiet:
        out.print(str(target), markup=False)
    else:
        _print_summary(result.summary, target)
    if not result.as_expected:
        expected = scenario.checks.expect
        err.print(f"safety: expected {expected}, got {'safe' if result.safe else 'unsafe'}")
        raise typer.Exit(1)


def _print_summary(summary: dict[str, Any], directory: Path) -> None:
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
        (
            "commit ms",
            f"mean {ms(summary['commit_latency_ms']['mean'])}  "
            f"p99 {ms(summary['commit_latency_ms']['p99'])}",
        ),
    ]
    if summary["elections"]["count"]:
        recovery = summary["elections"]["leader_recovery_ms"]
        rows.append(
            (
                "elections",
                f"{summary['elections']['count']} terms with an election, "
                f"{len(recovery)} leader recoveries",
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


@app.command()
def protocols() -> None:
    """List the protocols and their parameters with defaults."""
    from sim.protocols.registry import get_protocol, protocol_names

    for name in protocol_names():
        cls = get_protocol(name)
        doc = (cls.__doc__ or sys.modules[cls.__module__].__doc__ or "").strip()
        out.print(f"[bold]{name}[/bold]  {doc.splitlines()[0] if doc else ''}")
        for param, info in cls.Params.model_fields.items():
            default = json.dumps(info.default) if info.default is not None else "none"
            out.print(f"  {param} = {default}", markup=False)
            if info.description:
                out.print(f"      {info.description}", markup=False, style="dim")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from sim.scenario.schema import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


@app.command()
def plot(
    directory: Annotated[Path, typer.Argument(help="a run directory")],
    svg: Annotated[bool, typer.Option("--svg", help="also write SVG")] = False,
) -> None:
    """Draw the figures of a run directory into DIR/plots/."""
    if not (directory / "summary.json").is_file():
        _fail_input([f"{directory}: not a run directory (no summary.json)"])
    from sim.plots import save_run_plots

    for path in save_run_plots(directory, svg=svg):
        out.print(str(path), markup=False)


def main() -> None:
    app()
