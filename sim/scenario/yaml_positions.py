"""Read YAML keeping where every key and value stands, and refusing duplicate keys.

PyYAML's plain loaders forget positions and keep the last of two equal keys silently; a person
who wrote a key twice deserves to hear about it, and every error should name a line and column.

A hostile file must not cost more than a normal one: the nodes are counted while the document is
composed, each alias as the nodes it repeats, so that a "billion laughs" of nested aliases is
refused at the alias that crosses MAX_NODES before anything is expanded; nesting (aliases
expanded) is limited to MAX_DEPTH levels, and an alias inside its own anchor is refused.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:  # libyaml parses about 50 times faster; the pure-Python parser is the fallback
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


Path = tuple[str | int, ...]
KEY_MARK = "<key>"
MAX_NODES = 100_000  # keys and values of a document, aliases expanded (a scenario has ~100)
MAX_DEPTH = 64  # levels of nesting, aliases expanded (a scenario needs ~7)
_LIMITS = f"at most {MAX_NODES} values, each alias counted as the values it repeats"


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        self.line, self.col, self.message = line, col, message
        super().__init__(f"{line}:{col}: {message}")


class _BoundedLoader(Composer, _Parser, SafeConstructor, Resolver):
    """Composes the node graph as PyYAML does (aliases share their anchor's node, nothing is
    copied), counting what the document would be once aliases are expanded."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.nodes = 0  # so far, aliases expanded
        self.depth = 0  # of the node being composed
        self.reached = 0  # deepest level reached so far, aliases expanded
        self.extent: dict[
            str | None, tuple[int, int]
        ] = {}  # anchor -> (nodes, levels) it stands for

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # never None here: the Composer checked for an end
        level = self.depth + 1
        if isinstance(event, yaml.AliasEvent):
            anchor = event.anchor
            if anchor in self.anchors and anchor not in self.extent:
                raise YamlProblem(
                    *_position(event.start_mark),
                    f"alias *{anchor} is inside its own anchor &{anchor} "
                    "(a value cannot contain itself)",
                )
            nodes, levels = self.extent.get(anchor, (1, 1))  # undefined: Composer says so
            self._count(nodes, level + levels - 1, event.start_mark, f"alias *{anchor} ")
            return super().compose_node(parent, index)
        self._count(1, level, event.start_mark, "")
        first, outer = self.nodes, self.reached
        self.depth = self.reached = level
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.extent[event.anchor] = (self.nodes - first + 1, self.reached - level + 1)
        self.depth, self.reached = level - 1, max(outer, self.reached)
        return node

    def _count(self, nodes: int, level: int, mark: Any, alias: str) -> None:
        self.nodes += nodes
        self.reached = max(self.reached, level)
        if self.nodes > MAX_NODES:
            what = f"{alias}brings the file to" if alias else "the file holds"
            raise YamlProblem(*_position(mark), f"{what} more than {MAX_NODES} values ({_LIMITS})")
        if level > MAX_DEPTH:
            what = f"{alias}makes a value" if alias else ""
            message = f"{what} nested deeper than {MAX_DEPTH} levels (at most {MAX_DEPTH})"
            raise YamlProblem(*_position(mark), message.strip())


def load_with_positions(text: str) -> tuple[Any, dict[Path, tuple[int, int]], list[YamlProblem]]:
    """Parse ``text``; return (data, positions by path, duplicate-key problems).

    Raises YamlProblem on a syntax error or a document past the limits. Positions are 1-based
    (line, column): ``path`` is where the value starts, and ``(*path, KEY_MARK)`` where its key
    is written, so that a wrong value points at the value and an unknown key at the key.
    """
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, col, f"YAML syntax: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise YamlProblem(1, 1, f"YAML syntax: {err}") from None
    finally:
        loader.dispose()
    if root is None:
        return None, {}, []
    builder = _Builder(loader)
    data = builder.build(root, ())
    return data, builder.positions, builder.problems


def _position(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _mark(node: yaml.Node) -> tuple[int, int]:
    return _position(node.start_mark)


class _Builder:
    """Constructs the data from the node graph, noting every position on the way."""

    def __init__(self, constructor: SafeConstructor) -> None:
        self.constructor = constructor
        self.positions: dict[Path, tuple[int, int]] = {}
        self.problems: list[YamlProblem] = []
        # id(mapping node) -> how many of its pairs (the last ones) were written in it rather
        # than merged by `<<`: flattening happens once, but an aliased node is built again.
        self.written: dict[int, int] = {}

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        if id(node) not in self.written:
            merges = sum(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value)
            self.written[id(node)] = len(node.value) - merges
            self.constructor.flatten_mapping(node)  # resolves merge keys, merged pairs first
        first_written = len(node.value) - self.written[id(node)]
        result: dict[Any, Any] = {}
        own: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                self.problems.append(YamlProblem(*_mark(key_node), "a key must be a plain scalar"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if i >= first_written:
                if key in own:
                    line, _ = self.positions[(*path, key, KEY_MARK)]
                    self.problems.append(
                        YamlProblem(
                            *_mark(key_node),
                            f"duplicate key {key!r} (first written at line {line})",
                        )
                    )
                    continue
                own.add(key)
            # Otherwise a written key overrides a merged one, and a later merged pair an earlier
            # one (flatten_mapping orders them so): what PyYAML's own loader would build.
            self.positions[(*path, key, KEY_MARK)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result
