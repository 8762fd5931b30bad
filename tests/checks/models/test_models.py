"""Every built-in model against the brute-force oracle, on random small histories."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.checks.history import operations_from_records
from sim.checks.linearizability import check_operations, prefix_states
from sim.checks.models import BUILTIN, get_model
from tests.checks.brute_force import brute_force_linearizable
from tests.checks.models.histories import histories, perturbed

PROPERTY = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MODELS = sorted(BUILTIN)


def _agree(model: str, records: list[dict]) -> bool:
    ops = operations_from_records(records, functions=get_model(model).functions)
    result = check_operations(ops, model)
    verdict = brute_force_linearizable(ops, model)
    assert result.ok == verdict, records
    for failure in result.failures:  # the prefix reported is one the model can step through
        assert len(prefix_states(failure, model)) == failure.linearized
    return verdict


@pytest.mark.parametrize("model", MODELS)
@PROPERTY
@given(data=st.data())
def test_real_objects_are_linearizable(model: str, data: st.DataObject) -> None:
    """A history of the model's real object, with or without info ops, is linearizable."""
    info = data.draw(st.booleans())
    assert _agree(model, data.draw(histories(model, info=info)))


@pytest.mark.parametrize("model", MODELS)
@PROPERTY
@given(data=st.data())
def test_checker_agrees_with_brute_force(model: str, data: st.DataObject) -> None:
    """On perturbed histories, often not linearizable, the checker's verdict is the oracle's."""
    info = data.draw(st.booleans())
    _agree(model, data.draw(perturbed(model, info=info)))
