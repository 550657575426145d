"""Specification of `metrics.holdings` on a slice of TIC mfhhis01 (fixture `tic_holdings`)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.holdings import aggregate, holder_change, pivot_holdings, ranking, share_of
from metrics.series import LabelNotFoundError

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=150)


def _without(df: pd.DataFrame, month: str, holder: str) -> pd.DataFrame:
    return df[~((df["month"] == month) & (df["holder"] == holder))].reset_index(drop=True)


class TestPivot:
    def test_shape_and_order(self, tic_holdings: pd.DataFrame) -> None:
        wide = pivot_holdings(tic_holdings)
        assert list(wide.index) == ["2024-12", "2025-03", "2025-11", "2025-12"]
        assert list(wide.columns) == sorted(wide.columns)
        assert wide.shape == (4, 17)
        assert wide.loc["2025-12", "Japan"] == 1185.5

    def test_a_holder_not_listed_is_nan_not_zero(self, tic_holdings: pd.DataFrame) -> None:
        wide = pivot_holdings(_without(tic_holdings, "2025-12", "Germany"))
        assert math.isnan(wide.loc["2025-12", "Germany"])

    def test_two_tables_for_one_month_are_refused(self, tic_holdings: pd.DataFrame) -> None:
        extra = tic_holdings.head(1).assign(table="slt_table5")
        with pytest.raises(ValueError, match="table"):
            pivot_holdings(pd.concat([tic_holdings, extra]))

    def test_missing_column(self, tic_holdings: pd.DataFrame) -> None:
        with pytest.raises(ValueError, match="usd_bn"):
            pivot_holdings(tic_holdings.drop(columns="usd_bn"))

    def test_input_not_modified(self, tic_holdings: pd.DataFrame, unchanged) -> None:
        with unchanged(tic_holdings):
            pivot_holdings(tic_holdings)


class TestAggregate:
    def test_eu_listed_matches_the_fact_sheet(self, tic_holdings, eu_listed) -> None:
        # fact sheet §2: EU members listed, summed: 1,866.8 (2024) → 2,040.5 (2025)
        eu = aggregate(tic_holdings, eu_listed)
        assert eu.loc["2024-12", "usd_bn"] == pytest.approx(1_866.8)
        assert eu.loc["2025-12", "usd_bn"] == pytest.approx(2_040.5)
        assert (eu["members_present"] == 10).all() and (eu["members_expected"] == 10).all()

    def test_coverage_shows_a_member_dropping_out(self, tic_holdings, eu_listed) -> None:
        # SLT Table 5 does not list Germany: the sum falls by Germany's holdings, and says so.
        eu = aggregate(_without(tic_holdings, "2025-12", "Germany"), eu_listed)
        assert eu.loc["2025-12", "members_present"] == 9
        assert eu.loc["2025-12", "usd_bn"] == pytest.approx(2_040.5 - 103.1)

    def test_month_with_no_member_is_nan(self, tic_holdings) -> None:
        df = _without(tic_holdings, "2025-03", "Norway")
        norway = aggregate(df, ["Norway"])
        assert math.isnan(norway.loc["2025-03", "usd_bn"])
        assert norway.loc["2025-03", "members_present"] == 0

    def test_unknown_member_is_refused(self, tic_holdings) -> None:
        with pytest.raises(ValueError, match="Belgum"):
            aggregate(tic_holdings, ["Belgium", "Belgum"])

    def test_unknown_member_allowed_on_request(self, tic_holdings) -> None:
        result = aggregate(tic_holdings, ["Belgium", "Denmark"], allow_unknown=True)
        assert result.loc["2025-12", "usd_bn"] == 477.3
        assert result.loc["2025-12", "members_present"] == 1
        assert result.loc["2025-12", "members_expected"] == 2

    def test_duplicates_count_once(self, tic_holdings) -> None:
        once = aggregate(tic_holdings, ["France", "Ireland"])
        twice = aggregate(tic_holdings, ["France", "Ireland", "France"])
        pd.testing.assert_frame_equal(once, twice)

    def test_a_bare_string_is_refused(self, tic_holdings) -> None:
        with pytest.raises(TypeError):
            aggregate(tic_holdings, "France")

    def test_no_members(self, tic_holdings) -> None:
        with pytest.raises(ValueError, match="at least one"):
            aggregate(tic_holdings, [])

    def test_input_not_modified(self, tic_holdings, eu_listed, unchanged) -> None:
        members = list(eu_listed)
        with unchanged(tic_holdings, members):
            aggregate(tic_holdings, members)

    def test_sum_is_additive_over_a_split(self, tic_holdings, europe, eu_listed) -> None:
        # Metamorphic: Europe = EU listed + the rest, month by month.
        rest = [h for h in europe if h not in eu_listed]
        whole = aggregate(tic_holdings, europe)["usd_bn"]
        parts = aggregate(tic_holdings, eu_listed)["usd_bn"] + aggregate(tic_holdings, rest)["usd_bn"]
        pd.testing.assert_series_equal(whole, parts, check_names=False)


class TestHolderChange:
    def test_eu_over_2025(self, tic_holdings, eu_listed) -> None:
        # fact sheet §5: "The EU countries alone added +173.7 over calendar 2025"
        eu = aggregate(tic_holdings, eu_listed)["usd_bn"]
        assert holder_change(eu, "2024-12", "2025-12").change == pytest.approx(173.7)

    def test_uk_over_2025(self, tic_holdings) -> None:
        uk = pivot_holdings(tic_holdings)["United Kingdom"]
        c = holder_change(uk, "2024-12", "2025-12")
        assert c.change == pytest.approx(140.3)
        assert c.change_pct == pytest.approx(100 * 140.3 / 722.8)

    def test_missing_month(self, tic_holdings) -> None:
        uk = pivot_holdings(tic_holdings)["United Kingdom"]
        with pytest.raises(LabelNotFoundError, match="2019-12"):
            holder_change(uk, "2019-12", "2025-12")

    def test_unlisted_month_is_not_a_zero(self, tic_holdings) -> None:
        germany = pivot_holdings(_without(tic_holdings, "2025-12", "Germany"))["Germany"]
        with pytest.raises(ValueError, match="NaN"):
            holder_change(germany, "2024-12", "2025-12")


class TestShareOf:
    def test_official_share(self, tic_holdings) -> None:
        # fact sheet §2: 3,877.6 ÷ 9,267.2 = 41.8% (Dec 2025)
        wide = pivot_holdings(tic_holdings)
        share = share_of(wide["Foreign Official"], wide["Grand Total"])
        assert round(share["2025-12"], 1) == 41.8
        assert share.name == "share_pct"

    def test_total_of_itself_is_100(self, tic_holdings) -> None:
        total = pivot_holdings(tic_holdings)["Grand Total"]
        assert (share_of(total, total) == 100).all()

    def test_only_common_months(self) -> None:
        share = share_of(pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"b": 4.0, "c": 8.0}))
        assert share.to_dict() == {"b": 50.0}

    def test_zero_total(self) -> None:
        with pytest.raises(ValueError, match="greater than zero"):
            share_of(pd.Series({"a": 1.0}), pd.Series({"a": 0.0}))

    def test_no_common_month(self) -> None:
        with pytest.raises(ValueError, match="no month in common"):
            share_of(pd.Series({"a": 1.0}), pd.Series({"b": 1.0}))

    def test_empty(self) -> None:
        with pytest.raises(ValueError, match="non-empty"):
            share_of(pd.Series(dtype=float), pd.Series({"b": 1.0}))

    @DETERMINISTIC
    @given(h=st.floats(0, 1e5), t=st.floats(1e-3, 1e5), k=st.floats(1e-3, 1e3))
    def test_unit_free(self, h: float, t: float, k: float) -> None:
        a = share_of(pd.Series({"m": h}), pd.Series({"m": t}))["m"]
        b = share_of(pd.Series({"m": h * k}), pd.Series({"m": t * k}))["m"]
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12)


class TestRanking:
    def test_top_three_dec_2025(self, tic_holdings) -> None:
        top = ranking(tic_holdings, "2025-12", 3)
        assert [(r.rank, r.holder, r.usd_bn) for r in top] == [
            (1, "Japan", 1185.5), (2, "United Kingdom", 863.1), (3, "China, Mainland", 683.5),
        ]
        assert top[0].share_of_total_pct == pytest.approx(100 * 1185.5 / 9267.2)

    def test_totals_are_not_holders(self, tic_holdings) -> None:
        names = {r.holder for r in ranking(tic_holdings, "2025-12", 100)}
        assert "Grand Total" not in names and "Foreign Official" not in names
        assert len(names) == 15

    def test_without_total_there_is_no_share(self, tic_holdings) -> None:
        top = ranking(tic_holdings, "2025-12", 1, total_holder=None,
                      exclude={"Grand Total", "Foreign Official"})
        assert top[0].holder == "Japan" and top[0].share_of_total_pct is None

    def test_ties_are_broken_by_name(self) -> None:
        df = pd.DataFrame({"month": ["m"] * 3, "holder": ["B", "A", "C"], "usd_bn": [1.0, 1.0, 2.0]})
        assert [r.holder for r in ranking(df, "m", 3)] == ["C", "A", "B"]

    def test_unlisted_holder_is_skipped(self, tic_holdings) -> None:
        df = _without(tic_holdings, "2025-12", "Japan")
        assert ranking(df, "2025-12", 1)[0].holder == "United Kingdom"

    @pytest.mark.parametrize("n", [0, -1, 1.5])
    def test_bad_n(self, tic_holdings, n) -> None:
        with pytest.raises(ValueError, match="n must be"):
            ranking(tic_holdings, "2025-12", n)

    def test_missing_month(self, tic_holdings) -> None:
        with pytest.raises(LabelNotFoundError, match="2026-04"):
            ranking(tic_holdings, "2026-04", 3)

    def test_input_not_modified(self, tic_holdings, unchanged) -> None:
        with unchanged(tic_holdings):
            ranking(tic_holdings, "2025-12", 5)
