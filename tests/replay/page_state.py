"""What a loaded replay page shows, read back from its DOM (the data-* attributes each drawn
node, message and log cell carries), and the same state from the oracle, in one shape to compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.replay.oracle import State

READ_PAGE = """() => {
  const grid = document.getElementById("grid");
  return {
    time: window.replay.time(),
    nodes: [...document.querySelectorAll("#layer-nodes g.node")].map((g) => [g.dataset.node,
      g.dataset.role, g.dataset.epoch, g.dataset.up === "1", g.dataset.paused === "1"]),
    flight: [...document.querySelectorAll('circle.msg[data-kind="flight"]:not([display])')]
      .map((c) => [c.dataset.src, c.dataset.dst, c.dataset.type, +c.dataset.sent]),
    cells: [...grid.querySelectorAll("rect.cell")].map((r) => [r.dataset.node, +r.dataset.slot,
      r.dataset.op, r.dataset.conflict === "1"]),
    accepted: [...grid.querySelectorAll("rect.accepted")].map((r) => [r.dataset.node,
      +r.dataset.slot, r.dataset.op]),
    first: +grid.dataset.first,
    last: +grid.dataset.last,
    partition: document.getElementById("layer-net").dataset.partition,
  };
}"""


def open_replay(page: Any, run_dir: Path, fragment: str = "") -> None:
    page.goto((run_dir / "replay.html").resolve().as_uri() + fragment)
    page.wait_for_selector("body[data-ready='1'], body[data-error]")
    error = page.evaluate("document.body.dataset.error || null")
    assert error is None, error


def shown(page: Any, time: float) -> dict[str, Any]:
    page.evaluate("(t) => window.replay.seek(t)", time)
    return normalise(page.evaluate(READ_PAGE))


def normalise(read: dict[str, Any]) -> dict[str, Any]:
    cells = {(node, slot): op for node, slot, op, _ in read["cells"]}
    return {
        "time": read["time"],
        "nodes": {
            name: (role, epoch, up, paused) for name, role, epoch, up, paused in read["nodes"]
        },
        "flight": sorted(tuple(m) for m in read["flight"]),
        "cells": cells,
        "accepted": {(node, slot): op for node, slot, op in read["accepted"]},
        "conflicts": sorted({slot for _, slot, _, conflict in read["cells"] if conflict}),
        "window": (read["first"], read["last"]),
        "partition": read["partition"],
    }


def expected(state: State, window: tuple[int, int]) -> dict[str, Any]:
    first, last = window
    return {
        "time": state.time,
        "nodes": {
            name: (v.role, "" if v.epoch is None else str(v.epoch), v.up, v.paused)
            for name, v in state.nodes.items()
        },
        "flight": state.in_flight,
        "cells": {
            (node, slot): json.dumps(op)
            for node, log in state.logs.items()
            for slot, op in log.items()
            if first <= slot <= last
        },
        "conflicts": sorted(s for s in state.conflicts() if first <= s <= last),
        "accepted": {
            (node, slot): json.dumps(op)
            for node, votes in state.accepted.items()
            for slot, op in votes.items()
            if first <= slot <= last
        },
    }
