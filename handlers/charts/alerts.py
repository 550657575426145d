"""The chart a fired alert carries: the watched series over time, its line, the newest observation.

Key ``alert:<series>:<direction>:<threshold>`` (`handlers.alerts.chart_for`); the series key may
itself hold a colon (``holdings:china``), so the last two parts are the direction and threshold.
The numbers come from `handlers.alerts.history` and `handlers.alerts.latest`, the same functions
the message's figure comes from.
"""

from __future__ import annotations

import pandas as pd

from handlers import alerts
from handlers.charts.style import ACCENT, INK, MUTED, new_figure, short_cite, source_line, to_png, usd_axis
from handlers.datasets import Datasets
from handlers.holders import registry_for

YEARS_SHOWN = 15


def alert(datasets: Datasets, *parts: str) -> bytes:
    if len(parts) < 3:
        raise KeyError(f"an alert chart needs series, direction and threshold, got {':'.join(parts)!r}")
    series, direction, level = ":".join(parts[:-2]), parts[-2], float(parts[-1])
    holders = registry_for(datasets)
    values = alerts.history(series, datasets, holders)
    now = alerts.latest(series, datasets, holders)
    start = values.index.max() - pd.DateOffset(years=YEARS_SHOWN)
    values = values[values.index >= start]
    name = alerts.series_name(series, holders)
    unit = alerts.SPECS[alerts.kind_of(series)].unit
    fig, ax = new_figure(f"{name[:1].upper()}{name[1:]}",
                         f"The alert's line: {alerts.describe(series, direction, level, holders)}")
    if len(values) > 1:
        ax.plot(values.index, values.to_numpy(), color=INK, linewidth=3)
    last_at = values.index[-1]
    ax.scatter([last_at], [now.observation.value], color=ACCENT, s=90, zorder=5)
    ax.annotate(f"{alerts.value_words(series, now.observation.value)}\n{alerts.period_words(now.observation.period)}",
                (last_at, now.observation.value), xytext=(-150, 25), textcoords="offset points", parse_math=False,
                fontsize=14, color=ACCENT)
    ax.axhline(level, color=ACCENT, linewidth=2, linestyle="--")
    ax.annotate(f"line: {alerts.value_words(series, level)}", (values.index[0], level), xytext=(5, 6),
                textcoords="offset points", parse_math=False, fontsize=13, color=ACCENT)
    ax.set_ylabel({"usd_bn": "$ billions", "pct": "percent", "pct_gdp": "% of GDP"}[unit])
    if unit == "usd_bn":
        usd_axis(ax)
    low = min(float(values.min()), level)
    high = max(float(values.max()), level)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.tick_params(axis="x", colors=MUTED)
    source_line(fig, "Source: " + "; ".join(short_cite(s) for s in now.sources))
    return to_png(fig)
