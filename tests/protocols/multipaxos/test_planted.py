"""Planted bugs (`planted`) are caught: by the invariants under the nemesis, and by the
message-level tests."""

from __future__ import annotations

from typing import Any

from sim.protocols.multipaxos import Accept, Nack, Prepare
from tests.protocols.multipaxos.helpers import start, write
from tests.protocols.multipaxos.nemesis import nemesis_run
from tests.protocols.multipaxos.planted import ForgetfulAcceptor, SkipMerge

PLANTED = "tests.protocols.multipaxos.planted"


def _first_caught(cls: type, seeds: range) -> tuple[int, set[str], bool]:
    """The first seed whose run reports a violation, its kinds, and whether it stayed
    linearizable."""
    for seed in seeds:
        summary = nemesis_run(seed, f"{PLANTED}:{cls.__name__}")
        kinds = {v["kind"] for v in summary["safety"]["violations"]}
        if kinds:
            return seed, kinds, summary["linearizable"]
    raise AssertionError(f"{cls.__name__} not caught on seeds {seeds}")


def test_a_leader_skipping_the_merge_is_caught_on_the_first_seed() -> None:
    """A leader that ignores its phase-1 reports overwrites chosen slots: the phase-1 and the
    one-value invariants report it, and the history is not linearizable."""
    _seed, kinds, linearizable = _first_caught(SkipMerge, range(1000, 1001))
    assert {"proposals_respect_phase1", "one_value_per_slot"} <= kinds
    assert not linearizable


def test_an_acceptor_forgetting_its_promise_is_caught_within_twenty_seeds() -> None:
    """An acceptor that does not persist its promise, once restarted, promises or votes below
    it: promises_kept reports it (seed 1015 is the first, at this writing)."""
    _, kinds, _ = _first_caught(ForgetfulAcceptor, range(1000, 1020))
    assert "promises_kept" in kinds


def test_the_forgetful_acceptor_fails_the_restart_test_the_correct_one_passes() -> None:
    """The message-level restart test tells the two apart: only the correct acceptor refuses a
    lower ballot after a restart."""
    for cls, refuses in ((ForgetfulAcceptor, False), (SkipMerge, True)):
        acceptor, ctx = start("n2", cls=cls)
        acceptor.on_message(ctx, "n1", Prepare(9, 1))
        restarted, ctx = start("n2", cls=cls, durable=ctx.durable)
        restarted.on_message(ctx, "n3", Accept(5, 1, (write(1),), 0, 0.0))
        assert (ctx.take_sent()[0][1] == Nack(9, 5)) is refuses, cls.__name__


def test_a_subclass_handler_receives_its_messages() -> None:
    """A subclass overriding a message handler gets the messages (dispatch is per class)."""

    class Deaf(ForgetfulAcceptor):
        def _on_prepare(self, ctx: Any, src: str, msg: Prepare) -> None:
            pass

    acceptor, ctx = start("n2", cls=Deaf)
    acceptor.on_message(ctx, "n1", Prepare(9, 1))
    assert ctx.take_sent() == [] and acceptor.promised == 0
