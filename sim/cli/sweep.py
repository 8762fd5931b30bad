"""`sweep`: a scenario's grid x seeds on a pool, Dask or in this process, with a progress bar and
the table of its points."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sim.experiment.sweep import SweepProgress, SweepResult

from sim.cli.app import app, err, fail_input, out, writes_files


@app.command()
@writes_files
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
    from sim.scenario import ScenarioError, load_scenario

    if resume and out_dir is None:
        fail_input(["--resume needs --out DIR: the directory of the sweep to resume"])
    if dask is not None and workers is not None:
        fail_input(["--workers and --dask: choose one (a Dask cluster has its own workers)"])
    try:
        scenario = load_scenario(file, overrides=set_ or [])
    except ScenarioError as error:
        fail_input([str(p) for p in error.problems])
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
        fail_input([str(p) for p in error.problems])
    except FileExistsError:
        fail_input([f"{target}: holds a sweep already (add --resume, or choose another --out)"])
    except ResumeRefused as refused:
        fail_input([str(refused)])
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
            fail_input(["--dask needs the distributed package: pip install 'quorumsim[dask]'"])
        try:
            client = Client(dask, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            fail_input([f"--dask {dask}: cannot reach a Dask scheduler there ({error})"])
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
    from rich.table import Table

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
