"""Run figures draw the data they are given, and what they claim: log axes for wide data, a
printed value under five samples, bins that resolve the faults, whole-number count ticks, one
bar per reign until the leader steps down, the first violation marked."""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle, StepPatch

from sim.experiment.run import run
from sim.plots import commit_times, fault_spans, latency_cdf, recovery_cdf, timeline
from sim.plots.run_figures import ReignBar, commit_bin_ms, reigns
from sim.plots.style import FAULT_COLOR, alt_text
from tests.conftest import make_scenario


def _curves(fig) -> list:
    return [line for line in fig.axes[0].lines if line.get_drawstyle() == "steps-post"]


def _requests(latencies: list[float], outcomes: list[str] | None = None) -> pd.DataFrame:
    outcomes = outcomes or ["ok"] * len(latencies)
    return pd.DataFrame({"latency_ms": latencies, "outcome": outcomes})


def test_latency_cdf_plots_the_sorted_ok_latencies() -> None:
    """The ECDF's points are the sorted latencies of the ok requests, and nothing else."""
    requests = _requests([5.0, 1.0, 3.0, 9.0, 2.0, 4.0], ["ok", "ok", "fail", "ok", "ok", "ok"])
    (line,) = _curves(latency_cdf(requests))
    assert list(line.get_xdata()[1:]) == [1.0, 2.0, 4.0, 5.0, 9.0]
    assert line.get_ydata()[-1] == 1.0


def test_latency_cdf_log_axis_when_the_data_spans_a_decade() -> None:
    """1 to 220 ms: a log axis (a linear one squashes the bulk into its first pixels); 1 to
    9 ms: linear; an explicit ``log`` wins."""
    wide = _requests([1.0, 1.5, 2.0, 3.0, 220.0])
    assert latency_cdf(wide).axes[0].get_xscale() == "log"
    assert latency_cdf(_requests([1.0, 2.0, 5.0, 9.0, 3.0])).axes[0].get_xscale() == "linear"
    assert latency_cdf(wide, log=False).axes[0].get_xscale() == "linear"


def test_under_five_samples_the_values_are_printed_not_a_cdf() -> None:
    """Three latencies: no staircase, their values written in the axes."""
    fig = latency_cdf({"seed": _requests([2.0, 1.0, 3.0]), "raft": _requests([1.0] * 5)})
    assert [c.get_label().split()[0] for c in _curves(fig)] == ["raft"]
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "seed: 1 ms, 2 ms, 3 ms" in texts


def test_latency_cdf_one_curve_per_protocol() -> None:
    """A mapping (or a `by` column) gives one ECDF per entry, labelled with it."""
    seed, raft = [1.0, 2.0, 1.5, 1.2, 1.1], [4.0, 3.0, 5.0, 3.5, 4.5, 3.2]
    fig = latency_cdf({"seed": _requests(seed), "raft": _requests(raft)})
    curves = _curves(fig)
    assert [list(c.get_xdata()[1:]) for c in curves] == [sorted(seed), sorted(raft)]
    assert [c.get_label().split()[0] for c in curves] == ["seed", "raft"]
    both = pd.concat([_requests(seed).assign(p="a"), _requests(raft).assign(p="b")])
    assert len(_curves(latency_cdf(both, by="p"))) == 2


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
    assert {to_hex(p.get_edgecolor()) for p in shaded} == {FAULT_COLOR.lower()}
    bars = [
        (round(b.x0, 6), round(b.x1, 6), round(b.y0 + b.height / 2), c.get_gid())
        for c in leaders.collections
        for b in [c.get_paths()[0].get_extents()]
    ]
    assert sorted(bars) == [
        (0.005, 0.2, 0, "reign"),  # seconds; rows n1, n2, n3: one bar per reign, to its end
        (0.12, 0.2, 0, "stale"),  # ...hatched from the newer term's election
        (0.12, 0.38, 1, "reign"),
        (0.39, 0.4, 2, "reign"),
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
    # One bar for the old leader, from its election on past the heal: it believed it led.
    (old,) = [
        c.get_paths()[0].get_extents()
        for c in leaders.collections
        if c.get_gid() == "reign" and c.get_paths()[0].get_extents().x0 < 1.0
    ]
    assert old.x0 < 1.0 and old.x1 >= 2.5


def test_bins_resolve_the_faults_and_ticks_count_whole_commits() -> None:
    """A 300 s run gets 3 s bins without faults, 50 ms bins with a 200 ms crash in it; the
    count axis has whole-number ticks only."""
    assert commit_bin_ms(300_000.0) == 2000.0  # a hundredth (3 s) rounded down to 1-2-5
    crash = pd.DataFrame(
        [(1000.0, "crash", "n1"), (1200.0, "restart", "n1")], columns=["at_ms", "kind", "targets"]
    )
    assert commit_bin_ms(300_000.0, crash) == 500.0  # capped at MAX_BINS bins
    assert commit_bin_ms(3000.0, crash) == 20.0  # 30 ms, a quarter of the crash: 50, rounded
    decisions = _decisions([("n1", i, i, 10.0 * i) for i in range(1, 4)])
    fig = timeline(decisions, crash, 3000.0)
    (stairs,) = [p for p in fig.axes[0].patches if isinstance(p, StepPatch)]
    assert stairs.get_data().edges[1] == 0.02  # seconds
    ticks = fig.axes[0].get_yticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)


