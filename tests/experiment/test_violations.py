"""violation-N.png rings the two conflicting decisions of a disagreement, where decisions.csv
says they happened, and keeps room for them inside the diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from sim import load_scenario, run
from sim.plots import sequence
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def split_brain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """seed-split-brain cut short after its first disagreements, and the diagrams it drew."""
    drawn: list[Any] = []
    original = sequence.sequence_diagram

    def keep(*args: Any, **kwargs: Any) -> Any:
        figure = original(*args, **kwargs)
        drawn.append(figure)
        return figure

    patch = pytest.MonkeyPatch()
    patch.setattr(sequence, "sequence_diagram", keep)
    try:
        directory = tmp_path_factory.mktemp("split-brain") / "run"
        scenario = load_scenario(SCENARIOS / "seed-split-brain.yaml", overrides=["duration=1.1s"])
        run(scenario, out=directory)
    finally:
        patch.undo()
    return directory, drawn


def _first_disagreement(decisions: pd.DataFrame) -> list[tuple[str, float]]:
    """From decisions.csv alone: the first decision of another op than its index's first one,
    and that first one, as (node, time)."""
    decisions = decisions.sort_values("decided_ms", kind="stable")
    firsts = decisions.drop_duplicates("index")
    paired = decisions.merge(firsts, on="index", suffixes=("", "_first"))
    paired = paired.sort_values("decided_ms", kind="stable")
    conflict = paired[paired["op_id"] != paired["op_id_first"]].iloc[0]
    return [
        (conflict["node_first"], float(conflict["decided_ms_first"])),
        (conflict["node"], float(conflict["decided_ms"])),
    ]


def test_split_brain_figure_rings_the_two_conflicting_decisions(
    split_brain: tuple[Path, list[Any]],
) -> None:
    """violation-1.png's ring is on the two decisions of decisions.csv that first disagree,
    each ringed decision drawn as a decision dot, and both inside their panel."""
    directory, drawn = split_brain
    expected = _first_disagreement(pd.read_csv(directory / "decisions.csv"))
    figure = drawn[0]
    lanes = {t.get_text(): i for i, t in enumerate(figure.axes[0].get_yticklabels())}
    ringed = set()
    for ax in figure.axes:
        low, high = ax.get_xlim()
        lines = {line.get_label(): line for line in ax.lines}
        dots = set(zip(lines["decision"].get_xdata(), lines["decision"].get_ydata(), strict=True))
        ring = lines["conflicting decisions"]
        for x, y in zip(ring.get_xdata(), ring.get_ydata(), strict=True):
            assert (x, y) in dots
            if low <= x <= high:
                # Not on the panel's edge, where half the ring would be cut off.
                assert low + 0.03 * (high - low) < x < high - 0.03 * (high - low)
                ringed.add((x, y))
    assert ringed == {(time, lanes[node]) for node, time in expected}


def test_the_png_says_what_it_rings(split_brain: tuple[Path, list[Any]]) -> None:
    """The written figure's description names the ringed disagreement."""
    directory, _ = split_brain
    text = Image.open(directory / "violation-1.png").text["Description"]
    assert "Ringed: index " in text and "decided op" in text
