"""`check`, `protocols`, `schema` and `plot`: the commands around runs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import app, fail_input, out, writes_files


@app.command()
@writes_files
def check(
    history: Annotated[
        Path, typer.Argument(help="a history: quorumsim's history.jsonl, Jepsen EDN, Porcupine kv")
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="jsonl (quorumsim's), edn (Jepsen/Knossos), porcupine-kv; auto: told from the "
            "content",
        ),
    ] = "auto",
    html: Annotated[
        Path | None,
        typer.Option("--html", help="also draw the check into this self-contained HTML page"),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="the data model (docs/checker.md): register, cas-register, store, kv, "
            "list-append, set, queue, an installed one, or module:Class (default: store, or kv "
            "for Porcupine kv logs)",
        ),
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout", help="give up after this long (e.g. 30s): verdict unknown, exit 3"
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="check the keys in this many processes")
    ] = 1,
) -> None:
    """Check a client history for linearizability against a data model (by default the
    simulator's key-value store); exit 3 when --timeout leaves the verdict unknown."""
    from sim.checks.formats import AUTO, FORMATS, read_operations
    from sim.checks.history import HistoryError
    from sim.checks.linearizability import check_operations
    from sim.checks.models import BadModel
    from sim.checks.picture import claim_picture, picture_data, write_picture

    if history.is_dir():
        fail_input([f"{history}: is a directory, not a history file"])
    if not history.exists():
        fail_input([f"{history}: no such file"])
    if format not in (AUTO, *FORMATS):
        fail_input([f"--format {format!r}: unknown (one of {AUTO}, {', '.join(FORMATS)})"])
    seconds = _check_timeout(timeout)
    if not 1 <= workers <= MAX_WORKERS:
        fail_input([f"--workers {workers}: out of range (1 to {MAX_WORKERS})"])
    if html is not None:
        claim_picture(html)  # refused before the work, not after it
    try:
        loaded = read_operations(history, format, model)
        result = check_operations(loaded.operations, loaded.model, seconds, workers)
    except HistoryError as error:
        fail_input(str(error).splitlines())
    except BadModel as error:
        fail_input([f"--model {model}: {error}" if model else str(error)])
    if html is not None:
        write_picture(html, picture_data(loaded.operations, result, str(history), loaded.model))
    sys.stdout.write(result.explain() + "\n")  # plain: long lines stay whole for grep
    if html is not None:
        sys.stdout.write(f"picture: {html}\n")
    if not result.ok:
        raise typer.Exit(1 if result.failures else UNDECIDED)


UNDECIDED = 3  # `check`'s exit status when the time limit left the verdict unknown
MAX_WORKERS = 256


def _check_timeout(timeout: str | None) -> float | None:
    """--timeout in seconds (None: no limit); bad input exits 2."""
    if timeout is None:
        return None
    from sim.units import parse_duration

    try:
        ms = parse_duration(timeout)
    except ValueError as error:
        fail_input([f"--timeout {timeout}: {error}"])
    if ms <= 0:
        fail_input([f"--timeout {timeout}: must be more than 0 (e.g. 30s)"])
    return ms / 1000


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
    from sim.plots.files import has_parquet_tables

    if is_run and has_parquet_tables(directory) and importlib.util.find_spec("pyarrow") is None:
        fail_input(
            [
                f"{directory}: its tables are Parquet files: reading them needs pyarrow "
                "(pip install 'quorumsim[parquet]')"
            ]
        )
    save = save_run_plots if is_run else save_sweep_plots
    for path in save(directory, svg=svg):
        out.print(str(path), markup=False)
