"""`quorumsim replay DIR` without a browser: the file it writes (self-contained, deterministic,
its data the trace's), what it refuses (with the file, line and key, exit 2, nothing written),
and the hint `run --trace` prints."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.replay import show
from sim.replay.page import FIRST_LINE
from tests.conftest import SCENARIOS

runner = CliRunner()


def _data(page: Path) -> dict[str, Any]:
    """The run's data as the page embeds it."""
    payload = re.search(r'id="replay-data"[^>]*>([^<]*)<', page.read_text(encoding="utf-8"))
    assert payload is not None
    return json.loads(gzip.decompress(base64.b64decode(payload.group(1))))


@pytest.fixture
def copy(split_brain: Path, tmp_path: Path) -> Path:
    """A copy of the split brain's run directory, to spoil."""
    target = tmp_path / "run"
    shutil.copytree(split_brain, target)
    return target


def _refused(directory: Path, *expected: str) -> str:
    started = time.monotonic()
    result = runner.invoke(app, ["replay", str(directory)])
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    for part in expected:
        assert part in message, message
    assert not list(directory.glob(".replay.html.*")) if directory.is_dir() else True
    return message


def test_writes_a_self_contained_page(split_brain: Path) -> None:
    """The page needs nothing from the network: no linked file, no URL fetched, and it starts
    with the line that marks it as quorumsim's."""
    text = (split_brain / "replay.html").read_text(encoding="utf-8")
    assert text.startswith(FIRST_LINE + "\n")
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(|fetch\(|XMLHttpRequest", text)
    assert set(re.findall(r"https?://[^\s\"'`]+", text)) == {"http://www.w3.org/2000/svg"}


def test_the_same_run_gives_the_same_bytes(copy: Path) -> None:
    """Replaying twice gives identical bytes (and quorumsim replaces its own page)."""
    before = (copy / "replay.html").read_bytes()
    result = runner.invoke(app, ["replay", str(copy)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(copy / "replay.html")
    assert (copy / "replay.html").read_bytes() == before


def test_the_data_is_the_trace(split_brain: Path) -> None:
    """The embedded tables hold every send, drop, decision and fault of the trace."""
    data = _data(split_brain / "replay.html")
    counts: dict[str, int] = {}
    with (split_brain / "trace.jsonl").open() as file:
        for line in file:
            event = json.loads(line)["event"]
            counts[event] = counts.get(event, 0) + 1
    assert len(data["send"]["t"]) == counts["send"]
    assert len(data["drop"]["t"]) == counts["drop"]
    assert len(data["decide"]["t"]) == counts["decide"]
    assert [f[1] for f in data["faults"]] == ["partition", "heal"]
    assert set(data["drop"]["of"]) == {-1}  # the partition drops them at the sender
    assert data["meta"]["epochs"] is False and data["meta"]["timeout"] is None


def test_a_drop_at_a_crashed_node_is_its_send(raft_faults: Path) -> None:
    """A message that reached a crashed node is matched to its send (it fades at the
    receiver), found in the trace as a delivery followed by a drop."""
    data = _data(raft_faults / "replay.html")
    drop, send = data["drop"], data["send"]
    crashed = [i for i, r in enumerate(drop["r"]) if data["reasons"][r] == "crashed"]
    assert crashed
    for i in crashed:
        j = drop["of"][i]
        assert j >= 0 and send["a"][j] == drop["t"][i] and send["d"][j] == drop["d"][i]
    assert data["meta"]["timeout"] == [150.0, 300.0] and data["meta"]["epochs"] is True


def test_an_untraced_run_is_refused(tmp_path: Path) -> None:
    """A run without trace.jsonl: exit 2, saying to run it again with --trace."""
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["run", str(SCENARIOS / "quickstart.yaml"), "--set", "duration=200ms", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "quorumsim replay" not in result.output
    _refused(out, f"{out}: the run was not traced (no trace.jsonl)", "--trace")
    assert not (out / "replay.html").exists()


def test_run_trace_prints_the_replay_command(tmp_path: Path) -> None:
    """`run --trace` ends its summary with the command that writes the replay."""
    out = tmp_path / "run"
    args = ["run", str(SCENARIOS / "quickstart.yaml"), "--set", "duration=200ms"]
    result = runner.invoke(app, [*args, "--out", str(out), "--trace"])
    assert result.exit_code == 0, result.output
    assert f"replay: quorumsim replay {out}" in result.output


def test_not_a_run_directory(tmp_path: Path) -> None:
    """A missing directory and one without summary.json are refused, saying which."""
    _refused(tmp_path / "nowhere", "no such directory")
    _refused(tmp_path, f"{tmp_path}: not a run directory (no summary.json in it)")


def test_a_page_quorumsim_did_not_write_is_kept(copy: Path) -> None:
    """A replay.html of the user's own is not replaced."""
    (copy / "replay.html").write_text("<html>my notes</html>")
    _refused(copy, "replay.html: is a file quorumsim did not write")
    assert (copy / "replay.html").read_text() == "<html>my notes</html>"


def test_a_symlinked_page_is_refused(copy: Path, tmp_path: Path) -> None:
    """replay.html as a symbolic link (to a file elsewhere) is refused, the file untouched."""
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text(FIRST_LINE + "\nmine")
    (copy / "replay.html").unlink()
    (copy / "replay.html").symlink_to(elsewhere)
    _refused(copy, "replay.html: is a symbolic link")
    assert elsewhere.read_text() == FIRST_LINE + "\nmine"


BAD_ROWS = [
    ("{not json", "1:2: not JSON"),
    ("[1, 2]", "1:1: a trace row is a JSON object, got a list"),
    ('{"event": "send"}', "1:1: time: missing (a finite number of ms >= 0)"),
    ('{"time": -1, "event": "fault"}', "1:2: time: got -1 (a finite number of ms >= 0)"),
    (
        '{"time": 1, "event": "send", "src": "n1", "dst": "n9", "arrive": 2}',
        '1:43: dst: got "n9" (one of the run\'s nodes: n1 n2 n3 n4 n5)',
    ),
    (
        '{"time": 5, "event": "send", "src": "n1", "dst": "n2", "arrive": 2}',
        "1:56: arrive: got 2 (a time no earlier than the send's)",
    ),
    (
        '{"time": 1, "event": "became_leader", "node": "n1", "epoch": "3"}',
        '1:53: epoch: got "3" (an integer)',
    ),
    ('{"time": 1, "event": "decide", "node": "n1", "index": 1}', "1:1: op_id: missing (an op id)"),
    ('{"time": NaN, "event": "x"}', "1:2: time: got NaN (a finite number of ms >= 0)"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_trace_row_is_named(copy: Path, row: str, message: str) -> None:
    """A bad row is refused with its line, column and key; the old page stays as it was."""
    before = (copy / "replay.html").read_bytes()
    (copy / "trace.jsonl").write_text(row + "\n")
    _refused(copy, f"{copy / 'trace.jsonl'}:{message}")
    assert (copy / "replay.html").read_bytes() == before


def test_hostile_traces(copy: Path) -> None:
    """A FIFO, a device and an endless line are refused at once, not waited on."""
    trace = copy / "trace.jsonl"
    trace.unlink()
    os.mkfifo(trace)
    _refused(copy, "trace.jsonl: is not a regular file")
    trace.unlink()
    trace.symlink_to("/dev/zero")
    _refused(copy, "trace.jsonl: is not a regular file")
    trace.unlink()
    trace.write_bytes(b"x" * (2 << 20))
    _refused(copy, "trace.jsonl:1:1: line longer than")
    trace.write_bytes(b'{"time": 1, "event": "\xff"}\n')
    _refused(copy, "trace.jsonl:1:23: not UTF-8 text")


def test_bad_summary_and_scenario(copy: Path) -> None:
    """A summary that is not JSON, or lacks its duration, and a scenario with bad nodes."""
    summary = copy / "summary.json"
    good = summary.read_text()
    summary.write_text("{")
    _refused(copy, "summary.json:1:2: not JSON")
    summary.write_text('{"nodes": 5}')
    _refused(copy, "summary.json:1:1: duration_ms: missing or not a number of ms >= 0")
    summary.write_text(good)
    (copy / "scenario.yaml").write_text("cluster: {nodes: [n1, n1]}\n")
    _refused(copy, "scenario.yaml:1:1: cluster.nodes: not a node count or a list of distinct")
    (copy / "scenario.yaml").write_text("cluster: [\n")
    _refused(copy, "scenario.yaml:2:1: not YAML")


def test_show_embeds_the_page(split_brain: Path) -> None:
    """`sim.replay.show` gives a notebook an iframe whose srcdoc is the whole page."""
    shown = show(split_brain)
    assert shown.data.startswith(
        '<div><iframe srcdoc="&lt;!DOCTYPE html&gt;&lt;!-- quorumsim replay'
    )
    assert "&lt;/html&gt;" in shown.data and "<script" not in shown.data


def test_the_wheel_carries_the_page_template(tmp_path: Path) -> None:
    """An installed quorumsim can write replays: its wheel holds the page's template files."""
    import zipfile

    from hatchling.builders.wheel import WheelBuilder

    from tests.conftest import ROOT

    wheel = next(WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("replay.html", "replay.css", "replay.js"):
        assert f"sim/replay/page/{name}" in names
