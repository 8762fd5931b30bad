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


def _reference_rows() -> list[list[str]]:
    rows = []
    for line in render_reference().splitlines():
        if line.startswith("| `"):
            # Split on the table's pipes, not on the escaped ones inside a cell.
            cells = [c.strip() for c in line.replace("\\|", "\0").strip("|").split("|")]
            rows.append([c.replace("\0", "|") for c in cells])
    return rows


def test_every_key_in_the_reference_has_a_meaning() -> None:
    """No row of the reference leaves its meaning empty (every section, fault keys included)."""
    rows = _reference_rows()
    assert len(rows) > 60
    empty = [row[0] for row in rows if len(row) != 4 or not row[3]]
    assert not empty, empty


def test_reference_lists_the_keys_of_every_fault_kind() -> None:
    """Each fault kind's own keys are rows, e.g. `faults[].crash` and `faults[].nemesis.every`."""
    keys = {row[0].strip("`") for row in _reference_rows()}
    assert {"faults[].at", "faults[].for", "faults[].crash", "faults[].partition"} <= keys
    assert {"faults[].cut.from", "faults[].delay.extra", "faults[].clock.factor"} <= keys
    assert {"faults[].nemesis.kinds", "faults[].nemesis.every", "faults[].heal"} <= keys


def test_reference_explains_liveness_checks() -> None:
    """checks.live and checks.max_stall carry the meanings the liveness check implements."""
    page = render_reference()
    assert (
        "| `checks.live` | boolean | `false` | a stall longer than max_stall, or no completed "
        "operation, fails the run with exit 1 |" in page
    )
    assert "| `checks.max_stall` | duration | `1000.0` | the longest time with operations" in page


def test_every_distribution_has_a_meaning() -> None:
    """Each latency distribution's line says what its keys mean."""
    section = render_reference().split("## Latency distributions")[1].split("##")[0]
    entries = [line for line in section.splitlines() if line.startswith("- `{dist:")]
    assert len(entries) == 7
    assert all("}`: " in line for line in entries), entries
