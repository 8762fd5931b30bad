"""EDN (extensible data notation, https://github.com/edn-format/edn), read and written.

Jepsen and Knossos write their histories in EDN. This is a whole EDN reader, small and without
dependencies: nil, booleans, strings, characters, integers (``N``), floats (``M``), ratios,
keywords, symbols, lists, vectors, maps, sets, tagged elements (``#inst "..."``, also
``#jepsen.history.Op{...}``), the discard ``#_`` and ``;`` comments; commas are whitespace.

A token at a time with one regular expression, and an explicit stack instead of recursion, so
that nesting is bounded by ``max_depth`` (an error, not a RecursionError) and a top-level
vector or list of a whole history can be handed out an element at a time (`iter_elements`).
Errors are `EdnError`, with the 0-based offset where the reader stopped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "Char",
    "EdnError",
    "EdnList",
    "Keyword",
    "Symbol",
    "Tagged",
    "dumps",
    "iter_elements",
    "loads",
    "plain",
]


@dataclass(frozen=True, slots=True)
class Keyword:
    """``:name`` (``name`` may carry a namespace: ``:jepsen.history/op``)."""

    name: str

    def __str__(self) -> str:
        return ":" + self.name

    def __hash__(self) -> int:  # the dataclass' would hash a tuple: maps hash keywords a lot
        return hash(self.name)


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Char:
    """A character literal (``\\a``, ``\\newline``), kept apart from one-letter strings."""

    value: str


@dataclass(frozen=True, slots=True)
class Tagged:
    """A tagged element ``#tag value`` the reader has no handler for."""

    tag: str
    value: Any


class EdnList(tuple[Any, ...]):
    """A list ``( ... )``: read as a tuple, told apart from a vector (a Python list)."""

    __slots__ = ()


class EdnError(ValueError):
    """Text that is not EDN; ``offset`` is where in the text the reader stopped."""

    def __init__(self, offset: int, message: str, opened: int | None = None) -> None:
        super().__init__(message if opened is None else f"{message} (opened at offset {opened})")
        self.offset = offset
        self.message = message
        self.opened = opened  # where the collection the message is about opens


_DELIMITERS = r"\s,()\[\]{}\"\\;"
_SPACE = re.compile(r"(?:[\s,]++|;[^\n]*+)*+")
# One match per token, the whitespace and comments before it included; ``end`` at the end.
# Possessive quantifiers: a run of spaces or a string's body is never split again on failing.
_TOKEN = re.compile(
    rf"""
    (?:[\s,]++|;[^\n]*+)*+
    (?:(?P<open>\#\{{|[(\[{{])
    |(?P<close>[)\]}}])
    |(?P<string>"(?:[^"\\]++|\\.)*+")
    |(?P<discard>\#_)
    |(?P<symbolic>\#\#(?:Inf|-Inf|NaN))
    |(?P<tag>\#[A-Za-z][^{_DELIMITERS}]*+)
    |(?P<char>\\(?:newline|return|space|tab|formfeed|backspace|u[0-9A-Fa-f]{{4}}|\S))
    |(?P<number>[+-]?\d+(?:/\d+|N|(?:\.\d*)?(?:[eE][+-]?\d+)?M?))(?=[{_DELIMITERS}]|$)
    |(?P<keyword>:[^{_DELIMITERS}:][^{_DELIMITERS}]*+)
    |(?P<symbol>[^{_DELIMITERS}\#\d:'][^{_DELIMITERS}]*+)
    |(?P<end>\Z))
    """,
    re.VERBOSE | re.DOTALL,
)
_CLOSERS = {"(": ")", "[": "]", "{": "}", "#{": "}"}
_NAMED_CHARS = {
    "newline": "\n",
    "return": "\r",
    "space": " ",
    "tab": "\t",
    "formfeed": "\f",
    "backspace": "\b",
}
_STRING_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "/": "/",
}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)
_NIL, _TRUE, _FALSE = "nil", "true", "false"
_SYMBOLIC = {"##Inf": math.inf, "##-Inf": -math.inf, "##NaN": math.nan}


