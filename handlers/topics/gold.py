"""`/reset gold`: central banks' gold against their US Treasuries, on named bases."""

from __future__ import annotations

import pandas as pd

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.lookup import fact, official_series
from handlers.queries import GoldQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import Crossover, crossover, gold_vs_treasuries

# Central banks report to the IMF late: the newest quarters cover fewer holders, and their
# summed gold falls for no economic reason. Quarters with fewer reporters than this share of
# the best-covered quarter are left out (and the reply says how many reported).
MIN_REPORTER_SHARE = 0.75
YEARS_SHOWN = 10


def gold_frame(datasets: Datasets) -> pd.DataFrame:
    """Quarterly gold sums with enough reporters, from the last ten years."""
    gold = datasets.frame("gold_reserves")
    enough = gold[gold["reporters"] >= MIN_REPORTER_SHARE * gold["reporters"].max()]
    latest_year = int(str(enough["quarter_end"].max())[:4])
    return enough[enough["quarter_end"] >= f"{latest_year - YEARS_SHOWN}-12-31"]


def gold_table(datasets: Datasets) -> pd.DataFrame:
    return gold_vs_treasuries(gold_frame(datasets), official_series(datasets))


def gold_crossover(datasets: Datasets) -> Crossover:
    return crossover(gold_frame(datasets), official_series(datasets))


def answer_gold(query: GoldQuery, datasets: Datasets) -> Reply:
    table = gold_table(datasets)
    cross = gold_crossover(datasets)
    latest = table.iloc[-1]
    first = table.iloc[0]
    q = fmt.quarter_end(str(table.index[-1]))
    all_base, ex_us = cross.all_official_gold, cross.ex_us_official_gold
    if (all_base.first_quarter_end and all_base.gold_usd_bn is not None
            and all_base.official_ust_usd_bn is not None):
        all_line = (f"*Counting all official gold, the US's included*, gold passed foreign official Treasuries in "
                    f"{fmt.quarter_end(all_base.first_quarter_end)} ({fmt.usd_bn(all_base.gold_usd_bn, digits=2)} vs "
                    f"{fmt.usd_bn(all_base.official_ust_usd_bn, digits=2)}); ratio now {all_base.latest_ratio:.2f}.")
    else:
        all_line = ("Counting all official gold, gold has not passed foreign official Treasuries "
                    f"(ratio {all_base.latest_ratio:.2f}).")
    if ex_us.first_quarter_end:
        ex_line = (f"*Counting only non-US official gold*, it crossed in {fmt.quarter_end(ex_us.first_quarter_end)}; "
                   f"ratio now {ex_us.latest_ratio:.2f}.")
    else:
        ex_line = (f"*Counting only non-US official gold*, it has *not* crossed: "
                   f"{fmt.usd_bn(latest['gold_ex_us_usd_bn'])} "
                   f"against {fmt.usd_bn(latest['official_ust_usd_bn'])} (ratio {ex_us.latest_ratio:.2f}).")
    cofer = datasets.frame("cofer").sort_values("quarter")
    usd_then, usd_now = cofer.iloc[max(0, len(cofer) - 1 - 4 * YEARS_SHOWN)], cofer.iloc[-1]
    ecb_gold, ecb_eur = fact(datasets, "ecb_gold_share_reserves_pct"), fact(datasets, "ecb_euro_share_reserves_pct")
    bought = fact(datasets, "wgc_cb_purchases_2025_tonnes")
    blocks = [
        header(f"Central banks: gold vs US Treasuries, {q}"),
        section(
            f"The “gold has overtaken Treasuries” claim depends on what is counted.\n• {all_line}\n• {ex_line}"
        ),
        fields([
            ("Official gold, all reporters", f"{fmt.usd_bn(latest['gold_all_usd_bn'])} ({int(latest['reporters'])} "
                                             f"reporters)"),
            ("Official gold, excluding the US", fmt.usd_bn(latest["gold_ex_us_usd_bn"])),
            ("Foreign official Treasuries (TIC)", fmt.usd_bn(latest["official_ust_usd_bn"])),
            (f"Gold ex-US, {fmt.quarter_end(str(table.index[0]))}", f"{fmt.usd_bn(first['gold_ex_us_usd_bn'])} "
             f"(ratio {first['ratio_ex_us']:.2f})"),
            ("Dollar share of FX reserves (IMF COFER)", _usd_share(datasets, usd_now)
             + (f", from {fmt.pct(usd_then['usd_share_pct'])} in {usd_then['quarter']}"
                if usd_then["quarter"] != usd_now["quarter"] else "")),
            ("Central-bank gold bought in 2025", f"{bought.value:,.0f} t (WGC)"),
        ]),
        context([
            f"Gold is at market value, so much of its rise is price, not purchases. The ECB put gold at "
            f"{fmt.pct(ecb_gold.value, digits=0)} of official reserves at {ecb_gold.period}, above the euro's "
            f"{fmt.pct(ecb_eur.value, digits=0)} (a different base). Not counted here: IMF and ECB gold and late "
            f"reporters; quarters with under {fmt.share(MIN_REPORTER_SHARE)} of the usual reporters are left out.",
        ]),
        buttons([("Fact-check", "claims"), ("Who holds Treasuries", "holdings")]),
    ]
    text = (f"Gold vs Treasuries {q}: all official gold {fmt.usd_bn(latest['gold_all_usd_bn'])}, ex-US "
            f"{fmt.usd_bn(latest['gold_ex_us_usd_bn'])}, foreign official Treasuries "
            f"{fmt.usd_bn(latest['official_ust_usd_bn'])}.")
    chart = ChartRef(
        key="gold",
        title="Central-bank gold vs foreign official Treasuries",
        alt_text=(f"Line chart, {fmt.quarter_end(str(table.index[0]))} to {q}: official gold (all reporters and "
                  f"excluding the US) rising to {fmt.usd_bn(latest['gold_all_usd_bn'])} and "
                  f"{fmt.usd_bn(latest['gold_ex_us_usd_bn'])}, against foreign official Treasury holdings of about "
                  f"{fmt.usd_bn(latest['official_ust_usd_bn'])}."),
        filename="reset-gold.png",
    )
    sources = [datasets.source("gold_reserves"), datasets.source("treasury_holdings"), datasets.source("cofer"),
               ecb_gold.source, bought.source]
    return build(blocks, text, charts=[chart], sources=sources)


#: facts.csv rows with later COFER vintages than the cofer resource, by quarter.
NEWER_COFER_USD = {"2025Q4": "cofer_usd_share_2025q4_jul2026_pct"}


def _usd_share(datasets: Datasets, latest: pd.Series) -> str:
    """The dollar share for the latest quarter, from the newest vintage the data hold: the cofer
    resource, or a later IMF release quoted in facts.csv (COFER revises past quarters)."""
    shown = f"{fmt.pct(latest['usd_share_pct'])} in {latest['quarter']}"
    key = NEWER_COFER_USD.get(str(latest["quarter"]))
    if key is None:
        return shown
    newer, base = fact(datasets, key), datasets.source("cofer")
    if newer.source.vintage <= base.vintage:
        return shown
    return (f"{fmt.pct(newer.value)} in {latest['quarter']} (IMF, published {newer.source.vintage}; "
            f"{fmt.pct(latest['usd_share_pct'])} in the {base.vintage} release)")
