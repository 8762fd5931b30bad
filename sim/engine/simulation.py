"""Simulation: the SimPy environment, the random streams, the recorder, and the parts they drive.

It builds a cluster from a validated scenario (network, one NodeHost per node, clients, fault
schedule) and runs it for the scenario's duration. It writes nothing: `sim.experiment` turns its
records into a run directory.
"""

from __future__ import annotations

import gc
import time

from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.engine import durability
from sim.engine.node import NodeHost
from sim.engine.timer_noise import timer_noises
from sim.faults import FaultSchedule
from sim.metrics.recorder import Recorder
from sim.network.network import Network
from sim.protocols.registry import get_protocol
from sim.scenario.model import Scenario
from sim.workload.groups import make_clients


class Simulation:
    def __init__(self, scenario: Scenario, trace: bool | None = None) -> None:
        self.scenario = scenario
        self.env = Environment()
        self.env.host_class = NodeHost  # messages to nodes are bare queue entries
        self.streams = RandomStreams(scenario.seed)
        self.nodes = scenario.cluster.node_names
        tracing = scenario.output.trace if trace is None else trace
        protocol_cls = get_protocol(scenario.cluster.protocol)
        invariants = protocol_cls.invariants()
        self.recorder = Recorder(
            self.nodes,
            tracing=tracing,
            invariants=invariants,
            ordered_slots=protocol_cls.ordered_slots,
        )
        self.recorder.clock = self.env
        self.network = Network(self.env, scenario.network, self.nodes, self.streams, self.recorder)
        params = protocol_cls.Params.model_validate(scenario.cluster.params)
        self.protocol_cls = protocol_cls
        self.hosts: dict[str, NodeHost] = {}
        self.clients = make_clients(
            self.env,
            scenario.workload,
            self.nodes,
            self.hosts,
            self.network,
            self.recorder,
            self.streams,
            scenario.duration,
        )
        noises = timer_noises(scenario.cluster, self.streams, self.env)
        for node in self.nodes:
            self.hosts[node] = NodeHost(
                self.env,
                node,
                self.nodes,
                lambda node=node: protocol_cls(params, node, self.nodes),  # type: ignore[misc]
                self.network,
                self.recorder,
                self.streams.generator(f"node:{node}"),
                scenario.cluster.processing,
                scenario.cluster.disk_write,
                self.clients.reply,
                noises[node],
            )
        if scenario.cluster.durability == "fsync":
            disks = {
                node: durability.attach(host, self.streams.generator(f"disk:{node}"))
                for node, host in self.hosts.items()
            }
            durability.count_when_durable(invariants, disks, self.recorder.safety.report)
        self.faults = FaultSchedule(self)
        self.wall_s = 0.0
        self.events = 0

    def leader(self) -> str | None:
        """The node that leads now: the live claimant of the highest rank (Raft: term; the
        article's protocol: the node that proposed last)."""
        best: tuple[float, str] | None = None
        for node, host in self.hosts.items():
            if not host.up:
                continue
            rank = host.protocol.leader_rank()
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, node)
        return best[1] if best else None

    def run(self) -> Simulation:
        started = time.perf_counter()
        for host in self.hosts.values():
            host.start()
        self.clients.start()
        self.faults.start()
        # The cyclic garbage collector rescans every recorded row again and again as the lists
        # grow (a traced run was 4x slower with it); the simulator makes no reference cycles
        # worth collecting while it runs, so it is paused for the run and restored after.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.env.run_until(self.scenario.duration, self.network)
        finally:
            if collecting:
                gc.enable()
        self.wall_s = time.perf_counter() - started
        self.events = self.env.events_run
        return self
