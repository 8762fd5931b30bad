"""Latency distributions: a scenario's `{dist: ...}` model -> a function of a draw pool.

Each sampler takes the link's own `DrawPool` and returns milliseconds. Building a closure per
distribution keeps the per-message cost to one call and a few float operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.engine.rng import DrawPool
from sim.scenario.model import (
    Constant,
    Empirical,
    Exponential,
    LogNormal,
    Normal,
    Pareto,
    Uniform,
)

Sampler = Callable[[DrawPool], float]
LatencyModel = Constant | Uniform | Normal | LogNormal | Exponential | Pareto | Empirical


def sampler(model: LatencyModel) -> Sampler:
    """A function drawing one latency (ms, >= 0) from ``model``."""
    match model:
        case Constant(value=value):
            return lambda pool: value
        case Uniform(low=low, high=high):
            span = high - low
            return lambda pool: low + span * pool.uniform()
        case Normal(mean=mean, std=std):
            return lambda pool: _normal_non_negative(pool, mean, std)
        case LogNormal(median=median, sigma=sigma):
            return lambda pool: median * math.exp(sigma * pool.normal())
        case Exponential(mean=mean):
            return lambda pool: mean * pool.exponential()
        case Pareto(scale=scale, shape=shape):
            # Classic Pareto (type I): support [scale, inf), P(X > x) = (scale / x) ** shape.
            inverse = -1.0 / shape
            return lambda pool: scale * (1.0 - pool.uniform()) ** inverse
        case Empirical(samples=samples):
            values = tuple(samples)
            count = len(values)
            return lambda pool: values[min(int(pool.uniform() * count), count - 1)]
    raise TypeError(f"not a latency model: {model!r}")


def _normal_non_negative(pool: DrawPool, mean: float, std: float) -> float:
    """Normal, redrawn while below zero (a truncated normal, as SPEC.md says)."""
    if mean <= 0 and std == 0:
        return 0.0
    for _ in range(1000):
        value = mean + std * pool.normal()
        if value >= 0:
            return value
    return 0.0  # a mean many deviations below zero: the truncated mass sits at 0


def mean_of(model: LatencyModel) -> float:
    """The distribution's mean in ms (for docs, sanity checks and closed forms)."""
    match model:
        case Constant(value=value):
            return value
        case Uniform(low=low, high=high):
            return (low + high) / 2
        case Normal(mean=mean):
            return mean
        case LogNormal(median=median, sigma=sigma):
            return median * math.exp(sigma**2 / 2)
        case Exponential(mean=mean):
            return mean
        case Pareto(scale=scale, shape=shape):
            return math.inf if shape <= 1 else shape * scale / (shape - 1)
        case Empirical(samples=samples):
            return sum(samples) / len(samples)
    raise TypeError(f"not a latency model: {model!r}")
