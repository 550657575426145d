"""Specification of `metrics.series.change_between`."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from metrics.series import Change, LabelNotFoundError, change_between

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=200)
amounts = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)

# TIC mfhhis01, December values, $bn (fact sheet §2).
CHINA = pd.Series({"2015-12": 1246.1, "2020-12": 1072.3, "2025-12": 683.5})


class TestHandChecked:
    def test_china_decade(self) -> None:
        c = change_between(CHINA, "2015-12", "2025-12")
        assert c.start_value == 1246.1 and c.end_value == 683.5
        assert c.change == pytest.approx(-562.6)
        assert c.change_pct == pytest.approx(-45.15, abs=0.01)  # fact sheet: −45.1%

    def test_int_year_labels(self) -> None:
        # FRED IIPUSNETIA / 1000, $bn
        net = pd.Series({2023: -20_416.5, 2024: -26_539.5})
        assert change_between(net, 2023, 2024).change == pytest.approx(-6_123.0)

    def test_labels_are_echoed(self) -> None:
        c = change_between(CHINA, "2015-12", "2020-12")
        assert (c.start, c.end) == ("2015-12", "2020-12")


class TestEdgeCases:
    def test_missing_label_names_the_label_and_the_range(self) -> None:
        with pytest.raises(LabelNotFoundError) as info:
            change_between(CHINA, "2014-12", "2025-12")
        message = str(info.value)
        assert "'2014-12'" in message and "'2015-12'" in message and "'2025-12'" in message

    def test_missing_label_is_a_key_error(self) -> None:
        with pytest.raises(KeyError):
            change_between(CHINA, "2015-12", "2030-12")

    def test_empty_series(self) -> None:
        with pytest.raises(LabelNotFoundError, match="empty"):
            change_between(pd.Series(dtype=float), "2015-12", "2025-12")

    def test_nan_value(self) -> None:
        with pytest.raises(ValueError, match="NaN"):
            change_between(pd.Series({"a": 1.0, "b": math.nan}), "a", "b")

    def test_duplicate_label(self) -> None:
        with pytest.raises(ValueError, match="2 times"):
            change_between(pd.Series([1.0, 2.0, 3.0], index=["a", "a", "b"]), "a", "b")

    def test_zero_start_has_no_percentage(self) -> None:
        c = change_between(pd.Series({"a": 0.0, "b": 5.0}), "a", "b")
        assert c.change == 5.0 and c.change_pct is None

    def test_result_is_frozen(self) -> None:
        c = change_between(CHINA, "2015-12", "2025-12")
        with pytest.raises(ValidationError):
            c.change = 0.0  # type: ignore[misc]

    def test_input_not_modified(self, unchanged) -> None:
        series = CHINA.copy()
        with unchanged(series):
            change_between(series, "2015-12", "2025-12")


class TestProperties:
    @DETERMINISTIC
    @given(a=amounts, b=amounts)
    def test_change_is_end_minus_start(self, a: float, b: float) -> None:
        c = change_between(pd.Series({"s": a, "e": b}), "s", "e")
        assert c.change == b - a
        expected_pct = 100 * (b - a) / a if a != 0 else None
        if expected_pct is None or not math.isfinite(expected_pct):
            assert c.change_pct is None  # undefined or overflowing percentage
        else:
            assert c.change_pct == pytest.approx(expected_pct)

    @DETERMINISTIC
    @given(a=amounts, b=amounts)
    def test_reversing_the_window_negates_the_change(self, a: float, b: float) -> None:
        s = pd.Series({"s": a, "e": b})
        assert change_between(s, "e", "s").change == -change_between(s, "s", "e").change


def test_change_model_round_trips() -> None:
    c = change_between(CHINA, "2015-12", "2025-12")
    assert Change.model_validate(c.model_dump()) == c
