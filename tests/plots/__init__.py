"""Tests of sim.plots."""
