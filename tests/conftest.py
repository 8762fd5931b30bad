"""Shared helpers: small scenarios built in code, and the repository's paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.scenario import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# The headless-Chromium fixtures (browser, browser_page), registered once: Playwright's sync API
# refuses a second live instance, so no module may import them on its own.
pytest_plugins = ["tests.browser"]


def make_scenario(**sections: Any) -> Scenario:
    """A scenario from keyword sections, e.g. make_scenario(cluster={"nodes": 3})."""
    data: dict[str, Any] = {"name": "test", "duration": "2s"}
    data.update(sections)
    return scenario_from_dict(data)


@pytest.fixture
def scenario_factory():
    return make_scenario