def test_shaded_faults_named_only_when_there_are_faults() -> None:
    """No faults: the title does not speak of shading."""
    none = pd.DataFrame(columns=["at_ms", "kind", "targets"])
    decisions = _decisions([("n1", 1, "a", 10.0)])
    assert "shaded" not in timeline(decisions, none, 400.0).axes[0].get_title()
    assert "shaded: faults" in timeline(decisions, FAULTS, 400.0).axes[0].get_title()


def test_first_violation_is_marked() -> None:
    """A vertical line at the first violation, in the fault colour, on both panels."""
    fig = timeline(_decisions([("n1", 1, "a", 10.0)]), FAULTS, 400.0, LEADERSHIP, violation_ms=275)
    for ax in fig.axes:
        marks = [line for line in ax.lines if line.get_linestyle() == "-."]
        assert [list(m.get_xdata()) for m in marks] == [[0.275, 0.275]]
        assert to_hex(marks[0].get_color()) == FAULT_COLOR.lower()
    assert "275 ms" in alt_text(fig)


def test_recovery_cdf_one_curve_per_range() -> None:
    """Each range's curve holds its sorted recovery times; the paper's are drawn dashed."""
    narrow, wide = [400.0, 200.0, 250.0, 300.0, 350.0], [180.0, 170.0, 300.0, 160.0, 175.0]
    fig = recovery_cdf({"150-151": narrow, "150-300": wide}, reference={"150-300": [160.0, 190.0]})
    curves = _curves(fig)
    solid = [list(c.get_xdata()[1:]) for c in curves if c.get_linestyle() == "-"]
    dashed = [list(c.get_xdata()[1:]) for c in curves if c.get_linestyle() == "--"]
    assert solid == [sorted(narrow), sorted(wide)]
    assert dashed == [[160.0, 190.0]]
    assert fig.axes[0].get_xscale() == "log"
    frame = pd.DataFrame({"range": ["a"] * 5 + ["b"] * 5, "recovery_ms": range(10, 0, -1)})
    curves = _curves(recovery_cdf(frame))
    assert [list(c.get_xdata()[1:]) for c in curves] == [[6, 7, 8, 9, 10], [1, 2, 3, 4, 5]]


def test_one_recovery_is_a_printed_value_not_a_vertical_line() -> None:
    """A single recovery: no curve, its value in the axes and in the alt text."""
    fig = recovery_cdf({"150-300": [412.0]})
    assert not _curves(fig)
    assert "150-300: 412 ms" in " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "412 ms" in alt_text(fig)
