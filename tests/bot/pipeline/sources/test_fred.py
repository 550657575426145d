"""FRED graph CSVs: figures as FRED publishes them; a changed or damaged file is refused."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.fred import parse_fred_csv

RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "fred"


def read(name: str) -> str:
    return (RAW / name).read_text(encoding="utf-8")


def test_niip_is_read_in_fred_units_millions():
    frame = parse_fred_csv(read("niip.csv"), "niip.csv")
    assert list(frame.columns) == ["date", "series", "value"]
    assert set(frame["series"]) == {"IIPUSNETIA"}
    by_year = dict(zip(frame["date"].dt.year, frame["value"]))
    assert by_year[2024] == -26_539_470  # fact sheet §1b: -26,539.47 $bn
    assert by_year[2024] / 1000 == pytest.approx(-26_539.47)
    assert by_year[2006] / 1000 == pytest.approx(-1_807.8, abs=0.05)
    assert frame["date"].is_monotonic_increasing and min(by_year) == 1976


def test_gdp_2024_and_2025():
    frame = parse_fred_csv(read("gdp.csv"), "gdp.csv")
    by_year = dict(zip(frame["date"].dt.year, frame["value"]))
    assert by_year[2024] == pytest.approx(29_298.013)
    assert by_year[2025] == pytest.approx(30_767.088)


def test_missing_marker_drops_the_observation_not_a_nan():
    text = "observation_date,GDPA\n2023-01-01,27720.7\n2024-01-01,.\n2025-01-01,30767.1\n"
    frame = parse_fred_csv(text, "gdp.csv")
    assert list(frame["date"].dt.year) == [2023, 2025]
    assert frame["value"].notna().all()


def test_truncated_file_names_the_cut_line():
    lines = read("niip.csv").splitlines()
    cut = "\n".join(lines[:-1]) + "\n" + lines[-1][:7]  # "2024-01" with the rest lost
    with pytest.raises(SourceFormatError) as error:
        parse_fred_csv(cut, "niip.csv")
    assert error.value.line == len(lines)
    assert str(error.value).startswith(f"niip.csv line {len(lines)}: ")


def test_header_only_is_refused():
    with pytest.raises(SourceFormatError, match="no observations"):
        parse_fred_csv("observation_date,GDPA\n", "gdp.csv")


def test_extra_column_is_a_layout_change():
    text = read("gdp.csv").replace("observation_date,GDPA", "observation_date,GDPA,GDPCA", 1)
    with pytest.raises(SourceFormatError) as error:
        parse_fred_csv(text, "gdp.csv")
    assert error.value.line == 1 and "header" in error.value.reason


def test_row_with_a_shifted_column_is_refused():
    lines = read("gdp.csv").splitlines()
    lines[5] = lines[5] + ",1.0"
    with pytest.raises(SourceFormatError) as error:
        parse_fred_csv("\n".join(lines), "gdp.csv")
    assert (error.value.line, error.value.reason) == (6, "expected 2 columns, got 3")


def test_non_numeric_cell_is_refused_with_its_line():
    lines = read("niip.csv").splitlines()
    lines[11] = lines[11].split(",")[0] + ",12x45"
    with pytest.raises(SourceFormatError) as error:
        parse_fred_csv("\n".join(lines), "niip.csv")
    assert str(error.value) == "niip.csv line 12: IIPUSNETIA: '12x45' is not a number"


def test_dates_must_increase():
    text = "observation_date,GDPA\n2024-01-01,1\n2023-01-01,2\n"
    with pytest.raises(SourceFormatError, match="line 3"):
        parse_fred_csv(text, "gdp.csv")


@given(st.lists(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False), min_size=1, max_size=40))
def test_any_well_formed_series_round_trips(values):
    body = "".join(f"{1950 + i}-01-01,{v}\n" for i, v in enumerate(values))
    frame = parse_fred_csv("observation_date,TEST_1\n" + body, "test.csv")
    assert list(frame["value"]) == [float(v) for v in values]
    assert list(frame["date"].dt.year) == [1950 + i for i in range(len(values))]
