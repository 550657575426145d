"""The chart a fired alert carries: the watched series over time, its line, the newest observation.

Key ``alert:<series>:<direction>:<threshold>`` (`handlers.alerts.chart_for`); the series key may
itself hold a colon (``holdings:china``), so the last two parts are the direction and threshold.
The numbers come from `handlers.alerts.history` and `handlers.alerts.latest`, the same functions
the message's figure comes from.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from handlers import alerts
from handlers.charts.data import ChartData, Row, Style, cite, iso_end, short_cite
from handlers.charts.style import ACCENT, INK, MUTED, new_figure, source_line, usd_axis
from handlers.datasets import Datasets
from handlers.holders import registry_for

YEARS_SHOWN = 15


LINE = "The alert's line"
NEWEST = "Newest observation"
UNIT_LABELS = {"usd_bn": "$bn", "pct": "%", "pct_gdp": "% of GDP"}


def alert_data(datasets: Datasets, *parts: str) -> ChartData:
    """The table behind an alert's chart: the series' last `YEARS_SHOWN` years, its newest
    observation and the line, each a row (the CSV has exactly what is drawn)."""
    if len(parts) < 3:
        raise KeyError(f"an alert chart needs series, direction and threshold, got {':'.join(parts)!r}")
    series, direction, level = ":".join(parts[:-2]), parts[-2], float(parts[-1])
    holders = registry_for(datasets)
    values = alerts.history(series, datasets, holders)
    now = alerts.latest(series, datasets, holders)
    values = values[values.index >= values.index.max() - pd.DateOffset(years=YEARS_SHOWN)]
    name = alerts.series_name(series, holders)
    unit = UNIT_LABELS[alerts.SPECS[alerts.kind_of(series)].unit]
    source, vintage = cite(*now.sources)
    label = f"{name[:1].upper()}{name[1:]}"
    rows = [Row(series=label, period=str(at.date()), date=str(at.date()), value=float(v), unit=unit, source=source,
                vintage=vintage) for at, v in values.items()]
    last = str(values.index[-1].date())
    rows.append(Row(series=NEWEST, period=now.observation.period, date=iso_end(now.observation.period) or last,
                    value=float(now.observation.value), unit=unit, source=source, vintage=vintage))
    rows.append(Row(series=LINE, category=direction, value=level, unit=unit, source="set in Slack", vintage=""))
    return ChartData(key=f"alert:{':'.join(parts)}", title=label,
                     subtitle=f"The alert's line: {alerts.describe(series, direction, level, holders)}",
                     source_line="Source: " + "; ".join(short_cite(s) for s in now.sources),
                     styles=(Style(series=label, label=label, bold=True),), rows=tuple(rows))


def alert(data: ChartData) -> Figure:
    """The figure for `alert_data`'s table: the series, the newest point annotated, the line dashed."""
    series = ":".join(data.key.split(":")[1:-2])
    history = data.series(data.title)
    newest, line = data.one(NEWEST), data.one(LINE)
    fig, ax = new_figure(data.title, data.subtitle)
    dates = [pd.Timestamp(r.date) for r in history]
    if len(history) > 1:
        ax.plot(dates, [r.value for r in history], color=INK, linewidth=3)
    last_at = dates[-1]
    ax.scatter([last_at], [newest.value], color=ACCENT, s=90, zorder=5)
    ax.annotate(f"{alerts.value_words(series, newest.value)}\n{alerts.period_words(newest.period)}",
                (last_at, newest.value), xytext=(-150, 25), textcoords="offset points", parse_math=False,
                fontsize=14, color=ACCENT)
    ax.axhline(line.value, color=ACCENT, linewidth=2, linestyle="--")
    ax.annotate(f"line: {alerts.value_words(series, line.value)}", (dates[0], line.value), xytext=(5, 6),
                textcoords="offset points", parse_math=False, fontsize=13, color=ACCENT)
    ax.set_ylabel({"$bn": "$ billions", "%": "percent", "% of GDP": "% of GDP"}[line.unit])
    if line.unit == "$bn":
        usd_axis(ax)
    shown = [r.value for r in history] + [line.value, newest.value]
    low, high = min(shown), max(shown)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.tick_params(axis="x", colors=MUTED)
    source_line(fig, data.source_line)
    return fig
