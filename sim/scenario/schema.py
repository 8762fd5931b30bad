"""The JSON Schema of scenario files, for editors (yaml-language-server) and `quorumsim schema`."""

from __future__ import annotations

from typing import Any

from sim.protocols.registry import get_protocol, protocol_names
from sim.scenario.model import Scenario


def scenario_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "quorumsim scenario"
    cluster = schema["$defs"]["Cluster"]["properties"]
    cluster["protocol"]["enum"] = protocol_names(builtin=True)
    # Parameters depend on the protocol: offer each protocol's model, matched by its name.
    variants = []
    for name in protocol_names(builtin=True):
        params = get_protocol(name).Params.model_json_schema(by_alias=True)
        for key, definition in params.pop("$defs", {}).items():
            schema["$defs"][key] = definition
        schema["$defs"][f"{name}_params"] = params
        variants.append(
            {
                "if": {"properties": {"protocol": {"const": name}}},
                "then": {"properties": {"params": {"$ref": f"#/$defs/{name}_params"}}},
            }
        )
    schema["$defs"]["Cluster"]["allOf"] = variants
    return schema
