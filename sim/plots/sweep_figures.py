"""Figures of sweeps: a figure's mean across seeds against a swept parameter, with its 95%
interval as a band (points.csv), and throughput against offered load. Each takes the sweep's
DataFrames (`SweepResult.points`, `.runs`, or the CSV files read back) and returns a `Figure`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots.style import (
    MARKERS,
    REFERENCE_COLOR,
    describe,
    finish,
    key_label,
    new_figure,
    series_color,
)

_LINESTYLES = ["-", "--", ":", "-."]


def sweep_keys(points: pd.DataFrame) -> list[str]:
    """The swept keys: points.csv's columns between ``point`` and ``runs``."""
    columns = list(points.columns)
    return columns[columns.index("point") + 1 : columns.index("runs")]


def value_label(value: Any) -> str:
    """A swept value as a tick or legend label: ``[150, 300]`` reads ``150-300``."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return "-".join(value_label(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _groups(frame: pd.DataFrame, by: str | Sequence[str] | None) -> list[tuple[str, pd.DataFrame]]:
    if by is None or (not isinstance(by, str) and not by):
        return [("", frame)]
    keys = [by] if isinstance(by, str) else list(by)

    def label(key: str, value: Any) -> str:
        # A switch reads better with its name: "prevote=True" rather than "True".
        named = isinstance(value, bool | np.bool_) or len(keys) > 1
        return f"{key.rsplit('.', 1)[-1]}={value_label(value)}" if named else value_label(value)

    labels = frame[keys].apply(lambda row: ", ".join(label(k, row[k]) for k in keys), axis=1)
    return [(str(name), frame[labels == name]) for name in dict.fromkeys(labels)]


def _positions(frame: pd.DataFrame, x: str) -> tuple[np.ndarray | None, list[str]]:
    """Numeric x values as they are; anything else (protocol names, timeout ranges) placed at
    0, 1, 2... in order of first appearance, with its labels."""
    values = frame[x]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return None, []
    labels = list(dict.fromkeys(value_label(v) for v in values))
    return np.arange(len(labels), dtype=float), labels


def _x_of(frame: pd.DataFrame, x: str, labels: list[str]) -> np.ndarray:
    if not labels:
        return frame[x].astype(float).to_numpy()
    where = {label: i for i, label in enumerate(labels)}
    return np.array([where[value_label(v)] for v in frame[x]], dtype=float)


def parameter_plot(
    points: pd.DataFrame,
    x: str,
    figures: Sequence[str] | Mapping[str, str],
    by: str | Sequence[str] | None = None,
    ylabel: str = "",
    title: str = "",
    log_y: bool = False,
    reference: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Each of ``figures`` (points.csv names without ``.mean``, e.g. ``latency_ms.p99``; a
    mapping gives each a legend label) against swept key ``x``: the mean across seeds as a line,
    mean ± 95% interval as a band, clipped at zero (the figures of points.csv are never
    negative); one colour per value of ``by`` (a protocol's own colour when ``by`` is the
    protocol), one line style per figure. A categorical ``x`` (timeout ranges, protocols) gets
    markers with error bars, side by side, and no lines: there is nothing between two
    categories to draw. ``reference`` curves (label -> (x, y)) are drawn in black, e.g. a
    closed form."""
    names = dict(figures) if isinstance(figures, Mapping) else {f: f for f in figures}
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    _, labels = _positions(points, x)
    groups = _groups(points, by)
    keys = [by] if isinstance(by, str) else list(by or ())
    protocols = keys == ["cluster.protocol"]
    series = len(groups) * len(names)
    described = []
    for g, (group, rows) in enumerate(groups):
        rows = rows.assign(_x=_x_of(rows, x, labels)).sort_values("_x", kind="stable")
        shade = series_color(group, g, protocols)
        for f, (figure, name) in enumerate(names.items()):
            mean = rows[f"{figure}.mean"].astype(float).to_numpy()
            half = rows[f"{figure}.ci95"].astype(float).fillna(0.0).to_numpy()
            low, high = np.maximum(mean - half, 0.0), mean + half
            xs = rows["_x"].to_numpy()
            label = ", ".join(part for part in (group, name if len(names) > 1 else "") if part)
            style: dict[str, Any] = {
                "color": shade,
                "marker": MARKERS[g % len(MARKERS)],
                "label": label or name,
            }
            if labels:
                dodge = (g * len(names) + f - (series - 1) / 2) * min(0.6 / series, 0.15)
                ax.errorbar(
                    xs + dodge,
                    mean,
                    yerr=[mean - low, high - mean],
                    linestyle="none",
                    markersize=5,
                    capsize=3,
                    **style,
                )
            else:
                ax.plot(
                    xs, mean, linestyle=_LINESTYLES[f % len(_LINESTYLES)], markersize=4, **style
                )
                ax.fill_between(xs, low, high, color=shade, alpha=0.2, linewidth=0)
            described.append(
                f"{label or name}: "
                + ", ".join(
                    f"{value_label(v) if labels else f'{v:g}'} -> {m:.3g}"
                    for v, m in zip(
                        [labels[int(i)] for i in xs] if labels else xs, mean, strict=True
                    )
                )
            )
    for r, (label, (rx, ry)) in enumerate((reference or {}).items()):
        ax.plot(
            rx,
            ry,
            color=REFERENCE_COLOR,
            linestyle=_LINESTYLES[(r + 1) % len(_LINESTYLES)],
            linewidth=1,
            label=label,
        )
    if labels:
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.5, len(labels) - 0.5)
    if log_y:
        ax.set_yscale("log")
    runs = int(points["runs"].max()) if "runs" in points and len(points) else 0
    shown = title or f"{', '.join(names.values())} against {key_label(x)}"
    interval = "bars" if labels else "band"
    finish(
        ax,
        f"{shown}\n(mean of {runs} seeds; {interval}: 95% interval)" if runs > 1 else shown,
        key_label(x),
        ylabel or ", ".join(names.values()),
        legend=len(groups) > 1 or len(names) > 1 or bool(reference),
    )
    seeds = f", mean of {runs} seeds with 95% intervals" if runs > 1 else ""
    describe(fig, f"{shown}{seeds}. " + "; ".join(described) + ".")
    return fig


