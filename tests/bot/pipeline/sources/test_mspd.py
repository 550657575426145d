"""Treasury's MSPD summary CSV: marketable debt held by the public as Treasury publishes it; a
changed or damaged file is refused with its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.mspd import HEADER, parse_mspd_summary

NAME = "MSPD_SumSecty_20010131_20260531.csv"
RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "mspd"


@pytest.fixture(scope="module")
def text() -> str:
    return (RAW / NAME).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def frame(text) -> pd.DataFrame:
    return parse_mspd_summary(text, NAME)


def month(frame, day: str) -> dict[str, float]:
    rows = frame[frame["date"] == pd.Timestamp(day)]
    return dict(zip(rows["security_class"], rows["held_by_public_usd_mn"]))


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def line_number(lines: list[str], starts: str) -> int:
    """The 1-based line of the first line starting with ``starts``."""
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(starts))


def parse_lines(lines: list[str]) -> pd.DataFrame:
    return parse_mspd_summary("\n".join(lines) + "\n", NAME)


class TestTheFileAsPublished:
    def test_april_2025_matches_the_independent_table_in_provenance(self, frame):
        april = month(frame, "2025-04-30")
        assert april["Bills"] == pytest.approx(6_059_334.9, abs=0.05)
        assert april["Notes"] == pytest.approx(14_902_681.1, abs=0.05)
        assert april["Bonds"] == pytest.approx(4_948_640.3, abs=0.05)
        assert april["Treasury Inflation-Protected Securities"] == pytest.approx(2_026_965.6, abs=0.05)
        assert april["Floating Rate Notes"] == pytest.approx(618_319.6, abs=0.05)
        assert april["Total Marketable"] == pytest.approx(28_555_941.5, abs=0.05)

    def test_the_amounts_are_read_at_full_precision(self, frame):
        assert month(frame, "2026-05-31")["Total Marketable"] == 30894548.1443502

    def test_it_covers_every_month_end_from_january_2001_to_may_2026(self, frame):
        dates = frame["date"].drop_duplicates()
        assert dates.iloc[0] == pd.Timestamp("2001-01-31") and dates.iloc[-1] == pd.Timestamp("2026-05-31")
        assert len(dates) == 25 * 12 + 5
        assert all(dates.dt.is_month_end)

    def test_only_marketable_classes_and_their_total_are_kept(self, frame):
        may = month(frame, "2026-05-31")
        assert set(may) == {"Bills", "Notes", "Bonds", "Treasury Inflation-Protected Securities",
                            "Floating Rate Notes", "Federal Financing Bank", "Total Marketable"}
        assert not frame["security_class"].isin(["Total Nonmarketable", "Government Account Series", "_"]).any()

    def test_the_older_class_names_are_kept_as_treasury_wrote_them(self, frame):
        assert month(frame, "2001-01-31")["Inflation-Indexed Notes"] == 88312.716

    def test_each_months_classes_add_up_to_its_total_marketable(self, frame):
        for _, rows in frame.groupby("date"):
            parts = rows[rows.security_class != "Total Marketable"]["held_by_public_usd_mn"].sum()
            total = rows[rows.security_class == "Total Marketable"]["held_by_public_usd_mn"].iloc[0]
            assert parts == pytest.approx(total, rel=1e-5)

    def test_columns_types_and_order(self, frame):
        assert list(frame.columns) == ["date", "security_class", "held_by_public_usd_mn"]
        assert pd.api.types.is_datetime64_any_dtype(frame["date"])
        assert frame["held_by_public_usd_mn"].dtype == float
        assert frame.equals(frame.sort_values(["date", "security_class"]).reset_index(drop=True))

    def test_the_byte_order_mark_and_blank_lines_are_not_data(self, text):
        lines = lines_of(text.lstrip("\ufeff"))
        with_blanks = lines[:20] + ["", ""] + lines[20:]
        assert parse_lines(with_blanks).equals(parse_mspd_summary(text, NAME))


class TestADamagedFileIsRefused:
    def test_a_changed_header_is_refused_on_line_1(self, text):
        changed = text.replace("Debt Held by the Public (in Millions)", "Debt Held by the Public (in Billions)", 1)
        with pytest.raises(SourceFormatError) as error:
            parse_mspd_summary(changed, NAME)
        assert error.value.line == 1 and "MSPD summary header" in error.value.reason
        assert str(error.value).startswith(f"{NAME} line 1: ")

    def test_an_empty_file_is_refused_on_line_1(self):
        with pytest.raises(SourceFormatError) as error:
            parse_mspd_summary("", NAME)
        assert (error.value.origin, error.value.line) == (NAME, 1)

    def test_a_row_with_an_extra_column_names_its_line(self, text):
        lines = lines_of(text)
        n = line_number(lines, "2025-04-30,Marketable,Notes")
        lines[n - 1] += ",0"
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert (error.value.line, error.value.reason) == (n, "expected 6 columns, got 7")
        assert str(error.value) == f"{NAME} line {n}: expected 6 columns, got 7"

    def test_a_truncated_last_line_is_refused(self, text):
        lines = lines_of(text)
        lines[-1] = lines[-1][:30]
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert error.value.line == len(lines) and "columns" in error.value.reason

    def test_an_amount_that_is_not_a_number_names_its_line_and_value(self, text):
        lines = lines_of(text)
        n = line_number(lines, "2025-04-30,Marketable,Bills")
        lines[n - 1] = lines[n - 1].replace("6059334.9155", "6059334.9x", 1)
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert error.value.line == n and "'6059334.9x'" in error.value.reason

    def test_a_date_that_is_not_a_day_is_refused(self, text):
        lines = lines_of(text)
        n = line_number(lines, "2025-04-30,Marketable,Bills")
        lines[n - 1] = lines[n - 1].replace("2025-04-30", "2025-04-31", 1)
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert error.value.line == n and "'2025-04-31'" in error.value.reason

    def test_a_dropped_class_row_breaks_its_months_sum_and_names_the_month(self, text):
        lines = lines_of(text)
        del lines[line_number(lines, "2025-04-30,Marketable,Bills") - 1]
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert error.value.line is None
        assert error.value.reason.startswith("2025-04-30: marketable classes add up to ")
        assert "Total Marketable says 28,555,941.5 ($mn)" in error.value.reason

    def test_a_date_that_is_not_a_month_end_is_refused(self, text):
        lines = lines_of(text)
        rows = [n for n, line in enumerate(lines, start=1) if line.startswith("2025-04-30,")]
        for n in rows:
            lines[n - 1] = lines[n - 1].replace("2025-04-30", "2025-04-15", 1)
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert error.value.line == rows[0]

    def test_a_month_without_its_total_marketable_row_is_refused(self, text):
        lines = lines_of(text)
        del lines[line_number(lines, "2025-04-30,Total Marketable") - 1]
        with pytest.raises(SourceFormatError, match="2025-04-30 has marketable rows but no Total Marketable row"):
            parse_lines(lines)

    def test_a_month_with_only_its_total_is_refused_and_named(self, text):
        lines = [line for line in lines_of(text) if not line.startswith("2025-04-30,Marketable,")]
        with pytest.raises(SourceFormatError, match="2025-04-30 has a Total Marketable row but no marketable classes"):
            parse_lines(lines)

    def test_a_file_without_marketable_rows_is_refused(self, text):
        lines = [line for line in lines_of(text) if ",Marketable," not in line and ",Total Marketable," not in line]
        with pytest.raises(SourceFormatError) as error:
            parse_lines(lines)
        assert (error.value.line, error.value.reason) == (None, "no marketable rows")
        assert str(error.value) == f"{NAME}: no marketable rows"


class TestRounding:
    def test_a_few_million_of_rounding_in_a_month_is_the_files_own_and_passes(self, text):
        lines = lines_of(text)
        n = line_number(lines, "2025-04-30,Marketable,Bills")
        lines[n - 1] = lines[n - 1].replace("6059334.9155", "6059344.9155", 1)  # + $10 mn
        assert month(parse_lines(lines), "2025-04-30")["Bills"] == pytest.approx(6_059_344.9155)

    def test_a_gap_beyond_a_thousandth_of_a_percent_is_refused(self, text):
        lines = lines_of(text)
        n = line_number(lines, "2025-04-30,Marketable,Bills")
        lines[n - 1] = lines[n - 1].replace("6059334.9155", "6060334.9155", 1)  # + $1,000 mn, 0.0035%
        with pytest.raises(SourceFormatError, match="^MSPD_SumSecty_20010131_20260531.csv: 2025-04-30: "):
            parse_lines(lines)


def test_the_header_constant_is_the_first_line_of_the_file(text):
    assert lines_of(text.lstrip("\ufeff"))[0] == ",".join(HEADER)
