"""`/reset gap`: what foreigners own in the US against what the US owns abroad."""

from __future__ import annotations

import pandas as pd
from slack_sdk.models.blocks import Block

from handlers import formatting as fmt
from handlers.datasets import Datasets, Source
from handlers.lookup import fact, gdp_for_year
from handlers.queries import GapQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import Change, NetPosition, change_between, net_pct_gdp_history, net_position


def latest_position(datasets: Datasets) -> NetPosition:
    """The newest IIP quarter (newest vintage of it) against that calendar year's GDP."""
    quarters = datasets.frame("iip_quarterly").sort_values(["period", "vintage"], na_position="first")
    row = quarters.iloc[-1]
    year = int(str(row["period"])[:4])
    return net_position(
        str(row["period"]),
        float(row["assets_usd_bn"]),
        float(row["liabilities_usd_bn"]),
        gdp_for_year(datasets, year),
        published_net_usd_bn=float(row["net_usd_bn"]),
    )


def year_ago_position(datasets: Datasets, latest: NetPosition) -> NetPosition | None:
    """The same quarter a year earlier, if the data have it (newest vintage)."""
    period = f"{int(latest.period[:4]) - 1}{latest.period[4:]}"
    quarters = datasets.frame("iip_quarterly")
    rows = quarters[quarters["period"] == period].sort_values("vintage", na_position="first")
    if rows.empty:
        return None
    row = rows.iloc[-1]
    return net_position(period, float(row["assets_usd_bn"]), float(row["liabilities_usd_bn"]),
                        gdp_for_year(datasets, int(period[:4])), published_net_usd_bn=float(row["net_usd_bn"]))


def history_pct_gdp(datasets: Datasets) -> pd.Series:
    """Annual net IIP in % of GDP (FRED IIPUSNETIA ÷ GDPA), current vintage."""
    net = datasets.frame("iip_annual").set_index("year")["net_usd_bn"]
    gdp = datasets.frame("gdp_annual").set_index("year")["gdp_usd_bn"]
    return net_pct_gdp_history(net, gdp)


def gap_sources(datasets: Datasets) -> list[Source]:
    return [datasets.source("iip_quarterly"), datasets.source("gdp_annual"), datasets.source("iip_annual")]


def answer_gap(query: GapQuery, datasets: Datasets) -> Reply:
    pos = latest_position(datasets)
    history = history_pct_gdp(datasets)
    first_year, last_year = int(history.index.min()), int(history.index.max())
    start = 2006 if 2006 in history.index else first_year
    lines = [
        f"Foreigners own *{fmt.usd_bn(pos.liabilities_usd_bn)}* of US assets; the US owns "
        f"*{fmt.usd_bn(pos.assets_usd_bn)}* abroad. The gap — the net international investment "
        f"position — is *{fmt.usd_bn(pos.headline_net_usd_bn)}*, "
        f"*{fmt.pct(abs(pos.net_pct_gdp))} of {pos.period[:4]} GDP* ({fmt.usd_bn(pos.gdp_usd_bn)}).",
        f"It was {fmt.pct(abs(float(history.loc[start])), digits=0)} of GDP at the end of {start} and "
        f"{fmt.pct(abs(float(history.loc[last_year])), digits=0)} at the end of {last_year}.",
    ]
    pairs = [
        ("Foreign-owned US assets", f"{fmt.usd_bn(pos.liabilities_usd_bn)} ({pos.liabilities_to_gdp:.2f}× GDP)"),
        ("US-owned foreign assets", fmt.usd_bn(pos.assets_usd_bn)),
        ("Net position", fmt.usd_bn(pos.headline_net_usd_bn)),
        ("Share of GDP", fmt.pct(pos.net_pct_gdp)),
    ]
    before = year_ago_position(datasets, pos)
    if before is not None:
        change = pos.headline_net_usd_bn - before.headline_net_usd_bn
        pairs.append((f"Change since {fmt.quarter_label(before.period)}", fmt.usd_bn(change, signed=True)))
    blocks = [
        header(f"The US foreign-asset gap, end of {fmt.quarter_label(pos.period)}"),
        section("\n".join(lines)),
        fields(pairs),
    ]
    sources = gap_sources(datasets)
    caveat = _vintage_caveat(datasets, pos)
    if query.breakdown:
        blocks += _breakdown(datasets, sources, pos)
    blocks.append(context([caveat]))
    blocks.append(buttons([("Breakdown by type", "gap breakdown"), ("Who holds Treasuries", "holdings"),
                           ("Fact-check the thesis", "claims")]))
    text = (f"US net international investment position {fmt.quarter_label(pos.period)}: foreigners own "
            f"{fmt.usd_bn(pos.liabilities_usd_bn)}, the US owns {fmt.usd_bn(pos.assets_usd_bn)} abroad, "
            f"a gap of {fmt.usd_bn(pos.headline_net_usd_bn)} ({fmt.pct(pos.net_pct_gdp)} of GDP).")
    chart = ChartRef(
        key="gap",
        title="US net international investment position, % of GDP",
        alt_text=(f"Line chart of the US net international investment position as a share of GDP, "
                  f"{first_year} to {last_year}, falling from {fmt.pct(float(history.iloc[0]), digits=0)} "
                  f"to {fmt.pct(float(history.iloc[-1]), digits=0)}; the latest quarter, "
                  f"{fmt.quarter_label(pos.period)}, "
                  f"is {fmt.pct(pos.net_pct_gdp)}."),
        filename="reset-gap.png",
    )
    return build(blocks, text, charts=[chart], sources=sources)


