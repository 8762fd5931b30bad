"""The simulated network: latency distributions, the link table, partitions, loss, duplication."""

from sim.network.latency import mean_of, sampler
from sim.network.network import Network

__all__ = ["Network", "mean_of", "sampler"]
