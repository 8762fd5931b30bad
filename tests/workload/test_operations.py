"""What clients ask for: kinds in proportion to the mix, keys uniform, values as documented."""

from __future__ import annotations

from collections import Counter

import numpy as np

from sim.scenario.model import Workload
from sim.workload.operations import OperationMaker

DRAWS = 40_000


def _maker(**workload: object) -> tuple[OperationMaker, np.random.Generator]:
    rng = np.random.default_rng(7)
    return OperationMaker(Workload.model_validate(workload), rng), rng


def test_kinds_follow_the_mix_and_keys_are_uniform() -> None:
    maker, _ = _maker(mix={"write": 5, "read": 3, "cas": 2}, keys=4)
    made = [maker.make(op_id) for op_id in range(1, DRAWS + 1)]
    kinds = Counter(op for op, _, _ in made)
    keys = Counter(key for _, key, _ in made)
    # Binomial standard deviations are under 0.25% here: 1% is four of them.
    for kind, weight in (("write", 0.5), ("read", 0.3), ("cas", 0.2)):
        assert abs(kinds[kind] / DRAWS - weight) < 0.01, kinds
    assert sorted(keys) == ["k1", "k2", "k3", "k4"]
    for count in keys.values():
        assert abs(count / DRAWS - 0.25) < 0.01, keys


def test_values_name_the_operation_and_cas_expects_what_was_seen() -> None:
    maker, _ = _maker(mix={"write": 1, "read": 1, "cas": 1}, keys=1)
    seen = None
    for op_id in range(1, 300):
        op, key, value = maker.make(op_id)
        if op == "write":
            assert value == op_id
            maker.observed(op, key, value, None)
            seen = op_id
        elif op == "read":
            assert value is None
        else:
            assert value == [seen, op_id]


def test_nothing_is_drawn_where_there_is_nothing_to_choose() -> None:
    """A write-only, one-key workload leaves its stream untouched; two keys draw one per op."""
    maker, rng = _maker()
    before = rng.bit_generator.state
    assert [maker.make(op_id) for op_id in (1, 2, 3)] == [("write", "k1", n) for n in (1, 2, 3)]
    assert rng.bit_generator.state == before
    maker, rng = _maker(keys=2)
    keys = [maker.make(op_id)[1] for op_id in range(1, 17)]  # one batch of 16 uniforms
    expected = [f"k{int(u * 2) + 1}" for u in np.random.default_rng(7).random(16)]
    assert keys == expected
