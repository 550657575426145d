"""World Gold Council central-bank data: quarterly sums match the fact sheet; damage is refused."""

import json
from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.wgc import parse_wgc, quarterly_totals

RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "wgc" / "cbd_quarterly_2000_2026.json"


@pytest.fixture(scope="module")
def text() -> str:
    return RAW.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def long(text) -> pd.DataFrame:
    return parse_wgc(text, "cbd_quarterly_2000_2026.json")


@pytest.fixture(scope="module")
def totals(long) -> pd.DataFrame:
    return quarterly_totals(long).set_index("quarter_end")


@pytest.mark.parametrize(
    "quarter, gold_all, gold_ex_us, reporters",
    [
        ("2025-12-31", 4_469.3, 3_327.1, 93),
        ("2025-09-30", 3_935.4, 2_935.1, 100),
        ("2024-12-31", 2_695.4, 2_013.1, 107),
        ("2015-12-31", 985.9, 708.7, 118),
    ],
)
def test_quarterly_sums_match_the_fact_sheet(totals, quarter, gold_all, gold_ex_us, reporters):
    row = totals.loc[pd.Timestamp(quarter)]
    assert row["gold_all_usd_bn"] == pytest.approx(gold_all, abs=0.05)
    assert row["gold_ex_us_usd_bn"] == pytest.approx(gold_ex_us, abs=0.05)
    assert row["reporters"] == reporters


def test_us_gold_and_share_of_reserves(totals, long):
    dec = totals.loc[pd.Timestamp("2025-12-31")]
    assert dec["gold_us_usd_bn"] == pytest.approx(1_142.2, abs=0.05)
    assert dec["gold_all_usd_bn"] / dec["total_reserves_all_usd_bn"] * 100 == pytest.approx(26.8, abs=0.05)
    tonnes = long[(long["iso3"] == "USA") & (long["metric"] == "gold_reserves_tns")]
    assert tonnes.set_index("quarter_end").loc[pd.Timestamp("2025-12-31"), "value"] == 8_133.46


def test_awaited_quarters_have_no_row(long, totals):
    germany = long[(long["iso3"] == "DEU") & (long["metric"] == "gold_reserves")]
    assert pd.Timestamp("2026-03-31") not in set(germany["quarter_end"])  # "AWAITED"
    assert totals.loc[pd.Timestamp("2026-03-31"), "reporters"] == 43
    assert long["value"].notna().all()


def test_truncated_json(text):
    with pytest.raises(SourceFormatError) as error:
        parse_wgc(text[:100_000], "cbd.json")
    assert error.value.line == 1 and "cut short" in error.value.reason


def _edited(text: str, edit) -> str:
    data = json.loads(text)
    edit(data)
    return json.dumps(data)


def test_non_numeric_value(text):
    def edit(data):
        data["chartData"]["table"]["QTD_FULL"]["gold_reserves"]["rows"][1][5]["val"] = "12.3.4"

    with pytest.raises(SourceFormatError, match="'12.3.4' is not a number"):
        parse_wgc(_edited(text, edit), "cbd.json")


def test_unit_change_is_refused(text):
    def edit(data):
        for group in data["chartData"]["options"]["metrics"]:
            for metric in group:
                if metric["key"] == "gold_reserves":
                    metric["unitName"] = "US$ Billions"

    with pytest.raises(SourceFormatError, match="US\\$ Millions"):
        parse_wgc(_edited(text, edit), "cbd.json")


def test_row_missing_a_quarter_is_refused(text):
    def edit(data):
        data["chartData"]["table"]["QTD_FULL"]["total_reserves"]["rows"][3].pop(4)

    with pytest.raises(SourceFormatError, match="values for 102 quarters"):
        parse_wgc(_edited(text, edit), "cbd.json")


def test_quarter_header_gap_is_refused(text):
    def edit(data):
        headers = data["chartData"]["table"]["QTD_FULL"]["gold_reserves"]["headers"][0]
        headers[10]["val"] = "Q4 03"

    with pytest.raises(SourceFormatError, match="quarters jump"):
        parse_wgc(_edited(text, edit), "cbd.json")
