"""Typed look-ups into `Datasets`: the few accessors every topic shares.

Single figures (`fact`, `market_rate`) come with the `Source` that must be cited with them; the
series accessors return plain pandas series, and the topic that shows one cites its dataset's
`Datasets.source(name)` — each reply's sources are checked by tests/handlers/test_answer.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from handlers.datasets import Datasets, Source
from handlers.formatting import iso_date
from handlers.holders import EU, Holder
from metrics.holdings import TIC_TOTAL

GRAND_TOTAL = TIC_TOTAL  # re-exported for the topics
FOREIGN_OFFICIAL = "Foreign Official"


@dataclass(frozen=True)
class Fact:
    key: str
    value: float
    unit: str
    period: str
    note: str
    source: Source


def fact(datasets: Datasets, key: str) -> Fact:
    """One quoted figure from ``facts.csv`` with its own citation (each fact has its own source)."""
    frame = datasets.frame("facts")
    rows = frame[frame["key"] == key]
    if rows.empty:
        raise KeyError(f"facts.csv has no row {key!r}")
    row = rows.iloc[0]
    base = datasets.source("facts")
    source = Source(
        name=f"facts:{key}",
        title=str(row["source"]),
        publisher=str(row["publisher"]),
        series=str(row["source"]),
        url=str(row["url"]),
        period=str(row["period"]),
        as_of=str(row["period"]),
        vintage=iso_date(row["vintage"]) or base.vintage,
        units=str(row["unit"]),
        tag=str(row["tag"]),
    )
    return Fact(key, float(row["value"]), str(row["unit"]), str(row["period"]), str(row["note"]), source)


def calibration_table(datasets: Datasets) -> pd.DataFrame:
    return datasets.frame("yield_calibration")


def gdp_for_year(datasets: Datasets, year: int) -> float:
    """Nominal GDP, $bn (FRED GDPA)."""
    gdp = datasets.frame("gdp_annual").set_index("year")["gdp_usd_bn"]
    if year not in gdp.index:
        raise KeyError(f"no GDP for {year}; GDP runs {gdp.index.min()}–{gdp.index.max()}")
    return float(gdp.loc[year])


def holdings(datasets: Datasets) -> pd.DataFrame:
    """The long TIC holdings frame: month, holder, usd_bn ($bn)."""
    return datasets.frame("treasury_holdings")[["month", "holder", "usd_bn"]]


def holder_series(datasets: Datasets, holder: Holder) -> pd.Series:
    """Monthly holdings of one holder (summing its TIC rows), $bn, indexed by "YYYY-MM".

    For the EU aggregate only months in which every EU member listed in the full-history table
    (mfhhis01) is present are kept: SLT Table 5 lists just the 20 largest holders, and summing
    fewer members would show a fall that is only a change of coverage.
    """
    frame = holdings(datasets)
    rows = frame[frame["holder"].isin(holder.tic_labels)]
    if rows.empty:
        raise KeyError(f"TIC lists no holdings for {holder.label}")
    wide = rows.pivot_table(index="month", columns="holder", values="usd_bn", aggfunc="sum").sort_index()
    if holder.key == EU:
        full_months = wide.index[wide.index <= last_full_history_month(datasets)]
        wide = wide.loc[full_months]
        return wide.sum(axis=1, min_count=1).dropna()
    return wide.sum(axis=1, min_count=1).dropna()


def last_full_history_month(datasets: Datasets) -> str:
    """The newest month of the full-history table (mfhhis01), which lists ~40 holders."""
    frame = datasets.frame("treasury_holdings")
    return str(frame.loc[frame["table"] == "mfhhis01", "month"].max())


def latest_month(datasets: Datasets) -> str:
    return str(holdings(datasets)["month"].max())


def total_series(datasets: Datasets) -> pd.Series:
    frame = holdings(datasets)
    return frame[frame["holder"] == GRAND_TOTAL].set_index("month")["usd_bn"].sort_index()


def official_series(datasets: Datasets) -> pd.Series:
    frame = holdings(datasets)
    return frame[frame["holder"] == FOREIGN_OFFICIAL].set_index("month")["usd_bn"].sort_index()



MARKET_SERIES = {"ten_year_yield_pct": "DGS10", "mortgage_30y_pct": "MORTGAGE30US"}


def market_rate(datasets: Datasets, key: str) -> Fact:
    """The latest 10-year yield or 30-year mortgage rate (percent).

    From FRED's ``market_rates`` when a refreshed version has it, else the quoted figure in
    facts.csv (the shipped baseline has only an end-2025 quote).
    """
    series = MARKET_SERIES[key]
    frame = datasets.frames.get("market_rates")
    if frame is not None:
        rows = frame[frame["series"] == series].dropna(subset=["value_pct"])
        if not rows.empty:
            latest = rows.sort_values("date").iloc[-1]
            base = datasets.source("market_rates")
            as_of = iso_date(latest["date"])
            source = base.model_copy(update={"name": f"market_rates:{series}", "series": f"FRED {series}",
                                             "as_of": as_of, "period": as_of})
            return Fact(key, float(latest["value_pct"]), "pct", as_of, f"FRED {series}", source)
    return fact(datasets, key)
