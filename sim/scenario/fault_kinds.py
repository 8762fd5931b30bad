"""The fault registry: which kinds a scenario's `faults:` may name, found three ways.

1. A built-in kind: a module of `sim.faults.kinds` that adds its entry model with
   ``@register_fault``.
2. A kind an installed package declares under the entry-point group ``quorumsim.faults``
   (``name = "module:Class"`` in its pyproject.toml), imported the first time the kinds are
   listed.
3. A kind registered from Python (a test module, a notebook) with ``@register_fault``.

The built-ins are found by their package's name, not by an import: the scenario model is read
by the network, which is below the faults in the layers (pyproject.toml's contracts), so nothing
the scenario imports may import the faults. A kind is looked up when a scenario is validated, so
one registered after this module was imported still counts.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from importlib.metadata import entry_points
from typing import Any

from sim.scenario.fault_entry import FaultEntry, Undoable

ENTRY_POINT_GROUP = "quorumsim.faults"
BUILTIN_PACKAGE = "sim.faults.kinds"
RESERVED = frozenset({"at", "for", "nemesis"})  # keys every entry may have, or the nemesis's

_KINDS: dict[str, type[FaultEntry]] = {}  # in the order registered
_LOADED: dict[str, type[FaultEntry]] = {}  # kinds that came from entry points
_BROKEN: dict[str, str] = {}  # entry points that failed to load -> what is wrong
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def register_fault(cls: type[FaultEntry]) -> type[FaultEntry]:
    """Class decorator: make the entry model ``cls`` a fault kind, named by ``cls.kind``, whose
    entries are the mappings that have that key (``{at: 5s, crash: leader}``)."""
    if not (isinstance(cls, type) and issubclass(cls, FaultEntry)):
        raise TypeError(f"{cls!r} is not a fault entry model (a subclass of Undoable or Once)")
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not _NAME.match(kind) or kind in RESERVED:
        raise ValueError(f"{cls.__name__}.kind = {kind!r} is not a fault kind's name")
    if kind not in cls.model_fields:
        raise ValueError(f"{cls.__name__} has no field {kind!r}: an entry names its kind by key")
    if not callable(getattr(cls, "apply", None)):
        raise ValueError(f"{cls.__name__} has no apply(cluster, targets)")
    if cls.drawable and not issubclass(cls, Undoable):
        raise ValueError(f"{cls.__name__} is drawable but not undoable: the nemesis undoes it")
    if kind in _KINDS and _KINDS[kind] is not cls:
        raise ValueError(f"fault kind {kind!r} is registered twice")
    _KINDS[kind] = cls
    return cls


def fault_kinds(builtin: bool = False) -> dict[str, type[FaultEntry]]:
    """Every kind by name, in the order the docs and messages list them (each model's
    ``order``, then the order registered); with ``builtin``, only those of `sim.faults.kinds`
    (the generated docs and schema list these, not kinds a test or another package added)."""
    _discover()
    kinds = [
        cls
        for cls in _KINDS.values()
        if not builtin or cls.__module__.startswith(BUILTIN_PACKAGE + ".")
    ]
    # sorted() is stable: kinds of one order keep the order they were registered in.
    return {cls.kind: cls for cls in sorted(kinds, key=lambda cls: cls.order)}


def broken_kinds() -> dict[str, str]:
    """Kinds that installed packages declare but that fail to load, with the reason (one line)
    for the entries that name them."""
    _discover()
    return dict(_BROKEN)


@functools.cache
def _discover() -> None:
    package: Any = importlib.import_module(BUILTIN_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}")
    declared: dict[str, str] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        first = declared.setdefault(point.name, point.value)
        if first == point.value and (point.name in _LOADED or point.name in _BROKEN):
            continue  # an editable install may list its package twice
        if first != point.value:
            if point.name in _LOADED:
                _KINDS.pop(point.name, None)
            _BROKEN[point.name] = (
                f"fault kind {point.name!r} is declared by two packages ({first} and "
                f"{point.value}); uninstall one"
            )
            continue
        try:
            cls = point.load()
            if getattr(cls, "kind", None) != point.name:
                raise ValueError(f"its class's `kind` is {getattr(cls, 'kind', None)!r}")
            _LOADED[point.name] = register_fault(cls)
        except (Exception, SystemExit) as error:  # its package's own code failed: say where
            text = str(error).splitlines()[0] if str(error) else ""
            _BROKEN[point.name] = (
                f"fault kind {point.name!r} (entry point {point.value}) cannot be loaded: "
                f"{type(error).__name__}: {text}"
            )
