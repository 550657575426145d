"""One renderer per topic (see `handlers.charts`)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from handlers import formatting as fmt
from handlers.charts.alerts import alert
from handlers.charts.style import (
    ACCENT,
    GOOD,
    INK,
    MUTED,
    PALETTE,
    new_figure,
    short_cite,
    source_line,
    to_png,
    usd_axis,
)
from handlers.datasets import Datasets
from handlers.europe import TYPES, eu_holdings
from handlers.holders import EU
from handlers.holders import registry_for as registry
from handlers.lookup import fact, holder_series
from handlers.queries import ShockQuery
from handlers.topics.buying import breakdown, windows
from handlers.topics.gap import history_pct_gdp, latest_position
from handlers.topics.gold import gold_table
from handlers.topics.holdings import STORY
from handlers.topics.refinancing import wall
from handlers.topics.shock import run_shock

YEARS_SHOWN = 12


def _month_index(series: pd.Series) -> pd.DatetimeIndex:
    return pd.to_datetime(series.index.astype(str), format="%Y-%m")


def gap(datasets: Datasets) -> bytes:
    history = history_pct_gdp(datasets)
    pos = latest_position(datasets)
    fig, ax = new_figure("The US foreign-asset gap", "Net international investment position, % of GDP (year-end; "
                                                     "latest quarter marked)")
    years = history.index.astype(int)
    ax.fill_between(years, history.values, 0, color=ACCENT, alpha=0.15)
    ax.plot(years, history.values, color=ACCENT, linewidth=3, label="Net position, year-end")
    q_year = int(pos.period[:4]) + (int(pos.period[-1]) * 3 - 1.5) / 12
    ax.scatter([q_year], [pos.net_pct_gdp], color=INK, s=90, zorder=5)
    ax.annotate(f"{fmt.usd_bn(pos.headline_net_usd_bn)}\n{fmt.pct(pos.net_pct_gdp)} of GDP\n"
                f"({fmt.quarter_label(pos.period)})",
                (q_year, pos.net_pct_gdp), xytext=(-230, 40), textcoords="offset points", parse_math=False,
                fontsize=14, color=INK, arrowprops={"arrowstyle": "->", "color": INK})
    ax.axhline(0, color=MUTED, linewidth=1)
    ax.set_ylabel("% of GDP")
    ax.set_xlim(years.min() - 0.5, q_year + 0.8)
    source_line(fig, f"Source: {short_cite(datasets.source('iip_annual'))}; "
                     f"{short_cite(datasets.source('gdp_annual'))}; "
                     f"latest quarter: {short_cite(datasets.source('iip_quarterly'))}")
    return to_png(fig)


def holdings(datasets: Datasets, holder_key: str | None = None) -> bytes:
    holders = registry(datasets)
    if holder_key is not None:
        holder = holders.get(holder_key)
        series = holder_series(datasets, holder)
        fig, ax = new_figure(f"{holder.title}: US Treasury holdings", "End of month, $ billions")
        index = _month_index(series)
        ax.plot(index, series.values, color=INK, linewidth=3)
        peak = series.idxmax()
        ax.scatter([pd.to_datetime(peak)], [series.max()], color=ACCENT, s=80, zorder=5)
        ax.annotate(f"peak {fmt.usd_bn(series.max())}\n{fmt.month(str(peak))}", (pd.to_datetime(peak), series.max()),
                    xytext=(10, -40), textcoords="offset points", parse_math=False, fontsize=13, color=ACCENT)
        ax.annotate(f"{fmt.usd_bn(series.iloc[-1])}\n{fmt.month(str(series.index[-1]))}", (index[-1], series.iloc[-1]),
                    xytext=(-110, 20), textcoords="offset points", parse_math=False, fontsize=13, color=INK)
        ax.set_ylim(bottom=0)
    else:
        fig, ax = new_figure("Who holds US Treasuries", "End of month, $ billions; † custody centre (holder, not "
                                                        "owner)")
        keys = [*STORY, EU]
        start = None
        for color, key in zip(PALETTE, keys):
            holder = holders.get(key)
            series = holder_series(datasets, holder)
            start = start or f"{int(str(series.index.max())[:4]) - YEARS_SHOWN}-01"
            series = series[series.index >= start]
            mark = "†" if holder.custodial_centre else ""
            ax.plot(_month_index(series), series.values, color=color, linewidth=3 if key in ("china", EU) else 2,
                    label=f"{holder.title}{mark}", linestyle="--" if key == EU else "-")
        ax.legend(loc="upper left", ncols=3, frameon=False, fontsize=13)
        ax.set_ylim(bottom=0)
    ax.set_ylabel("$ billions")
    usd_axis(ax)
    source_line(fig, f"Source: {short_cite(datasets.source('treasury_holdings'))}. EU = members TIC lists separately.")
    return to_png(fig)


def europe(datasets: Datasets) -> bytes:
    eu = eu_holdings(datasets)
    fig, ax = new_figure("US securities held in the EU, by type", "EU-27 residents, June 2025, $ billions (TIC survey)")
    labels = [TYPES[c] for c in eu.by_type_usd_bn]
    values = list(eu.by_type_usd_bn.values())
    uk = [eu.uk_usd_bn.get(c, 0.0) for c in eu.by_type_usd_bn]
    positions = range(len(labels))
    bars = ax.bar([p - 0.2 for p in positions], values, width=0.4, color=INK, label="EU-27")
    ax.bar([p + 0.2 for p in positions], uk, width=0.4, color=PALETTE[4], label="United Kingdom")
    for bar, value in zip(bars, values):
        ax.annotate(fmt.usd_bn(value), (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 4),
                    textcoords="offset points", parse_math=False, ha="center", fontsize=14, color=INK,
                    fontweight="bold")
    ax.set_xticks(list(positions), [label.replace(" (", "\n(") for label in labels])
    ax.set_ylabel("$ billions")
    usd_axis(ax)
    ax.legend(frameon=False)
    ax.grid(axis="x", visible=False)
    source_line(fig, f"Source: {short_cite(datasets.source('shl_holdings'))}. Suppressed cells excluded.")
    return to_png(fig)


def buying(datasets: Datasets) -> bytes:
    start, end = windows(datasets)[-1]
    result = breakdown(datasets, registry(datasets), start, end)
    fig, ax = new_figure(f"Who added US Treasuries, end-{fmt.month(start)} to end-{fmt.month(end)}",
                         f"Change in holdings, $ billions (all foreign: "
                         f"{fmt.usd_bn(result.total_change_usd_bn, signed=True)}); "
                         "includes price changes", left=0.2)
    regions = list(result.regions)
    names = [r.region for r in regions][::-1]
    values = [r.change_usd_bn for r in regions][::-1]
    colors = [GOOD if v >= 0 else ACCENT for v in values]
    bars = ax.barh(names, values, color=colors)
    for bar, r in zip(bars, regions[::-1]):
        share = (f" ({fmt.pct(r.share_of_total_change_pct, digits=0)})"
                 if r.share_of_total_change_pct is not None else "")
        ax.annotate(f"{fmt.usd_bn(r.change_usd_bn, signed=True)}{share}",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(6 if r.change_usd_bn >= 0 else -6, 0), textcoords="offset points", parse_math=False,
                    ha="left" if r.change_usd_bn >= 0 else "right", va="center", fontsize=13)
    ax.axvline(0, color=MUTED, linewidth=1)
    ax.set_xlabel("$ billions")
    ax.grid(axis="y", visible=False)
    low, high = min(values + [0]), max(values + [0])
    span = high - low
    ax.set_xlim(low - 0.45 * span if low < 0 else -0.05 * span, high + 0.3 * span)
    source_line(fig, f"Source: {short_cite(datasets.source('treasury_holdings'))}. Europe includes the EU, UK, "
                     f"Norway, Switzerland; regions overlap.")
    return to_png(fig)


def refinancing(datasets: Datasets) -> bytes:
    everything, coupons = wall(datasets)
    claim = fact(datasets, "refi_2026_claim_usd_bn")
    fig, ax = new_figure(f"What matures within a year vs the “{fmt.usd_bn(claim.value, digits=0)} wall”",
                         f"$ billions; bills as outstanding at {fact(datasets, 'treasury_bills_usd_bn').period}")
    names = ["Treasury bills\n(rolled over)", "Notes & bonds\ndue ≤12 months", "Bills + coupons", "Claimed 2026 wall"]
    values = [everything.bills_usd_bn or 0, coupons.maturing_usd_bn, everything.maturing_usd_bn, claim.value]
    colors = [PALETTE[4], INK, PALETTE[5], ACCENT]
    bars = ax.bar(names, values, color=colors)
    for bar, value in zip(bars, values):
        share = 100 * value / everything.gdp_usd_bn
        ax.annotate(f"{fmt.usd_bn(value)}\n{fmt.pct(share, digits=0)} of GDP",
                    (bar.get_x() + bar.get_width() / 2, value),
                    xytext=(0, 4), textcoords="offset points", parse_math=False, ha="center", fontsize=14)
    ax.set_ylabel("$ billions")
    ax.set_ylim(0, max(values) * 1.25)
    usd_axis(ax)
    ax.grid(axis="x", visible=False)
    source_line(fig, f"Sources: {short_cite(fact(datasets, 'treasury_bills_usd_bn').source)}; coupons derived from "
                     f"Apollo "
                     f"shares (yield_calibration.csv); claim: {claim.source.publisher} (no primary source)")
    return to_png(fig)


def gold(datasets: Datasets) -> bytes:
    table = gold_table(datasets)
    index = pd.to_datetime(table.index)
    fig, ax = new_figure("Central-bank gold vs foreign official Treasuries", "Market value, $ billions, quarter-ends")
    ax.plot(index, table["official_ust_usd_bn"], color=INK, linewidth=3, label="Foreign official Treasuries (TIC)")
    ax.plot(index, table["gold_all_usd_bn"], color="#d4a017", linewidth=3, label="Official gold, incl. US")
    ax.plot(index, table["gold_ex_us_usd_bn"], color="#d4a017", linewidth=2.5, linestyle="--",
            label="Official gold, excl. US")
    ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.62), frameon=False)
    ax.set_ylabel("$ billions")
    ax.set_ylim(bottom=0)
    usd_axis(ax)
    gold_source = datasets.source("gold_reserves").publisher.split(" (")[0]
    source_line(fig, f"Sources: {gold_source}, central-bank gold summed over reporters, quarter-ends to "
                     f"{table.index[-1]} (later quarters have too few reporters); "
                     f"{short_cite(datasets.source('treasury_holdings'))}, foreign official holdings")
    return to_png(fig)


def shock(datasets: Datasets, scenario: str) -> bytes:
    """The 10-year's path over 36 months as a fan (low / central / high) with the article's claim.

    ``scenario`` is `handlers.topics.shock.scenario_text` of the query; beyond the evidence the chart says
    so in its title and across the plot."""
    from handlers.parsing import parse
    from handlers.topics.shock import scenario_text, title_of

    holders = registry(datasets)
    query = parse("shock " + scenario, holders)
    if not isinstance(query, ShockQuery) or scenario_text(query) != scenario:
        raise ValueError(f"not a canonical scenario: {scenario!r}")
    result, month = run_shock(query, datasets, holders)
    subtitle = (f"≈{fmt.usd_bn(result.amount_usd_bn)}, {fmt.pct(result.share_of_marketable_pct, digits=2)} "
                "of marketable debt")
    if result.beyond_evidence:
        subtitle = "EXTRAPOLATION, larger than any sale on record: " + subtitle
    fig, ax = new_figure(title_of(query, holders)[:90], subtitle, left=0.1)
    points = [p for p in result.path if p.month <= 36]
    months = [p.month for p in points]
    ax.fill_between(months, [p.bp.low for p in points], [p.bp.high for p in points], color=PALETTE[4], alpha=0.25,
                    label="Range (low to high)")
    ax.plot(months, [p.bp.central for p in points], color=INK, linewidth=3, label="Central")
    ax.axhline(result.article_bp, color=ACCENT, linestyle="--", linewidth=2.5)
    ax.annotate(f"The article's claim: {fmt.bp(result.article_bp)}", (36, result.article_bp), ha="right",
                xytext=(0, 6), textcoords="offset points", parse_math=False, color=ACCENT, fontsize=14,
                fontweight="bold")
    if result.beyond_evidence:
        ax.text(0.5, 0.55, "Outside the evidence:\na straight-line extrapolation, not a forecast",
                transform=ax.transAxes, ha="center", va="center", fontsize=20, color=ACCENT, alpha=0.35,
                fontweight="bold")
    top = max(max(p.bp.high for p in points), result.article_bp)
    ax.set_ylim(0, top * 1.15 + 1)
    ax.set_xlim(0, 36)
    ax.set_xlabel("Months after the sale starts")
    ax.set_ylabel("10-year yield change, bp")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.8), frameon=False, fontsize=13)
    source_line(fig, f"Model: Reset Bot scenario model, data/yield_calibration.csv "
                     f"({short_cite(datasets.source('yield_calibration'))}); "
                     f"holdings: TIC, {fmt.month(month)}; back-test: /reset history")
    return to_png(fig)


RENDERERS: dict[str, Callable[..., bytes]] = {
    "gap": gap,
    "holdings": holdings,
    "europe": europe,
    "buying": buying,
    "refinancing": refinancing,
    "gold": gold,
    "shock": shock,
    "alert": alert,  # issue 14: a fired alert's series and line (handlers.charts.alerts)
}
