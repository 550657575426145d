"""`/reset holdings [holder]`: who holds US Treasuries, and how that is shifting."""

from __future__ import annotations

import pandas as pd
from slack_sdk.models.blocks import SectionBlock

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.europe import TYPES, eu_holdings
from handlers.holders import EU, FOREIGN, Holder, HolderRegistry
from handlers.lookup import holder_series, holdings, latest_month, official_series, total_series
from handlers.queries import HoldingsQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import Change, change_between, ranking

CUSTODY_NOTE = (
    "† custody or fund centre: TIC records who holds the securities in custody, not who owns them "
    "(Belgium hosts Euroclear, Luxembourg Clearstream), so these labels are not beneficial owners."
)
# Holders whose decade change the overview reports: the thesis's story (China down, the UK and
# EU custody centres up) plus Japan, the largest holder.
STORY = ("japan", "china", "uk", "belgium", "luxembourg")


def decade_window(series_index: pd.Index, latest: str) -> tuple[str, str]:
    """The same month ten years before ``latest`` (or the first month there is), to ``latest``."""
    start = f"{int(latest[:4]) - 10}{latest[4:]}"
    if start not in series_index:
        start = str(min(series_index))
    return start, latest


def _change_line(label: str, change: Change) -> str:
    pct = f" ({fmt.pct(change.change_pct, signed=True)})" if change.change_pct is not None else ""
    return (f"{label}: {fmt.usd_bn(change.start_value)} in {fmt.month(str(change.start))} → "
            f"{fmt.usd_bn(change.end_value)} in {fmt.month(str(change.end))}, "
            f"{fmt.usd_bn(change.change, signed=True)}{pct}")


def holder_decade_change(datasets: Datasets, holder: Holder) -> Change:
    series = holder_series(datasets, holder)
    start, end = decade_window(series.index, str(series.index.max()))
    return change_between(series, start, end)


