"""Sweep figures draw the means and intervals they are given: bands clipped at zero,
categories as markers with error bars, each protocol in its own colour in every figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer

from sim.plots import latency_cdf, latency_vs_parameter, parameter_plot, throughput_vs_load
from sim.plots.style import FAULT_COLOR, PROTOCOL_COLORS, alt_text, protocol_color
from sim.plots.sweep_figures import sweep_axes, value_label

POINTS = pd.DataFrame(
    {
        "point": [0, 1, 2, 3],
        "cluster.protocol": ["seed", "seed", "raft", "raft"],
        "cluster.nodes": [5, 3, 3, 5],
        "runs": [3, 3, 3, 3],
        "failed": [0, 0, 0, 0],
        "unexpected": [0, 0, 0, 0],
        "latency_ms.p50.mean": [2.0, 1.0, 1.5, 2.5],
        "latency_ms.p50.ci95": [0.2, 0.1, 0.1, 0.3],
        "latency_ms.p99.mean": [6.0, 4.0, 5.0, 7.0],
        "latency_ms.p99.ci95": [0.5, 0.4, 0.6, 0.8],
    }
)


def _band(collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, lower and upper edge of a fill_between band."""
    vertices = collection.get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    low = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    high = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, low, high


def test_lines_are_the_means_and_bands_the_intervals() -> None:
    """Per protocol and percentile: the line's y values are the means in x order; the band spans
    mean - ci95 to mean + ci95."""
    fig = latency_vs_parameter(POINTS, "cluster.nodes", by="cluster.protocol")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"seed, p50", "seed, p99", "raft, p50", "raft, p99"}
    assert list(lines["seed, p50"].get_xdata()) == [3, 5]
    assert list(lines["seed, p50"].get_ydata()) == [1.0, 2.0]
    assert list(lines["raft, p99"].get_ydata()) == [5.0, 7.0]
    assert len(ax.collections) == 4
    xs, low, high = _band(ax.collections[0])  # seed, p50
    assert list(xs) == [3, 5]
    assert np.allclose(low, [0.9, 1.8]) and np.allclose(high, [1.1, 2.2])
    assert ax.get_xlabel() == "cluster size (nodes)" and ax.get_ylabel().endswith("(ms)")


def test_band_is_clipped_at_zero() -> None:
    """A mean of 3 with an interval of ±10 draws its band from 0, never below."""
    points = POINTS.assign(**{"latency_ms.p99.ci95": [10.0, 10.0, 10.0, 10.0]})
    ax = latency_vs_parameter(points, "cluster.nodes", by="cluster.protocol").axes[0]
    lows = [_band(c)[1] for c in ax.collections]
    assert min(low.min() for low in lows) == 0.0
    assert all((low >= 0).all() for low in lows)


def test_categorical_parameter_gets_ticks_in_order() -> None:
    """Non-numeric values (timeout ranges as lists) sit at 0, 1, 2 with their labels, as
    markers with error bars and no line joining them."""
    points = pd.DataFrame(
        {
            "point": [0, 1, 2],
            "cluster.params.election_timeout": ["[150,150]", "[150,151]", "[150,300]"],
            "runs": [2, 2, 2],
            "elections.split_votes.mean": [9.0, 3.0, 1.0],
            "elections.split_votes.ci95": [1.0, 1.0, 2.0],
        }
    )
    fig = parameter_plot(
        points, "cluster.params.election_timeout", {"elections.split_votes": "split votes"}
    )
    ax = fig.axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    marks = bars.lines[0]
    assert list(marks.get_xdata()) == [0, 1, 2]
    assert list(marks.get_ydata()) == [9.0, 3.0, 1.0]
    assert marks.get_linestyle() == "None"  # no line from one category to the next
    assert [t.get_text() for t in ax.get_xticklabels()] == ["150-150", "150-151", "150-300"]
    assert min(p.vertices[:, 1].min() for p in ax.collections[0].get_paths()) == 0  # not -1
    assert "150-151 -> 3" in alt_text(fig)


def _color_of(line) -> str:
    return to_hex(line.get_color())


def test_a_protocol_keeps_its_colour_across_figures() -> None:
    """Raft is drawn in the same colour in a latency CDF (listed second) and in a sweep figure
    by protocol (listed first); every known protocol has its own colour, none the fault's, and
    a plug-in's is the same each time."""
    raft_first = POINTS.iloc[[2, 3, 0, 1]]
    lines = latency_vs_parameter(raft_first, "cluster.nodes", by="cluster.protocol").axes[0].lines
    in_sweep = {line.get_label(): _color_of(line) for line in lines}
    requests = pd.DataFrame({"latency_ms": [1.0, 2.0, 3.0, 4.0, 5.0], "outcome": ["ok"] * 5})
    cdf = latency_cdf({"seed": requests, "raft": requests})
    in_cdf = {line.get_label().split()[0]: _color_of(line) for line in cdf.axes[0].lines}
    assert in_sweep["raft, p50"] == in_cdf["raft"] == to_hex(protocol_color("raft"))
    assert in_sweep["seed, p99"] == in_cdf["seed"] == to_hex(protocol_color("seed"))
    known = [protocol_color(p) for p in ("seed", "raft", "multipaxos", "fpaxos")]
    assert len(set(known)) == 4 and set(PROTOCOL_COLORS) >= {"multipaxos", "fpaxos"}
    plugin = protocol_color("my-epaxos")
    assert plugin == protocol_color("my-epaxos") and FAULT_COLOR not in [*known, plugin]


def test_reference_curve_drawn_beside() -> None:
    """A closed form given as (x, y) is a line of its own."""
    fig = parameter_plot(
        POINTS[POINTS["cluster.protocol"] == "seed"],
        "cluster.nodes",
        ["latency_ms.p50"],
        reference={"closed form": ([3, 5], [1.1, 2.1])},
    )
    (ref,) = [line for line in fig.axes[0].lines if line.get_label() == "closed form"]
    assert list(ref.get_ydata()) == [1.1, 2.1]


def test_throughput_points_and_mean_line() -> None:
    """Each run is a dot at (offered load, its throughput); the line is the mean per point."""
    points = pd.DataFrame(
        {
            "point": [0, 1],
            "workload.rate": [100.0, 200.0],
            "runs": [2, 2],
            "throughput_per_s.mean": [99.0, 180.0],
            "throughput_per_s.ci95": [2.0, 10.0],
        }
    )
    runs = pd.DataFrame(
        {
            "workload.rate": [100.0, 100.0, 200.0, 200.0],
            "status": ["ok"] * 4,
            "throughput_per_s": [98.0, 100.0, 175.0, 185.0],
        }
    )
    ax = throughput_vs_load(points, "workload.rate", runs=runs).axes[0]
    (dots,) = [c for c in ax.collections if c.get_offsets().shape[0] == 4]
    assert dots.get_offsets().tolist() == [[100, 98], [100, 100], [200, 175], [200, 185]]
    (mean,) = [line for line in ax.lines if line.get_label() == "throughput"]
    assert list(mean.get_ydata()) == [99.0, 180.0]
    assert ax.get_xlabel() == "offered load (ops/s)"


def test_axes_chosen_from_the_swept_keys() -> None:
    """The numeric key that varies goes on x; the others tell curves apart."""
    assert sweep_axes(POINTS) == ("cluster.nodes", ["cluster.protocol"])
    assert value_label([150.0, 300.0]) == "150-300" and value_label("[12, 24]") == "12-24"
