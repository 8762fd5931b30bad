"""Porcupine's key-value logs (its ``test_data/kv/*.txt``) -> quorumsim's history records.

Each line is an EDN map, ``{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}``,
in time order, with no time stamps: ``:f`` is ``:get``, ``:put`` or ``:append``, keys and values
are strings, a get's invoke has ``:value nil`` and its ``:ok`` the string read. Porcupine's model
(``kvModel`` in its tests) gives each key its own string, initially ``""``: a put replaces it, an
append concatenates onto it. Porcupine reads only ``:invoke`` and ``:ok`` lines; an invoke that
no ``:ok`` follows may have taken effect (quorumsim's ``info``), so ``:fail`` and ``:info`` are
read as Jepsen means them.
"""

from __future__ import annotations

from sim.checks.formats.jepsen import Problems, Record, edn_ops, records
from sim.checks.formats.text import SourceText

FUNCTIONS = ("get", "put", "append")
MODEL = "kv"  # the checker's model of Porcupine's kvModel


def kv_records(text: SourceText, problems: Problems) -> list[tuple[int, Record]]:
    """The records of a Porcupine kv log; problems of its lines are added to ``problems``."""
    found = records(edn_ops(text, problems), problems, functions=FUNCTIONS, need_key=True)
    kept = []
    for line, record in found:
        problem = _problem(record)
        if problem is None:
            kept.append((line, record))
        else:
            problems.add(line, problem)
    return kept


def _problem(record: Record) -> str | None:
    """What makes a record no line of a Porcupine kv log, if anything."""
    key, value = record["key"], record["value"]
    if not isinstance(key, str):
        return f":key {key!r} is not a string (Porcupine's keys are strings)"
    if record["type"] == "invoke" and record["f"] == "get":
        return None if value is None else f"a get's invoke has :value {value!r} (nil: it reads)"
    if record["type"] in ("invoke", "ok") and not isinstance(value, str):
        return f":value {value!r} is not a string (Porcupine's values are strings)"
    return None
