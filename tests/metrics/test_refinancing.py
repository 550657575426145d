"""Specification of `metrics.refinancing`: the maturity wall and the interest bill."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.refinancing import (
    extra_interest_usd_bn,
    phased_interest_cost,
    refinancing_wall,
)

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=200)

GDP_2025 = 30_767.088  # FRED GDPA
BILLS_2025Q3 = 6_396.6  # Fed Z.1 L.210: marketable bills outstanding
COUPONS_WITHIN_YEAR = 3_300.0  # fact sheet: (33% − 22%) × ~$30.1T, derived from Apollo's shares

# CBO, "How Changes in Economic Conditions Might Affect the Federal Budget: 2025 to 2035"
# (Mar 2025): all interest rates +0.1pp each year → deficits +$54bn in 2035, +$351bn over
# 2026–2035. Debt held by the public (CBO Jan 2025): FY2026 $31,883bn, 2035 $52,056bn.
CBO_RISE_BP = 10.0
CBO_2035_USD_BN = 54.0
CBO_10Y_USD_BN = 351.0
CBO_DEBT_PATH = [31_883 + (52_056 - 31_883) * i / 9 for i in range(10)]  # linear, 2026…2035


class TestRefinancingWall:
    def test_the_8t_claim(self) -> None:
        w = refinancing_wall(GDP_2025, maturing_usd_bn=8_000)
        assert round(w.share_of_gdp_pct, 1) == 26.0  # fact sheet §4: 8 ÷ 30.77 = 26%
        assert w.bills_usd_bn is None and w.coupons_usd_bn is None
        assert "not known" in w.what_counted

    def test_bills_plus_coupons(self) -> None:
        w = refinancing_wall(GDP_2025, bills_usd_bn=BILLS_2025Q3, coupons_usd_bn=COUPONS_WITHIN_YEAR)
        assert w.maturing_usd_bn == pytest.approx(9_696.6)
        assert w.share_of_gdp_pct == pytest.approx(100 * 9_696.6 / GDP_2025)
        assert "bills" in w.what_counted and "notes and bonds" in w.what_counted

    def test_without_bills(self) -> None:
        w = refinancing_wall(GDP_2025, bills_usd_bn=BILLS_2025Q3,
                             coupons_usd_bn=COUPONS_WITHIN_YEAR, include_bills=False)
        assert w.maturing_usd_bn == COUPONS_WITHIN_YEAR
        assert round(w.share_of_gdp_pct, 1) == 10.7
        assert "excluded" in w.what_counted

    def test_one_part_alone_says_so(self) -> None:
        w = refinancing_wall(GDP_2025, bills_usd_bn=BILLS_2025Q3)
        assert w.maturing_usd_bn == BILLS_2025Q3 and "only" in w.what_counted

    def test_total_with_one_part(self) -> None:
        w = refinancing_wall(GDP_2025, maturing_usd_bn=9_600, bills_usd_bn=BILLS_2025Q3)
        assert w.maturing_usd_bn == 9_600 and "of which Treasury bills" in w.what_counted

    def test_total_consistent_with_parts(self) -> None:
        w = refinancing_wall(GDP_2025, bills_usd_bn=6_000, coupons_usd_bn=3_000, maturing_usd_bn=9_000.5)
        assert w.maturing_usd_bn == 9_000

    def test_total_inconsistent_with_parts(self) -> None:
        with pytest.raises(ValueError, match="disagrees"):
            refinancing_wall(GDP_2025, bills_usd_bn=6_000, coupons_usd_bn=3_000, maturing_usd_bn=8_000)

    def test_part_larger_than_total(self) -> None:
        with pytest.raises(ValueError, match="exceeds"):
            refinancing_wall(GDP_2025, bills_usd_bn=6_000, maturing_usd_bn=4_000)

    def test_bills_excluded_needs_coupons(self) -> None:
        with pytest.raises(ValueError, match="coupons_usd_bn"):
            refinancing_wall(GDP_2025, maturing_usd_bn=8_000, include_bills=False)

    def test_nothing_given(self) -> None:
        with pytest.raises(ValueError, match="give"):
            refinancing_wall(GDP_2025)

    @pytest.mark.parametrize("gdp", [0.0, -1.0, math.nan])
    def test_bad_gdp(self, gdp: float) -> None:
        with pytest.raises(ValueError, match="GDP"):
            refinancing_wall(gdp, maturing_usd_bn=8_000)

    def test_negative_amount(self) -> None:
        with pytest.raises(ValueError, match="bills_usd_bn"):
            refinancing_wall(GDP_2025, bills_usd_bn=-1.0, coupons_usd_bn=1.0)


class TestExtraInterest:
    def test_closed_form(self) -> None:
        # +100bp on $1,000bn repricing = $10bn a year
        assert extra_interest_usd_bn(1_000, 100) == 10.0

    def test_fact_sheet_example(self) -> None:
        # yield-model §5: +20bp × $3.3T ≈ $7bn in year 1
        assert extra_interest_usd_bn(3_300, 20) == pytest.approx(6.6)

    def test_a_fall_saves(self) -> None:
        assert extra_interest_usd_bn(1_000, -50) == -5.0

    def test_negative_amount(self) -> None:
        with pytest.raises(ValueError, match="repricing_usd_bn"):
            extra_interest_usd_bn(-1, 10)

    def test_nan_rise(self) -> None:
        with pytest.raises(ValueError, match="yield_rise_bp"):
            extra_interest_usd_bn(1, math.nan)

    @DETERMINISTIC
    @given(a=st.floats(0, 1e5), bp=st.floats(-500, 500), k=st.floats(0, 10))
    def test_bilinear(self, a: float, bp: float, k: float) -> None:
        assert extra_interest_usd_bn(a * k, bp) == pytest.approx(k * extra_interest_usd_bn(a, bp), abs=1e-9)
        assert extra_interest_usd_bn(a, bp * k) == pytest.approx(k * extra_interest_usd_bn(a, bp), abs=1e-9)


class TestPhasedInterestCost:
    def test_closed_form_with_constant_debt(self) -> None:
        # WAM 6: a sixth of the debt more each year until all has repriced in year 6.
        path = phased_interest_cost(30_000, 100, 6, 8)
        assert [round(c.repriced_share, 4) for c in path] == [
            round(min(1, k / 6), 4) for k in range(1, 9)
        ]
        assert [c.extra_interest_usd_bn for c in path][5:] == [300.0, 300.0, 300.0]
        assert path[0].extra_interest_usd_bn == pytest.approx(50.0)
        assert path[-1].cumulative_usd_bn == pytest.approx(300 * (1 + 2 + 3 + 4 + 5) / 6 + 900)

    def test_years_are_numbered_from_one(self) -> None:
        assert [c.year for c in phased_interest_cost(1, 1, 2, 3)] == [1, 2, 3]

    def test_a_debt_path(self) -> None:
        path = phased_interest_cost([100.0, 200.0], 100, 1, 2)
        assert [c.extra_interest_usd_bn for c in path] == [1.0, 2.0]
        assert [c.debt_usd_bn for c in path] == [100.0, 200.0]

    def test_cbo_rule_of_thumb(self) -> None:
        """CBO: +0.1pp on all rates → +$54bn in 2035, +$351bn over 2026–2035.

        The phased model reprices the whole stock at 1/WAM a year, while CBO's all-rates
        scenario reprices bills (~22% of debt) at once, so the model should come in somewhat
        *below* CBO over ten years (tolerance 10%), and instant repricing of everything should
        come in *above* it. By 2035 nearly everything has repriced: within 5% of CBO's $54bn.
        """
        phased = phased_interest_cost(CBO_DEBT_PATH, CBO_RISE_BP, 6, 10)
        instant = phased_interest_cost(CBO_DEBT_PATH, CBO_RISE_BP, 1, 10)
        total = phased[-1].cumulative_usd_bn
        assert total <= CBO_10Y_USD_BN <= instant[-1].cumulative_usd_bn
        assert abs(total - CBO_10Y_USD_BN) / CBO_10Y_USD_BN < 0.10
        assert abs(phased[-1].extra_interest_usd_bn - CBO_2035_USD_BN) / CBO_2035_USD_BN < 0.05

    def test_input_path_not_modified(self, unchanged) -> None:
        debt = [1.0, 2.0, 3.0]
        with unchanged(debt):
            phased_interest_cost(debt, 10, 2, 3)

    def test_path_length_must_match(self) -> None:
        with pytest.raises(ValueError, match="one per year"):
            phased_interest_cost([1.0, 2.0], 10, 6, 3)

    @pytest.mark.parametrize("wam", [0.0, -1.0, math.nan])
    def test_bad_wam(self, wam: float) -> None:
        with pytest.raises(ValueError, match="wam_years"):
            phased_interest_cost(1_000, 10, wam, 3)

    @pytest.mark.parametrize("years", [0, -2, 2.5])
    def test_bad_horizon(self, years) -> None:
        with pytest.raises(ValueError, match="years"):
            phased_interest_cost(1_000, 10, 6, years)

    def test_negative_debt(self) -> None:
        with pytest.raises(ValueError, match="debt_usd_bn"):
            phased_interest_cost([1.0, -1.0], 10, 6, 2)

    @DETERMINISTIC
    @given(debt=st.floats(0, 6e4), bp=st.floats(0, 300), wam=st.floats(0.25, 30),
           k=st.floats(0, 5))
    def test_linear_in_the_yield_rise(self, debt: float, bp: float, wam: float, k: float) -> None:
        a = phased_interest_cost(debt, bp, wam, 10)
        b = phased_interest_cost(debt, bp * k, wam, 10)
        assert b[-1].cumulative_usd_bn == pytest.approx(k * a[-1].cumulative_usd_bn, rel=1e-9, abs=1e-9)

    @DETERMINISTIC
    @given(debt=st.floats(1, 6e4), bp=st.floats(0, 300), short=st.floats(0.25, 30),
           extra=st.floats(0, 10))
    def test_shorter_maturity_costs_at_least_as_much(self, debt, bp, short, extra) -> None:
        fast = phased_interest_cost(debt, bp, short, 10)
        slow = phased_interest_cost(debt, bp, short + extra, 10)
        for f, s in zip(fast, slow):
            assert f.extra_interest_usd_bn >= s.extra_interest_usd_bn
            assert 0 <= s.repriced_share <= f.repriced_share <= 1
