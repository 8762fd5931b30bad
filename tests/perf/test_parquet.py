"""`--format parquet`: the run's tables as Parquet files holding the CSV tables' values."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli import app
from sim.outputs import is_run_dir

pytest.importorskip("pyarrow")
ROOT = Path(__file__).resolve().parents[2]
TABLES = ("requests", "decisions", "elections", "faults")


def test_parquet_tables_hold_the_csv_values(tmp_path: Path) -> None:
    """Each Parquet table has the CSV's columns and rows; floats agree to the CSV's rounding,
    Raft's mixed op ids (ints and noop names) are their CSV text."""
    scenario = load_scenario(
        ROOT / "scenarios" / "sweep-cluster-size.yaml", overrides=["duration=300ms"]
    )
    run(scenario, out=tmp_path / "csv")
    run(scenario, out=tmp_path / "parquet", table_format="parquet")
    assert is_run_dir(tmp_path / "parquet")
    for name in TABLES:
        csv = pd.read_csv(tmp_path / "csv" / f"{name}.csv", keep_default_na=False, dtype=str)
        parquet = pd.read_parquet(tmp_path / "parquet" / f"{name}.parquet")
        assert list(parquet.columns) == list(csv.columns)
        assert len(parquet) == len(csv)
        for column in csv.columns:
            for text, value in zip(csv[column], parquet[column], strict=True):
                if isinstance(value, float) and not math.isnan(value):
                    assert float(text) == round(value, 6)
                else:
                    assert text == ("" if value is None or value != value else str(value))
    assert not (tmp_path / "parquet" / "requests.csv").exists()


def test_cli_format_parquet_and_a_bad_format(tmp_path: Path) -> None:
    """`--format parquet` writes .parquet tables; an unknown format is bad input (exit 2)."""
    runner = CliRunner()
    scenario = str(ROOT / "scenarios" / "quickstart.yaml")
    done = runner.invoke(
        app, ["run", scenario, "--set", "duration=100ms", "--format", "parquet", "--out",
              str(tmp_path / "r"), "--quiet"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r" / "decisions.parquet").is_file()
    bad = runner.invoke(app, ["run", scenario, "--format", "xml", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()


def test_cli_format_parquet_without_pyarrow_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyarrow, `--format parquet` says what to install (exit 2) and writes nothing."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    scenario = str(ROOT / "scenarios" / "quickstart.yaml")
    out = tmp_path / "r"
    done = CliRunner().invoke(app, ["run", scenario, "--format", "parquet", "--out", str(out)])
    assert done.exit_code == 2
    assert "--format parquet: needs pyarrow (pip install 'quorumsim[parquet]')" in done.output
    assert not out.exists()


def test_plot_reads_a_parquet_run_as_it_reads_a_csv_one(tmp_path: Path) -> None:
    """`quorumsim plot` on a --format parquet run draws the same figures from the same rows."""
    scenario = load_scenario(ROOT / "scenarios" / "raft-5-lan.yaml")
    run(scenario, out=tmp_path / "csv")
    run(scenario, out=tmp_path / "parquet", table_format="parquet")
    runner = CliRunner()
    for kind in ("csv", "parquet"):
        result = runner.invoke(app, ["plot", str(tmp_path / kind)])
        assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in (tmp_path / "parquet" / "plots").iterdir())
    assert drawn == sorted(p.name for p in (tmp_path / "csv" / "plots").iterdir())
    assert "recovery-cdf.png" in drawn  # (the run loses its leader: every table was read)
    # The timeline's marks are whole decisions and faults: the same pixels either way.
    timeline = [
        (tmp_path / kind / "plots" / "timeline.png").read_bytes() for kind in ("csv", "parquet")
    ]
    assert timeline[0] == timeline[1]


def test_plot_of_a_parquet_run_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyarrow, plot refuses a Parquet run with exit 2 and the extra to install."""
    import importlib.util

    run(
        load_scenario(ROOT / "scenarios" / "quickstart.yaml", overrides=["duration=200ms"]),
        out=tmp_path / "run",
        table_format="parquet",
    )
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else found(name, *a)
    )
    result = CliRunner().invoke(app, ["plot", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "quorumsim[parquet]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run" / "plots").exists()
