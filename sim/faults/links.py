"""Cut links, counted: a partition lifted while a node stays isolated, or a cut inside a longer
one, lifts only what its own fault did and is still in force."""

from __future__ import annotations

from collections import Counter

from sim.faults.api import Cluster, Undo


class Links:
    """One per run (``cluster.shared(Links)``), shared by partition, cut, isolate and heal."""

    def __init__(self) -> None:
        self.cuts: Counter[tuple[str, str]] = Counter()  # link -> faults cutting it now
        self.partition: object | None = None  # the fault whose partition is in force
        self.heals = 0  # a full heal voids the undos of every cut before it

    def cut(
        self, cluster: Cluster, pairs: list[tuple[str, str]], kind: str, text: str, lift: str
    ) -> Undo:
        """Cut each (src, dst) link and record ``kind``; the undo puts back the links no other
        fault still cuts and records ``lift``."""
        for pair in pairs:
            self.cuts[pair] += 1
            cluster.network.cut(*pair)
        cluster.record(kind, text)
        heals = self.heals

        def undo() -> None:
            if self.heals != heals:
                return  # a heal lifted these links already
            for pair in pairs:
                self.cuts[pair] -= 1
                if not self.cuts[pair]:
                    del self.cuts[pair]
                    cluster.network.uncut(*pair)
            cluster.record(lift, text)

        return undo

    def lift_partition(self, cluster: Cluster) -> None:
        # The network heals partitions and cuts together: put back the cuts still in force.
        cluster.network.heal()
        for src, dst in self.cuts:
            cluster.network.cut(src, dst)

    def heal(self, cluster: Cluster) -> None:
        """Lift every partition and cut at once."""
        self.heals += 1
        self.cuts.clear()
        self.partition = None
        cluster.network.heal()
