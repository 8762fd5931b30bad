"""A headless Chromium for tests of the pages quorumsim writes, driven by Playwright's Python API.

Use the ``browser_page`` fixture (import it into a test module or a conftest: ``from
tests.browser import browser, browser_page  # noqa: F401``): a fresh page per test, in one browser
per test session. Debian's ``chromium`` is used (no download): ``apt-get install chromium`` and
``pip install -e '.[browser]'``. Without either the tests are skipped, saying which is missing;
with ``QUORUMSIM_REQUIRE_BROWSER=1`` (CI sets it) they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE = "QUORUMSIM_REQUIRE_BROWSER"


def chromium_path() -> str | None:
    """The Chromium to drive: $QUORUMSIM_CHROMIUM, else Debian's."""
    named = os.environ.get("QUORUMSIM_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    found = next((p for p in CHROMIUM_PATHS if Path(p).is_file()), None)
    return found or shutil.which("chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 and the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (skipped, or failed under CI, without one)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[browser]')")
    executable = chromium_path()
    if executable is None:
        tried = os.environ.get("QUORUMSIM_CHROMIUM") or " or ".join(CHROMIUM_PATHS)
        _unavailable(f"no Chromium at {tried} (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000
            )
        except Error as error:
            _unavailable(f"Chromium at {executable} did not start: {error}")
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A fresh page (1280 x 1000) that fails the test on any script error it reports."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not errors, f"the page reported errors: {errors}"
