"""Figures of runs and sweeps: matplotlib only, one function per figure, each taking DataFrames
(or trace rows) and returning a `Figure`, so that a notebook shows it and `quorumsim plot`
saves it. `save_run_plots` and `save_sweep_plots` read a directory and write its figures.

    style          palette (Okabe-Ito), protocol colours, sizes, labels, times, alt text
    labels         text labels laid out without overlapping
    run_figures    latency CDF, timeline, leader recovery CDF
    sweep_figures  a figure against a swept parameter with 95% bands, throughput against load
    sequence       the message-sequence diagram of a window of a trace
    quorums        two quorums over n nodes: why majorities intersect
    files          run and sweep directories -> DIR/plots/

(docs/gallery.md, an example of each figure, is drawn by `python -m sim.experiment.gallery`,
which makes whole runs and so sits above this package.)
"""

from sim.plots.files import run_figures, save_run_plots, save_sweep_plots, sweep_figures
from sim.plots.quorums import quorum_overlap
from sim.plots.run_figures import commit_times, fault_spans, latency_cdf, recovery_cdf, timeline
from sim.plots.sequence import read_trace, sequence_diagram
from sim.plots.style import PALETTE
from sim.plots.sweep_figures import latency_vs_parameter, parameter_plot, throughput_vs_load

FIGURES = (
    latency_cdf,
    latency_vs_parameter,
    parameter_plot,
    throughput_vs_load,
    recovery_cdf,
    timeline,
    sequence_diagram,
    quorum_overlap,
)
"""Every function that draws a figure (docs/gallery.md shows each)."""

__all__ = [
    "FIGURES",
    "PALETTE",
    "commit_times",
    "fault_spans",
    "latency_cdf",
    "latency_vs_parameter",
    "parameter_plot",
    "quorum_overlap",
    "read_trace",
    "recovery_cdf",
    "run_figures",
    "save_run_plots",
    "save_sweep_plots",
    "sequence_diagram",
    "sweep_figures",
    "throughput_vs_load",
    "timeline",
]