class _Frame:
    """A collection being read: its opener, items, where it began, and the prefixes (tags and
    discards) waiting for the next value inside it."""

    __slots__ = ("items", "offset", "opener", "prefixes", "spread")

    def __init__(self, opener: str, offset: int, spread: bool = False) -> None:
        self.opener = opener
        self.offset = offset
        self.items: list[Any] = []
        self.prefixes: list[tuple[str, int]] = []  # ("#_", offset) or (tag, offset)
        self.spread = spread  # its items are handed out, not kept (iter_elements)


def iter_elements(text: str, max_depth: int = 100) -> Iterator[tuple[int, Any]]:
    """Yield (offset, value) for each top-level value of ``text``; a first top-level vector or
    list yields its elements instead (a history file is a sequence of ops, or one vector of
    them). ``max_depth`` counts collections inside the elements, the element itself as 1."""
    return _read(text, max_depth, spread_first=True)


def loads(text: str, max_depth: int = 100) -> Any:
    """The single value ``text`` holds."""
    values = list(_read(text, max_depth, spread_first=False))
    if len(values) != 1:
        where = values[1][0] if values else len(text)
        raise EdnError(where, f"expected one value, found {len(values)}")
    return values[0][1]


def _read(text: str, max_depth: int, spread_first: bool) -> Iterator[tuple[int, Any]]:
    top = _Frame("", 0)
    stack = [top]
    spread_open = spread_first
    match = _TOKEN.match
    keywords: dict[str, Keyword] = {}  # one object per keyword: a history repeats a few
    position, end = 0, len(text)
    while True:
        token = match(text, position)
        if token is None:
            skipped = _SPACE.match(text, position)
            assert skipped is not None, "it matches the empty string"
            position = skipped.end()
            if text[position] == '"':
                raise EdnError(position, "a string is not closed")
            raise EdnError(position, f"cannot read {_sample(text, position)}")
        kind = str(token.lastgroup)  # every alternative is a named group
        if kind == "end":
            break
        start, position = token.start(kind), token.end()
        frame = stack[-1]
        if kind == "open":
            opener = token.group(kind)
            spread = spread_open and frame is top and not frame.prefixes and opener in "(["
            spread_open = False
            depth = len(stack) - 1 - (1 if len(stack) > 1 and stack[1].spread else 0)
            if not spread and depth >= max_depth:
                raise EdnError(start, f"nested deeper than {max_depth} levels")
            stack.append(_Frame(opener, start, spread))
            continue
        if kind == "close":
            closer = token.group(kind)
            if frame is top:
                raise EdnError(start, f"unmatched {closer!r}")
            if _CLOSERS[frame.opener] != closer:
                raise EdnError(
                    start,
                    f"{closer!r} closes a {frame.opener!r} (expected {_CLOSERS[frame.opener]!r})",
                    frame.offset,
                )
            if frame.prefixes:
                raise EdnError(start, f"{frame.prefixes[-1][0]} has no value before {closer!r}")
            stack.pop()
            if frame.spread:
                continue
            value = _collection(frame, start)
            start = frame.offset
            frame = stack[-1]
        elif kind == "keyword":
            name = token.group(kind)
            value = keywords.get(name) or keywords.setdefault(name, Keyword(name[1:]))
        elif kind in ("discard", "tag"):
            frame.prefixes.append((token.group(kind), start))
            continue
        else:
            value = _atom(kind, token.group(kind), start)
        spread_open = False
        # Apply the prefixes waiting in this frame: a discard drops the value, a tag wraps it.
        kept = True
        while frame.prefixes:
            prefix, offset = frame.prefixes.pop()
            if prefix == "#_":
                kept = False
                break
            value = Tagged(prefix[1:], value)
            start = offset
        if not kept:
            continue
        if frame is top or frame.spread:
            yield start, value
        else:
            frame.items.append(value)
    if len(stack) > 1:
        frame = stack[-1]
        raise EdnError(end, f"a {frame.opener!r} is not closed", frame.offset)
    if top.prefixes:
        raise EdnError(end, f"{top.prefixes[-1][0]} has no value after it")


