"""The replay page: the template (page/replay.html, .css, .js: package data) filled with a run's
data, gzip-compressed and base64-encoded (the page decodes it with the browser's own
DecompressionStream), written as one self-contained file beside the run's other files."""

from __future__ import annotations

import base64
import gzip
import html
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from sim.outputs import claim_file, starts_with, write_whole
from sim.replay.model import build
from sim.replay.rundir import read_run
from sim.replay.trace import read_trace

FIRST_LINE = "<!DOCTYPE html><!-- quorumsim replay: written by `quorumsim replay` -->"
"""How a replay.html quorumsim wrote begins: the only such file it overwrites."""
PAGE_NAME = "replay.html"


def _asset(name: str) -> str:
    return (files("sim.replay") / "page" / name).read_text(encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    """The page's text for ``data`` (`sim.replay.model.build`)."""
    packed = json.dumps(data, separators=(",", ":"), allow_nan=False).encode("utf-8")
    # mtime=0: the same run gives the same bytes.
    payload = base64.b64encode(gzip.compress(packed, compresslevel=9, mtime=0)).decode("ascii")
    meta = data["meta"]
    title = f"{meta['scenario']} ({meta['protocol']}, seed {meta['seed']}): quorumsim replay"
    template = _asset("replay.html")
    assert template.startswith(FIRST_LINE), "the template must begin with FIRST_LINE"
    return (
        template.replace("{{title}}", html.escape(title))
        .replace("/*{{css}}*/", _asset("replay.css"))
        .replace("/*{{js}}*/", _asset("replay.js").replace("</", "<\\/"))
        .replace("{{data}}", payload)
    )


def replay_html(directory: Path) -> str:
    """The replay page of a traced run directory, as text; ReplayError if it cannot be made."""
    info = read_run(directory)
    return render(build(info, read_trace(directory / "trace.jsonl", frozenset(info.nodes))))


def write_replay(directory: str | Path) -> Path:
    """Write ``DIR/replay.html`` for a traced run directory and return its path. Refuses (
    OutputRefused) to replace a replay.html that quorumsim did not write; ReplayError for a
    directory that cannot be replayed. The file appears whole or not at all."""
    directory = Path(directory)
    target = directory / PAGE_NAME
    if directory.is_dir():
        claim_file(target, starts_with(FIRST_LINE), "a replay page")
    text = replay_html(directory)
    write_whole(target, lambda file: file.write(text))
    return target
