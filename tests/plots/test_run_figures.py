"""Run figures draw the data they are given."""

from __future__ import annotations

import pandas as pd
from matplotlib.patches import Rectangle, StepPatch

from sim.experiment.run import run
from sim.plots import commit_times, fault_spans, latency_cdf, recovery_cdf, timeline
from sim.plots.run_figures import ReignBar, reigns
from tests.conftest import make_scenario


def _requests(latencies: list[float], outcomes: list[str] | None = None) -> pd.DataFrame:
    outcomes = outcomes or ["ok"] * len(latencies)
    return pd.DataFrame({"latency_ms": latencies, "outcome": outcomes})


def test_latency_cdf_plots_the_sorted_ok_latencies() -> None:
    """The ECDF's points are the sorted latencies of the ok requests, and nothing else."""
    requests = _requests([5.0, 1.0, 3.0, 9.0, 2.0], ["ok", "ok", "fail", "ok", "ok"])
    (line,) = [
        line for line in latency_cdf(requests).axes[0].lines if line.get_drawstyle() == "steps-post"
    ]
    assert list(line.get_xdata()[1:]) == [1.0, 2.0, 5.0, 9.0]
    assert line.get_ydata()[-1] == 1.0


def test_latency_cdf_one_curve_per_protocol() -> None:
    """A mapping (or a `by` column) gives one ECDF per entry, labelled with it."""
    fig = latency_cdf({"seed": _requests([1.0, 2.0]), "raft": _requests([4.0, 3.0, 5.0])})
    curves = [line for line in fig.axes[0].lines if line.get_drawstyle() == "steps-post"]
    assert [list(c.get_xdata()[1:]) for c in curves] == [[1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [c.get_label().split()[0] for c in curves] == ["seed", "raft"]
    both = pd.concat([_requests([1.0]).assign(p="a"), _requests([2.0, 3.0]).assign(p="b")])
    curves = [line for line in latency_cdf(both, by="p").axes[0].lines if line.get_drawstyle()]
    assert len([c for c in curves if c.get_drawstyle() == "steps-post"]) == 2


def _decisions(rows: list[tuple[str, int, object, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["node", "index", "op_id", "decided_ms"])


FAULTS = pd.DataFrame(
    [
        (100.0, "crash", "n1"),
        (200.0, "partition", "n1 n2 | n3"),
        (250.0, "restart", "n1"),
        (300.0, "heal", "n1 n2 | n3"),
        (350.0, "loss", "all"),
    ],
    columns=["at_ms", "kind", "targets"],
)


def test_timeline_bins_sum_to_the_commits() -> None:
    """Each operation counts once, at its first decision: a restarted node re-applying its log,
    or a replica that decided it at another index, adds nothing."""
    decisions = _decisions(
        [
            ("n1", 1, "a", 10.0),
            ("n2", 1, "a", 12.0),
            ("n1", 2, "b", 150.0),
            ("n2", 2, "c", 151.0),  # split brain: another op at index 2
            ("n2", 3, "b", 160.0),  # ... and b one position later
            ("n3", 1, "a", 390.0),  # re-applied after a restart
        ]
    )
    assert sorted(commit_times(decisions)) == [10.0, 150.0, 151.0]
    fig = timeline(decisions, FAULTS, duration_ms=400.0, bins=8)
    (stairs,) = [p for p in fig.axes[0].patches if isinstance(p, StepPatch)]
    values, edges = stairs.get_data().values, stairs.get_data().edges
    assert values.sum() == 3
    assert list(values) == [1, 0, 0, 2, 0, 0, 0, 0]
    assert edges[-1] == 0.4  # seconds


def test_fault_spans_pair_each_fault_with_its_undo() -> None:
    """Crash until restart, partition until heal; a loss never lifted lasts to the end."""
    spans = [(s.start_ms, s.end_ms, s.kind) for s in fault_spans(FAULTS, 400.0)]
    assert spans == [(100.0, 250.0, "crash"), (200.0, 300.0, "partition"), (350.0, 400.0, "loss")]


LEADERSHIP = {
    "outages": [
        {"start_ms": 0.0, "end_ms": 5.0},
        {"start_ms": 100.0, "end_ms": 120.0},
        {"start_ms": 380.0, "end_ms": None},
    ],
    "reigns": [
        {"node": "n1", "term": 1, "from_ms": 5.0, "to_ms": 200.0},  # stale from 120 ms
        {"node": "n2", "term": 3, "from_ms": 120.0, "to_ms": 380.0},
        {"node": "n3", "term": 4, "from_ms": 390.0, "to_ms": None},
    ],
}


def test_reigns_go_stale_when_a_newer_term_leads() -> None:
    """A reign is stale from the first election of a newer term by another node; a reign not
    ended lasts to the end."""
    assert reigns(LEADERSHIP, 400.0) == [
        ReignBar("n1", 1, 5.0, 200.0, 120.0),
        ReignBar("n2", 3, 120.0, 380.0, 380.0),
        ReignBar("n3", 4, 390.0, 400.0, 400.0),
    ]


def test_timeline_shades_faults_and_draws_reigns_and_outages() -> None:
    """One shaded span per fault; a bar per reign labelled with its term, its stale part
    hatched; a hatched grey span per outage, the open one to the end."""
    fig = timeline(_decisions([("n1", 1, "a", 10.0)]), FAULTS, 400.0, LEADERSHIP)
    top, leaders = fig.axes
    shaded = [p for p in top.patches if isinstance(p, Rectangle)]
    assert len(shaded) == 3
    bars = [
        (round(b.x0, 6), round(b.x1, 6), round(b.y0 + b.height / 2), bool(c.get_hatch()))
        for c in leaders.collections
        for b in [c.get_paths()[0].get_extents()]
    ]
    assert sorted(bars) == [
        (0.005, 0.12, 0, False),  # seconds; rows n1, n2, n3
        (0.12, 0.2, 0, True),
        (0.12, 0.38, 1, False),
        (0.39, 0.4, 2, False),
    ]
    outages = [
        (round(p.get_x(), 6), round(p.get_x() + p.get_width(), 6))
        for p in leaders.patches
        if isinstance(p, Rectangle) and p.get_hatch() == "///"
    ]
    assert outages == [(0.0, 0.005), (0.1, 0.12), (0.38, 0.4)]
    labels = [t.get_text().strip() for t in leaders.texts]
    assert labels == ["t1", "t3"]  # n3's 10 ms reign is too short for a label
    assert [t.get_text() for t in leaders.get_yticklabels()] == ["n1", "n2", "n3"]


def test_timeline_without_leadership_has_no_leader_strip() -> None:
    """A protocol without leaders (no ``leadership`` in its summary): the commits alone."""
    assert len(timeline(_decisions([("n1", 1, "a", 10.0)]), FAULTS, 400.0).axes) == 1


def test_timeline_of_a_run_shows_the_stale_leader_and_the_outage() -> None:
    """Raft, the leader cut off alone at 1 s for 1.5 s: an outage from the cut, the old leader's
    bar hatched (stale) from the new leader's election until it hears of it after the heal."""
    scenario = make_scenario(
        duration="3s",
        cluster={"nodes": 5, "protocol": "raft", "params": {"heartbeat": "50ms"}},
        network={"latency": "2ms"},
        workload={"clients": 1, "timeout": "500ms"},
        faults=[{"at": "1s", "partition": [["leader"]], "for": "1.5s"}],
    )
    result = run(scenario)
    fig = timeline(result.decisions, result.faults, 3000.0, result.summary["leadership"])
    leaders = fig.axes[1]
    outages = [
        round(p.get_x(), 6)
        for p in leaders.patches
        if isinstance(p, Rectangle) and p.get_hatch() == "///"
    ]
    assert outages[:2] == [0.0, 1.0]
    stale = [c.get_paths()[0].get_extents() for c in leaders.collections if c.get_hatch()]
    assert len(stale) == 1 and 1.0 < stale[0].x0 < 2.5 <= stale[0].x1


def test_recovery_cdf_one_curve_per_range() -> None:
    """Each range's curve holds its sorted recovery times; the paper's are drawn dashed."""
    recoveries = {"150-150": [400.0, 200.0], "150-300": [180.0, 170.0, 300.0]}
    fig = recovery_cdf(recoveries, reference={"150-300": [160.0, 190.0]})
    curves = [line for line in fig.axes[0].lines if line.get_drawstyle() == "steps-post"]
    solid = [list(c.get_xdata()[1:]) for c in curves if c.get_linestyle() == "-"]
    dashed = [list(c.get_xdata()[1:]) for c in curves if c.get_linestyle() == "--"]
    assert solid == [[200.0, 400.0], [170.0, 180.0, 300.0]]
    assert dashed == [[160.0, 190.0]]
    assert fig.axes[0].get_xscale() == "log"
    frame = pd.DataFrame({"range": ["a", "a", "b"], "recovery_ms": [2.0, 1.0, 3.0]})
    curves = [
        line for line in recovery_cdf(frame).axes[0].lines if line.get_drawstyle() == "steps-post"
    ]
    assert [list(c.get_xdata()[1:]) for c in curves] == [[1.0, 2.0], [3.0]]
