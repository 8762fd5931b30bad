"""Latency distributions: a scenario's `{dist: ...}` model -> a batch sampler.

Each sampler takes a link's own generator and a batch size and returns milliseconds as a numpy
array; the link hands them out one per message.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.scenario.model import (
    Constant,
    Empirical,
    Exponential,
    LogNormal,
    Normal,
    Pareto,
    Uniform,
)

Sampler = Callable[[np.random.Generator, int], np.ndarray]
LatencyModel = Constant | Uniform | Normal | LogNormal | Exponential | Pareto | Empirical


def sampler(model: LatencyModel) -> Sampler:
    """A function drawing ``size`` latencies (ms, >= 0) from ``model`` with one numpy call:
    links draw their latencies in batches, so the per-message cost is a list pop."""
    match model:
        case Constant(value=value):
            return lambda gen, size: np.full(size, value)
        case Uniform(low=low, high=high):
            return lambda gen, size: gen.uniform(low, high, size)
        case Normal(mean=mean, std=std):
            return lambda gen, size: _normal_non_negative(gen, size, mean, std)
        case LogNormal(median=median, sigma=sigma):
            return lambda gen, size: median * np.exp(sigma * gen.standard_normal(size))
        case Exponential(mean=mean):
            return lambda gen, size: mean * gen.standard_exponential(size)
        case Pareto(scale=scale, shape=shape):
            # Classic Pareto (type I): support [scale, inf), P(X > x) = (scale / x) ** shape.
            return lambda gen, size: scale * (1.0 - gen.random(size)) ** (-1.0 / shape)
        case Empirical(samples=samples):
            values = np.asarray(samples, dtype=float)
            return lambda gen, size: values[gen.integers(0, len(values), size)]
    raise TypeError(f"not a latency model: {model!r}")


def _normal_non_negative(
    gen: np.random.Generator, size: int, mean: float, std: float
) -> np.ndarray:
    """Normal, each value redrawn while below zero (a truncated normal, as SPEC.md says)."""
    values = mean + std * gen.standard_normal(size)
    for _ in range(1000):
        negative = values < 0
        if not negative.any():
            return values
        values[negative] = mean + std * gen.standard_normal(int(negative.sum()))
    return np.maximum(values, 0.0)  # a mean many deviations below zero: the mass sits at 0


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
