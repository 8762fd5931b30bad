"""Tests of sim.metrics."""
