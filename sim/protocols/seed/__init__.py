"""The article's proposal/acknowledgment/commit protocol (unsafe on purpose)."""

from sim.protocols.seed.protocol import Seed, SeedParams, acknowledgments_needed

__all__ = ["Seed", "SeedParams", "acknowledgments_needed"]
