"""One look for every chart: 1200×675 PNG (Slack's 16:9 preview), large type for phones,
a title, units on the axes and the source line printed on the image itself.

Only matplotlib's object API is used (`Figure` + the Agg canvas): pyplot keeps global state
and leaks figures in a long-running server.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# The image's short citation is computed with the chart's data (a source line is part of `ChartData`).
from handlers.charts.data import short_cite as short_cite

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100

INK = "#1d3557"
MUTED = "#6c757d"
ACCENT = "#e63946"
GOOD = "#2a9d8f"
PALETTE = ("#1d3557", "#e63946", "#2a9d8f", "#f4a261", "#457b9d", "#8d99ae", "#6a4c93", "#bc6c25")

LABEL_SIZE = 15  # axis labels, in points
SOURCE_LINE_CHARS = 135  # characters of the 11-point source line that fit across the 1200-pixel figure

RC = {
    "font.size": 15,
    "axes.titlesize": 21,
    "axes.titleweight": "bold",
    "axes.labelsize": LABEL_SIZE,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.edgecolor": MUTED,
}


def new_figure(title: str, subtitle: str | None = None, *, left: float = 0.09) -> tuple[Figure, Axes]:
    """A figure with one axes, the title set and room left at the bottom for the source line.

    Text is drawn with ``parse_math=False`` everywhere: our labels are full of dollar signs,
    which matplotlib would otherwise read as TeX math.
    """
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _apply_style(ax)
    fig.subplots_adjust(left=left, right=0.96, top=0.84 if subtitle else 0.88, bottom=0.19)
    fig.suptitle(title, x=0.02, y=0.965, ha="left", fontsize=RC["axes.titlesize"], fontweight="bold", color=INK,
                 parse_math=False)
    if subtitle:
        fig.text(0.02, 0.885, subtitle, ha="left", va="center", fontsize=14, color=MUTED, parse_math=False)
    return fig, ax


def _apply_style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(MUTED)
    ax.spines["bottom"].set_color(MUTED)
    ax.grid(True, alpha=RC["grid.alpha"])
    ax.tick_params(labelsize=RC["xtick.labelsize"])
    ax.xaxis.label.set_fontsize(LABEL_SIZE)
    ax.yaxis.label.set_fontsize(LABEL_SIZE)


def source_line(fig: Figure, text: str) -> None:
    """The source and as-of date, printed bottom-left on the image (it travels with the PNG).

    matplotlib's automatic wrapping measures the text as mathtext even with ``parse_math=False``, so
    a line with two ``$`` signs ("$5bn of $50bn") would raise; such a line is wrapped here instead
    (at the width the automatic wrapping gives this figure's font), and every other line as before."""
    if "$" in text:
        wrapped = "\n".join(textwrap.wrap(text, width=SOURCE_LINE_CHARS))
        fig.text(0.01, 0.015, wrapped, ha="left", va="bottom", fontsize=11, color=MUTED, parse_math=False)
        return
    fig.text(0.01, 0.015, text, ha="left", va="bottom", fontsize=11, color=MUTED, wrap=True, parse_math=False)


def usd_axis(ax: Axes, unit: str = "bn") -> None:
    """Thousands separators on the y axis ($bn)."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "reset-bot"})
    fig.clear()  # release artists promptly; nothing else holds the figure
    return buffer.getvalue()
