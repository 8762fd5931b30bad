"""The teaching scenarios of stale reads: unsafe as written, linearizable once reads go
through the log; the replica check alone does not see the problem."""

from __future__ import annotations

import pytest

from sim import load_scenario, run
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("name", ["seed-stale-read", "raft-local-read"])
def test_local_reads_are_not_linearizable_but_log_reads_are(name: str) -> None:
    """read: local gives a non-linearizable history with agreeing replicas; read: log fixes it."""
    path = SCENARIOS / f"{name}.yaml"
    local = run(load_scenario(path))
    assert local.summary["safety"]["ok"] is True
    assert local.summary["linearizable"] is False
    logged = run(load_scenario(path, overrides=["cluster.params.read=log"]))
    assert logged.summary["linearizable"] is True
    assert logged.summary["ops"]["ok"] > 1000
