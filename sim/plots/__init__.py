"""Figures from run directories: matplotlib only, one function per figure, each returning a
`Figure` so notebooks can show it and `quorumsim plot` can save it."""

from sim.plots.figures import latency_cdf, save_run_plots, timeline

__all__ = ["latency_cdf", "save_run_plots", "timeline"]
