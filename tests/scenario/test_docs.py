"""Generated docs stay current with the models they are generated from."""

from __future__ import annotations

import json

from sim.scenario.reference import DOCS, render_reference, render_schema


def test_reference_page_is_current() -> None:
    """docs/reference.md equals what the models generate (run python -m sim.scenario.reference)."""
    assert (DOCS / "reference.md").read_text(encoding="utf-8") == render_reference()


def test_schema_file_is_current() -> None:
    """docs/scenario.schema.json, which scenario files point editors at, is the current schema."""
    assert (DOCS / "scenario.schema.json").read_text(encoding="utf-8") == render_schema()


def test_reference_lists_every_key_with_its_default() -> None:
    """Each section's keys appear with their defaults, e.g. network.loss defaults to 0."""
    page = render_reference()
    assert "| `network.loss` | probability | `0.0` |" in page
    assert "| `workload.timeout` | duration | `1000.0` |" in page
    assert '| `quorum` | `article` \\| `majority` or integer | `"article"` |' in page


def test_schema_offers_protocol_parameters() -> None:
    """The schema ties `cluster.params` to the chosen protocol's parameter model."""
    schema = json.loads(render_schema())
    variants = schema["$defs"]["Cluster"]["allOf"]
    assert {v["if"]["properties"]["protocol"]["const"] for v in variants} >= {"seed"}
