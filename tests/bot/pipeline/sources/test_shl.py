"""SHL survey appendix tables A5 and A7: EU-27 sums match the fact sheet; damage is refused."""

from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.shl import parse_shl_a5, parse_shl_a7

RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "shl-2025"

EU27 = [
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Denmark", "Estonia",
    "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia", "Lithuania",
    "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia",
    "Spain", "Sweden",
]  # fmt: skip


def read(name: str) -> str:
    return (RAW / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def a5() -> pd.DataFrame:
    return parse_shl_a5(read("shl_app05_2025.csv"), "shl_app05_2025.csv")


@pytest.fixture(scope="module")
def a7() -> pd.DataFrame:
    return parse_shl_a7(read("shl_app07_2025.csv"), "shl_app07_2025.csv")


def row(frame: pd.DataFrame, country: str) -> pd.Series:
    return frame.set_index("country").loc[country]


def eu_sum_bn(frame: pd.DataFrame, column: str) -> float:
    eu = frame[frame["country"].isin(EU27)]
    assert len(eu) == 27 and set(eu["kind"]) == {"country"}
    return float(eu[column].sum()) / 1000  # suppressed cells (<NA>) are skipped, as in the fact sheet


def test_eu27_split_matches_the_fact_sheet(a5, a7):
    assert eu_sum_bn(a5, "total_usd_mn") == pytest.approx(10_003.7, abs=0.05)
    assert eu_sum_bn(a5, "equities_usd_mn") == pytest.approx(5_619.3, abs=0.05)
    assert eu_sum_bn(a5, "lt_treasury_usd_mn") == pytest.approx(1_678.0, abs=0.05)
    assert eu_sum_bn(a5, "lt_corporate_usd_mn") == pytest.approx(1_985.4, abs=0.05)
    assert eu_sum_bn(a5, "st_debt_usd_mn") == pytest.approx(515.3, abs=0.05)
    assert eu_sum_bn(a7, "treasury_usd_mn") == pytest.approx(2_015.5, abs=0.05)  # LT + ST Treasury


def test_totals_and_regions(a5, a7):
    total = row(a5, "Total")
    assert (total["kind"], total["total_usd_mn"], total["equities_usd_mn"]) == ("total", 35_348_680, 19_859_814)
    assert row(a7, "Total")["treasury_usd_mn"] == 9_076_079
    europe = row(a5, "Total Europe")
    assert europe["kind"] == "region" and europe["total_usd_mn"] == 16_224_559
    assert row(a5, "Euro area countries")["kind"] == "region"
    assert row(a5, "United Kingdom")["total_usd_mn"] == 3_462_111
    kinds = a5.set_index("country")["kind"]
    assert kinds["Int. and reg. org."] == kinds["Country Unknown"] == "other"
    assert kinds["of which: Holdings of foreign official institutions"] == "other"
    assert row(a5, "of which: Holdings of foreign official institutions")["total_usd_mn"] == 6_906_993
    assert (kinds == "region").sum() == 7 and (kinds == "total").sum() == 1


def test_suppressed_cells_are_missing_not_zero(a5):
    afghanistan = row(a5, "Afghanistan")
    assert pd.isna(afghanistan["total_usd_mn"])  # "*"
    assert afghanistan["lt_agency_usd_mn"] == 0  # a printed 0 stays 0
    assert str(a5["total_usd_mn"].dtype) == "Int64"


def _lines(name: str) -> list[str]:
    return read(name).splitlines()


def test_changed_header_is_refused():
    lines = _lines("shl_app05_2025.csv")
    assert lines[5].startswith('"Countries and Regions"')
    lines[5] = lines[5].replace('"Agency","Corp"', '"Corp","Agency"')
    with pytest.raises(SourceFormatError) as error:
        parse_shl_a5("\n".join(lines), "shl_app05_2025.csv")
    assert error.value.line == 6 and "header changed" in error.value.reason


def test_column_removed_from_a_row():
    lines = _lines("shl_app05_2025.csv")
    index = next(i for i, line in enumerate(lines) if line.startswith('"Belgium"'))
    lines[index] = lines[index].replace(",134916", "", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_shl_a5("\n".join(lines), "shl_app05_2025.csv")
    assert str(error.value) == f"shl_app05_2025.csv line {index + 1}: expected 8 columns, got 7"


def test_swapped_values_break_the_row_identity():
    lines = _lines("shl_app05_2025.csv")
    index = next(i for i, line in enumerate(lines) if line.startswith('"Germany"'))
    assert lines[index] == '"Germany",800450,572073,205408,77026,4752,123630,22969'
    lines[index] = '"Germany",800450,572073,205408,77026,4752,22969,123630'  # corporate <-> short term
    with pytest.raises(SourceFormatError) as error:
        parse_shl_a5("\n".join(lines), "shl_app05_2025.csv")
    assert error.value.line == index + 1 and "shifted" in error.value.reason


def test_non_numeric_cell():
    lines = _lines("shl_app07_2025.csv")
    index = next(i for i, line in enumerate(lines) if line.startswith('"Japan"'))
    cells = lines[index].split(",")
    cells[1] = "1.5e3"
    lines[index] = ",".join(cells)
    with pytest.raises(SourceFormatError) as error:
        parse_shl_a7("\n".join(lines), "shl_app07_2025.csv")
    assert error.value.line == index + 1 and "'1.5e3' is not a whole number" in error.value.reason


def test_truncated_before_the_regions():
    lines = _lines("shl_app05_2025.csv")
    cut = next(i for i, line in enumerate(lines) if line.startswith('"Totals by Region:"'))
    with pytest.raises(SourceFormatError, match="cut short"):
        parse_shl_a5("\n".join(lines[:cut]), "shl_app05_2025.csv")


def test_truncated_inside_the_regions():
    lines = _lines("shl_app05_2025.csv")
    cut = next(i for i, line in enumerate(lines) if line.startswith('"Total Europe"'))
    with pytest.raises(SourceFormatError, match="cut short"):
        parse_shl_a5("\n".join(lines[:cut]), "shl_app05_2025.csv")


def test_wrong_table_is_refused():
    with pytest.raises(SourceFormatError) as error:
        parse_shl_a5(read("shl_app07_2025.csv"), "shl_app07_2025.csv")
    assert error.value.line == 1
