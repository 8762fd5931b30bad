"""A picture of a linearizability verdict: one self-contained HTML page (picture.html, filled
with the history's data; plain JS and SVG, nothing fetched) that draws each key's operations as
bars per process on a time axis, the longest linearizable prefix the search found in green (its
order on top), the operations none of which can come next in red, and on hover an operation's
details and the model's state after it.

The data (`picture_data`) is a JSON object embedded in the page, ``<script type=
"application/json" id="picture-data">``: ``keys`` (failed keys first), each with its
``verdict`` (``linearizable``, ``not linearizable``, ``unknown``: out of time), its ``ops``
(``id``, ``process``, ``what``, ``status``, ``invoke``, ``complete`` (null for info), ``line``,
``order`` (1-based place in the prefix, or null), ``state`` after it where known, ``stuck``,
``why``), ``needing`` (ids of the ops still to come that need the state after the prefix, when
nothing left can make it again), ``linearized``, ``state`` (after the prefix), ``window`` (the
time span around the failure the page shows first) and ``span`` (the whole key's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.checks.history import Operation

MARKER = "<!DOCTYPE html><!-- quorumsim: a picture of a linearizability check -->"
"""The page's first line, by which quorumsim knows a picture file as its own."""
MAX_SHOWN = 2000  # operations a key's picture holds (those nearest the failure)
MAX_KEYS = 20  # keys drawn (failed ones first)
_CONTEXT = 20  # operations of the prefix before the failure that the first view shows
_TEMPLATE = Path(__file__).with_name("picture.html")


def picture_data(
    operations: Sequence[Operation], result: Any, source: str, model: Any = None
) -> dict[str, Any]:
    """The page's data for ``result`` (a LinearizabilityResult) of ``operations``."""
    by_key: dict[Any, list[Operation]] = {}
    for op in operations:
        by_key.setdefault(_partition(op, model), []).append(op)
    failed = {_json_key(f.key) for f in result.failures}
    undecided = {_json_key(u.key) for u in getattr(result, "unknown", ())}
    keys = [_failed_key(f, by_key.get(f.key, []), model) for f in result.failures]
    for key, ops in by_key.items():
        if len(keys) >= MAX_KEYS:
            break
        name = _json_key(key)
        if name not in failed:
            keys.append(_passed_key(key, ops, model, decided=name not in undecided))
    summary = result.explain().split("\n", 1)[0]
    return {
        "title": f"Linearizability of {source}",
        "source": source,
        "ok": bool(result.ok),
        "summary": summary,
        "keys": keys[:MAX_KEYS],
    }


def render(data: dict[str, Any]) -> str:
    """The page for ``data``: the template with the data embedded (``</`` escaped, so no value
    can end the script element)."""
    text = json.dumps(data, default=repr, allow_nan=False).replace("</", "<\\/")
    page = _TEMPLATE.read_text(encoding="utf-8")
    title = data["title"].replace("&", "&amp;").replace("<", "&lt;")
    return MARKER + "\n" + page.replace("__TITLE__", title).replace("__DATA__", text)


def claim_picture(path: Path) -> None:
    """OutputRefused unless quorumsim may write a picture at ``path`` (new, or one of ours)."""
    from sim.outputs import claim_file, starts_with

    claim_file(path, starts_with(MARKER), "a picture")


def write_picture(path: Path, data: dict[str, Any]) -> None:
    """Write the page at ``path`` (`claim_picture` first), beside it and renamed into place."""
    from sim.outputs import write_whole

    claim_picture(path)
    text = render(data)
    write_whole(path, lambda file: file.write(text))


def _failed_key(failure: Any, ops: list[Operation], model: Any) -> dict[str, Any]:
    prefix, first, states = _prefix(failure, model)
    order = {op.index: first + i for i, op in enumerate(prefix)}
    state_after = {op.index: state for op, state in zip(prefix, states, strict=False)}
    final = _final_state(failure)
    if prefix and prefix[-1].index not in state_after:
        state_after[prefix[-1].index] = final
    stuck = {op.index for op in failure.stuck}
    reasons = getattr(failure, "reasons", ())
    why = dict(zip((op.index for op in failure.stuck), reasons, strict=False))
    needing = {op.index for op in getattr(failure, "needing", ())}
    focus = list(prefix[-_CONTEXT:]) + list(failure.stuck) + list(failure.needing)
    window = _window(focus or ops)
    shown = _nearest(ops, window, keep=set(order) | stuck)
    return {
        "key": _plain(failure.key),
        "ok": False,
        "verdict": "not linearizable",
        "operations": int(failure.operations),  # those the search considered
        "shown": len(shown),
        "linearized": int(failure.linearized),
        "state_name": getattr(model, "state_name", "register"),
        "state": _plain(final),
        "explain": failure.explain(),
        "processes": _processes(shown),
        "window": window,
        "span": _window(ops),
        "ops": [
            _op(
                op,
                model,
                order.get(op.index),
                state_after,
                why.get(op.index, "") if op.index in stuck else None,
            )
            for op in shown
        ],
        "needing": sorted(needing & {op.index for op in shown}),
    }


