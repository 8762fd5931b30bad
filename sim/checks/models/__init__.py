"""The data models the linearizability checker knows, by name, tried in this order:

1. a built-in model (`BUILTIN`);
2. a model an installed package declares under the entry-point group ``quorumsim.models``
   (``name = "module:Class"`` in its pyproject.toml);
3. ``module:Name``: a model class (or instance) in any importable module.

A name that finds no model raises `BadModel` with a one-line message saying why.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import re
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from sim.checks.models.base import Model
from sim.checks.models.containers import KeyValue, ListAppend, Queue, Set
from sim.checks.models.registers import CasRegister, Register, Store

ENTRY_POINT_GROUP = "quorumsim.models"
DEFAULT = "store"  # what quorumsim's own histories need: the simulator's store
BUILTIN: dict[str, type[Model]] = {
    cls.name: cls for cls in (Register, CasRegister, Store, KeyValue, ListAppend, Set, Queue)
}
_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_METHODS = (
    "init",
    "step",
    "partition",
    "register_form",
    "unobservable",
    "describe",
    "describe_op",
    "problem",
)


class BadModel(ValueError):
    """A model name that names no model, or a model that cannot be used."""


def model_names() -> list[str]:
    """Built-in models, then those installed packages declare."""
    return [*BUILTIN, *sorted(set(_entry_points()) - set(BUILTIN))]


def get_model(name: str) -> Model:
    """The model ``name`` stands for, ready to use."""
    if name in BUILTIN:
        return BUILTIN[name]()
    point = _entry_points().get(name)
    if point is not None:
        where = f"model {name!r} (entry point {point.value})"
        return _usable(_load(point.module, point.attr, where), where)
    if ":" not in name:
        near = difflib.get_close_matches(name, model_names(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise BadModel(
            f"unknown model {name!r} (known: {', '.join(model_names())}; or `module:Class` for "
            f"a model on the Python path){hint}"
        )
    if not _PATH.fullmatch(name):
        raise BadModel(
            f"{name!r} is not a `module:Class` path (a dotted module name, a colon, a name, "
            "e.g. `my_models.counter:Counter`)"
        )
    module, _, attribute = name.partition(":")
    return _usable(_load(module, attribute, f"model {name!r}"), f"model {name!r}")


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _load(module_name: str, attribute: str, where: str) -> Any:
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        raise BadModel(
            f"{where}: no module named {missing!r} (install its package, or put its folder on "
            "PYTHONPATH)"
        ) from None
    except (Exception, SystemExit) as error:  # its own code failed
        raise BadModel(f"{where}: importing {module_name!r} raised {_one_line(error)}") from None
    for part in attribute.split(".") if attribute else ():
        if not hasattr(obj, part):
            raise BadModel(f"{where}: module {module_name!r} has no {attribute!r}")
        obj = getattr(obj, part)
    return obj


def _usable(obj: Any, where: str) -> Model:
    """An instance of the model ``obj`` (a class, instantiated without arguments, or an
    instance), once it has what the search calls."""
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as error:
            raise BadModel(f"{where}: creating it raised {_one_line(error)}") from None
    missing = [m for m in ("init", "step") if not callable(getattr(obj, m, None))]
    if missing:
        raise BadModel(
            f"{where} is a {type(obj).__name__} without {' or '.join(missing)} (a model has "
            "init() and step(state, op); see docs/checker.md)"
        )
    if not isinstance(obj, Model):
        obj = _Adapted(obj)
    if not obj.functions or not all(isinstance(f, str) for f in obj.functions):
        raise BadModel(f"{where} has no `functions` (the operation names it knows, strings)")
    return obj


class _Adapted(Model):
    """A model that does not subclass `Model`: its own methods, `Model`'s where it has none."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = str(getattr(inner, "name", type(inner).__name__))  # type: ignore[misc]
        self.functions = tuple(getattr(inner, "functions", ()))  # type: ignore[misc]
        self.state_name = str(getattr(inner, "state_name", "state"))  # type: ignore[misc]
        for method in _METHODS:
            if callable(getattr(inner, method, None)):
                setattr(self, method, getattr(inner, method))


def _one_line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


__all__ = ["BUILTIN", "DEFAULT", "BadModel", "Model", "get_model", "model_names"]
