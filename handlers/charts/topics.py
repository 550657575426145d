"""One drawer per chart (see `handlers.charts`): each draws a `ChartData` and reads nothing else.

The numbers come from `handlers.charts.data`, which the CSV writer reads too; a drawer may only
place, label and style them (a peak is the largest row, a "% of GDP" label divides two rows), so
what a chart shows is always in its "Data (CSV)" file.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from handlers import formatting as fmt
from handlers.charts import data as d
from handlers.charts.alerts import alert
from handlers.charts.data import ChartData, Row
from handlers.charts.style import ACCENT, GOOD, INK, MUTED, PALETTE, new_figure, source_line, to_png, usd_axis
from handlers.datasets import Datasets


def _month_index(rows: tuple[Row, ...]) -> pd.DatetimeIndex:
    """Months are plotted at their first day (matplotlib's date axis), labelled as months."""
    return pd.to_datetime(pd.Index([r.period for r in rows]), format="%Y-%m")


def quarter_x(period: str) -> float:
    """Where a quarter sits on a yearly axis: the middle of the quarter ("2025Q3" → 2025.625)."""
    return int(period[:4]) + (int(period[-1]) * 3 - 1.5) / 12


def gap(data: ChartData) -> Figure:
    annual = data.series(d.NET_YEAR_END)
    quarter, published = data.one(d.NET_QUARTER), data.one(d.NET_QUARTER_USD)
    fig, ax = new_figure(data.title, data.subtitle)
    years = [int(r.period) for r in annual]
    values = [r.value for r in annual]
    ax.fill_between(years, values, 0, color=ACCENT, alpha=0.15)
    ax.plot(years, values, color=ACCENT, linewidth=3, label="Net position, year-end")
    q_year = quarter_x(quarter.period)
    ax.scatter([q_year], [quarter.value], color=INK, s=90, zorder=5)
    ax.annotate(f"{fmt.usd_bn(published.value)}\n{fmt.pct(quarter.value)} of GDP\n"
                f"({fmt.quarter_label(quarter.period)})",
                (q_year, quarter.value), xytext=(-230, 40), textcoords="offset points", parse_math=False,
                fontsize=14, color=INK, arrowprops={"arrowstyle": "->", "color": INK})
    ax.axhline(0, color=MUTED, linewidth=1)
    ax.set_ylabel("% of GDP")
    ax.set_xlim(min(years) - 0.5, q_year + 0.8)
    return _finish(fig, data)


def holdings(data: ChartData) -> Figure:
    fig, ax = new_figure(data.title, data.subtitle)
    names = list(dict.fromkeys(r.series for r in data.rows))
    if len(names) == 1:
        rows = data.series(names[0])
        index = _month_index(rows)
        values = [r.value for r in rows]
        ax.plot(index, values, color=INK, linewidth=3)
        peak_at = max(range(len(rows)), key=lambda i: (values[i], -i))  # the first month at the maximum
        peak = rows[peak_at]
        ax.scatter([index[peak_at]], [peak.value], color=ACCENT, s=80, zorder=5)
        ax.annotate(f"peak {fmt.usd_bn(peak.value)}\n{fmt.month(peak.period)}", (index[peak_at], peak.value),
                    xytext=(10, -40), textcoords="offset points", parse_math=False, fontsize=13, color=ACCENT)
        ax.annotate(f"{fmt.usd_bn(rows[-1].value)}\n{fmt.month(rows[-1].period)}", (index[-1], rows[-1].value),
                    xytext=(-110, 20), textcoords="offset points", parse_math=False, fontsize=13, color=INK)
    else:
        for color, name in zip(PALETTE, names):
            rows, style = data.series(name), data.style(name)
            ax.plot(_month_index(rows), [r.value for r in rows], color=color, linewidth=3 if style.bold else 2,
                    label=style.label, linestyle="--" if style.dashed else "-")
        ax.legend(loc="upper left", ncols=3, frameon=False, fontsize=13)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("$ billions")
    usd_axis(ax)
    return _finish(fig, data)


def europe(data: ChartData) -> Figure:
    fig, ax = new_figure(data.title, data.subtitle)
    eu = data.series(d.EU27)
    uk = {r.category: r.value for r in data.series(d.UK)}
    labels = [r.category for r in eu]
    values = [r.value for r in eu]
    positions = range(len(labels))
    bars = ax.bar([p - 0.2 for p in positions], values, width=0.4, color=INK, label=d.EU27)
    # A type the survey gives no UK figure for has no UK bar (nothing is drawn as a made-up zero).
    uk_at = [(p, uk[label]) for p, label in zip(positions, labels) if label in uk]
    ax.bar([p + 0.2 for p, _ in uk_at], [v for _, v in uk_at], width=0.4, color=PALETTE[4], label=d.UK)
    for bar, value in zip(bars, values):
        ax.annotate(fmt.usd_bn(value), (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 4),
                    textcoords="offset points", parse_math=False, ha="center", fontsize=14, color=INK,
                    fontweight="bold")
    ax.set_xticks(list(positions), [label.replace(" (", "\n(") for label in labels])
    ax.set_ylabel("$ billions")
    usd_axis(ax)
    ax.legend(frameon=False)
    ax.grid(axis="x", visible=False)
    return _finish(fig, data)


def buying(data: ChartData) -> Figure:
    fig, ax = new_figure(data.title, data.subtitle, left=0.2)
    regions = data.series(d.CHANGE)[::-1]
    shares = {r.category: r.value for r in data.series(d.SHARE)}
    names = [r.category for r in regions]
    values = [r.value for r in regions]
    colors = [GOOD if v >= 0 else ACCENT for v in values]
    bars = ax.barh(names, values, color=colors)
    for bar, r in zip(bars, regions):
        share = f" ({fmt.pct(shares[r.category], digits=0)})" if r.category in shares else ""
        ax.annotate(f"{fmt.usd_bn(r.value, signed=True)}{share}",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(6 if r.value >= 0 else -6, 0), textcoords="offset points", parse_math=False,
                    ha="left" if r.value >= 0 else "right", va="center", fontsize=13)
    ax.axvline(0, color=MUTED, linewidth=1)
    ax.set_xlabel("$ billions")
    ax.grid(axis="y", visible=False)
    low, high = min(values + [0]), max(values + [0])
    span = high - low
    ax.set_xlim(low - 0.45 * span if low < 0 else -0.05 * span, high + 0.3 * span)
    return _finish(fig, data)


REFINANCING_COLORS = {d.BILLS: PALETTE[4], d.COUPONS: INK, d.BOTH: PALETTE[5], d.CLAIM: ACCENT}


def refinancing(data: ChartData) -> Figure:
    fig, ax = new_figure(data.title, data.subtitle)
    gdp = data.one(d.GDP).value
    bars_of = [data.one(name) for name in REFINANCING_COLORS if data.series(name)]
    values = [r.value for r in bars_of]
    bars = ax.bar([data.style(r.series).label for r in bars_of], values,
                  color=[REFINANCING_COLORS[r.series] for r in bars_of])
    for bar, value in zip(bars, values):
        ax.annotate(f"{fmt.usd_bn(value)}\n{fmt.pct(100 * value / gdp, digits=0)} of GDP",
                    (bar.get_x() + bar.get_width() / 2, value),
                    xytext=(0, 4), textcoords="offset points", parse_math=False, ha="center", fontsize=14)
    ax.set_ylabel("$ billions")
    ax.set_ylim(0, max(values) * 1.25)
    usd_axis(ax)
    ax.grid(axis="x", visible=False)
    return _finish(fig, data)


GOLD_COLOURS = {d.GOLD_SERIES["official_ust_usd_bn"]: INK, d.GOLD_SERIES["gold_all_usd_bn"]: "#d4a017",
                d.GOLD_SERIES["gold_ex_us_usd_bn"]: "#d4a017"}


def gold(data: ChartData) -> Figure:
    fig, ax = new_figure(data.title, data.subtitle)
    for name, colour in GOLD_COLOURS.items():
        rows, style = data.series(name), data.style(name)
        ax.plot(pd.to_datetime(pd.Index([r.date for r in rows])), [r.value for r in rows], color=colour,
                linewidth=3 if style.bold else 2.5, linestyle="--" if style.dashed else "-", label=style.label)
    ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.62), frameon=False)
    ax.set_ylabel("$ billions")
    ax.set_ylim(bottom=0)
    usd_axis(ax)
    return _finish(fig, data)


