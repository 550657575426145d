"""`handlers.formatting`, the one place numbers, dates and echoed text are written for people.

The doctests are the examples; these are the edges: rounding at the unit boundaries, signs at
zero, missing values, and the real minus sign everywhere a figure can be negative.
"""

from __future__ import annotations

import doctest
import math
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from handlers import formatting as fmt
from handlers.formatting import MINUS


def test_the_doctests_hold():
    result = doctest.testmod(fmt)
    assert result.attempted > 20 and result.failed == 0


class TestBillions:
    @pytest.mark.parametrize("value, shown", [
        (999.4, "$999bn"), (999.5, "$1.00T"), (999.95, "$1.00T"), (1000, "$1.00T"), (9994, "$9.99T"),
        (9995, "$10.0T"), (99.94, "$99.9bn"), (99.96, "$100bn"), (0.04, "$0.0bn"),
    ])
    def test_rounding_moves_to_the_next_unit_only_at_the_boundary(self, value, shown):
        assert fmt.usd_bn(value) == shown

    def test_negative_amounts_carry_a_real_minus_sign(self):
        assert fmt.usd_bn(-403.1) == f"{MINUS}$403bn"
        assert fmt.usd_bn(-403.1, signed=True) == f"{MINUS}$403bn"

    def test_zero_is_unsigned_even_when_signed(self):
        assert fmt.usd_bn(0, signed=True) == "$0.0bn"

    def test_a_missing_amount_reads_n_a(self):
        assert fmt.usd_bn(math.nan) == "n/a"

    def test_digits_override_the_default_precision(self):
        assert fmt.usd_bn(27610, digits=2) == "$27.61T" and fmt.usd_bn(403.14, digits=1) == "$403.1bn"

    def test_the_exact_form_never_switches_to_trillions(self):
        assert fmt.usd_bn_exact(27610.04) == "$27,610.0bn"
        assert fmt.usd_bn_exact(-0.04, signed=True) == f"{MINUS}$0.0bn"  # the sign of the value, not of the rounding

    def test_trillions_keep_two_decimals_and_the_minus_sign(self):
        assert fmt.usd_tn(-26539.5) == f"{MINUS}$26.54T" and fmt.usd_tn(999.95) == "$1.00T"


class TestPercentAndBasisPoints:
    def test_basis_points_round_half_to_even_and_drop_the_sign_of_zero(self):
        assert fmt.bp(0.4) == "0 bp" and fmt.bp(-0.4) == "0 bp" and fmt.bp(2.5) == "+2 bp"

    def test_unsigned_basis_points_still_show_a_minus(self):
        assert fmt.bp(12, signed=False) == "12 bp" and fmt.bp(-12, signed=False) == f"{MINUS}12 bp"

    def test_a_range_reads_central_then_low_to_high(self):
        assert fmt.bp_range(0, 0, 0) == "0 bp (range 0 bp to 0 bp)"

    def test_percent_signs(self):
        assert fmt.pct(-45.06) == f"{MINUS}45.1%" and fmt.pct(0, signed=True) == "0.0%"

    def test_a_rate_is_written_as_published(self):
        assert fmt.rate_pct(4.0) == "4.00%" and fmt.figure(-3.0, "usd_bn") == f"{MINUS}$3.0bn"

    def test_a_share_is_a_fraction(self):
        assert fmt.share(1) == "100%" and fmt.share(0.333, digits=1) == "33.3%"


class TestDatesAndAges:
    def test_labels(self):
        assert fmt.month("2026-01-15") == "Jan 2026"
        assert fmt.quarter_end("2025-03-31") == "Q1 2025" and fmt.quarter_label("2024Q4") == "Q4 2024"
        assert fmt.day(datetime(2025, 1, 2, 23, 59)) == "02 Jan 2025" and fmt.day(date(2025, 12, 31)) == "31 Dec 2025"

    def test_a_missing_date_cell_is_empty(self):
        assert fmt.iso_date(pd.NaT) == "" and fmt.iso_date(math.nan) == ""

    def test_utc_minute_converts_to_utc(self):
        moment = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
        assert fmt.utc_minute(moment) == "2025-12-31 22:30 UTC"

    @pytest.mark.parametrize("delta, shown", [
        (timedelta(minutes=59, seconds=59), "59 min"), (timedelta(hours=2), "2 hours"),
        (timedelta(days=2) - timedelta(seconds=1), "47 hours"), (timedelta(days=2), "2 days"),
    ])
    def test_age_changes_unit_at_the_hour_and_at_two_days(self, delta, shown):
        assert fmt.age(delta) == shown

    def test_month_counts(self):
        assert fmt.month_count(12) == "12 months"

    def test_unreadable_times_are_none(self):
        assert fmt.parse_utc("") is None and fmt.parse_utc("2026-13-01") is None


class TestEcho:
    def test_shortening_never_cuts_an_entity_in_half(self):
        assert fmt.echo("a" * 37 + "<!channel>") == "a" * 37 + "&lt;!…"  # cut first, then escaped
        assert fmt.echo("a" * 38 + "&amp;") == "a" * 38 + "&amp;…"
        assert fmt.echo("a" * 30 + "<!here>") == "a" * 30 + "&lt;!here&gt;"

    def test_backticks_cannot_close_the_code_span(self):
        assert "`" not in fmt.echo("`x` ``")

    def test_a_short_limit_is_respected(self):
        assert fmt.echo("abcdef", limit=4) == "abc…"
