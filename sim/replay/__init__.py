"""Replays: a traced run directory as one self-contained web page (``quorumsim replay DIR``
writes DIR/replay.html) that shows the run unfold: roles and epochs, messages in flight, faults,
the replicas' logs and the clients' requests. docs/replay.md says what the page shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.replay.page import replay_html, write_replay
from sim.replay.trace import ReplayError


def show(run_dir: str | Path, height: int = 900) -> Any:
    """The replay of ``run_dir`` inline in a notebook: an IPython HTML object holding an
    iframe whose ``srcdoc`` is the page (nothing is written to the run directory)."""
    import html

    from IPython.display import HTML

    page = replay_html(Path(run_dir))
    return HTML(
        f'<div><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="width:100%;height:{height}px;border:1px solid #ccc"></iframe></div>'
    )


__all__ = ["ReplayError", "replay_html", "show", "write_replay"]
