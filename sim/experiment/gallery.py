"""``python -m sim.experiment.gallery``: draw one example of every figure function from small,
seeded runs of the scenarios in ``scenarios/``, into ``docs/gallery/*.png``, and write
``docs/gallery.md`` showing each with a line on what it shows. Run it again after changing a
figure so that the page stays current (``make gallery``)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

import sim
from sim import plots
from sim.plots.style import alt_text, png_metadata

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
DPI = 80


@dataclass(frozen=True)
class Entry:
    function: Callable[..., Figure]
    shows: str  # one line: what the figure shows
    source: str  # how the example was made
    draw: Callable[[Path], Figure]


def _scenario(name: str, *overrides: str) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / name, overrides=list(overrides))


def _with_sweep(scenario: sim.Scenario, sweep: dict[str, Any]) -> sim.Scenario:
    data = scenario.model_dump(mode="json", by_alias=True)
    return sim.scenario_from_dict({**data, "sweep": sweep})


def _latency_cdf(_: Path) -> Figure:
    requests = {
        protocol: sim.run(
            _scenario("sweep-cluster-size.yaml", f"cluster.protocol={protocol}", "duration=2s")
        ).requests
        for protocol in ("seed", "raft")
    }
    return plots.latency_cdf(requests)


def _latency_vs_parameter(_: Path) -> Figure:
    scenario = _with_sweep(
        _scenario("sweep-loss.yaml", "duration=1s"),
        {"grid": {"network.loss": [0, 0.01, 0.05, 0.1]}, "seeds": 3},
    )
    return plots.latency_vs_parameter(sim.sweep(scenario).points, "network.loss")


def _parameter_plot(_: Path) -> Figure:
    scenario = _with_sweep(
        _scenario("raft-leader-crash.yaml", "duration=8s"),
        {
            "grid": {
                "cluster.params.election_timeout": [[150, 151], [150, 155], [150, 200]],
                "cluster.params.prevote": [False, True],
            },
            "seeds": 3,
        },
    )
    return plots.parameter_plot(
        sim.sweep(scenario).points,
        "cluster.params.election_timeout",
        {"elections.split_votes": "split votes"},
        by="cluster.params.prevote",
        ylabel="split votes per run (8 s, a crash a second)",
        title="Split votes against the election timeout range",
    )


def _throughput_vs_load(_: Path) -> Figure:
    scenario = _with_sweep(
        _scenario("seed-slow-disks.yaml", "duration=1s"),
        {"grid": {"workload.rate": [200, 600, 1000, 1400, 1800]}, "seeds": 2},
    )
    result = sim.sweep(scenario)
    return plots.throughput_vs_load(result.points, "workload.rate", runs=result.runs)


def _recovery_cdf(_: Path) -> Figure:
    from sim.experiment.figure16 import PROFILES, paper_trials, range_name, recovery_trials

    # The profile that matches the paper (docs/raft-figure16.md), not the 15 ms default.
    ranges = [(150, 155), (150, 175), (150, 300)]
    recoveries = {
        range_name(lo, hi): recovery_trials(lo, hi, 40, seed=1, **PROFILES["broadcast-4ms"])
        for lo, hi in ranges
    }
    return plots.recovery_cdf(
        recoveries, reference=paper_trials(), title="Leader recovery (broadcast-4ms profile)"
    )


def _timeline(_: Path) -> Figure:
    result = sim.run(
        _scenario(
            "fault-partition.yaml",
            "cluster.protocol=raft",
            "cluster.params={}",
            "checks.expect=safe",
        )
    )
    return plots.timeline(
        result.decisions, result.faults, result.summary["duration_ms"], result.summary["leadership"]
    )


def _sequence_diagram(work: Path) -> Figure:
    result = sim.run(_scenario("fault-partition.yaml"), out=work / "partition", trace=True)
    cut = float(result.faults["at_ms"].iloc[0])
    first = result.summary["safety"]["violations"][0]
    later = max(first["times"])
    # Two short windows, around the cut and around the conflicting decision after the heal:
    # the diagram breaks its time axis between them.
    rows = plots.read_trace(work / "partition", cut - 0.5, cut + 1.5)
    rows += plots.read_trace(work / "partition", later - 1.5, later + 0.2)
    return plots.sequence_diagram(rows, cut - 0.5, later + 0.2, violation=first)


ENTRIES = (
    Entry(
        plots.latency_cdf,
        "The distribution of request latency, one curve per protocol (or one run with its p50 "
        "and p99 marked).",
        "`sweep-cluster-size.yaml` as the seed protocol and as Raft, 2 s each.",
        _latency_cdf,
    ),
    Entry(
        plots.latency_vs_parameter,
        "Latency percentiles against a swept parameter: the mean across seeds, and its 95% "
        "interval as a band.",
        "`sweep-loss.yaml`, 1 s runs, 3 seeds per loss.",
        _latency_vs_parameter,
    ),
    Entry(
        plots.parameter_plot,
        "Any figure of points.csv against a swept parameter (here a categorical one), one colour "
        "per value of another key.",
        "`raft-leader-crash.yaml`, 8 s runs, timeout range x PreVote, 3 seeds.",
        _parameter_plot,
    ),
    Entry(
        plots.throughput_vs_load,
        "Throughput against offered load: the mean line with its band, each run a dot, and the "
        "line where throughput equals the load; the knee is where a queue forms.",
        "`seed-slow-disks.yaml` (200 us of CPU per message), 1 s runs, 2 seeds per rate.",
        _throughput_vs_load,
    ),
    Entry(
        plots.recovery_cdf,
        "Leader recovery time per election-timeout range, as in Figure 16 of the Raft paper "
        "(the paper's own trials dashed); a range with under five recoveries is printed as "
        "its values instead.",
        "`sim.experiment.figure16.recovery_trials` with the `broadcast-4ms` profile (the one "
        "that matches the paper, docs/raft-figure16.md), 40 trials per range.",
        _recovery_cdf,
    ),
    Entry(
        plots.timeline,
        "A run over time: commits per interval (bins narrow enough to resolve the faults), "
        "faults shaded, the first safety violation marked, and which node believes it leads: "
        "the old leader cut off by the partition still does until it hears of the new term "
        "after the heal.",
        "`fault-partition.yaml` as Raft (`cluster.protocol=raft`, `cluster.params={}`).",
        _timeline,
    ),
    Entry(
        plots.sequence_diagram,
        "A window of the trace: a line per node, an arrow per message labelled with its epoch "
        "and log positions, a grey line to the receiver ending in a cross per drop, dots for "
        "decisions, faults as dotted lines, the partition as a line between its groups, the "
        "two conflicting decisions of a violation ringed, and a broken time axis between "
        "far-apart moments.",
        "`fault-partition.yaml` with a trace: around the cut, and around the first conflicting "
        "decision after the heal.",
        _sequence_diagram,
    ),
    Entry(
        plots.quorum_overlap,
        "Two quorums over n nodes: any two majorities share a node, smaller quorums need not.",
        "`quorum_overlap(5, 3)`: no simulation.",
        lambda _: plots.quorum_overlap(5, 3),
    ),
)


def stored_alts(images: Path = ROOT / "docs" / "gallery") -> dict[str, str]:
    """The alt text of each figure in ``images``, as its PNG's ``Description`` holds it."""
    from PIL import Image

    found = {}
    for entry in ENTRIES:
        name = entry.function.__name__
        path = images / f"{name}.png"
        if path.is_file():
            with Image.open(path) as image:
                found[name] = str(image.info.get("Description", ""))
    return found


