"""`ChartData`: one table per chart, every number with its source and vintage."""

from __future__ import annotations

import pytest

from handlers.charts import data as d
from handlers.charts.data import chart_data, iso_end

KEYS = ["gap", "holdings", "holdings:china", "holdings:eu", "europe", "buying", "refinancing", "gold",
        "shock:eu 20%", "shock:foreign 100%"]


def test_iso_end():
    assert [iso_end(p) for p in ("2024", "2024-02", "2025Q3", "2025-Q4", "2025-06-30", "month 3", "")] == [
        "2024-12-31", "2024-02-29", "2025-09-30", "2025-12-31", "2025-06-30", "", ""]


@pytest.mark.parametrize("key", KEYS)
def test_every_row_cites_a_vintage_the_datasets_have(datasets, key):
    data = chart_data(key, datasets)
    assert data.key == key and data.rows
    known = {s.vintage for s in datasets.sources.values()} | {
        r.vintage for k in ("refi_2026_claim_usd_bn", "treasury_bills_usd_bn")
        for r in [d.fact(datasets, k).source]}
    for row in data.rows:
        assert row.source and row.unit
        assert set(row.vintage.split("; ")) <= known, row


def test_the_shock_table_says_when_it_is_an_extrapolation(datasets):
    assert chart_data("shock:foreign 100%", datasets).warning == d.EXTRAPOLATION
    assert chart_data("shock:eu 20%", datasets).warning == ""


def test_the_table_is_the_same_value_each_time(datasets):
    assert chart_data("gap", datasets) == chart_data("gap", datasets)


def test_bad_keys(datasets):
    with pytest.raises(d.UnknownChart):
        chart_data("pie", datasets)
    with pytest.raises(ValueError):
        chart_data("shock:eu 20 %", datasets)  # not the canonical form of a scenario
    for forged in ("gap:x", "refinancing:1", "holdings:china:extra", "shock:eu 20%:z"):  # parts no chart takes
        with pytest.raises(d.UnknownChart, match="does not take"):
            chart_data(forged, datasets)
