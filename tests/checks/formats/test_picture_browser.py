"""The picture in a real browser (headless Chromium, tests/browser.py): it draws a bar per
operation, coloured as the check found them, and hovering shows the model's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sim.cli import app

DATA = Path(__file__).parent / "data"


def test_the_page_draws_its_bars_and_shows_states(browser_page: Any, tmp_path: Path) -> None:
    """Knossos-style history: 4 bars, 2 green, 1 red, 1 purple; the second write's tip says the
    register holds 5 after it; "whole history" redraws all of them."""
    out = tmp_path / "picture.html"
    result = CliRunner().invoke(app, ["check", str(DATA / "knossos-style.edn"), "--html", str(out)])
    assert result.exit_code == 1, result.output
    page = browser_page
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    svg = page.locator("section.key svg")
    assert svg.get_attribute("data-bars") == "4"
    assert page.locator("rect.prefix").count() == 2
    assert page.locator("rect.stuck").count() == 1
    assert page.locator("rect.needing").count() == 1
    page.locator("rect.prefix[data-id='6']").hover()  # the write of 5, line 7
    tip = page.locator("#tip")
    assert tip.is_visible()
    assert "linearized #2 of 2" in tip.inner_text()
    assert "register after it: 5" in tip.inner_text()
    page.locator("rect.stuck").hover()
    assert "read -> 7" in tip.inner_text() and "another value" in tip.inner_text()
    page.get_by_role("button", name="whole history").click()
    assert page.locator("section.key svg").get_attribute("data-bars") == "4"
    page.screenshot(path=str(tmp_path / "picture.png"))
