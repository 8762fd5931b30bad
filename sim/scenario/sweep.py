"""Sweep points: the cartesian product of `sweep.grid`, zipped with `sweep.zip`, times seeds.

Every point is a set of dotted-key assignments applied to the scenario's data, exactly as
``--set`` applies one, so a point is valid if and only if the same ``--set``s would be.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from sim.scenario.model import Sweep
from sim.scenario.overrides import set_path

Point = dict[str, Any]


def sweep_points(sweep: Sweep) -> list[Point]:
    """Every grid combination (keys in file order, last varying fastest), each with the i-th
    value of every zip key; with neither, one empty point."""
    grid_keys = list(sweep.grid)
    combos = itertools.product(*(sweep.grid[k] for k in grid_keys)) if grid_keys else [()]
    zipped = list(zip(*sweep.zip.values(), strict=True)) if sweep.zip else [()]
    points = []
    for combo in combos:
        for together in zipped:
            point = dict(zip(grid_keys, combo, strict=True))
            point.update(zip(sweep.zip, together, strict=True))
            points.append(point)
    return points


def run_seeds(seed: int, count: int) -> list[int]:
    """``count`` replicate seeds derived from ``seed`` (SeedSequence.spawn): independent streams,
    the same for the same file on any machine."""
    import numpy as np  # (here: `quorumsim validate` needs no numpy)

    children = np.random.SeedSequence(seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def apply_point(data: dict[str, Any], point: Point) -> dict[str, Any]:
    """The scenario data with the point's assignments made (and no sweep of its own)."""
    applied = copy.deepcopy(data)
    applied.pop("sweep", None)
    for key, value in point.items():
        blocked = set_path(applied, key, value)
        if blocked is not None:
            raise ValueError(f"{blocked} is not a mapping")
    return applied
