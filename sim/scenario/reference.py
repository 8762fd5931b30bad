"""The reference page of every scenario key with its default, generated from the models so that
it cannot drift from them (a test compares it with docs/reference.md).

``python -m sim.scenario.reference`` rewrites docs/reference.md and docs/scenario.schema.json.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.protocols.registry import get_protocol, protocol_names
from sim.scenario.fault_entry import ROLES, Undoable
from sim.scenario.faults import entry_models
from sim.scenario.loader import MAX_BYTES
from sim.scenario.model import Constant, Latency, Scenario
from sim.scenario.schema import scenario_schema
from sim.scenario.yaml_positions import MAX_DEPTH, MAX_NODES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _field_type(field: FieldInfo) -> str:
    """The type of a field, with the units pydantic keeps in its metadata."""
    return _unit(field.metadata) or _type_name(field.annotation)


def _unit(metadata: Any) -> str | None:
    """duration, rate or probability, from a field's validators and bounds."""
    text = " ".join(repr(m) for m in metadata)
    if "a node name, a list of names, or a role" in text:  # the schema of faults.Target
        return "target"
    if "parse_duration" in text:
        return "duration"
    if "parse_rate" in text:
        return "rate"
    if "le=1.0" in text and "ge=0.0" in text:
        return "probability"
    return None


def _type_name(annotation: Any) -> str:
    """A short, human name of a type."""
    if annotation is type(None):
        return "none"
    if annotation is float:
        return "number"
    if annotation is int:
        return "integer"
    if annotation is str:
        return "string"
    if annotation is bool:
        return "boolean"
    if annotation is Latency:
        return "latency"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        for meta in args[1:]:
            if hasattr(meta, "choices"):  # a name checked against a registry (fault kinds)
                return _type_name(typing.Literal[tuple(meta.choices())])
        return _unit(args[1:]) or _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{json.dumps(a) if isinstance(a, bool) else a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        if _is_latency(annotation):
            return "latency"
        return " or ".join(dict.fromkeys(_type_name(a) for a in args))
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    return getattr(annotation, "__name__", str(annotation))


def _is_latency(annotation: Any) -> bool:
    """A latency union (alone or with None) has the Constant model among its tagged members."""
    for member in typing.get_args(annotation):
        if member is Latency:
            return True
        origin = typing.get_origin(member)
        if origin is typing.Annotated and typing.get_args(member)[0] is Constant:
            return True
        if origin in (typing.Union, types.UnionType) and _is_latency(member):
            return True
    return False


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
        if not value or len(json.dumps(value)) > 60:
            return "(see below)" if value else "{}"
    return f"`{json.dumps(value)}`"


def _nested_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """The model a field holds (suffix "" ) or holds a list of (suffix "[]"), if exactly one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", annotation
    if typing.get_origin(annotation) is list:
        inner = _nested_model(typing.get_args(annotation)[0])
        return ("[]", inner[1]) if inner else None
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [
            a
            for a in typing.get_args(annotation)
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if len(models) == 1:
            return "", models[0]
    return None


def _rows(model: type[BaseModel], prefix: str, only: set[str] | None = None) -> list[str]:
    """A row per field of ``model`` (or of the fields named in ``only``), then the rows of the
    models they hold."""
    rows, nested = [], []
    for name, field in model.model_fields.items():
        if only is not None and name not in only:
            continue
        key = f"{prefix}{field.alias or name}"
        description = (field.description or "").replace("\n", " ").replace("|", "\\|")
        kind = "latency" if _is_latency(field.annotation) else _field_type(field)
        rows.append(f"| `{key}` | {kind} | {_default(field)} | {description} |")
        sub = _nested_model(field.annotation)
        if sub is not None and kind != "latency":
            nested.append((key + sub[0], sub[1]))
    for key, model_ in nested:
        rows += _rows(model_, f"{key}.")
    return rows


def _table(rows: list[str]) -> str:
    return "\n".join(["| key | type | default | meaning |", "|---|---|---|---|", *rows])


def _fault_section() -> str:
    """The keys every fault entry may have (`at`, `for`), then each kind's own."""
    timing = Undoable.model_fields  # `at` and `for` as every fault that can be undone has them
    at, undo = timing["at"], timing["for_"]
    rows = [
        f"| `faults[].at` | duration | required (nemesis: `0.0`) | {at.description} |",
        f"| `faults[].for` | duration or none | `null` | {undo.description} |",
    ]
    for model in entry_models(builtin=True):
        rows += _rows(model, "faults[].", only={model.kind})
    return "\n".join(
        [
            "## Faults",
            "",
            "Each entry of `faults:` has `at:` and one kind key, e.g. `{at: 5s, crash: leader, "
            "for: 1s}`. A `target` is a node name, a list of names, or a role resolved when the "
            f"fault fires: {', '.join(f'`{r}`' for r in ROLES)}.",
            "",
            _table(rows),
        ]
    )


def _latency_section() -> str:
    lines = [
        "## Latency distributions",
        "",
        "A `latency` is a duration (a constant) or one of these mappings:",
        "",
    ]
    for variant in typing.get_args(typing.get_args(Latency)[0]):
        model = typing.get_args(variant)[0]
        fields = model.model_fields
        dist = typing.get_args(fields["dist"].annotation)[0]
        others = ", ".join(f"{n}: {_field_type(f)}" for n, f in fields.items() if n != "dist")
        doc = (model.__doc__ or "").strip().splitlines()
        entry = f"- `{{dist: {dist}, {others}}}`"
        lines.append(entry + (f": {doc[0]}" if doc else ""))
    return "\n".join(dict.fromkeys(lines))


def render_reference() -> str:
    parts = [
        "# Scenario file reference",
        "",
        "Generated from the models in `sim/scenario/` and each protocol's parameter model by",
        "`python -m sim.scenario.reference`; a test fails when this page is stale.",
        "Durations are `250us`, `5ms`, `1.5s`, `2m` or bare milliseconds; rates `100/s` or a",
        "bare number per second; probabilities numbers in [0, 1].",
        f"A file is at most {MAX_BYTES // 2**20} MiB and {MAX_NODES} keys and values (each alias",
        f"counted as the values it repeats), nested at most {MAX_DEPTH} levels.",
        "",
        "## Keys",
        "",
        _table(_rows(Scenario, "")),
        "",
        _fault_section(),
        "",
        _latency_section(),
        "",
        "## Protocol parameters (`cluster.params`)",
    ]
    for name in protocol_names(builtin=True):
        params = get_protocol(name).Params
        parts += ["", f"### `{name}`", "", _table(_rows(params, ""))]
    return "\n".join(parts) + "\n"


def render_schema() -> str:
    return json.dumps(scenario_schema(), indent=2) + "\n"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    (DOCS / "reference.md").write_text(render_reference(), encoding="utf-8")
    (DOCS / "scenario.schema.json").write_text(render_schema(), encoding="utf-8")
    sys.stdout.write("written docs/reference.md and docs/scenario.schema.json\n")


if __name__ == "__main__":
    main()
