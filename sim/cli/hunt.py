"""`hunt`: a scenario over seeds until a run goes wrong, then that run shrunk to a minimal
scenario (sim.hunt)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import app, err, fail_input, out, writes_files

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sim.hunt import HuntProgress


@app.command()
@writes_files
def hunt(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML), e.g. a nemesis scenario")],
    seeds: Annotated[
        int | None, typer.Option(min=1, help="seeds to try, from the file's (default 100)")
    ] = None,
    time_limit: Annotated[
        str | None,
        typer.Option("--time", metavar="T", help="search this long at most, e.g. 30s or 5m"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: one per core; 1: in this process)"),
    ] = None,
    first: Annotated[
        int, typer.Option(min=1, help="stop once this many seeds went wrong (the first k)")
    ] = 1,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="write the hunt here (default results/<name>/hunt-<time>)"),
    ] = None,
    shrink_time: Annotated[
        str, typer.Option("--shrink-time", metavar="T", help="time for shrinking, e.g. 60s")
    ] = "60s",
    no_shrink: Annotated[
        bool, typer.Option("--no-shrink", help="report the bad seeds without shrinking")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a key: cluster.nodes=7")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="print only the hunt directory")] = False,
) -> None:
    """Run the scenario with seed after seed until a run violates safety (or `checks.live`, or
    raises), then shrink it to a minimal scenario; write DIR/minimal.yaml and its run directory.
    Exit 1 when something was found, 0 when every seed passed."""
    from sim.experiment.rundir import fresh_dir
    from sim.hunt import hunt as run_hunt
    from sim.hunt import shrink
    from sim.hunt.report import reproduce_command, write_hunt
    from sim.scenario import ScenarioError, load_scenario

    problems: list[str] = []
    search_s = _seconds("--time", time_limit, problems) if time_limit is not None else None
    shrink_s = _seconds("--shrink-time", shrink_time, problems)
    if problems:
        fail_input(problems)
    try:
        scenario = load_scenario(file, overrides=set_ or [])
    except ScenarioError as error:
        fail_input([str(p) for p in error.problems])
    if seeds is None and search_s is None:
        seeds = 100
    target = out_dir or fresh_dir(Path("results") / scenario.name, "hunt-{stamp}")
    from sim.hunt.report import is_hunt_dir
    from sim.outputs import claim

    claim(target, is_hunt_dir, "a hunt directory")  # refused before anything runs
    say = (lambda line: None) if quiet else (lambda line: err.print(line, markup=False))
    noted: list[int] = []
    try:
        with _executor(workers, noted) as (executor, count), _progress_bar(quiet) as progress:
            state = run_hunt(
                scenario,
                seeds=seeds,
                time_s=search_s,
                first=first,
                executor=executor,
                workers=count,
                progress=progress,
                stopped=lambda: bool(noted),
            )
    except KeyboardInterrupt:
        err.print("interrupted: nothing written", markup=False)
        raise typer.Exit(128 + (noted[0] if noted else 2)) from None
    if not state.found:
        write_hunt(target, str(file), scenario, state, None, sys.argv)
        say(f"{_seeds(state.done)} from {scenario.seed}: nothing found")
        out.print(str(target), markup=False)
        return
    for found in state.found:
        detail = f" ({found.error})" if found.error else ""
        say(
            f"seed {found.seed}: {', '.join(found.kinds)}{detail}, after {found.wall_s:.1f} s "
            f"and {_seeds(found.seed - scenario.seed + 1)}"
        )
    shrunk = None
    try:
        if not no_shrink:
            bad = scenario.model_copy(update={"seed": state.found[0].seed})
            say(f"shrinking seed {bad.seed} (at most {shrink_s:g} s)")
            shrunk = shrink(bad, budget_s=shrink_s, note=lambda line: say(f"  {line}"))
        write_hunt(target, str(file), scenario, state, shrunk, sys.argv)
    except KeyboardInterrupt:
        err.print("interrupted: nothing written", markup=False)
        raise typer.Exit(130) from None
    if shrunk is not None:
        say(f"before: {shrunk.before.text()}")
        say(f"after:  {shrunk.after.text()}")
        say(f"reproduce: {reproduce_command(target)}")
    out.print(str(target), markup=False)
    raise typer.Exit(1)


def _seeds(n: int) -> str:
    return f"{n} seed" + ("" if n == 1 else "s")


def _seconds(option: str, text: str, problems: list[str]) -> float:
    from sim.units import parse_duration

    try:
        ms = parse_duration(text)
    except (ValueError, TypeError) as error:
        problems.append(f"{option} {text}: {error} (a duration such as 30s or 5m)")
        return 0.0
    if ms <= 0:
        problems.append(f"{option} {text}: must be > 0 (a duration such as 30s or 5m)")
    return ms / 1000.0


@contextlib.contextmanager
def _executor(workers: int | None, noted: list[int]) -> Iterator[tuple[Executor | None, int]]:
    """A process pool (the sweeps' own: Ctrl-C stops its workers), or none at all. With a
    pool, SIGINT and SIGTERM are only noted in ``noted`` (the hunt stops between its waits, when
    it holds none of the pool's locks, as a sweep does)."""
    from sim.experiment.signals import handlers_replaced
    from sim.experiment.sweep import process_pool

    count = workers or os.cpu_count() or 1
    if count == 1:
        yield None, 1
        return

    def note(signum: int, frame: object) -> None:
        noted.append(signum)

    with handlers_replaced(note, keep_ignored=True), process_pool(count) as pool:
        yield pool, count


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[HuntProgress], None] | None]:
    """Seeds run (of all, when counted), bad seeds found, time; on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        yield None
        return
    columns = (
        TextColumn("seeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[found]} found"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("seeds", total=None, found=0)

        def update(state: HuntProgress) -> None:
            bar.update(task, total=state.total, completed=state.done, found=len(state.found))

        yield update