def _collection(frame: _Frame, offset: int) -> Any:
    items = frame.items
    if frame.opener == "[":
        return items
    if frame.opener == "(":
        return EdnList(items)
    if frame.opener == "#{":
        elements = [_hashable(item) for item in items]
        found = frozenset(elements)
        if len(found) != len(elements):
            raise EdnError(frame.offset, "a set holds the same element twice")
        return found
    if len(items) % 2:
        raise EdnError(offset, f"a map needs a value for each key ({len(items)} forms in it)")
    result: dict[Any, Any] = {}
    for i in range(0, len(items), 2):
        key = items[i]
        if isinstance(key, list | dict):
            key = _hashable(key)
        if key in result:
            raise EdnError(frame.offset, f"a map holds the key {dumps(items[i])} twice")
        result[key] = items[i + 1]
    return result


def _hashable(value: Any) -> Any:
    """A map key or set element: vectors become tuples, maps frozensets of their items."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    return value


def _atom(kind: str | None, text: str, offset: int) -> Any:
    if kind == "string":
        if "\\" not in text:
            return text[1:-1]
        return _ESCAPE.sub(lambda m: _unescape(m, offset), text[1:-1])
    if kind == "number":
        return int(text) if text.isdigit() else _number(text)
    if kind == "char":
        name = text[1:]
        if len(name) == 1:
            return Char(name)
        if name in _NAMED_CHARS:
            return Char(_NAMED_CHARS[name])
        return Char(chr(int(name[1:], 16)))
    if kind == "symbolic":
        return _SYMBOLIC[text]
    if text == _NIL:
        return None
    if text in (_TRUE, _FALSE):
        return text == _TRUE
    return Symbol(text)


def _unescape(match: re.Match[str], offset: int) -> str:
    escape = match.group(1)
    if len(escape) == 5:
        return chr(int(escape[1:], 16))
    found = _STRING_ESCAPES.get(escape)
    if found is None:
        raise EdnError(offset + match.start() + 1, f"unknown escape \\{escape} in a string")
    return found


def _number(text: str) -> int | float:
    if text.endswith("N"):
        return int(text[:-1])
    if "/" in text:
        ratio = Fraction(text)
        return int(ratio) if ratio.denominator == 1 else float(ratio)
    if text.endswith("M"):
        text = text[:-1]
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


def _sample(text: str, position: int) -> str:
    piece = text[position : position + 20].split("\n", 1)[0]
    return repr(piece) if piece else "the end of the line"


def plain(value: Any) -> Any:
    """The JSON-like Python value quorumsim checks and writes: keywords, symbols and characters
    become their names, lists, vectors and sets lists (a set sorted), tagged elements their
    value, map keys strings (a keyword key without its colon)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Keyword | Symbol):
        return value.name
    if isinstance(value, Char):
        return value.value
    if isinstance(value, Tagged):
        return plain(value.value)
    if isinstance(value, dict):
        return {_key_name(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset):
        return sorted((plain(item) for item in value), key=_order)
    return [plain(item) for item in value]


def _key_name(key: Any) -> str:
    name = plain(key)
    return name if isinstance(name, str) else dumps(key)


def _order(value: Any) -> str:
    """A sort key for the elements of a set, which may mix types."""
    return f"{type(value).__name__}:{value!r}"


def dumps(value: Any) -> str:
    """EDN text for a Python value: None nil, str a string, Keyword a keyword, list a vector,
    tuple a list, dict a map, set and frozenset a set (sorted, so output is reproducible)."""
    if value is None:
        return _NIL
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "##NaN"
        if math.isinf(value):
            return "##Inf" if value > 0 else "##-Inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + _escape_string(value) + '"'
    if isinstance(value, Keyword):
        return str(value)
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, Char):
        named = {v: k for k, v in _NAMED_CHARS.items()}
        return "\\" + named.get(value.value, value.value)
    if isinstance(value, Tagged):
        return f"#{value.tag} {dumps(value.value)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{dumps(k)} {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, set | frozenset):
        return "#{" + " ".join(sorted(dumps(item) for item in value)) + "}"
    if isinstance(value, tuple):
        return "(" + " ".join(dumps(item) for item in value) + ")"
    if isinstance(value, list):
        return "[" + " ".join(dumps(item) for item in value) + "]"
    raise TypeError(f"no EDN form for {type(value).__name__} {value!r}")


def _escape_string(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
