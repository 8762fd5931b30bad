"""The EDN reader and writer: every form of the EDN spec, and every way text can fail to be EDN."""

from __future__ import annotations

import math

import pytest

from sim.checks.formats.edn import (
    Char,
    EdnError,
    EdnList,
    Keyword,
    Symbol,
    Tagged,
    dumps,
    iter_elements,
    loads,
    plain,
)

FORMS = {
    "nil": ("nil", None),
    "true": ("true", True),
    "false": ("false", False),
    "integer": ("-42", -42),
    "bigint": ("12345678901234567890N", 12345678901234567890),
    "float": ("2.5e3", 2500.0),
    "decimal": ("1.25M", 1.25),
    "ratio": ("3/4", 0.75),
    "whole ratio": ("4/2", 2),
    "string with escapes": (r'"a\"b\\c\nd\u00e9"', 'a"b\\c\nd\u00e9'),
    "character": (r"\x", Char("x")),
    "named character": (r"\newline", Char("\n")),
    "unicode character": (r"\u0041", Char("A")),
    "keyword": (":timed-out", Keyword("timed-out")),
    "namespaced keyword": (":jepsen.history/op", Keyword("jepsen.history/op")),
    "symbol": ("nemesis/start", Symbol("nemesis/start")),
    "symbol that starts with a sign": ("-foo", Symbol("-foo")),
    "vector": ("[1 2 [3]]", [1, 2, [3]]),
    "list": ("(1 (2))", EdnList((1, EdnList((2,))))),
    "map": ("{:a 1, :b [2]}", {Keyword("a"): 1, Keyword("b"): [2]}),
    "map with a vector key": ("{[1 2] :x}", {(1, 2): Keyword("x")}),
    "set": ("#{1 2}", frozenset({1, 2})),
    "tagged": ('#inst "2024-01-01"', Tagged("inst", "2024-01-01")),
    "tagged map": (
        "#jepsen.history.Op{:f :read}",
        Tagged("jepsen.history.Op", {Keyword("f"): Keyword("read")}),
    ),
    "discard": ("[1 #_ 2 3]", [1, 3]),
    "discard of a discard": ("[#_ #_ 1 2 3]", [3]),
    "comment and commas": ("[1, ; two\n 3]", [1, 3]),
    "infinity": ("##-Inf", -math.inf),
}


@pytest.mark.parametrize("name", FORMS)
def test_each_form_reads_as_its_value(name: str) -> None:
    """Each EDN form reads as the Python value documented for it."""
    text, expected = FORMS[name]
    assert loads(text) == expected
    assert type(loads(text)) is type(expected)


def test_nan_reads() -> None:
    """##NaN reads as a float NaN."""
    assert math.isnan(loads("##NaN"))


BAD = {
    "unclosed vector": ("[1 2", 4, "a '[' is not closed"),
    "wrong closer": ("[1 2)", 4, "')' closes a '[' (expected ']')"),
    "unmatched closer": ("1 )", 2, "unmatched ')'"),
    "map with odd forms": ("{:a 1 :b}", 8, "a map needs a value for each key (3 forms in it)"),
    "duplicate map key": ("{:a 1 :a 2}", 0, "a map holds the key :a twice"),
    "duplicate set element": ("#{1 1}", 0, "a set holds the same element twice"),
    "unclosed string": ('"abc', 0, "a string is not closed"),
    "unknown escape": (r'"a\qb"', 2, r"unknown escape \q in a string"),
    "number glued to a name": ("12abc", 0, "cannot read '12abc'"),
    "dangling discard": ("#_", 2, "#_ has no value after it"),
    "discard before a closer": ("[1 #_]", 5, "#_ has no value before ']'"),
    "two values": ("1 2", 2, "expected one value, found 2"),
}


@pytest.mark.parametrize("name", BAD)
def test_text_that_is_not_edn_is_refused_where_it_goes_wrong(name: str) -> None:
    """Malformed EDN raises EdnError at the offset of the mistake, saying what it is."""
    text, offset, message = BAD[name]
    with pytest.raises(EdnError) as raised:
        loads(text)
    assert (raised.value.offset, raised.value.message) == (offset, message)


def test_nesting_is_bounded_without_recursion() -> None:
    """max_depth collections nest; one more is an error, however deep the text goes."""
    assert loads("[" * 100 + "]" * 100) is not None
    with pytest.raises(EdnError, match="nested deeper than 100 levels"):
        loads("[" * 100_000 + "]" * 100_000)


def test_a_history_vector_is_handed_out_an_element_at_a_time() -> None:
    """A first top-level vector spreads into its elements, with their offsets; later ones do not."""
    text = "[{:a 1}\n {:a 2}]\n[3]"
    assert list(iter_elements(text)) == [
        (1, {Keyword("a"): 1}),
        (9, {Keyword("a"): 2}),
        (17, [3]),
    ]


def test_the_spread_vector_does_not_count_as_a_level() -> None:
    """Inside a spread vector an element may nest max_depth levels, as a line's map may."""
    deep = "[" * 3 + "]" * 3
    assert list(iter_elements(f"[{deep}]", max_depth=3)) == [(1, [[[]]])]
    with pytest.raises(EdnError, match="deeper than 2"):
        list(iter_elements(f"[{deep}]", max_depth=2))


def test_plain_gives_json_like_values() -> None:
    """Keywords become names, lists and sets lists, map keys strings."""
    value = loads('{:f :read, :value #{3 1}, "k" (1 [2]), :t #inst "x", :c \\a}')
    assert plain(value) == {"f": "read", "value": [1, 3], "k": [1, [2]], "t": "x", "c": "a"}


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -3,
        2.5,
        'q"uo\\te\n',
        Keyword("ok"),
        [1, [2, None]],
        EdnList((1, 2)),
        {Keyword("a"): [1], "b": {Keyword("c"): False}},
        frozenset({1, 2}),
        Tagged("inst", "2024"),
        Char("\n"),
        Symbol("x/y"),
    ],
)
def test_dumps_then_loads_gives_the_value_back(value: object) -> None:
    """What dumps writes, loads reads back equal."""
    assert loads(dumps(value)) == value


@pytest.mark.parametrize(
    "text", [" " * 26 + "#1", " ;c\n" * 26 + "#1", '"' + "a" * 200_000, "[" + " " * 200_000 + "#1"]
)
def test_bad_text_is_refused_without_backtracking(text: str) -> None:
    """Runs of spaces or comments, or a long unclosed string, before an error cost linear time
    (a regular expression that splits a run of spaces every way took seconds at 26)."""
    import time

    start = time.process_time()
    with pytest.raises(EdnError):
        loads(text)
    assert time.process_time() - start < 1.0
