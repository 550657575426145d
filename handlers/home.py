"""The App Home tab: headline numbers with their as-of dates, and the command cheat sheet."""

from __future__ import annotations

from typing import Any

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.lookup import latest_month, total_series
from handlers.reply import MAX_BLOCKS_HOME, build, divider, fields, header, section
from handlers.topics.gap import latest_position
from handlers.topics.help import cheat_sheet_markdown


def home_view(datasets: Datasets) -> dict[str, Any]:
    pos = latest_position(datasets)
    month = latest_month(datasets)
    total = total_series(datasets)
    q = fmt.quarter_label(pos.period)
    reply = build(
        [
            header("Reset Bot"),
            section("The US external balance sheet, Treasuries and yields — explained with official data."),
            fields([
                (f"Foreign-owned US assets ({q})", fmt.usd_bn(pos.liabilities_usd_bn)),
                (f"US-owned foreign assets ({q})", fmt.usd_bn(pos.assets_usd_bn)),
                (f"Net position ({q})", f"{fmt.usd_bn(pos.headline_net_usd_bn)} ({fmt.pct(pos.net_pct_gdp)} of GDP)"),
                (f"Foreign-held Treasuries ({fmt.month(month)})", fmt.usd_bn(float(total.loc[month]))),
            ]),
            divider(),
            section("*Commands*\n" + cheat_sheet_markdown()),
        ],
        text="Reset Bot",
        sources=[datasets.source("iip_quarterly"), datasets.source("treasury_holdings")],
        limit=MAX_BLOCKS_HOME,
    )
    return {"type": "home", "blocks": list(reply.blocks)}
