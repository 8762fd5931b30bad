"""Units of scenario files: durations (milliseconds inside), rates (per second inside) and clock
drifts (a fraction inside: ``50ppm`` is 5e-05).

A leaf module: scenario models and protocol parameter models both use these types.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|s|m|h)?\s*$")
_TO_MS = {"us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3, None: 1.0}
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:/\s*(s|ms|m))?\s*$")
_PER_S = {"s": 1.0, "ms": 1e3, "m": 1 / 60, None: 1.0}
_DRIFT = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ppm)?\s*$")
MAX_DRIFT = 0.1
"""A clock drifts by less than this fraction (100000ppm): a clock 10% off is broken, not drifting,
and a drift of -1 would stop it."""


def parse_duration(value: Any) -> float:
    """``250us``, ``5ms``, ``1.5s``, ``2m``, ``1h`` or a bare number (milliseconds) -> ms."""
    if isinstance(value, bool):
        raise ValueError("a duration, not a boolean (e.g. 5ms, 1.5s, or a number of ms)")
    if isinstance(value, int | float):
        ms = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        ms = float(m.group(1)) * _TO_MS[m.group(2)]
    else:
        raise ValueError(
            f"not a duration: {value!r} (e.g. 250us, 5ms, 1.5s, 2m, or a number of ms)"
        )
    if not math.isfinite(ms) or ms < 0:
        raise ValueError(f"a duration must be finite and >= 0, got {value!r}")
    return ms


def parse_rate(value: Any) -> float:
    """``100/s``, ``5/ms``, ``60/m`` or a bare number (per second) -> per second."""
    if isinstance(value, bool):
        raise ValueError("a rate, not a boolean (e.g. 100/s)")
    if isinstance(value, int | float):
        rate = float(value)
    elif isinstance(value, str) and (m := _RATE.match(value)):
        rate = float(m.group(1)) * _PER_S[m.group(2)]
    else:
        raise ValueError(f"not a rate: {value!r} (e.g. 100/s, or a number per second)")
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"a rate must be finite and >= 0, got {value!r}")
    return rate


def parse_drift(value: Any) -> float:
    """``50ppm``, ``-20ppm`` or a bare number (a fraction: ``5e-05`` is 50ppm) -> a fraction."""
    if isinstance(value, bool):
        raise ValueError("a clock drift, not a boolean (e.g. 50ppm, -20ppm, or a fraction)")
    if isinstance(value, int | float):
        drift = float(value)
    elif isinstance(value, str) and (m := _DRIFT.match(value)):
        # Divided, not multiplied by 1e-6: 1000ppm is then exactly the double nearest 0.001.
        drift = float(m.group(1)) / 1e6 if m.group(2) else float(m.group(1))
    else:
        raise ValueError(f"not a clock drift: {value!r} (e.g. 50ppm, -20ppm, or a fraction)")
    if not math.isfinite(drift) or not -MAX_DRIFT < drift < MAX_DRIFT:
        raise ValueError(
            "a clock drift must be above -100000ppm and below 100000ppm (a bare number is a "
            f"fraction: 50ppm is 5e-05), got {value!r}"
        )
    return drift


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^[0-9.eE+-]+\s*(us|µs|ms|s|m|h)?$"},
            ],
            "description": "a duration: 250us, 5ms, 1.5s, 2m, or a bare number of milliseconds",
        }
    ),
]
"""A duration in milliseconds (float); accepts a number or a string with a unit."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^[0-9.eE+-]+\s*(/\s*(s|ms|m))?$"},
            ],
            "description": "a rate: 100/s, or a bare number per second",
        }
    ),
]
"""A rate per second (float); accepts a number or a string such as ``100/s``."""

DRIFT_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": -MAX_DRIFT, "exclusiveMaximum": MAX_DRIFT},
        {"type": "string", "pattern": r"^\s*[-+]?[0-9.eE+-]+\s*(ppm)?\s*$"},
    ],
    "description": "a clock drift: 50ppm, -20ppm, or a bare fraction (5e-05 is 50ppm), within "
    "±100000ppm",
}
Drift = Annotated[float, BeforeValidator(parse_drift), WithJsonSchema(DRIFT_SCHEMA)]
"""A clock drift as a fraction (float): +5e-05 runs fast by 50 parts per million."""
