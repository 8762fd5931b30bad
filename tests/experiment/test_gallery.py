"""docs/gallery.md shows every figure function of sim.plots (made by sim.experiment.gallery)."""

from __future__ import annotations

import re

from sim import plots
from sim.experiment.gallery import ENTRIES, markdown_alt, render, stored_alts
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "gallery.md"


def test_gallery_lists_every_figure_function() -> None:
    """Each function in plots.FIGURES has its section and its image on the page."""
    text = PAGE.read_text(encoding="utf-8")
    sections = re.findall(r"^## `(\w+)`$", text, flags=re.MULTILINE)
    assert sorted(sections) == sorted(f.__name__ for f in plots.FIGURES)
    alts = stored_alts()
    for name in sections:
        assert len(alts[name]) > 40, f"{name}: no alt text in its PNG"
        assert f"![{markdown_alt(alts[name])}](gallery/{name}.png)" in text
        assert (ROOT / "docs" / "gallery" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_generator_covers_every_figure_function_and_the_page_is_current() -> None:
    """The generator has an example of each function, and the page is what it writes."""
    assert {e.function for e in ENTRIES} == set(plots.FIGURES)
    assert PAGE.read_text(encoding="utf-8") == render()


def test_every_public_figure_function_is_in_figures() -> None:
    """A new public function returning a Figure must be added to FIGURES (and the gallery)."""
    drawing = {
        name
        for name in plots.__all__
        if callable(obj := getattr(plots, name))
        and getattr(obj, "__annotations__", {}).get("return")
        in ("Figure", "matplotlib.figure.Figure")
    }
    assert drawing == {f.__name__ for f in plots.FIGURES}
