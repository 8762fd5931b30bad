"""Intervals across seeds: mean +- t * s / sqrt(n), Student's t at 95% (two-sided).

scipy is not a dependency for one quantile: t(0.975, df) is tabulated for df 1..30 (the values
of any statistics table, to six decimals) and beyond that given by the Cornish-Fisher expansion
around the normal quantile, whose error there is below 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
    2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
    2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
    2.048407, 2.045230, 2.042272,
)  # fmt: skip
_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


def mean_interval(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The mean and the half-width of its 95% interval; None where there are too few values
    (no mean of nothing, no spread of one)."""
    if not values:
        return None, None
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return mean, None
    spread = float(array.std(ddof=1))
    return mean, t_quantile_975(len(array) - 1) * spread / math.sqrt(len(array))
