"""Figures of a run or sweep directory, read from its files and written into ``DIR/plots/``:
what ``quorumsim plot DIR`` does. The figures themselves take DataFrames; this module only
reads the files and picks what to show."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.outputs import claim, is_plots_dir
from sim.plots.run_figures import latency_cdf, recovery_cdf, timeline
from sim.plots.sequence import busy_window, read_trace, sequence_diagram
from sim.plots.style import DPI, png_metadata
from sim.plots.sweep_figures import (
    latency_vs_parameter,
    sweep_axes,
    throughput_vs_load,
    value_label,
)

LOAD_KEYS = ("workload.rate", "workload.clients")  # swept keys that set the offered load
MAX_CURVES = 8  # one colour each in the palette


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def read_table(directory: Path, name: str) -> pd.DataFrame:
    """A run directory's table ``name``: ``name.csv``, or ``name.parquet`` in a run written with
    ``--format parquet`` (pyarrow reads it: the CLI checks it is installed)."""
    parquet = directory / f"{name}.parquet"
    if parquet.is_file() and not (directory / f"{name}.csv").is_file():
        return pd.read_parquet(parquet)
    return read_csv(directory / f"{name}.csv")


def has_parquet_tables(directory: Path) -> bool:
    return any(directory.glob("*.parquet"))


def timeout_range(scenario: dict[str, Any]) -> str | None:
    """A run's election timeout range as ``150-300``, if its protocol has one."""
    value = scenario.get("cluster", {}).get("params", {}).get("election_timeout")
    return value_label(value) if value is not None else None


def run_figures(directory: str | Path) -> dict[str, Figure]:
    """The figures of a run directory, by file name: latency CDF (and one curve per client
    group, when the workload has groups), timeline (with leaders when summary.json has
    ``leadership``), leader recovery CDF (when leaders were lost), and the
    sequence diagram of a short window (when there is trace.jsonl) from just before the first
    fault."""
    directory = Path(directory)
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    faults = read_table(directory, "faults")
    requests = read_table(directory, "requests")
    figures = {
        "latency-cdf": latency_cdf(requests, summary["protocol"]),
        "timeline": timeline(
            read_table(directory, "decisions"),
            faults,
            float(summary["duration_ms"]),
            summary.get("leadership"),
            violation_ms=first_violation_ms(summary),
        ),
    }
    if summary.get("groups"):
        figures["latency-by-group"] = latency_cdf(
            by_group(requests, summary["groups"]), f"{summary['protocol']}, by client group"
        )
    recoveries = summary.get("elections", {}).get("leader_recovery_ms") or []
    if recoveries:
        scenario_file = directory / "scenario.yaml"
        scenario = yaml.safe_load(scenario_file.read_text(encoding="utf-8")) or {}
        name = timeout_range(scenario) or summary["protocol"]
        figures["recovery-cdf"] = recovery_cdf({name: recoveries})
    trace = directory / "trace.jsonl"
    if trace.is_file():
        first_fault = float(faults["at_ms"].min()) if len(faults) else 0.0
        start, end = busy_window(trace, first_fault)
        figures["sequence"] = sequence_diagram(read_trace(trace, start, end), start, end)
    return figures


