"""The command-line application every command registers on, its consoles and its exit rules:
0 ran and met ``checks.expect``; 1 a safety result other than the one expected, a run that failed
``checks.live`` or stopped making progress (or a history that is not linearizable); 2 bad input,
with one line per problem on stderr; 3 (``check``) a time limit that left the verdict unknown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from sim.outputs import OutputRefused

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="quorumsim: a discrete-event simulator for consensus experiments.",
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # ":x:" stays text

BAD_INPUT = 2


def writes_files(command: Callable[..., None]) -> Callable[..., None]:
    """For a command that writes files: a path quorumsim may not write at (sim.outputs) is bad
    input, refused before anything was written."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except OutputRefused as refused:
            fail_input([str(refused)])

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


def fail_input(problems: list[str]) -> None:
    for line in problems:
        err.print(line, markup=False)
    raise typer.Exit(BAD_INPUT)
