"""The summary figures of a run (summary.json), computed from the recorder's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

PERCENTILES = {"p50": 50, "p90": 90, "p99": 99, "p999": 99.9}


def latency_figures(values: Sequence[float]) -> dict[str, Any]:
    """count, mean, percentiles (numpy's linear method) and max, in ms; None when empty."""
    if not values:
        return {"count": 0, "mean": None, **dict.fromkeys(PERCENTILES), "max": None}
    array = np.asarray(values, dtype=float)
    points = np.percentile(array, list(PERCENTILES.values()), method="linear")
    return {
        "count": len(values),
        "mean": _round(float(array.mean())),
        **{name: _round(float(p)) for name, p in zip(PERCENTILES, points, strict=True)},
        "max": _round(float(array.max())),
    }


def _round(value: float) -> float:
    return round(value, 6)


def outcome_counts(requests: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    counts = {"ok": 0, "fail": 0, "unknown": 0}
    for row in requests:
        counts[row[-1]] += 1
    return counts


def throughput(ok: int, window_ms: float) -> float:
    """ok operations per simulated second over the measured window."""
    return _round(ok / (window_ms / 1000.0)) if window_ms > 0 else 0.0


def group_figures(
    requests: Sequence[tuple[Any, ...]], group_of: tuple[str, ...], windows: dict[str, float]
) -> dict[str, Any]:
    """summary.json's ``groups``: per client group (in the file's order, ``windows`` naming each
    group's measured window in ms) its clients, outcomes, throughput and ok latencies."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in windows}
    for row in requests:
        rows[group_of[row[1]]].append(row)
    figures = {}
    for name, window in windows.items():
        ops = outcome_counts(rows[name])
        figures[name] = {
            "clients": group_of.count(name),
            "ops": ops,
            "throughput_per_s": throughput(ops["ok"], window),
            "latency_ms": latency_figures([row[8] for row in rows[name] if row[-1] == "ok"]),
        }
    return figures