def answer_holdings(query: HoldingsQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    if query.holder is None or query.holder == FOREIGN:
        return _overview(datasets, holders)
    return _one_holder(datasets, holders.get(query.holder), holders)


def _overview(datasets: Datasets, holders: HolderRegistry) -> Reply:
    month = latest_month(datasets)
    by_label = {h.tic_labels[0]: h for h in (holders.get(k) for k in holders.keys()) if not h.aggregate}
    # Rank countries only: totals, breakdowns and "All Other" are not holders.
    top = ranking(holdings(datasets), month, 10)
    rows = []
    for r in top:
        h = by_label.get(r.holder)
        mark = "†" if h and h.custodial_centre else ""
        share = f" ({fmt.pct(r.share_of_total_pct)})" if r.share_of_total_pct is not None else ""
        rows.append(f"{r.rank}. {h.label if h else r.holder}{mark} — {fmt.usd_bn(r.usd_bn)}{share}")
    total, official = total_series(datasets), official_series(datasets)
    changes = []
    for key in STORY:
        try:
            changes.append(_change_line(holders.get(key).label, holder_decade_change(datasets, holders.get(key))))
        except KeyError:
            continue  # a holder missing from a refreshed table is left out, not invented
    eu = holders.get(EU)
    eu_change = holder_decade_change(datasets, eu)
    changes.append(_change_line("EU members listed by TIC", eu_change))
    start, end = decade_window(official.index, month)
    official_share_then = 100 * official.loc[start] / total.loc[start]
    official_share_now = 100 * official.loc[end] / total.loc[end]
    blocks = [
        header(f"Who holds US Treasuries — {fmt.month(month)}"),
        section(f"All foreign holders: *{fmt.usd_bn(total.loc[month])}*. Foreign official institutions "
                f"hold {fmt.pct(official_share_now)}, down from {fmt.pct(official_share_then)} in "
                f"{fmt.month(start)}.\n" + "\n".join(rows)),
        section("*Over the decade*\n" + "\n".join(f"• {c}" for c in changes)),
        context([CUSTODY_NOTE, "The EU sum covers members TIC lists separately (small members sit in "
                 "\"All Other\"), so it understates the EU; it stops at the last month of the full table."]),
        buttons([("China", "holdings china"), ("EU", "holdings eu"), ("Japan", "holdings japan"),
                 ("Shock: EU sells 20%", "shock eu 20%")]),
    ]
    text = (f"Foreign holders owned {fmt.usd_bn(total.loc[month])} of Treasuries in {fmt.month(month)}; "
            f"largest: " + ", ".join(f"{r.holder} {fmt.usd_bn(r.usd_bn)}" for r in top[:3]) + ".")
    chart = ChartRef(
        key="holdings",
        title="Foreign holdings of US Treasuries by country",
        alt_text=("Line chart of Treasury holdings of Japan, China, the United Kingdom, Belgium, Luxembourg and "
                  f"the EU members listed by TIC, {fmt.month(start)} to {fmt.month(month)}: China falls, "
                  "the UK and the European custody centres rise."),
        filename="reset-holdings.png",
    )
    return build(blocks, text, charts=[chart], sources=[datasets.source("treasury_holdings")])


def _one_holder(datasets: Datasets, holder: Holder, holders: HolderRegistry) -> Reply:
    series = holder_series(datasets, holder)
    total = total_series(datasets)
    last = str(series.index.max())
    year_ago = f"{int(last[:4]) - 1}{last[4:]}"
    decade = holder_decade_change(datasets, holder)
    pairs = [("Holdings", f"{fmt.usd_bn(series.loc[last])} ({fmt.month(last)})")]
    if last in total.index:
        pairs.append(("Share of all foreign holdings", fmt.pct(100 * series.loc[last] / total.loc[last])))
    if year_ago in series.index:
        c = change_between(series, year_ago, last)
        pairs.append(("Over 12 months", f"{fmt.usd_bn(c.change, signed=True)} "
                                        f"({fmt.pct(c.change_pct or 0, signed=True)})"))
    pairs.append((f"Since {fmt.month(str(decade.start))}", f"{fmt.usd_bn(decade.change, signed=True)}"
                  + (f" ({fmt.pct(decade.change_pct, signed=True)})" if decade.change_pct is not None else "")))
    peak_month = str(series.idxmax())
    pairs.append(("Peak", f"{fmt.usd_bn(series.max())} ({fmt.month(peak_month)})"))
    notes = []
    if holder.custodial_centre:
        notes.append(CUSTODY_NOTE)
    if holder.key == EU:
        frame = holdings(datasets)
        listed = sorted(set(frame[(frame["month"] == last) & frame["holder"].isin(holder.tic_labels)]["holder"]))
        notes.append(f"EU = the {len(listed)} EU members TIC lists separately in {fmt.month(last)} "
                     f"({', '.join(listed)}); small members sit in \"All Other\", "
                     f"so this understates the EU. It ends at {fmt.month(last)}, the last month of the full table "
                     "(the newer SLT Table 5 lists only the 20 largest holders).")
    blocks = [
        header(f"{holder.title}: US Treasury holdings"),
        fields(pairs),
    ]
    charts, sources = [], [datasets.source("treasury_holdings")]
    if holder.key == EU:
        block, chart = _eu_by_type(datasets)
        blocks.append(block)
        charts.append(chart)
        sources.append(datasets.source("shl_holdings"))
    if notes:
        blocks.append(context(notes))
    blocks.append(buttons([(f"Shock: {holder.key} sells 20%", f"shock {holder.key} 20%"),
                           ("All holders", "holdings")]))
    text = (f"{holder.title} held {fmt.usd_bn(series.loc[last])} of US Treasuries in {fmt.month(last)}, "
            f"{fmt.usd_bn(decade.change, signed=True)} since {fmt.month(str(decade.start))}.")
    chart = ChartRef(
        key=f"holdings:{holder.key}",
        title=f"{holder.title}: holdings of US Treasuries",
        alt_text=(f"Line chart of {holder.label}'s Treasury holdings from {fmt.month(str(series.index.min()))} "
                  f"to {fmt.month(last)}, ending at {fmt.usd_bn(series.loc[last])}; peak {fmt.usd_bn(series.max())} "
                  f"in {fmt.month(peak_month)}."),
        filename=f"reset-holdings-{holder.key}.png",
    )
    return build(blocks, text, charts=[chart, *charts], sources=sources)


def _eu_by_type(datasets: Datasets) -> tuple[SectionBlock, ChartRef]:
    """What EU residents hold, by security type (SHL survey), and its chart."""
    eu = eu_holdings(datasets)
    lines = [f"• {TYPES[col]}: *{fmt.usd_bn(value)}*" for col, value in eu.by_type_usd_bn.items()]
    share = 100 * eu.europe_usd_bn / eu.all_foreign_usd_bn
    block = section(
        f"*All US securities held in the EU (TIC survey, June 2025)*: {fmt.usd_bn(eu.total_usd_bn)} across the "
        f"{eu.members} member states\n" + "\n".join(lines) +
        f"\nAll of Europe (with the UK, Switzerland, Norway…) holds {fmt.usd_bn(eu.europe_usd_bn)}, "
        f"{fmt.pct(share)} of the {fmt.usd_bn(eu.all_foreign_usd_bn)} held abroad — large, but less than the rest "
        f"of the world's {fmt.usd_bn(eu.all_foreign_usd_bn - eu.europe_usd_bn)}."
        + (f" ({eu.suppressed_cells} small cells are suppressed by TIC, so the sums are slight underestimates.)"
           if eu.suppressed_cells else "")
    )
    chart = ChartRef(
        key="europe",
        title="US securities held in the EU, by type (June 2025)",
        alt_text=("Bar chart of US securities held by EU residents in June 2025: "
                  + ", ".join(f"{TYPES[c]} {fmt.usd_bn(v)}" for c, v in eu.by_type_usd_bn.items()) + "."),
        filename="reset-europe.png",
    )
    return block, chart
