"""The look shared by every figure: the Okabe-Ito palette, sizes, grids, titles.

Figures are made with ``matplotlib.figure.Figure`` directly, never through pyplot: no global
state, nothing to close, any backend. A notebook shows a returned figure inline once
``%matplotlib inline`` is on; ``Figure.savefig`` writes files without choosing a backend.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
from collections.abc import Hashable, Iterable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe-Ito: distinguishable with the common colour-vision deficiencies. Black last, so that
# black stays free for reference curves when there are fewer than eight series.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# Vermillion is kept for faults, drops and violations alone: a series never wears it, so a red
# mark always means something went wrong.
FAULT_COLOR = "#D55E00"
SERIES = [c for c in PALETTE if c != FAULT_COLOR]
DROP_COLOR = "#999999"  # the path a dropped message would have taken
REFERENCE_COLOR = "#000000"
# One colour per protocol in every figure, so that a reader who learnt "raft is orange" on one
# figure reads the next one right. Other protocols (plug-ins) get one of the rest, chosen by a
# hash of the name: the same in every figure and every run, though two plug-ins may share one.
PROTOCOL_COLORS = {
    "seed": SERIES[0],
    "raft": SERIES[1],
    "multipaxos": SERIES[2],
    "fpaxos": SERIES[3],
}
_OTHER_PROTOCOL_COLORS = [SERIES[4], "#882255", "#44AA99", "#999933", "#332288", "#AA4499"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DPI = 120
# Files that depend on the figure alone: no matplotlib version or date in them, so that drawing
# an unchanged figure again (``make gallery``) rewrites the same bytes.
FIXED_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None},
}

FONT = {"title": 10, "label": 9, "tick": 8, "legend": 8}


def color(i: int) -> str:
    """The ``i``-th series colour (cycling through the palette without the fault colour)."""
    return SERIES[i % len(SERIES)]


def protocol_color(name: str) -> str:
    """The colour of protocol ``name`` in every figure."""
    if name in PROTOCOL_COLORS:
        return PROTOCOL_COLORS[name]
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return _OTHER_PROTOCOL_COLORS[digest[0] % len(_OTHER_PROTOCOL_COLORS)]


def series_color(name: str, i: int, protocols: bool = False) -> str:
    """A curve's colour: its protocol's when the curves are protocols (``protocols``, or a name
    that is a known protocol, bare or as ``protocol=NAME``), else the ``i``-th series colour."""
    bare = name.split("=", 1)[1] if name.startswith("protocol=") else name
    if protocols or bare in PROTOCOL_COLORS:
        return protocol_color(bare)
    return color(i)


class Described(Figure):
    """A figure that carries its alt text: a notebook shows it as an ``<img alt=...>`` (beside
    the plain PNG), and `sim.plots.files` writes it into the PNG's ``Description``."""

    alt_text: str = ""

    def _repr_html_(self) -> str:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, metadata=png_metadata(self))
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<img alt="{html.escape(self.alt_text)}" src="data:image/png;base64,{data}"/>'


def describe(fig: Figure, text: str) -> None:
    """Give ``fig`` its alt text: what a reader who cannot see it should learn from it."""
    if isinstance(fig, Described):
        fig.alt_text = " ".join(text.split())


def alt_text(fig: Figure) -> str:
    return fig.alt_text if isinstance(fig, Described) else ""


def png_metadata(fig: Figure, ext: str = "png") -> dict[str, Any]:
    """The file's metadata (PNG text chunks, SVG Dublin Core): no matplotlib version or date
    (the bytes depend on the figure alone) and the figure's alt text as ``Description``."""
    text = alt_text(fig)
    return {**FIXED_METADATA[ext], **({"Description": text} if text else {})}


def new_figure(
    width: float = 6.0, height: float = 4.0, nrows: int = 1, **kwargs: Any
) -> tuple[Figure, Any]:
    """A figure with constrained layout and its axes (an array when ``nrows`` > 1)."""
    fig = Described(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows=nrows, **kwargs)


def integer_ticks(axis: Any) -> None:
    """Whole-number ticks only, for counts (no "0.25 commits")."""
    axis.set_major_locator(MaxNLocator(integer=True))


def ms(value: float, span: float | None = None) -> str:
    """A time for a title or label: ``1.62 ms``, ``2003 ms``, ``12.5 s``; ``span`` (the width of
    what is shown) sets the precision instead of the value itself."""
    scale, unit = (1000.0, "s") if abs(value) >= 10_000 else (1.0, "ms")
    shown = abs(value if span is None else span) / scale
    text = f"{value / scale:.{_decimals(shown, 3)}f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text} {unit}"


def ms_range(start: float, end: float) -> str:
    """``999.0 to 1003.0 ms``: both ends to two significant digits of the span between them."""
    scale, unit = (1000.0, "s") if max(abs(start), abs(end)) >= 10_000 else (1.0, "ms")
    digits = _decimals((end - start) / scale, 2)
    return f"{start / scale:.{digits}f} to {end / scale:.{digits}f} {unit}"


def _decimals(span: float, significant: int) -> int:
    """Decimals that show ``significant`` digits of ``span`` (none for whole numbers)."""
    if span <= 0 or not math.isfinite(span):
        return 0
    return max(0, significant - 1 - math.floor(math.log10(span)))


def finish(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = False) -> None:
    """Title, labelled axes (units in the label), a light grid, a legend if asked for."""
    ax.set_title(title, fontsize=FONT["title"])
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT["legend"])


def natural_key(name: Hashable) -> tuple[Any, ...]:
    """Sort key that puts n2 before n10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(name)))


def natural_sorted(names: Iterable[Hashable]) -> list[Any]:
    return sorted(names, key=natural_key)


# Axis labels of the swept keys a user meets most; any other key is shown as it is written.
KEY_LABELS = {
    "cluster.nodes": "cluster size (nodes)",
    "cluster.protocol": "protocol",
    "network.loss": "message loss probability",
    "network.duplicate": "message duplication probability",
    "workload.clients": "clients (closed loop)",
    "workload.rate": "offered load (ops/s)",
    "cluster.processing": "processing time per message (ms)",
    "cluster.disk_write": "disk write (ms)",
    "cluster.params.election_timeout": "election timeout range (ms)",
}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key)
