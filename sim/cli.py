"""The ``quorumsim`` command: parses arguments, prints, sets exit codes. No simulation logic.

Exit codes: 0 ran and met ``checks.expect``; 1 a safety result other than the one expected (or a
history that is not linearizable); 2 bad input, with one line per problem on stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sim.experiment.rundir import default_run_dir
from sim.metrics.liveness import liveness_warnings
from sim.metrics.summary import latency_figures
from sim.outputs import OutputRefused, claim, is_run_dir
from sim.scenario import ScenarioError, load_scenario

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sim.experiment.sweep import SweepProgress, SweepResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="quorumsim: a discrete-event simulator for consensus experiments.",
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

BAD_INPUT = 2


def _writes(command: Callable[..., None]) -> Callable[..., None]:
    """For a command that writes files: a path quorumsim may not write at (sim.outputs) is bad
    input, refused before anything was written."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except OutputRefused as refused:
            _fail_input([str(refused)])

    return guarded


def _print_version(value: bool) -> None:
    if value:
        from sim.version import __version__

        out.print(f"quorumsim {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """quorumsim: a discrete-event simulator for consensus experiments."""


def _fail_input(problems: list[str]) -> None:
    for line in problems:
        err.print(line, markup=False)
    raise typer.Exit(BAD_INPUT)


@app.command()
@_writes
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
    from sim.core.loop import NoProgress
    from sim.experiment.run import run as run_scenario

    try:
        scenario = load_scenario(file, overrides=set_ or [], seed=seed)
    except ScenarioError as error:
        _fail_input([str(p) for p in error.problems])
    target = out_dir or default_run_dir(Path("results"), scenario.name, scenario.seed)
    claim(target, is_run_dir, "a run directory")  # now, not after the run has been waited for
    try:
        result = run_scenario(scenario, out=target, trace=trace or None, argv=sys.argv)
    except NoProgress as stalled:  # the scenario's fault, but found only by running it
        err.print(f"{file}: {stalled}", markup=False)
        raise typer.Exit(1) from None
    except OSError as error:
        _fail_input([f"{target}: cannot write the run directory ({error.strerror or error})"])
    if quiet:
        out.print(str(target), markup=False)
    else:
        _print_summary(result.summary, target)
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
@_writes
def sweep(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML) with a `sweep:` section")],
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: one per core; 1: in this process)"),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="run on a Dask scheduler, e.g. tcp://host:8786"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="write the sweep here (default results/<name>/sweep-<time>)"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="keep the runs already complete in --out DIR")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a key: cluster.nodes=7")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="print only the sweep directory")] = False,
) -> None:
    """Run every point of the scenario's sweep with each of its seeds, in parallel; write
    runs.csv, points.csv and the run directories, and print the points."""
    import shlex
    import signal

    from sim.experiment.sweep import (
        ResumeRefused,
        SweepInterrupted,
        default_sweep_dir,
        stop_signals,
    )
    from sim.experiment.sweep import sweep as run_sweep

    if resume and out_dir is None:
        _fail_input(["--resume needs --out DIR: the directory of the sweep to resume"])
    if dask is not None and workers is not None:
        _fail_input(["--workers and --dask: choose one (a Dask cluster has its own workers)"])
    try:
        scenario = load_scenario(file, overrides=set_ or [])
    except ScenarioError as error:
        _fail_input([str(p) for p in error.problems])
    target = out_dir or default_sweep_dir(Path("results"), scenario.name)
    try:
        # The signals first: SIGTERM must find the pool's workers nowhere without a stop.
        with (
            stop_signals(),
            _sweep_executor(workers, dask) as executor,
            _progress_bar(quiet) as progress,
        ):
            result = run_sweep(
                scenario, executor, out=target, resume=resume, progress=progress, argv=sys.argv
            )
    except ScenarioError as error:
        _fail_input([str(p) for p in error.problems])
    except FileExistsError:
        _fail_input([f"{target}: holds a sweep already (add --resume, or choose another --out)"])
    except ResumeRefused as refused:
        _fail_input([str(refused)])
    except SweepInterrupted as interrupted:
        done, total = len(interrupted.result.runs), interrupted.result.total
        name = signal.Signals(interrupted.signum).name
        err.print(
            f"interrupted ({name}): {done} of {total} runs kept in {target}",
            markup=False,
            emoji=False,
        )
        # The same command, from the parsed options (not sys.argv, whose first word may be a
        # path to an interpreter's script), so that the rest is run with the same settings.
        again = ["quorumsim", "sweep", str(file)]
        for override in set_ or []:
            again += ["--set", override]
        if workers is not None:
            again += ["--workers", str(workers)]
        if dask is not None:
            again += ["--dask", dask]
        if quiet:
            again.append("--quiet")
        again += ["--out", str(target), "--resume"]
        err.print(f"to finish: {shlex.join(again)}", markup=False, emoji=False)
        raise typer.Exit(128 + interrupted.signum) from None  # as a shell reports the signal
    if quiet:
        out.print(str(target), markup=False)
    else:
        _print_points(result, scenario.name, target)
    if result.failed:
        err.print(f"{result.failed} runs failed (their errors are in runs.csv)")
    if result.unexpected:
        err.print(f"{result.unexpected} runs: a safety result other than the one expected")
    if not result.ok:
        raise typer.Exit(1)


@contextlib.contextmanager
def _sweep_executor(workers: int | None, dask: str | None) -> Iterator[Executor | None]:
    """A Dask cluster's executor, or a local process pool, or (one worker) none at all."""
    from sim.experiment.sweep import process_pool

    if dask is not None:
        try:
            from distributed import Client
        except ImportError:
            _fail_input(["--dask needs the distributed package: pip install 'quorumsim[dask]'"])
        try:
            client = Client(dask, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            _fail_input([f"--dask {dask}: cannot reach a Dask scheduler there ({error})"])
        with client:
            yield client.get_executor()
        return
    count = workers or os.cpu_count() or 1
    if count == 1:
        yield None
        return
    with process_pool(count) as pool:
        yield pool


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[SweepProgress], None] | None]:
    """Runs done of all, failures, time left; on stderr, so that stdout keeps the table."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if quiet:
        yield None
        return
    columns = (
        TextColumn("runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("runs", total=None, failed=0)

        def update(state: SweepProgress) -> None:
            bar.update(task, total=state.total, completed=state.done, failed=state.failed)

        yield update


def _print_points(result: SweepResult, name: str, directory: Path) -> None:
    points = result.points
    keys = list(points.columns[1 : points.columns.get_loc("runs")])
    table = Table(
        title=f"{name}: {len(result.runs)} runs at {len(points)} points (mean ± 95% interval)",
        title_justify="left",
    )
    for key in keys:
        table.add_column(key.rsplit(".", 1)[-1], no_wrap=True)
    counts = ("runs", "failed") if result.failed else ("runs",)
    for header in (*counts, "p50 ms", "p99 ms", "ops/s", "ops ok"):
        table.add_column(header, justify="right", no_wrap=True)
    figures = {"latency_ms.p50": ".2f", "latency_ms.p99": ".2f", "throughput_per_s": ".0f"}
    for point in points.to_dict("records"):
        cells = [str(point[k]) for k in keys] + [str(point[c]) for c in counts]
        for figure, spec in figures.items():
            mean, half = point.get(f"{figure}.mean"), point.get(f"{figure}.ci95")
            cells.append(_plus_minus(mean, half, spec))
        cells.append(_plus_minus(point.get("ops.ok.mean"), None, ".0f"))  # narrow: no interval
        table.add_row(*cells)
    out.print(table)
    out.print(f"results: {directory}", markup=False)


def _plus_minus(mean: Any, half: Any, spec: str) -> str:
    if mean is None or mean != mean:  # None or NaN: no ok run had the figure
        return "-"
    if half is None or half != half:  # one run: no interval
        return format(mean, spec)
    return f"{mean:{spec}} ± {half:{spec}}"


@app.command()
def check(
    history: Annotated[Path, typer.Argument(help="a history.jsonl file")],
) -> None:
    """Check a client history for linearizability (a key-value register per key)."""
    from sim.checks.history import HistoryError
    from sim.checks.linearizability import check_history_file

    if history.is_dir():
        _fail_input([f"{history}: is a directory, not a history file"])
    if not history.exists():
        _fail_input([f"{history}: no such file"])
    try:
        result = check_history_file(history)
    except HistoryError as error:
        _fail_input(str(error).splitlines())
    sys.stdout.write(result.explain() + "\n")  # plain: long lines stay whole for grep
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def protocols(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="protocols to show (default: every one known); a name or module:Class"),
    ] = None,
) -> None:
    """List the protocols (built in, installed packages', or a module:Class) and their
    parameters, each with its default and meaning."""
    from rich.markup import escape
    from rich.text import Text

    from sim.protocols.registry import (
        BadProtocol,
        UnknownProtocol,
        get_protocol,
        protocol_names,
        protocol_origin,
    )

    problems = []
    for name in names or protocol_names():
        try:
            cls = get_protocol(name)
        except (UnknownProtocol, BadProtocol) as error:  # an installed package may be broken
            problems.append(str(error))
            continue
        doc = (cls.__doc__ or sys.modules[cls.__module__].__doc__ or "").strip()
        out.print(f"[bold]{escape(name)}[/bold]  {escape(doc.splitlines()[0]) if doc else ''}")
        out.print(Text(f"  ({protocol_origin(name)})", style="dim"))
        for param, info in cls.Params.model_fields.items():
            if info.is_required():
                default = "(required)"
            else:
                value = info.get_default(call_default_factory=True)
                default = "none" if value is None else json.dumps(value, default=str)
            out.print(f"  {param} = {default}", markup=False)
            if info.description:
                out.print(f"      {info.description}", markup=False, style="dim")
    if problems:
        _fail_input(problems)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from sim.scenario.schema import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


@app.command()
@_writes
def plot(
    directory: Annotated[Path, typer.Argument(help="a run or sweep directory")],
    svg: Annotated[bool, typer.Option("--svg", help="also write SVG")] = False,
) -> None:
    """Draw the figures of a run or sweep directory into DIR/plots/ (PNG, and SVG with --svg)."""
    if not directory.is_dir():
        _fail_input([f"{directory}: no such directory"])
    is_run = (directory / "summary.json").is_file()
    if not is_run and not (directory / "runs.csv").is_file():
        _fail_input(
            [f"{directory}: not a run or sweep directory (no summary.json, no runs.csv in it)"]
        )
    from sim.plots import save_run_plots, save_sweep_plots

    save = save_run_plots if is_run else save_sweep_plots
    for path in save(directory, svg=svg):
        out.print(str(path), markup=False)


def main() -> None:
    app()
