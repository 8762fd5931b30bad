"""The protocol API's own rules: leaders rank by the epoch a protocol reports, and protocols
stand without the checks."""

from __future__ import annotations

import ast
from pathlib import Path

from sim.protocols.api import Protocol, ProtocolParams
from sim.protocols.raft import Raft

PROTOCOLS = Path(__file__).resolve().parents[2] / "sim" / "protocols"


class _Leader(Protocol):
    name = "test-leader"
    Params = ProtocolParams

    term = 9  # a field of the protocol's own, not its epoch

    @property
    def is_leader(self) -> bool:
        return True


class _Balloted(_Leader):
    @property
    def epoch(self) -> int:
        return 4


def test_a_leader_ranks_by_its_epoch_not_by_an_attribute_named_term() -> None:
    """Without an epoch a leader ranks 0; with one, by it; a follower has no rank."""
    assert _Leader(ProtocolParams(), "n1", ("n1",)).leader_rank() == 0.0
    assert _Balloted(ProtocolParams(), "n1", ("n1",)).leader_rank() == 4.0
    follower = Raft(Raft.Params(), "n1", ("n1", "n2", "n3"))
    follower.term = 3
    assert follower.epoch == 3 and follower.leader_rank() is None


def test_no_protocol_module_imports_the_checks() -> None:
    """Protocols import `sim.protocols.api`, never `sim.checks` (which may import them)."""
    offenders = []
    for path in sorted(PROTOCOLS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("sim.checks")]
    assert offenders == []