def render(entries: tuple[Entry, ...] = ENTRIES, alts: dict[str, str] | None = None) -> str:
    """docs/gallery.md: a section per figure function, its image with the figure's alt text
    (``alts``, by default read back from the images), what it shows."""
    alts = stored_alts() if alts is None else alts
    lines = [
        "# Gallery",
        "",
        "One example of each figure function of `sim.plots`, drawn from small seeded runs of the",
        "scenarios in `scenarios/`. Made by `python -m sim.experiment.gallery` (`make gallery`);",
        "do not edit by hand. `quorumsim plot DIR` draws these from a run or sweep directory.",
    ]
    for entry in entries:
        name = entry.function.__name__
        lines += [
            "",
            f"## `{name}`",
            "",
            entry.shows,
            "",
            f"![{markdown_alt(alts.get(name) or name)}](gallery/{name}.png)",
            "",
            f"From {entry.source}",
        ]
    return "\n".join(lines) + "\n"


def markdown_alt(text: str) -> str:
    """Alt text safe inside Markdown's ``![...]``."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def build(docs: Path = ROOT / "docs", only: list[str] | None = None) -> list[Path]:
    """Draw every entry (or those named in ``only``) into ``docs/gallery/`` and write the page."""
    images = docs / "gallery"
    images.mkdir(parents=True, exist_ok=True)
    written = []
    alts: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as work:
        for entry in ENTRIES:
            name = entry.function.__name__
            if only and name not in only:
                continue
            started = time.perf_counter()
            fig = entry.draw(Path(work))
            path = images / f"{name}.png"
            fig.savefig(path, dpi=DPI, metadata=png_metadata(fig))
            alts[name] = alt_text(fig)
            written.append(path)
            print(f"{path} ({time.perf_counter() - started:.1f} s)", flush=True)
    page = docs / "gallery.md"
    page.write_text(render(alts={**stored_alts(images), **alts}), encoding="utf-8")
    written.append(page)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("names", nargs="*", help="only these figure functions")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    build(args.docs, args.names or None)


if __name__ == "__main__":
    main()
