"""The protocol registry: what a scenario's ``cluster.protocol`` may name, tried in this order.

1. A built-in protocol: a subpackage of `sim.protocols` that adds itself with ``@register``.
2. A protocol an installed package declares under the entry-point group ``quorumsim.protocols``
   (``name = "module:Class"`` in its pyproject.toml), imported the first time it is named.
3. ``module:Class``: a class in any importable module (installed, or on PYTHONPATH).

A name that finds nothing raises `UnknownProtocol` (a KeyError), one that finds something other
than a protocol class raises `BadProtocol` (a ValueError); either message says what is wrong, for
the scenario loader to report at ``cluster.protocol``. Sweep workers find a protocol the same
way, from its name in the scenario: a process pool's workers see the parent's ``sys.path`` (fork
copies it, spawn and forkserver pass it on); Dask workers need the module installed or on their
own PYTHONPATH.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
import re
import traceback
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.protocols.base import Protocol

ENTRY_POINT_GROUP = "quorumsim.protocols"

_PROTOCOLS: dict[str, type[Protocol]] = {}  # built in and @register-ed
_LOADED: dict[str, type[Protocol]] = {}  # entry points and module:Class paths, once imported
_CONFLICTS: dict[str, tuple[EntryPoint, EntryPoint]] = {}  # name -> two packages' entry points
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class UnknownProtocol(KeyError):
    """No protocol has this name."""

    def __str__(self) -> str:
        return str(self.args[0])  # KeyError's own would quote the message


class BadProtocol(ValueError):
    """The name points somewhere (an entry point, a ``module:Class`` path) that is not a
    protocol: the module cannot be imported, the class is missing or is not a `Protocol`."""


def register(cls: type[Protocol]) -> type[Protocol]:
    """Class decorator: make ``cls`` available under ``cls.name`` in scenario files."""
    if cls.name in _PROTOCOLS and _PROTOCOLS[cls.name] is not cls:
        raise ValueError(f"protocol {cls.name!r} is registered twice")
    _PROTOCOLS[cls.name] = cls
    return cls


@functools.cache  # (once: listing the package took a short run's Simulation 0.07 ms, 4 times)
def _discover() -> None:
    # Every subpackage of sim.protocols is a protocol that registers itself when imported.
    import sim.protocols as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            importlib.import_module(f"sim.protocols.{info.name}")


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    """The group's entry points by name, read from the installed packages' metadata (nothing is
    imported). A name two packages declare differently is kept out, for `get_protocol` to
    refuse by name."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        # (An editable install may show one package twice: the same value is no conflict.)
        if point.name in found and found[point.name].value != point.value:
            _CONFLICTS[point.name] = (found[point.name], point)
        found.setdefault(point.name, point)
    return found


def protocol_names(builtin: bool = False) -> list[str]:
    """Protocol names: built in, registered, and declared by installed packages (not imported
    to list them); with ``builtin``, only those shipped in sim.protocols (the generated docs
    and schema list these, not protocols a test, a notebook or another package added)."""
    _discover()
    names = {
        name
        for name, cls in _PROTOCOLS.items()
        if not builtin or cls.__module__.startswith("sim.protocols.")
    }
    if not builtin:
        names.update(_entry_points())
    return sorted(names)


def get_protocol(name: str) -> type[Protocol]:
    """The protocol class ``name`` stands for (see the module's docstring for the order)."""
    _discover()
    found = _PROTOCOLS.get(name) or _LOADED.get(name)
    if found is not None:
        return found
    if ":" in name:
        cls = _from_path(name)
    else:
        point = _entry_points().get(name)
        if point is None:
            raise UnknownProtocol(_unknown(name))
        cls = _from_entry_point(name, point)
    _LOADED[name] = cls
    return cls