def latency_vs_parameter(
    points: pd.DataFrame,
    x: str,
    percentiles: Sequence[str] = ("p50", "p99"),
    by: str | Sequence[str] | None = None,
    metric: str = "latency_ms",
) -> Figure:
    """Latency percentiles (``metric``: ``latency_ms`` for requests, ``commit_latency_ms`` for
    commits) against swept key ``x``, with 95% interval bands across seeds."""
    what = "Request latency" if metric == "latency_ms" else "Commit latency"
    return parameter_plot(
        points,
        x,
        {f"{metric}.{p}": p for p in percentiles},
        by=by,
        ylabel=f"{what.lower()} (ms)",
        title=f"{what} against {key_label(x)}",
    )


def throughput_vs_load(
    points: pd.DataFrame,
    load: str = "workload.rate",
    by: str | Sequence[str] | None = None,
    runs: pd.DataFrame | None = None,
) -> Figure:
    """Throughput (ok operations per second) against offered load (swept key ``load``): the mean
    across seeds with its 95% band, each run as a dot (with ``runs``), and, when the load is a
    rate, the line where throughput equals the offered load."""
    fig = parameter_plot(
        points,
        load,
        {"throughput_per_s": "throughput"},
        by=by,
        ylabel="throughput (ok ops/s)",
        title=f"Throughput against {key_label(load)}",
    )
    ax = fig.axes[0]
    _, labels = _positions(points, load)
    if runs is not None:
        ok = runs[runs["status"] == "ok"] if "status" in runs else runs
        keys = [by] if isinstance(by, str) else list(by or ())
        for g, (group, rows) in enumerate(_groups(ok, by)):
            ax.scatter(
                _x_of(rows, load, labels),
                rows["throughput_per_s"].astype(float),
                color=series_color(group, g, keys == ["cluster.protocol"]),
                s=10,
                alpha=0.6,
                zorder=3,
            )
    if load == "workload.rate" and not labels:
        top = float(points[load].max())
        ax.plot([0, top], [0, top], color=REFERENCE_COLOR, linestyle=":", linewidth=0.8)
        ax.annotate("throughput = offered", (top, top), fontsize=7, ha="right", va="bottom")
    return fig


def sweep_axes(points: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The key to put on the x axis (the first numeric key that varies, else the first key that
    varies) and the other varying keys, to tell curves apart."""
    varying = [k for k in sweep_keys(points) if points[k].astype(str).nunique() > 1]
    if not varying:
        return None, []
    numeric = [
        k
        for k in varying
        if pd.api.types.is_numeric_dtype(points[k]) and not pd.api.types.is_bool_dtype(points[k])
    ]
    x = numeric[0] if numeric else varying[0]
    return x, [k for k in varying if k != x]
