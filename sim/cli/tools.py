"""`check`, `protocols`, `schema` and `plot`: the commands around runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import app, fail_input, out, writes_files


@app.command()
def check(
    history: Annotated[Path, typer.Argument(help="a history.jsonl file")],
) -> None:
    """Check a client history for linearizability (a key-value register per key)."""
    from sim.checks.history import HistoryError
    from sim.checks.linearizability import check_history_file

    if history.is_dir():
        fail_input([f"{history}: is a directory, not a history file"])
    if not history.exists():
        fail_input([f"{history}: no such file"])
    try:
        result = check_history_file(history)
    except HistoryError as error:
        fail_input(str(error).splitlines())
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
        fail_input(problems)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from sim.scenario.schema import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


@app.command()
@writes_files
def plot(
    directory: Annotated[Path, typer.Argument(help="a run or sweep directory")],
    svg: Annotated[bool, typer.Option("--svg", help="also write SVG")] = False,
) -> None:
    """Draw the figures of a run or sweep directory into DIR/plots/ (PNG, and SVG with --svg)."""
    if not directory.is_dir():
        fail_input([f"{directory}: no such directory"])
    is_run = (directory / "summary.json").is_file()
    if not is_run and not (directory / "runs.csv").is_file():
        fail_input(
            [f"{directory}: not a run or sweep directory (no summary.json, no runs.csv in it)"]
        )
    from sim.plots import save_run_plots, save_sweep_plots

    save = save_run_plots if is_run else save_sweep_plots
    for path in save(directory, svg=svg):
        out.print(str(path), markup=False)
