"""The replay page in a real (headless) Chromium: at many times, what it shows (each node's role
and epoch, the messages in flight, the log grid and its conflicts) equals the state the oracle
works out from trace.jsonl; its controls move time as they say; the URL fragment holds the time.
Skipped without a browser, except under QUORUMSIM_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.replay.oracle import ROLE as LEADERSHIP
from tests.replay.oracle import rows, states
from tests.replay.page_state import expected, open_replay, shown


def _times(trace: list[dict[str, Any]], duration: float, seed: int) -> list[float]:
    """Times worth looking at: each fault, and 50 of: each leadership event and an instant after
    it, the middle of every 150th message, random times."""
    chosen = {0.0, duration}
    for row in trace:
        if row["event"] in ("fault", "became_leader", "campaign_started", "stepped_down"):
            chosen.update({row["time"], row["time"] + 0.25})
    sends = [row for row in trace if row["event"] == "send"]
    chosen.update((r["time"] + r["arrive"]) / 2 for r in sends[::150])
    generator = random.Random(seed)
    chosen.update(generator.uniform(0, duration) for _ in range(20))
    chosen = {t for t in chosen if t <= duration}
    faults = {r["time"] for r in trace if r["event"] == "fault"}
    sample = generator.sample(sorted(chosen - faults), min(50, len(chosen - faults)))
    return sorted(faults | set(sample))  # (50 and the faults: a second or two per run)


def _nodes(run_dir: Path) -> list[str]:
    return [
        f"n{i}" for i in range(1, json.loads((run_dir / "summary.json").read_text())["nodes"] + 1)
    ]


def _agrees_with_trace(page: Any, run_dir: Path, seed: int) -> set[tuple[str, bool]]:
    """Compare the page with the oracle at many times; the (role, paused) pairs it showed."""
    trace = rows(run_dir)
    duration = json.loads((run_dir / "summary.json").read_text())["duration_ms"]
    open_replay(page, run_dir)
    roles = set()
    for state in states(trace, _nodes(run_dir), _times(trace, duration, seed)):
        seen = shown(page, state.time)
        want = expected(state, seen["window"])
        for part in ("time", "nodes", "flight", "cells", "conflicts", "accepted"):
            assert seen[part] == want[part], f"{part} at t={state.time}"
        roles.update((role, paused) for role, _, _, paused in seen["nodes"].values())
    return roles


def test_split_brain_page_matches_the_trace(browser_page: Any, split_brain: Path) -> None:
    """The split brain's page shows the trace's nodes, messages in flight and logs at every
    time looked at, including the conflicting decisions ringed."""
    assert _agrees_with_trace(browser_page, split_brain, seed=1) == {("none", False)}


def test_raft_page_matches_the_trace(browser_page: Any, raft_faults: Path) -> None:
    """Raft's page matches the trace, through every role: leader, candidate, follower, a paused
    leader and a crashed node (so the comparison is not of a page that shows nothing)."""
    roles = _agrees_with_trace(browser_page, raft_faults, seed=2)
    assert {("leader", False), ("candidate", False), ("down", False), ("leader", True)} <= roles


@pytest.mark.parametrize("protocol", ["multipaxos", "fpaxos"])
def test_paxos_pages_match_the_trace(
    browser_page: Any, paxos_runs: dict[str, Path], protocol: str
) -> None:
    """Multi-Paxos (a leader crash) and Flexible Paxos (two leaders in two ballots, a split
    brain) replay through the same events: ballots, roles, messages and logs match the trace."""
    roles = _agrees_with_trace(browser_page, paxos_runs[protocol], seed=3)
    assert {("leader", False), ("follower", False)} <= roles
    # An acceptor's vote shows as a hollow entry until that node decides the slot.
    trace = rows(paxos_runs[protocol])
    decided = {
        (r["node"], r["index"]): r["time"] for r in reversed(trace) if r["event"] == "decide"
    }
    vote = next(
        r
        for r in trace
        if r["event"] == "accepted" and decided.get((r["node"], r["first"]), 1e9) > r["time"]
    )
    browser_page.fill("#first", str(vote["first"]))
    browser_page.dispatch_event("#first", "input")
    browser_page.evaluate("(t) => window.replay.seek(t)", vote["time"])
    hollow = f'rect.accepted[data-node="{vote["node"]}"][data-slot="{vote["first"]}"]'
    assert browser_page.locator(hollow).get_attribute("data-op") == json.dumps(
        vote["ops"][0]["op_id"]
    )
    if protocol == "fpaxos":  # both sides lead at once, each in its own ballot
        leaders = {
            (name, epoch)
            for name, (role, epoch, _, _) in shown(browser_page, 1600.0)["nodes"].items()
            if role == "leader"
        }
        assert len(leaders) == 2 and len({epoch for _, epoch in leaders}) == 2


def test_partition_line_during_the_partition(browser_page: Any, split_brain: Path) -> None:
    """The partition is drawn between its groups while it is in force, and not before or after."""
    open_replay(browser_page, split_brain)
    assert shown(browser_page, 999.0)["partition"] == ""
    assert shown(browser_page, 1500.0)["partition"] == "n1 n2 | n3 n4 n5"
    assert browser_page.locator("line.partition-line").count() == 2
    assert shown(browser_page, 2000.5)["partition"] == ""


def test_step_play_slider_and_fragment(browser_page: Any, split_brain: Path) -> None:
    """Step goes to each next event time of the trace and back; play advances time; the slider
    seeks; the fragment holds the time and a page opened with one starts there."""
    page = browser_page
    times = sorted({row["time"] for row in rows(split_brain)})
    open_replay(page, split_brain, "#t=1000.5")
    assert page.evaluate("window.replay.time()") == 1000.5
    start = times.index(min(t for t in times if t > 1000.5))
    for expected_time in times[start : start + 6]:
        page.click("#step")
        assert page.evaluate("window.replay.time()") == expected_time
        assert page.evaluate("location.hash") == f"#t={expected_time:.3f}"
    page.click("#back")
    assert page.evaluate("window.replay.time()") == times[start + 4]
    page.locator("#slider").fill("2500")
    assert page.evaluate("window.replay.time()") == 2500
    page.click("#play")
    page.wait_for_timeout(400)
    page.click("#play")
    later = page.evaluate("window.replay.time()")
    assert later > 2500
    assert page.evaluate("location.hash") == f"#t={later:.3f}"


def test_jump_to_the_violation_and_click_fields(browser_page: Any, split_brain: Path) -> None:
    """The jump list reaches the first violation, whose two cells are ringed red; clicking a
    message and a log entry shows its fields."""
    page = browser_page
    summary = json.loads((split_brain / "summary.json").read_text())
    first = summary["safety"]["violations"][0]
    open_replay(page, split_brain)
    option = page.locator("#jump option", has_text=first["message"]).first
    page.select_option("#jump", value=option.get_attribute("value"))
    assert page.evaluate("window.replay.time()") == max(first["times"])
    page.fill("#first", str(first["index"] - 3))
    page.dispatch_event("#first", "input")
    for node, op in zip(first["nodes"], first["ops"], strict=True):
        cell = page.locator(f'rect.cell[data-node="{node}"][data-slot="{first["index"]}"]')
        assert cell.get_attribute("data-op") == json.dumps(op)
        assert cell.get_attribute("data-conflict") == "1"
    cell.click()
    assert f"slot {first['index']}" in page.inner_text("#fields")
    page.evaluate("window.replay.seek(1500.5)")
    page.locator('circle.msg[data-kind="flight"]:not([display])').first.click(force=True)
    assert "sent 1500.000 ms" in page.inner_text("#fields")


def test_screenshot(browser_page: Any, split_brain: Path, tmp_path: Path) -> None:
    """A screenshot of the split brain after the partition is a full-size, non-blank PNG."""
    open_replay(browser_page, split_brain, "#t=1040.5")
    shot = tmp_path / "replay.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height >= 900
    assert len(data) > 40_000  # a blank page compresses to a few kilobytes


def test_timer_ring_drains_from_the_last_word_of_the_leader(
    browser_page: Any, raft_faults: Path
) -> None:
    """While the leader n3 is isolated, each follower's ring is 1 - (t - the last time it heard
    n3 or changed its view) / 300 ms (the longest election timeout); the leader has no ring."""
    trace = rows(raft_faults)
    open_replay(browser_page, raft_faults)
    for t in (1520.0, 1600.0, 1700.0, 1780.0):
        browser_page.evaluate("(t) => window.replay.seek(t)", t)
        read = browser_page.evaluate(
            """() => [...document.querySelectorAll("#layer-nodes g.node")]
            .map((g) => [g.dataset.node, g.dataset.role, g.dataset.ring])"""
        )
        rings = {node: (role, ring) for node, role, ring in read}
        for node, (role, ring) in rings.items():
            if role == "leader":
                assert ring == ""
                continue
            leader, since = None, 0.0
            for row in trace:
                if row["time"] > t:
                    break
                if row.get("node") == node and row["event"] in LEADERSHIP:
                    leader, since = row.get("leader"), row["time"]
                elif row["event"] == "deliver" and row["dst"] == node and row["src"] == leader:
                    since = row["time"]
            assert abs(float(ring) - max(0.0, 1 - (t - since) / 300.0)) < 1e-3, (node, t)


def test_the_page_runs_inside_a_notebook_frame(browser_page: Any, split_brain: Path) -> None:
    """`sim.replay.show`'s sandboxed iframe loads the page, and its controls work there."""
    from sim.replay import show

    browser_page.set_content(show(split_brain).data)
    frame = browser_page.frames[1]
    frame.wait_for_selector("body[data-ready='1'], body[data-error]")
    assert frame.evaluate("document.body.dataset.error || null") is None
    frame.click("#step")
    assert frame.evaluate("window.replay.time()") == 1.0
