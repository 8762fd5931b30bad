"""The ShiViz export: parsed back with the regular expression it carries, its vector clocks are
those ShiViz demands and order every delivery after its send."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from sim.export import export_lines
from sim.export.shiviz import shiviz_lines

_LINK = re.compile(r" #(\d+) ")


def parse(lines: list[str]) -> list[tuple[str, str, dict[str, int]]]:
    """(event, host, clock) of each event, found as ShiViz finds them: with the file's first
    line as the regular expression (JavaScript's named groups in Python's spelling)."""
    regex = re.compile(lines[0].replace("(?<", "(?P<"), re.MULTILINE)
    assert lines[1] == ""  # one execution: no delimiter
    log = "\n".join(lines[2:]).strip()
    events = [(m["event"], m["host"], json.loads(m["clock"])) for m in regex.finditer(log)]
    assert len(events) * 2 == len(lines) - 2  # every pair of lines is one event, none misread
    return events


def check_clocks(events: list[tuple[str, str, dict[str, int]]]) -> int:
    """Assert ShiViz's rules and Fidge/Mattern's; return how many links (#k) were checked."""
    last: dict[str, dict[str, int]] = {}
    counts: dict[str, int] = defaultdict(int)
    sources: dict[str, dict[str, int]] = {}  # link number -> clock of the event that made it
    linked = 0
    for text, host, clock in events:
        counts[host] += 1
        assert clock[host] == counts[host], (text, "own entry counts the host's events from 1")
        previous = last.get(host, {})
        match = _LINK.search(text)
        parent: dict[str, int] = {}
        if match and match[1] in sources:
            parent = sources[match[1]]
            linked += 1
            assert all(clock.get(h, 0) >= n for h, n in parent.items()), (text, "after its send")
            assert clock != parent
        elif match:
            sources[match[1]] = clock
        expected = {h: max(previous.get(h, 0), parent.get(h, 0)) for h in {*previous, *parent}}
        expected[host] = counts[host]
        assert clock == expected, (text, "the join of its host's last clock and its send's")
        for other, count in clock.items():
            assert other in counts and count <= counts[other], (text, "only events seen so far")
        last[host] = clock
    return linked


@pytest.mark.parametrize("run", ["split_brain_run", "crash_run"])
def test_the_log_parses_and_its_clocks_hold(run: str, request: pytest.FixtureRequest) -> None:
    """Every event parses; clocks count, join and order deliveries after sends."""
    directory: Path = request.getfixturevalue(run)
    lines = export_lines(directory, "shiviz")
    events = parse(lines)
    deliveries = (directory / "trace.jsonl").read_text().count('"event":"deliver"')
    assert check_clocks(events) >= deliveries > 0


def test_drops_are_events_of_the_right_host() -> None:
    """A drop at sending is the sender's event; one on arrival the receiver's, after the send."""
    rows = [
        {"time": 0.0, "event": "send", "src": "a", "dst": "b", "msg": {"type": "M"}, "arrive": 1.0},
        {
            "time": 0.5,
            "event": "drop",
            "src": "a",
            "dst": "b",
            "msg": {"type": "N"},
            "reason": "partition",
        },
        {
            "time": 1.0,
            "event": "drop",
            "src": "a",
            "dst": "b",
            "msg": {"type": "M"},
            "reason": "crashed",
        },
        {"time": 2.0, "event": "decide", "node": "b", "index": 1},
    ]
    events = parse(list(shiviz_lines(rows)))
    assert [(host, clock) for _, host, clock in events] == [
        ("a", {"a": 1}),
        ("a", {"a": 2}),  # dropped at sending: a's own event
        ("b", {"b": 1}),  # lost on arrival: b's event, which learned nothing from a
        ("b", {"b": 2}),
    ]


def test_a_delivery_joins_the_clock_of_its_own_send() -> None:
    """Two copies of one message: each delivery takes the clock of the send arriving then."""
    msg = {"type": "M"}
    rows = [
        {"time": 0.0, "event": "send", "src": "a", "dst": "b", "msg": msg, "arrive": 5.0},
        {"time": 1.0, "event": "decide", "node": "a"},
        {"time": 1.0, "event": "send", "src": "a", "dst": "b", "msg": msg, "arrive": 2.0},
        {"time": 2.0, "event": "deliver", "src": "a", "dst": "b", "msg": msg},
        {"time": 5.0, "event": "deliver", "src": "a", "dst": "b", "msg": msg},
    ]
    events = parse(list(shiviz_lines(rows)))
    assert events[3][1:] == ("b", {"a": 3, "b": 1})  # the second send, arriving at 2 ms
    assert "#2" in events[3][0] and "#1" in events[4][0]
    check_clocks(events)