def protocol_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a protocol (one line), or None when it names one."""
    try:
        get_protocol(name)
    except (UnknownProtocol, BadProtocol) as error:
        return str(error)
    return None


def protocol_origin(name: str) -> str:
    """Where ``name``'s protocol comes from, for `quorumsim protocols`."""
    _discover()
    if name in _PROTOCOLS:
        module = _PROTOCOLS[name].__module__
        return "built in" if module.startswith("sim.protocols.") else f"registered by {module}"
    point = _entry_points().get(name)
    if point is not None:
        return f"entry point {point.value} of {_package(point)}"
    return f"module path {name}"


def _unknown(name: str) -> str:
    known = protocol_names()
    near = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean `{near[0]}`?" if near else ""
    return (
        f"unknown protocol {name!r} (known: {', '.join(known)}; or `module:Class` for a class "
        f"on the Python path){hint}"
    )


def _from_path(path: str) -> type[Protocol]:
    module_name, _, attribute = path.partition(":")
    if not (_DOTTED.fullmatch(module_name) and _DOTTED.fullmatch(attribute)):
        raise BadProtocol(
            f"{path!r} is not a `module:Class` path (a dotted module name, a colon, a class name, "
            "e.g. `my_protocols.paxos:Paxos`)"
        )
    module = _import(module_name, f"cannot import {module_name!r} for protocol {path!r}")
    obj = _attribute(module, attribute)
    return _check_class(obj, repr(path))


def _from_entry_point(name: str, point: EntryPoint) -> type[Protocol]:
    where = f"protocol {name!r} (entry point {point.value} of {_package(point)})"
    if name in _CONFLICTS:
        first, second = _CONFLICTS[name]
        raise BadProtocol(
            f"protocol {name!r} is declared by two packages: {first.value} ({_package(first)}) "
            f"and {second.value} ({_package(second)}); uninstall one"
        )
    module = _import(point.module, f"{where}: cannot import {point.module!r}")
    if not point.attr:
        return _check_class(module, where)
    return _check_class(_attribute(module, point.attr, where), where)


def _import(module_name: str, failing: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise BadProtocol(
                f"{failing}: no module named {missing!r} (install its package, or put its "
                "folder on PYTHONPATH)"
            ) from None
        raise BadProtocol(f"{failing}: {_raised(error)}") from None
    except (Exception, SystemExit) as error:  # its own code failed: say where
        raise BadProtocol(f"{failing}: {_raised(error)}") from None


def _attribute(module: Any, attribute: str, where: str | None = None) -> Any:
    obj = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            classes = sorted(
                n
                for n, v in vars(module).items()
                if isinstance(v, type) and issubclass(v, Protocol) and hasattr(v, "Params")
            )
            near = difflib.get_close_matches(attribute, classes, n=1)
            hint = f"; did you mean `{near[0]}`?" if near else ""
            shown = f" (its protocol classes: {', '.join(classes)})" if classes else ""
            prefix = f"{where}: " if where else ""
            raise BadProtocol(
                f"{prefix}module {module.__name__!r} has no {attribute!r}{shown}{hint}"
            )
        obj = getattr(obj, part)
    return obj


def _check_class(obj: Any, what: str) -> type[Protocol]:
    if not isinstance(obj, type):
        raise BadProtocol(
            f"{what} is a {type(obj).__name__}, not a protocol class (a subclass of "
            "sim.protocols.base.Protocol)"
        )
    if not issubclass(obj, Protocol):
        raise BadProtocol(f"{what} is not a subclass of sim.protocols.base.Protocol")
    params = getattr(obj, "Params", None)
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise BadProtocol(
            f"{what} has no parameter model (a class attribute `Params`, a subclass of "
            "sim.protocols.base.ProtocolParams)"
        )
    return obj


def _raised(error: BaseException) -> str:
    """``TypeError: bad thing (file.py:12)``: one line, naming where the import failed."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if "importlib" not in f.filename]  # the module's frames
    at = f" ({Path(own[-1].filename).name}:{own[-1].lineno})" if own else ""
    if isinstance(error, SyntaxError):  # its message names the file and line already
        at = ""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}{at}" if text else f"{type(error).__name__}{at}"


def _package(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"package {dist.name}" if dist is not None else "an installed package"