def shock(data: ChartData) -> Figure:
    """The 10-year's path as a fan (low / central / high) with the article's claim; beyond the
    evidence the chart says so in its subtitle and across the plot (``data.warning``)."""
    fig, ax = new_figure(data.title, data.subtitle, left=0.1)
    low, central, high = data.series(d.LOW), data.series(d.CENTRAL), data.series(d.HIGH)
    article = data.one(d.ARTICLE).value
    months = [int(r.period.removeprefix("month ")) for r in central]
    ax.fill_between(months, [r.value for r in low], [r.value for r in high], color=PALETTE[4], alpha=0.25,
                    label=data.style(d.HIGH).label)
    ax.plot(months, [r.value for r in central], color=INK, linewidth=3, label=data.style(d.CENTRAL).label)
    ax.axhline(article, color=ACCENT, linestyle="--", linewidth=2.5)
    ax.annotate(f"The article's claim: {fmt.bp(article)}", (d.SHOWN_MONTHS, article), ha="right",
                xytext=(0, 6), textcoords="offset points", parse_math=False, color=ACCENT, fontsize=14,
                fontweight="bold")
    if data.warning:
        ax.text(0.5, 0.55, data.warning, transform=ax.transAxes, ha="center", va="center", fontsize=20,
                color=ACCENT, alpha=0.35, fontweight="bold")
    top = max(max(r.value for r in high), article)
    ax.set_ylim(0, top * 1.15 + 1)
    ax.set_xlim(0, d.SHOWN_MONTHS)
    ax.set_xlabel("Months after the sale starts")
    ax.set_ylabel("10-year yield change, bp")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.8), frameon=False, fontsize=13)
    return _finish(fig, data)


def _finish(fig: Figure, data: ChartData) -> Figure:
    source_line(fig, data.source_line)
    return fig


DRAWERS: dict[str, Callable[[ChartData], Figure]] = {
    "gap": gap,
    "holdings": holdings,
    "europe": europe,
    "buying": buying,
    "refinancing": refinancing,
    "gold": gold,
    "shock": shock,
    "alert": alert,  # issue 14: a fired alert's series and line (handlers.charts.alerts)
}


def draw(data: ChartData) -> Figure:
    """The figure for one chart's data (its key's name picks the drawer)."""
    return DRAWERS[data.key.partition(":")[0]](data)


def figure(key: str, datasets: Datasets) -> Figure:
    """The chart ``key`` as a matplotlib figure, before it is saved (tests read its artists back)."""
    return draw(d.chart_data(key, datasets))


def render(key: str, datasets: Datasets) -> bytes:
    return to_png(figure(key, datasets))


def axes_of(fig: Figure) -> Axes:
    """The one plot of a chart's figure."""
    return fig.axes[0]
