"""Read YAML keeping where every key and value stands, and refusing duplicate keys.

PyYAML's plain loaders forget positions and keep the last of two equal keys silently; a person
who wrote a key twice deserves to hear about it, and every error should name a line and column.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]
KEY_MARK = "<key>"


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        self.line, self.col, self.message = line, col, message
        super().__init__(f"{line}:{col}: {message}")


def load_with_positions(text: str) -> tuple[Any, dict[Path, tuple[int, int]], list[YamlProblem]]:
    """Parse ``text``; return (data, positions by path, duplicate-key problems).

    Raises YamlProblem on a syntax error. Positions are 1-based (line, column): ``path`` is
    where the value starts, and ``(*path, KEY_MARK)`` where its key is written, so that a wrong
    value points at the value and an unknown key at the key.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, col, f"YAML syntax: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise YamlProblem(1, 1, f"YAML syntax: {err}") from None
    positions: dict[Path, tuple[int, int]] = {}
    problems: list[YamlProblem] = []
    if root is None:
        return None, positions, problems
    constructor = yaml.SafeLoader("")
    data = _build(root, (), positions, problems, constructor)
    return data, positions, problems


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(
    node: yaml.Node,
    path: Path,
    positions: dict[Path, tuple[int, int]],
    problems: list[YamlProblem],
    constructor: yaml.SafeLoader,
) -> Any:
    positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                problems.append(YamlProblem(*_mark(key_node), "a key must be a plain scalar"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                line, _ = positions[(*path, key, KEY_MARK)]
                problems.append(
                    YamlProblem(
                        *_mark(key_node), f"duplicate key {key!r} (first written at line {line})"
                    )
                )
                continue
            positions[(*path, key, KEY_MARK)] = _mark(key_node)
            result[key] = _build(value_node, (*path, key), positions, problems, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, i), positions, problems, constructor)
            for i, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)
