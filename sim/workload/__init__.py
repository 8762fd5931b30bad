"""Clients and the operations they send to the key-value store."""

from sim.workload.clients import Clients
from sim.workload.operations import OperationMaker

__all__ = ["Clients", "OperationMaker"]