def _vintage_caveat(datasets: Datasets, pos: NetPosition) -> str:
    """Say how the latest figure was read, and show a revision from the data themselves."""
    quarters = datasets.frame("iip_quarterly")
    latest_tag = quarters.sort_values(["period", "vintage"], na_position="first").iloc[-1]["tag"]
    text = "BEA revises past quarters"
    revised = quarters.groupby("period").filter(lambda g: g["net_usd_bn"].nunique() > 1)
    if not revised.empty:
        period = revised["period"].max()
        rows = revised[revised["period"] == period].sort_values("vintage")
        first, last = rows.iloc[0], rows.iloc[-1]
        text += (f" (end of {fmt.quarter_label(period)}: {fmt.usd_bn(first['net_usd_bn'])} first published "
                 f"{fmt.iso_date(first['vintage'])}, {fmt.usd_bn(last['net_usd_bn'])} in the "
                 f"{fmt.iso_date(last['vintage'])} revision)")
    if latest_tag == "secondary":
        text = ("The latest quarter is BEA's release as reproduced verbatim by a secondary site. " + text)
    return text + "."


def _breakdown(datasets: Datasets, sources: list[Source], pos: NetPosition) -> list[Block]:
    """Foreign holdings of US financial assets by instrument (Fed Z.1 L.133), latest quarter."""
    items = [
        ("US corporate equities", "z1_row_corporate_equities_2025q4_usd_bn"),
        ("Treasury securities", "z1_row_treasury_2025q4_usd_bn"),
        ("US corporate bonds", "z1_row_corporate_bonds_2025q4_usd_bn"),
        ("Agency and GSE securities", "z1_row_agency_2025q4_usd_bn"),
        ("FDI intercompany debt", "z1_row_fdi_intercompany_debt_2025q4_usd_bn"),
    ]
    total = fact(datasets, "z1_row_total_financial_assets_2025q4_usd_bn")
    facts = [(label, fact(datasets, key)) for label, key in items]
    sources.extend(f.source for _, f in facts)
    lines = [f"• {label}: {fmt.usd_bn(f.value)} "
             f"({fmt.pct(100 * f.value / total.value, digits=0)})" for label, f in facts]
    return [section(
        f"*What the rest of the world holds, by instrument ({total.period}, Fed Z.1 L.133)* — total financial "
        f"assets {fmt.usd_bn(total.value)}:\n" + "\n".join(lines) +
        "\n_Z.1 is a different statistical system from BEA's IIP (it leaves out derivatives, for example), "
        f"so it does not add up to the IIP's {fmt.usd_bn(pos.liabilities_usd_bn)}._"
    )]


def gap_change(datasets: Datasets, start: int, end: int) -> Change:
    """Change in the annual net position between two year-ends ($bn)."""
    net = datasets.frame("iip_annual").set_index("year")["net_usd_bn"]
    return change_between(net, start, end)
