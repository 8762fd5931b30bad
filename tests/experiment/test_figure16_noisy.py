"""The noisy Figure 16 profile: late timers, calibrated on 150-151 alone."""

from __future__ import annotations

from pathlib import Path

from sim.experiment import figure16
from sim.experiment.figure16 import PROFILES, figures, paper_trials, recovery_trials

# The calibration (200 trials, seed 1: 1258 ms) and the full run (1000: 1167 ms) are within 5% of
# the paper's 1198 ms; this run's seed gives 1067 ms (-11%), from 200 trials' sampling error.
TOLERANCE = 0.2


def _median_150_151(profile: str) -> float:
    times = recovery_trials(150, 151, 200, seed=7, **PROFILES[profile])
    return float(figures(times)["median_ms"])


def test_noisy_150_151_median_matches_the_paper() -> None:
    """With jitter, 150-151's median is within the calibrated tolerance of the paper's."""
    paper = float(figures(paper_trials()["150-151"])["median_ms"])
    assert abs(_median_150_151("noisy-4ms") / paper - 1) < TOLERANCE


def test_exact_timers_miss_the_tolerance() -> None:
    """Without jitter the same run is far outside it: the tolerance discriminates."""
    paper = float(figures(paper_trials()["150-151"])["median_ms"])
    assert _median_150_151("broadcast-4ms") / paper - 1 > 1.0


def test_noisy_150_150_converges() -> None:
    """Equal timeouts, which never recover with exact timers, recover with late ones."""
    times = recovery_trials(150, 150, 20, seed=7, **PROFILES["noisy-4ms"])
    assert figures(times)["unrecovered"] == 0


def test_same_seed_same_table_bytes(tmp_path: Path) -> None:
    """Two noisy runs of one seed write the same table, byte for byte."""
    tables = []
    for name in ("a.csv", "b.csv"):
        rows = figure16.reproduce(trials=10, seed=5, workers=1, profiles=("noisy-4ms",))
        figure16.write_table(rows, tmp_path / name)
        tables.append((tmp_path / name).read_bytes())
    assert tables[0] == tables[1]
    assert tables[0].count(b"\nnoisy-4ms,") == len(figure16.RANGES)
