"""A workload's client groups: one `Clients` per group, each at a node's site, numbered run-wide.

Group ``i``'s clients are numbered after those of the groups before it, and op and process ids
are shared, so a history and requests.csv read as one workload's. Each group draws from streams
of its own (``workload:<group>``, ``workload:ops:<group>``): adding a group leaves the others'
arrivals and operations as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.protocols.base import Request, Result
from sim.scenario.model import Workload
from sim.workload.clients import ClientLinks, Clients, Host, Ids, Site, SitePaths

if TYPE_CHECKING:
    from sim.metrics.recorder import Recorder
    from sim.network.network import Network


class ClientGroups:
    """The clients of a workload with groups: what `Clients` offers the engine, for them all."""

    def __init__(
        self,
        env: Environment,
        config: Workload,
        nodes: tuple[str, ...],
        hosts: Mapping[str, Host],
        network: ClientLinks,
        paths: SitePaths,
        recorder: Recorder,
        streams: RandomStreams,
        end: float,
    ) -> None:
        resolved = config.group_workloads()
        ids = Ids(sum(workload.clients for _, workload in resolved))
        self.groups: list[Clients] = []
        self.names: tuple[str, ...] = tuple(group.label for group, _ in resolved)
        group_of: list[str] = []  # run-wide client number -> its group's name
        owner: list[Clients] = []  # run-wide client number -> its group's clients
        for group, workload in resolved:
            site = Site(ids, len(group_of), group.near, paths)
            clients = Clients(
                env,
                workload,
                nodes,
                hosts,
                network,
                recorder,
                streams.generator(f"workload:{group.label}"),
                end,
                streams.generator(f"workload:ops:{group.label}"),
                site,
            )
            self.groups.append(clients)
            group_of += [group.label] * workload.clients
            owner += [clients] * workload.clients
        self.group_of = tuple(group_of)
        self._owner = owner

    def start(self) -> None:
        for clients in self.groups:
            clients.start()

    def reply(self, node: str, request: Request, result: Result, hold: float) -> None:
        """A node answers: the reply goes to the group of the client that asked."""
        self._owner[request.client].reply(node, request, result, hold)

    def unfinished(self) -> list[tuple[Any, ...]]:
        return [row for clients in self.groups for row in clients.unfinished()]


def make_clients(
    env: Environment,
    config: Workload,
    nodes: tuple[str, ...],
    hosts: Mapping[str, Host],
    network: Network,
    recorder: Recorder,
    streams: RandomStreams,
    end: float,
) -> Clients | ClientGroups:
    """The workload's clients: one `Clients` (no groups, today's single workload, drawing from
    the streams ``workload`` and ``workload:ops``) or a `ClientGroups`."""
    if config.groups:
        paths = network.client_paths()
        return ClientGroups(env, config, nodes, hosts, network, paths, recorder, streams, end)
    return Clients(
        env,
        config,
        nodes,
        hosts,
        network,
        recorder,
        streams.generator("workload"),
        end,
        streams.generator("workload:ops"),
    )
