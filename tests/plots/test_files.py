"""`quorumsim plot DIR` on run and sweep directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from tests.conftest import SCENARIOS, make_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Open-loop clients at two rates, on both protocols: every sweep figure has data."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    scenario = make_scenario(
        duration="400ms",
        cluster={"nodes": 3, "protocol": "raft"},
        network={"latency": "1ms"},
        workload={"mode": "open", "rate": "200/s", "clients": 2, "timeout": "200ms"},
        checks={"linearizable": False},
        sweep={
            "grid": {"cluster.protocol": ["seed", "raft"], "workload.rate": [100, 400]},
            "seeds": 2,
        },
    )
    result = sim.sweep(scenario, out=out)
    assert result.ok
    return out


def test_plot_run_dir_with_trace_writes_every_run_figure(tmp_path: Path) -> None:
    """A traced Raft run with a crash: latency CDF, timeline, recovery CDF, sequence, as PNG and
    SVG with --svg."""
    out = tmp_path / "run"
    scenario = sim.load_scenario(SCENARIOS / "raft-leader-crash.yaml", overrides=["duration=3s"])
    sim.run(scenario, out=out, trace=True)
    result = runner.invoke(app, ["plot", str(out), "--svg"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (out / "plots").iterdir()}
    stems = {"latency-cdf", "timeline", "recovery-cdf", "sequence"}
    assert names == {f"{s}.{e}" for s in stems for e in ("png", "svg")}
    assert (out / "plots" / "sequence.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "plots" / "sequence.svg").read_text()[:200].find("<svg") >= 0


def test_plot_sweep_dir(sweep_dir: Path) -> None:
    """A sweep directory: latency against the load, throughput against it, CDF per protocol."""
    result = runner.invoke(app, ["plot", str(sweep_dir)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (sweep_dir / "plots").iterdir()}
    assert names == {"latency-vs-rate.png", "throughput-vs-rate.png", "latency-cdf.png"}


def test_plot_bad_directories(tmp_path: Path) -> None:
    """Neither a run nor a sweep, or no directory at all: exit 2 and one line saying so."""
    result = runner.invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a run or sweep directory" in result.output
    result = runner.invoke(app, ["plot", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such directory" in result.output


def test_plot_sweep_of_seeds_only(tmp_path: Path) -> None:
    """A sweep with no grid (seeds only) still gets its latency CDF."""
    scenario = make_scenario(duration="300ms", sweep={"seeds": 2})
    sim.sweep(scenario, out=tmp_path / "s")
    result = runner.invoke(app, ["plot", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "s" / "plots").iterdir()} == {"latency-cdf.png"}


def test_plot_writes_alt_text_and_marks_the_first_violation(tmp_path: Path) -> None:
    """The unsafe partition run: each PNG carries its alt text as `Description`; the
    timeline's names the first violation at the time summary.json gives."""
    from PIL import Image

    out = tmp_path / "run"
    scenario = sim.load_scenario(SCENARIOS / "fault-partition.yaml", overrides=["duration=2.2s"])
    result = sim.run(scenario, out=out)
    first = max(result.summary["safety"]["violations"][0]["times"])
    assert runner.invoke(app, ["plot", str(out)]).exit_code == 0
    for path in (out / "plots").glob("*.png"):
        with Image.open(path) as image:
            assert len(image.info.get("Description", "")) > 40, path.name
    with Image.open(out / "plots" / "timeline.png") as image:
        assert f"First safety violation at {first:.0f} ms" in image.info["Description"]


def test_plot_draws_a_latency_cdf_per_client_group(tmp_path: Path) -> None:
    """A run with three client groups (one named ``NA``, which a CSV reader takes for missing):
    latency-by-group.png, one curve per group in the file's order, each the ECDF of exactly
    that group's ok latencies in requests.csv."""
    import csv

    from sim.plots.files import run_figures

    spread = {"dist": "normal", "mean": "5ms", "std": "1ms"}
    scenario = make_scenario(
        duration="600ms",
        cluster={"nodes": ["a", "b", "c"], "protocol": "seed", "params": {"quorum": "majority"}},
        network={
            "latency": spread,
            "links": [{"from": "a", "to": "b", "latency": "20ms", "symmetric": True}],
        },
        workload={
            "target": "a",
            "groups": [{"near": "a", "name": "NA", "clients": 2}, {"near": "b", "name": "far"}],
        },
    )
    out = tmp_path / "run"
    sim.run(scenario, out=out)
    result = runner.invoke(app, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "plots" / "latency-by-group.png").is_file()
    with (out / "requests.csv").open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["outcome"] == "ok"]
    ax = run_figures(out)["latency-by-group"].axes[0]
    curves = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label().split(" (")[0] for line in curves] == ["NA", "far"]
    for line, name in zip(curves, ["NA", "far"], strict=True):
        latencies = sorted(float(r["latency_ms"]) for r in rows if r["group"] == name)
        assert len(latencies) >= 5 and line.get_label() == f"{name} ({len(latencies)} ok)"
        drawn = [x for x in line.get_xdata() if abs(x) != float("inf")]
        assert sorted(set(drawn)) == sorted(set(latencies))