def by_group(requests: pd.DataFrame, groups: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """requests.csv's rows per client group of summary.json, in the scenario's order. Client
    numbers follow the groups, so the numbers tell the group (whatever the CSV reader would
    make of a group named ``NA`` or ``01``)."""
    split, first = {}, 0
    for name, group in groups.items():
        last = first + int(group["clients"])
        split[name] = requests[(requests["client"] >= first) & (requests["client"] < last)]
        first = last
    return split


def first_violation_ms(summary: dict[str, Any]) -> float | None:
    """When the first safety violation of summary.json was found: the later of its two
    conflicting decisions (None for a safe run)."""
    violations = summary.get("safety", {}).get("violations") or []
    times = violations[0].get("times") if violations else None
    return float(max(times)) if times else None


def sweep_figures(directory: str | Path) -> dict[str, Figure]:
    """The figures of a sweep directory, by file name: latency percentiles against the swept
    parameter, throughput against offered load (when the load is swept), and from the run
    directories the latency CDF and leader recovery CDF per protocol (or per swept value)."""
    directory = Path(directory)
    runs = read_csv(directory / "runs.csv")
    points = read_csv(directory / "points.csv")
    x, others = sweep_axes(points)
    figures: dict[str, Figure] = {}
    ok = runs[runs["status"] == "ok"]
    if x is None:  # one point, several seeds: nothing to draw against, all requests together
        every = pd.concat(_each(directory, ok["run"], "requests.csv"), ignore_index=True)
        if len(every):
            figures["latency-cdf"] = latency_cdf(every, f"{len(ok)} runs")
        return figures
    short = x.rsplit(".", 1)[-1]
    if "latency_ms.p50.mean" in points:
        figures[f"latency-vs-{short}"] = latency_vs_parameter(points, x, by=others or None)
    loads = [k for k in (x, *others) if k in LOAD_KEYS]
    if loads and "throughput_per_s.mean" in points:
        rest = [k for k in (x, *others) if k != loads[0]]
        figures[f"throughput-vs-{loads[0].rsplit('.', 1)[-1]}"] = throughput_vs_load(
            points, loads[0], by=rest or None, runs=runs
        )
    group = "cluster.protocol" if "cluster.protocol" in (x, *others) else x
    if ok[group].astype(str).nunique() <= MAX_CURVES:
        requests = {
            f"{group.rsplit('.', 1)[-1]}={value_label(value)}": pd.concat(
                _each(directory, rows["run"], "requests.csv"), ignore_index=True
            )
            for value, rows in ok.groupby(group, sort=True)
        }
        requests = {k: v for k, v in requests.items() if len(v)}
        if requests:
            figures["latency-cdf"] = latency_cdf(requests, protocols=group == "cluster.protocol")
        if ok.get("elections.leader_recovery_ms.count", pd.Series(dtype=float)).fillna(0).sum():
            recoveries = {
                value_label(value): [
                    ms
                    for summary in _summaries(directory, rows["run"])
                    for ms in summary["elections"]["leader_recovery_ms"]
                ]
                for value, rows in ok.groupby(group, sort=True)
            }
            figures["recovery-cdf"] = recovery_cdf(recoveries)
    return figures


def _each(directory: Path, runs: Iterable[str], name: str) -> list[pd.DataFrame]:
    frames = []
    for run in runs:
        path = directory / "runs" / run / name
        if path.is_file():
            frames.append(read_csv(path))
    return frames or [pd.DataFrame()]


def _summaries(directory: Path, runs: Iterable[str]) -> list[dict[str, Any]]:
    found = []
    for run in runs:
        path = directory / "runs" / run / "summary.json"
        if path.is_file():
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def save_figures(
    figures: dict[str, Figure], directory: Path, svg: bool = False, dpi: int = DPI
) -> list[Path]:
    """Write each figure as ``directory/<name>.png`` (and ``.svg``); returns the files.
    ``directory`` must be new, empty or hold figures only (OutputRefused otherwise)."""
    claim(directory, is_plots_dir, "figures")
    directory.mkdir(parents=True, exist_ok=True)
    return write_figures(figures, directory, svg, dpi)


def write_figures(
    figures: dict[str, Figure], directory: Path, svg: bool = False, dpi: int = DPI
) -> list[Path]:
    """Write each figure into a directory quorumsim owns: beside its place, then renamed into
    it, so that none is ever left half-drawn."""
    written = []
    for name, fig in figures.items():
        for ext in ("png", "svg") if svg else ("png",):
            # The SVG's element ids are hashes salted with a random number unless salted here.
            path = directory / f"{name}.{ext}"
            partial = directory / f".{name}.partial.{ext}"
            try:
                with matplotlib.rc_context({"svg.hashsalt": "quorumsim"}):
                    fig.savefig(partial, dpi=dpi, metadata=png_metadata(fig, ext))
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
            written.append(path)
    return written


def save_run_plots(directory: str | Path, svg: bool = False) -> list[Path]:
    """Draw a run directory's figures into ``directory/plots/``; returns the files written."""
    directory = Path(directory)
    return save_figures(run_figures(directory), directory / "plots", svg)


def save_sweep_plots(directory: str | Path, svg: bool = False) -> list[Path]:
    """Draw a sweep directory's figures into ``directory/plots/``; returns the files written."""
    directory = Path(directory)
    return save_figures(sweep_figures(directory), directory / "plots", svg)
