"""`replay`: a traced run directory as one web page, DIR/replay.html (sim.replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import app, fail_input, out, writes_files


@app.command()
@writes_files
def replay(
    directory: Annotated[Path, typer.Argument(help="a run directory written with --trace")],
) -> None:
    """Write DIR/replay.html: the run unfolding in any browser (roles, epochs, messages,
    faults, logs, client requests), one self-contained file."""
    from sim.replay import ReplayError, write_replay

    try:
        path = write_replay(directory)
    except ReplayError as error:
        fail_input([str(error)])
    except OSError as error:
        fail_input([f"{directory}: cannot write replay.html ({error.strerror or error})"])
    out.print(str(path), markup=False)
