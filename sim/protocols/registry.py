"""The protocol registry: a protocol adds itself with ``@register``; nothing central is edited."""

from __future__ import annotations

import importlib
import pkgutil

from sim.protocols.base import Protocol

_PROTOCOLS: dict[str, type[Protocol]] = {}


def register(cls: type[Protocol]) -> type[Protocol]:
    """Class decorator: make ``cls`` available under ``cls.name`` in scenario files."""
    if cls.name in _PROTOCOLS and _PROTOCOLS[cls.name] is not cls:
        raise ValueError(f"protocol {cls.name!r} is registered twice")
    _PROTOCOLS[cls.name] = cls
    return cls


def _discover() -> None:
    # Every subpackage of sim.protocols is a protocol that registers itself when imported.
    import sim.protocols as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            importlib.import_module(f"sim.protocols.{info.name}")


def protocol_names(builtin: bool = False) -> list[str]:
    """Registered protocol names; with ``builtin``, only those shipped in sim.protocols (the
    generated docs and schema list these, not protocols a test or a notebook registered)."""
    _discover()
    return sorted(
        name
        for name, cls in _PROTOCOLS.items()
        if not builtin or cls.__module__.startswith("sim.protocols.")
    )


def get_protocol(name: str) -> type[Protocol]:
    _discover()
    try:
        return _PROTOCOLS[name]
    except KeyError:
        raise KeyError(
            f"unknown protocol {name!r} (known: {', '.join(sorted(_PROTOCOLS))})"
        ) from None
