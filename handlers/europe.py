"""EU holdings of US securities by type, from the TIC annual survey (SHL, June 2025).

The survey covers every country, so its EU-27 sum is the best measure of what EU residents
hold; cells TIC suppresses for confidentiality are left out, which makes the sums slight
underestimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from handlers.datasets import Datasets

# Survey columns shown, in $ millions as published → label.
TYPES = {
    "treasury_usd_mn": "Treasuries (long + short term)",
    "lt_corporate_usd_mn": "Corporate bonds (long term)",
    "equities_usd_mn": "Equities",
    "lt_agency_usd_mn": "Agency bonds (long term)",
}


@dataclass(frozen=True)
class EuHoldings:
    by_type_usd_bn: dict[str, float]  # column → $bn
    total_usd_bn: float
    members: int
    suppressed_cells: int
    europe_usd_bn: float  # "Total Europe" row (EU + UK, Switzerland, Norway …)
    all_foreign_usd_bn: float
    uk_usd_bn: dict[str, float]


def eu_holdings(datasets: Datasets) -> EuHoldings:
    shl = datasets.frame("shl_holdings")
    eu = shl[(shl["kind"] == "country") & shl["eu_member"].astype(bool)]
    by_type = {col: float(eu[col].sum(skipna=True)) / 1000 for col in TYPES}
    suppressed = int(eu[list(TYPES)].isna().sum().sum())
    totals = shl.set_index("country")
    uk = totals.loc["United Kingdom"]
    return EuHoldings(
        by_type_usd_bn=by_type,
        total_usd_bn=float(eu["total_usd_mn"].sum(skipna=True)) / 1000,
        members=len(eu),
        suppressed_cells=suppressed,
        europe_usd_bn=float(totals.loc["Total Europe", "total_usd_mn"]) / 1000,
        all_foreign_usd_bn=float(shl.loc[shl["kind"] == "total", "total_usd_mn"].iloc[0]) / 1000,
        uk_usd_bn={col: float(uk[col]) / 1000 for col in TYPES if pd.notna(uk[col])},
    )
