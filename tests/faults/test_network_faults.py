"""Faults on links: each one observed in the trace, not just called."""

from __future__ import annotations

from tests.faults.ticker import Ticker, rows, tick

LEFT, RIGHT = {"n1", "n2"}, {"n3", "n4"}


def _crosses(fields: dict[str, str]) -> bool:
    return (fields["src"] in LEFT) != (fields["dst"] in LEFT)


def test_partition_stops_every_message_across_the_cut() -> None:
    """While partitioned, nothing crosses between the groups: every try is a `partition` drop;
    inside each group messages still flow."""
    sim = tick([{"at": "100ms", "partition": [["n1", "n2"], ["n3", "n4"]], "for": "300ms"}])
    during = [f for t, f in rows(sim, "send") if 100 <= t < 400]
    assert during and not any(_crosses(f) for f in during)
    assert not any(_crosses(f) for t, f in rows(sim, "deliver") if 101 <= t < 400)
    drops = [f for t, f in rows(sim, "drop") if 100 <= t < 400]
    assert drops and all(f["reason"] == "partition" and _crosses(f) for f in drops)


def test_heal_lets_messages_flow_again() -> None:
    """After `heal`, messages cross the former cut again and nothing more is dropped."""
    sim = tick([{"at": "100ms", "partition": [["n1", "n2"]]}, {"at": "400ms", "heal": True}])
    assert any(_crosses(f) for t, f in rows(sim, "deliver") if t >= 400)
    assert not [t for t, f in rows(sim, "drop") if t >= 400]


def test_unnamed_nodes_form_their_own_group() -> None:
    """`partition: [[n1, n2]]` cuts n1, n2 from n3, n4, which still talk to each other."""
    sim = tick([{"at": 0, "partition": [["n1", "n2"]]}])
    sent = rows(sim, "send")
    assert not any(_crosses(f) for t, f in sent)
    assert any(f["src"] == "n3" and f["dst"] == "n4" for t, f in sent)


def test_cut_is_one_way() -> None:
    """`cut: {from: n1, to: n2}` drops n1 -> n2 only; n2 -> n1 still arrives."""
    sim = tick([{"at": 0, "cut": {"from": "n1", "to": "n2"}}])
    delivered = {(f["src"], f["dst"]) for t, f in rows(sim, "deliver")}
    assert ("n1", "n2") not in delivered
    assert ("n2", "n1") in delivered
    assert {(f["src"], f["dst"]) for t, f in rows(sim, "drop")} == {("n1", "n2")}


def test_isolate_cuts_a_node_from_all_until_undone() -> None:
    """An isolated node neither sends nor receives anything; after `for` it is back."""
    sim = tick([{"at": "100ms", "isolate": "n3", "for": "200ms"}])
    during = [f for t, f in rows(sim, "deliver") if 101 <= t < 300]
    assert during and not any("n3" in (f["src"], f["dst"]) for f in during)
    assert any(f["dst"] == "n3" for t, f in rows(sim, "deliver") if t >= 300)
    assert [row[1:] for row in sim.recorder.faults] == [("isolate", "n3"), ("heal", "n3")]


def test_loss_one_delivers_nothing() -> None:
    """`loss: 1.0` drops every message: nothing is delivered."""
    sim = tick([{"at": 0, "loss": 1.0}])
    assert sim.network.sent > 0
    assert sim.network.delivered == 0
    assert sim.network.dropped == sim.network.sent
    assert not rows(sim, "deliver")


def test_loss_ends_after_for() -> None:
    """A loss with `for` gives the links back their own (zero) loss."""
    sim = tick([{"at": 0, "loss": 1.0, "for": "500ms"}])
    assert not [t for t, f in rows(sim, "drop") if t >= 500]
    assert [t for t, f in rows(sim, "deliver") if t >= 500]


def test_duplicate_one_delivers_everything_twice() -> None:
    """`duplicate: 1.0` delivers every message twice, and each copy is handled."""
    sim = tick([{"at": 0, "duplicate": 1.0}])
    sent = sim.network.sent
    assert sent > 0
    assert sim.network.duplicated == sent
    assert sim.network.delivered == 2 * sent
    assert len(rows(sim, "deliver")) == 2 * sent
    assert sum(what != "tick" for t, n, what in Ticker.handled) == 2 * sent


def test_delay_adds_latency_to_chosen_links() -> None:
    """`delay: {extra: 20ms, to: n3}`: messages to n3 take 21 ms, the others still 1 ms."""
    sim = tick([{"at": 0, "delay": {"extra": "20ms", "to": "n3"}}])
    took = {(f["dst"] == "n3", round(f["arrive"] - t, 9)) for t, f in rows(sim, "send")}
    assert took == {(True, 21.0), (False, 1.0)}


def test_delay_shorthand_delays_every_link() -> None:
    """`delay: 5ms` delays every node-to-node link, until `for` ends it."""
    sim = tick([{"at": 0, "delay": "5ms", "for": "500ms"}])
    took = {round(f["arrive"] - t, 9) for t, f in rows(sim, "send") if t < 500}
    assert took == {6.0}
    assert {round(f["arrive"] - t, 9) for t, f in rows(sim, "send") if t >= 500} == {1.0}
