"""Write docs/replay-split-brain.png, the replay docs/replay.md shows: the split-brain scenario
half a millisecond after the second side decided a different op at slot 144, with that slot's
conflicting entries ringed and one of them clicked. Needs the browser of tests/browser.py::

    .venv/bin/python -m tests.replay.screenshot
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from sim import load_scenario, run
from sim.replay import write_replay
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.conftest import ROOT, SCENARIOS
from tests.replay.page_state import open_replay

TARGET = ROOT / "docs" / "replay-split-brain.png"
MOMENT_MS = 1038.5  # n2 decided op 149 at slot 144 at 1038 ms, where n4 had decided op 144


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "split-brain"
        run(load_scenario(SCENARIOS / "seed-split-brain.yaml"), out=out, trace=True)
        write_replay(out)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            open_replay(page, out, f"#t={MOMENT_MS}")
            page.fill("#first", "128")
            page.dispatch_event("#first", "input")
            page.click('rect.cell[data-node="n2"][data-slot="144"]')
            page.screenshot(path=str(TARGET), full_page=True)
            browser.close()
    print(TARGET)


if __name__ == "__main__":
    main()
