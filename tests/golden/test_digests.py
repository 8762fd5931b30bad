"""A refactor that must not change behaviour leaves every golden run's files byte-identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.cases import CASES, DIGESTS, digests_of

EXPECTED = json.loads(DIGESTS.read_text(encoding="utf-8"))


def test_every_case_has_digests() -> None:
    assert sorted(EXPECTED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_run_is_unchanged(name: str, tmp_path: Path) -> None:
    """Same scenario, same seed, same bytes as when the digests were taken (update them only on
    purpose: `python -m tests.golden.cases`, with the reason in the commit message)."""
    assert digests_of(name, tmp_path) == EXPECTED[name]
