"""`handlers.lookup`: the shared accessors into the data. A quoted figure comes with the `Source` to cite it;
series are monthly, in $bn, and the EU is summed only over months where its members are all listed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from handlers.datasets import Datasets
from handlers.holders import EU, FOREIGN
from handlers.lookup import (
    MARKET_SERIES,
    calibration_table,
    fact,
    gdp_for_year,
    holder_series,
    holdings,
    last_full_history_month,
    latest_month,
    market_rate,
    official_series,
    total_series,
)


def with_market_rates(datasets: Datasets, rows: list[tuple[str, str, float | None]]) -> Datasets:
    """The shipped data plus a refreshed FRED ``market_rates`` frame of (date, series, value_pct)."""
    frame = pd.DataFrame(rows, columns=["date", "series", "value_pct"])
    frame["date"] = pd.to_datetime(frame["date"])
    source = datasets.source("treasury_holdings").model_copy(update={
        "name": "market_rates", "title": "FRED market rates", "publisher": "FRED", "series": "DGS10; MORTGAGE30US",
        "vintage": "2026-08-01"})
    return dataclasses.replace(datasets, version="with-rates", frames={**datasets.frames, "market_rates": frame},
                               sources={**datasets.sources, "market_rates": source})


class TestFacts:
    def test_a_fact_is_the_row_of_facts_csv_with_its_own_source(self, datasets):
        got = fact(datasets, "marketable_treasuries_usd_bn")
        assert (got.key, got.value, got.unit) == ("marketable_treasuries_usd_bn", 29571.6, "usd_bn")
        assert got.period == "2025Q3"
        assert got.note == "Marketable Treasury securities outstanding."
        assert got.source.name == "facts:marketable_treasuries_usd_bn"
        assert got.source.publisher == "Federal Reserve Board"
        assert got.source.url == "https://www.federalreserve.gov/releases/z1/"

    def test_its_citation_is_as_of_its_period_and_dated_by_its_row(self, datasets):
        cite = fact(datasets, "marketable_treasuries_usd_bn").source.cite()
        assert cite.endswith(", as of 2025Q3 (vintage 2026-01-09)")

    def test_a_fact_without_its_own_vintage_takes_the_vintage_of_facts_csv(self, datasets):
        facts = datasets.frame("facts")
        undated = facts.loc[facts["vintage"].isna(), "key"]
        assert not undated.empty
        assert fact(datasets, undated.iloc[0]).source.vintage == datasets.source("facts").vintage

    def test_every_fact_can_be_cited(self, datasets):
        for key in datasets.frame("facts")["key"]:
            source = fact(datasets, key).source
            assert source.publisher and source.series and source.as_of and source.vintage

    def test_an_unknown_fact_is_a_key_error_naming_it(self, datasets):
        with pytest.raises(KeyError, match="no_such_fact"):
            fact(datasets, "no_such_fact")


class TestMarketRates:
    @pytest.mark.parametrize("key", list(MARKET_SERIES))
    def test_the_shipped_data_quotes_the_rate_from_facts_csv(self, datasets, key):
        assert market_rate(datasets, key) == fact(datasets, key)

    def test_a_refreshed_version_reads_the_newest_fred_observation(self, datasets):
        refreshed = with_market_rates(datasets, [
            ("2026-07-30", "DGS10", 4.5), ("2026-07-31", "DGS10", 4.55), ("2026-07-31", "MORTGAGE30US", 6.3),
        ])
        got = market_rate(refreshed, "ten_year_yield_pct")
        assert (got.value, got.unit, got.period) == (4.55, "pct", "2026-07-31")
        assert got.source.name == "market_rates:DGS10"
        assert got.source.cite() == "FRED FRED DGS10, as of 2026-07-31 (vintage 2026-08-01)"
        assert market_rate(refreshed, "mortgage_30y_pct").value == 6.3

    def test_a_missing_latest_value_falls_back_to_the_one_before(self, datasets):
        refreshed = with_market_rates(datasets, [("2026-07-30", "DGS10", 4.5), ("2026-07-31", "DGS10", None)])
        assert market_rate(refreshed, "ten_year_yield_pct").period == "2026-07-30"

    def test_a_series_missing_from_the_refresh_falls_back_to_facts_csv(self, datasets):
        refreshed = with_market_rates(datasets, [("2026-07-31", "DGS10", 4.55)])
        assert market_rate(refreshed, "mortgage_30y_pct") == fact(datasets, "mortgage_30y_pct")

    def test_an_unknown_rate_is_a_key_error(self, datasets):
        with pytest.raises(KeyError):
            market_rate(datasets, "two_year_yield_pct")


class TestGdp:
    def test_gdp_is_read_for_a_year_in_billions(self, datasets):
        assert 25_000 < gdp_for_year(datasets, 2024) < 35_000

    def test_a_year_without_gdp_is_a_key_error_saying_which_years_there_are(self, datasets):
        with pytest.raises(KeyError, match="1929–2025"):
            gdp_for_year(datasets, 2031)


class TestMonths:
    def test_the_full_history_table_ends_before_the_latest_month(self, datasets):
        assert last_full_history_month(datasets) == "2025-12"
        assert latest_month(datasets) == "2026-04"

    def test_the_last_full_history_month_is_the_newest_mfhhis01_month(self, datasets):
        tic = datasets.frame("treasury_holdings")
        newer = tic[tic["table"] == "slt_table5"]["month"].max()
        assert last_full_history_month(datasets) < newer


class TestSeries:
    def test_holdings_are_month_holder_and_billions(self, datasets):
        assert list(holdings(datasets).columns) == ["month", "holder", "usd_bn"]

    def test_a_holder_series_is_monthly_in_order_to_the_latest_month(self, datasets, holders):
        japan = holder_series(datasets, holders.get("japan"))
        assert japan.index.is_monotonic_increasing and japan.index.is_unique
        assert japan.index[0] == "2000-03" and japan.index[-1] == latest_month(datasets)
        assert (japan > 0).all()

    def test_foreign_is_the_grand_total(self, datasets, holders):
        foreign, total = holder_series(datasets, holders.get(FOREIGN)), total_series(datasets)
        assert list(foreign.index) == list(total.index) and foreign.tolist() == total.tolist()

    def test_the_eu_stops_at_the_last_month_its_members_are_all_listed(self, datasets, holders):
        eu = holder_series(datasets, holders.get(EU))
        assert eu.index[-1] == last_full_history_month(datasets)

    def test_the_eu_is_the_sum_of_its_members(self, datasets, holders):
        month = last_full_history_month(datasets)
        tic = holdings(datasets)
        rows = tic[(tic["month"] == month) & tic["holder"].isin(holders.get(EU).tic_labels)]
        assert holder_series(datasets, holders.get(EU)).loc[month] == pytest.approx(rows["usd_bn"].sum())

    def test_a_holder_tic_never_lists_is_a_key_error(self, datasets, holders):
        nowhere = holders.get("japan").model_copy(update={"tic_labels": ("Atlantis",), "label": "Atlantis"})
        with pytest.raises(KeyError, match="Atlantis"):
            holder_series(datasets, nowhere)

    def test_the_total_and_official_series_end_in_the_latest_month(self, datasets):
        total, official = total_series(datasets), official_series(datasets)
        assert total.index[-1] == official.index[-1] == latest_month(datasets)
        assert (official < total).all()


def test_the_yield_calibration_is_the_shipped_table(datasets):
    assert calibration_table(datasets).equals(datasets.frame("yield_calibration"))
