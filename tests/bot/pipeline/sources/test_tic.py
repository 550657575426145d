"""TIC holdings tables: the fact sheet's figures come out, and damaged layouts are refused."""

from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.tic import parse_mfh, parse_mfhhis01, parse_slt3d, parse_slt_table5

RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "tic"


def read(name: str) -> str:
    return (RAW / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return parse_mfhhis01(read("mfhhis01.txt"), "mfhhis01.txt")


def value(frame: pd.DataFrame, month: str, holder: str) -> float:
    match = frame[(frame["month"] == month) & (frame["holder"] == holder)]["usd_bn"]
    assert len(match) == 1, (month, holder)
    return float(match.iloc[0])


# ----------------------------------------------------------------------------- mfhhis01


def test_mfhhis01_december_2025(history):
    assert value(history, "2025-12", "Japan") == 1185.5
    assert value(history, "2025-12", "China, Mainland") == 683.5
    assert value(history, "2025-12", "United Kingdom") == 863.1
    assert value(history, "2025-12", "Grand Total") == 9267.2
    assert value(history, "2025-12", "Foreign Official") == 3877.6


@pytest.mark.parametrize(
    "holder, dec_2015, dec_2025",
    [("China, Mainland", 1246.1, 683.5), ("Saudi Arabia", 118.9, 149.5), ("Belgium", 121.7, 477.3),
     ("Grand Total", 6144.2, 9267.2)],
)
def test_mfhhis01_decade_table(history, holder, dec_2015, dec_2025):
    assert value(history, "2015-12", holder) == dec_2015
    assert value(history, "2025-12", holder) == dec_2025


def test_mfhhis01_russia_2018_and_saudi_peak(history):
    russia = [value(history, f"2018-{m:02d}", "Russia") for m in (1, 2, 3, 4, 5, 6, 12)]
    assert russia == [96.9, 93.8, 96.1, 48.7, 14.9, 14.9, 13.2]
    assert value(history, "2010-10", "Russia") == 176.3
    assert value(history, "2019-12", "Saudi Arabia") == 179.8
    assert history[(history["holder"] == "Russia") & (history["month"] >= "2019-01")].empty


def test_mfhhis01_covers_march_2000_to_december_2025_once_per_month(history):
    months = sorted(history["month"].unique())
    assert months[0] == "2000-03" and months[-1] == "2025-12" and len(months) == 310
    assert not history.duplicated(["month", "holder"]).any()


def test_series_break_keeps_the_new_series_column(history):
    # June 2011 is printed twice; the left column (series XII) continues into July.
    assert value(history, "2011-06", "Japan") == 881.5  # old series XI showed 911.1
    assert value(history, "2000-03", "United Kingdom") == 78.6  # Series II, not I (235.7)


def test_labels_are_normalised(history):
    holders = set(history["holder"])
    assert {"United Kingdom", "Korea, South", "Belgium", "Spain", "Oil Exporters", "Carib Bnkng Ctrs"} <= holders
    assert not any(h.endswith("/") or '"' in h or h != h.strip() for h in holders)
    assert {"Foreign Official", "Foreign Official Treasury Bills", "Foreign Official T-Bonds & Notes"} <= holders


def test_not_available_cells_produce_no_row(history):
    # Luxembourg is "n.a." before June 2002 (it sits inside Belgium-Luxembourg).
    assert history[(history["holder"] == "Luxembourg") & (history["month"] < "2002-06")].empty
    assert value(history, "2002-06", "Luxembourg") == 23.1


def _mfhhis01_lines() -> list[str]:
    return read("mfhhis01.txt").splitlines()


def test_mfhhis01_value_removed_from_a_row():
    lines = _mfhhis01_lines()
    assert lines[9].startswith("Japan\t1185.5")
    lines[9] = lines[9].replace("\t1185.5", "", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert str(error.value) == "mfhhis01.txt line 10: expected 12 numeric columns, got 11"


def test_mfhhis01_values_shifted_one_column_are_caught_by_the_totals():
    lines = _mfhhis01_lines()
    cells = lines[9].split("\t")  # Japan, Dec..Jan, trailing blank
    lines[9] = "\t".join([cells[0], *cells[2:13], cells[1], *cells[13:]])  # rotate: still 12 numbers
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert "Grand Total" in error.value.reason and error.value.line == 47


def test_mfhhis01_non_numeric_cell():
    lines = _mfhhis01_lines()
    lines[11] = lines[11].replace("683.5", "683,5", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert error.value.line == 12 and "'683,5' is not a number" in error.value.reason


def test_mfhhis01_month_header_must_parse():
    lines = _mfhhis01_lines()
    lines[5] = lines[5].replace("Nov", "Nv", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert error.value.line == 6


def test_mfhhis01_year_row_must_match_the_months():
    lines = _mfhhis01_lines()
    lines[6] = lines[6].replace("\t2025", "\t2024", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert error.value.line == 7


@pytest.mark.parametrize("keep", [30, 700, 1240])
def test_mfhhis01_truncated(keep):
    lines = _mfhhis01_lines()[:keep]
    with pytest.raises(SourceFormatError) as error:
        parse_mfhhis01("\n".join(lines), "mfhhis01.txt")
    assert "cut short" in error.value.reason


# ----------------------------------------------------------------------------- slt_table5


@pytest.fixture(scope="module")
def table5() -> pd.DataFrame:
    return parse_slt_table5(read("slt_table5.txt"), "slt_table5.txt")


def test_slt_table5_latest_months(table5):
    assert value(table5, "2026-04", "Grand Total") == 9352.6
    assert value(table5, "2026-04", "Japan") == 1209.9
    assert value(table5, "2026-01", "China, Mainland") == 694.4
    assert value(table5, "2026-02", "Saudi Arabia") == 160.4
    assert value(table5, "2026-04", "Foreign Official") == 3906.5
    assert sorted(table5["month"].unique())[0] == "2025-04" and table5["month"].nunique() == 13
    assert "Germany" not in set(table5["holder"])


def test_slt_table5_agrees_with_mfhhis01_for_months_in_both(history, table5):
    both = table5.merge(history, on=["month", "holder"], suffixes=("_t5", "_his"))
    listed = both[both["holder"] != "All Other"]
    assert len(listed) > 200
    assert (listed["usd_bn_t5"] == listed["usd_bn_his"]).all()


def _table5_lines() -> list[str]:
    return read("slt_table5.txt").splitlines()


def test_slt_table5_column_removed_from_header():
    lines = _table5_lines()
    lines[5] = lines[5].replace("\t2026-03", "", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_slt_table5("\n".join(lines), "slt_table5.txt")
    assert error.value.line == 6 and "not consecutive" in error.value.reason


def test_slt_table5_short_row():
    lines = _table5_lines()
    lines[6] = lines[6].replace("\t1209.9", "", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_slt_table5("\n".join(lines), "slt_table5.txt")
    assert str(error.value) == "slt_table5.txt line 7: expected 13 numeric columns, got 12"


def test_slt_table5_non_numeric_cell():
    lines = _table5_lines()
    assert lines[27].startswith("Grand Total\t9352.6")
    lines[27] = lines[27].replace("9352.6", "n/a", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_slt_table5("\n".join(lines), "slt_table5.txt")
    assert error.value.line == 28 and "'n/a' is not a number" in error.value.reason


def test_slt_table5_truncated():
    with pytest.raises(SourceFormatError, match="cut short"):
        parse_slt_table5("\n".join(_table5_lines()[:20]), "slt_table5.txt")


# ----------------------------------------------------------------------------- mfh.txt


def test_mfh_fixed_width():
    frame = parse_mfh(read("mfh.txt"), "mfh.txt")
    assert value(frame, "2023-01", "Japan") == 1104.4
    assert value(frame, "2022-12", "China, Mainland") == 867.1  # = mfhhis01 Dec 2022 (fact sheet)
    assert value(frame, "2023-01", "Grand Total") == 7402.5
    assert value(frame, "2022-01", "Foreign Official T-Bonds & Notes") == 3863.3
    assert sorted(frame["month"].unique()) == [f"2022-{m:02d}" for m in range(1, 13)] + ["2023-01"]


def test_mfh_misaligned_value_is_refused():
    lines = read("mfh.txt").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("Japan"))
    lines[index] = lines[index].replace("1104.4  1076.3", "1104.4 1076.3 ", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_mfh("\n".join(lines), "mfh.txt")
    assert error.value.line == index + 1 and "aligned" in error.value.reason


def test_mfh_truncated():
    lines = read("mfh.txt").splitlines()
    with pytest.raises(SourceFormatError, match="cut short"):
        parse_mfh("\n".join(lines[:30]), "mfh.txt")


# ----------------------------------------------------------------------------- slt3d


def test_slt3d_by_country_in_millions():
    frame = parse_slt3d(read("slt3d_globl.csv"), "slt3d_globl.csv")
    austria = frame[(frame["country"] == "Austria") & (frame["month"] == "2023-01")].iloc[0]
    assert (austria["total_usd_mn"], austria["lt_usd_mn"], austria["st_usd_mn"]) == (5367, 4175, 1192)
    total = frame[(frame["country"] == "Grand Total") & (frame["month"] == "2011-09")].iloc[0]
    assert total["total_usd_mn"] == 4_912_116
    assert frame["st_usd_mn"].isna().any() and not (frame["st_usd_mn"] == 0).all()


def test_slt3d_non_numeric_cell():
    lines = read("slt3d_globl.csv").splitlines()
    assert lines[14].startswith('"Austria",10189,"2023-01","5,367"')
    lines[14] = lines[14].replace('"5,367"', '"5,3x7"', 1)
    with pytest.raises(SourceFormatError) as error:
        parse_slt3d("\n".join(lines), "slt3d_globl.csv")
    assert error.value.line == 15 and "'5,3x7' is not a number" in error.value.reason
