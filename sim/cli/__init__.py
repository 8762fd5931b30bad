"""The ``quorumsim`` command: parses arguments, prints, sets exit codes. No simulation logic.

One module per group of commands, each registering on `app` (sim/cli/app.py), where the exit
statuses are said.
"""

from sim.cli import (  # noqa: F401  (each registers its commands on app)
    export,
    hunt,
    replay,
    run,
    sweep,
    tools,
)
from sim.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