def _passed_key(key: Any, ops: list[Operation], model: Any, decided: bool) -> dict[str, Any]:
    """A key that is linearizable (``decided``) or that the time limit left undecided."""
    shown = ops[:MAX_SHOWN]
    span = _window(shown)
    return {
        "key": _plain(key),
        "ok": decided,
        "verdict": "linearizable" if decided else "unknown",
        "operations": len(ops),
        "shown": len(shown),
        "linearized": len(ops),
        "state_name": getattr(model, "state_name", "register"),
        "state": None,
        "explain": "",
        "processes": _processes(shown),
        "window": span,
        "span": span,
        "ops": [_op(op, model, None, {}, None) for op in shown],
        "needing": [],
    }


def _prefix(failure: Any, model: Any) -> tuple[list[Operation], int, list[Any]]:
    """The prefix the failure shows (all of it when the checker gives it, else its tail), the
    place of its first op in the whole prefix, and the states after its ops where known."""
    whole = getattr(failure, "prefix", None)
    if whole or (whole is not None and not failure.linearized):
        prefix = list(whole)
        states = getattr(failure, "states", None)
        if states is None and model is not None:
            states = _replay(prefix, model)
        return prefix, 1, [_plain(_describe(model, s)) for s in states or ()]
    tail = list(failure.prefix_tail)
    return tail, int(failure.linearized) - len(tail) + 1, []


def _replay(prefix: list[Operation], model: Any) -> list[Any] | None:
    """The model's states along the prefix, stepped from its initial state."""
    try:
        state = model.init()
        states = []
        for op in prefix:
            legal, state = model.step(state, op)
            if not legal:
                return None
            states.append(state)
        return states
    except Exception:  # a user model's step failing here only costs the hover text
        return None


def _describe(model: Any, state: Any) -> Any:
    describe = getattr(model, "describe", None)
    return describe(state) if callable(describe) else state


def _final_state(failure: Any) -> Any:
    for name in ("state", "register"):
        if hasattr(failure, name):
            return _plain(getattr(failure, name))
    return None


def _partition(op: Operation, model: Any) -> Any:
    partition = getattr(model, "partition", None)
    return partition(op) if callable(partition) else op.key


def _op(
    op: Operation, model: Any, order: int | None, states: dict[int, Any], why: str | None
) -> dict[str, Any]:
    """An op for the page; ``why`` is set (maybe empty) for a stuck op: why it cannot come
    next."""
    return {
        "id": op.index,
        "process": _plain(op.process),
        "what": _what(op, model),
        "status": op.status,
        "invoke": op.invoke_time,
        "complete": op.complete_time if math.isfinite(op.complete_time) else None,
        "line": op.index + 1,
        "order": order,
        "has_state": op.index in states,
        "state": _plain(states.get(op.index)),
        "stuck": why is not None,
        "why": why or "",
    }


def _what(op: Operation, model: Any) -> str:
    describe = getattr(model, "describe_op", None)
    if callable(describe):
        return str(describe(op))
    value = _json(op.value)
    if op.f == "read":
        return "read" if op.status == "info" else f"read -> {_json(op.output)}"
    if op.f == "cas" and isinstance(op.value, list | tuple) and len(op.value) == 2:
        return f"cas {_json(op.value[0])} -> {_json(op.value[1])}"
    return f"{op.f} {value}"


def _window(ops: Iterable[Operation]) -> list[float]:
    """The time span of ``ops`` (an info op's end is its invoke: it has none)."""
    starts, ends = [], []
    for op in ops:
        starts.append(op.invoke_time)
        ends.append(op.complete_time if math.isfinite(op.complete_time) else op.invoke_time)
    if not starts:
        return [0.0, 1.0]
    low, high = min(starts), max(ends)
    pad = (high - low) * 0.05 or 1.0
    return [low - pad, high + pad]


def _nearest(ops: list[Operation], window: list[float], keep: set[int]) -> list[Operation]:
    """At most MAX_SHOWN of ``ops``, those nearest the window's middle, always those in
    ``keep``; in history order."""
    if len(ops) <= MAX_SHOWN:
        return ops
    middle = (window[0] + window[1]) / 2
    ranked = sorted(ops, key=lambda op: (op.index not in keep, abs(op.invoke_time - middle)))
    return sorted(ranked[:MAX_SHOWN], key=lambda op: op.index)


def _processes(ops: Iterable[Operation]) -> list[Any]:
    found = {_plain(op.process) for op in ops}
    return sorted(found, key=lambda p: (isinstance(p, str), p if isinstance(p, int) else str(p)))


def _json_key(key: Any) -> str:
    return json.dumps(_plain(key), sort_keys=True, default=repr)


def _plain(value: Any) -> Any:
    """A JSON value for the page (tuples as lists, anything else unknown as its repr)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _json(value: Any) -> str:
    return json.dumps(value, default=repr)


RUN_PICTURE = "linearizability.html"
"""The picture's name in a run directory, beside violation.md."""


def write_run_picture(directory: Path, records: Sequence[dict[str, Any]]) -> str | None:
    """Check a run's history records as a run does and, if they are not linearizable, write
    their picture into ``directory``; the file's name, or None when there is nothing to draw."""
    from sim.checks.history import operations_from_records
    from sim.checks.linearizability import check_operations
    from sim.checks.models import DEFAULT, get_model

    model = get_model(DEFAULT)
    operations = operations_from_records(records)
    result = check_operations(operations, model)
    if not result.failures:
        return None
    write_picture(directory / RUN_PICTURE, picture_data(operations, result, "history.jsonl", model))
    return RUN_PICTURE
