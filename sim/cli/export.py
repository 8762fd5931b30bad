"""`export`: a run directory for ShiViz, Jepsen/Knossos or Porcupine (sim/export)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import app, fail_input, out, writes_files


@app.command()
@writes_files
def export(
    directory: Annotated[Path, typer.Argument(help="a run directory")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="shiviz (the trace, with vector clocks), edn (the history for Jepsen/Knossos) "
            "or porcupine (the history for Porcupine's kv model)",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--out", help="write to this file (default: standard output)"),
    ] = None,
) -> None:
    """Export a run directory's trace or history in another tool's format."""
    from sim.checks.history import HistoryError
    from sim.export import FORMATS, ExportError, export_lines, write_export
    from sim.export.history import ExportRefused

    if format not in FORMATS:
        fail_input([f"--format {format!r}: unknown (one of {', '.join(FORMATS)})"])
    if not directory.is_dir():
        fail_input([f"{directory}: no such directory"])
    try:
        lines = export_lines(directory, format)
        if output is None:
            write = sys.stdout.write
            for line in lines:
                write(line + "\n")
            return
        write_export(output, lines, format)
    except (ExportError, ExportRefused) as error:
        fail_input([str(error)])
    except HistoryError as error:
        fail_input(str(error).splitlines())
    out.print(str(output), markup=False)
