"""Specification of the shock model (`metrics.shock`), yield-model notes §5–§6.

Hand check (§6 and fact sheet §6): the EU-27 holds $2,015.5bn of Treasuries (TIC SHL, June
2025). Selling 20% = $403.1bn. Long run at 2/5/20 bp per $100bn → +8/+20/+81 bp (the notes
round $400bn to +8/+20/+80). The article's "+1%" rule (25 bp per $100bn) → +100.8 bp.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from metrics.refinancing import phased_interest_cost
from metrics.shock import (
    DEFAULT_MONTHS,
    INTEREST_REPORT_YEARS,
    Range,
    ShockInput,
    ShockResult,
    YieldCalibration,
    calibration_from_table,
    decay_toward_long_run,
    shock_impact,
)

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=150)

EU27_UST_USD_BN = 2_015.5  # TIC SHL June 2025, EU-27 LT+ST Treasuries (fact sheet §3b)
FOREIGN_TOTAL_USD_BN = 9_267.2  # TIC mfhhis01 Grand Total, Dec 2025
MARKETABLE_USD_BN = 29_571.6  # Fed Z.1 L.210, 2025 Q3
DEBT_USD_BN = 30_100.0  # CRS RS22331: debt held by the public, Dec 2025
BASE_10Y_PCT = 4.14  # ~Dec 31 2025 (fact sheet §8, intraday)
BASE_MORTGAGE_PCT = 6.15  # Freddie Mac PMMS, week of Dec 31 2025

percents = st.floats(0, 100)
holdings = st.floats(0, 20_000)
shares = st.floats(0, 1)
modes = st.sampled_from(["sell", "pause"])
months = st.integers(1, 36)


def eu_sale(**overrides) -> ShockInput:
    fields = dict(holder_label="EU-27", holdings_usd_bn=EU27_UST_USD_BN, percent=20)
    fields.update(overrides)
    return ShockInput(**fields)


def bounds(r: Range) -> tuple[float, float, float]:
    return (r.low, r.central, r.high)


class TestEuSellsTwentyPercent:
    """The seed claim, end to end."""

    @pytest.fixture
    def result(self, calibration) -> ShockResult:
        return shock_impact(
            eu_sale(
                base_10y_pct=BASE_10Y_PCT, base_mortgage_pct=BASE_MORTGAGE_PCT,
                debt_usd_bn=DEBT_USD_BN, foreign_holdings_usd_bn=FOREIGN_TOTAL_USD_BN,
                marketable_usd_bn=MARKETABLE_USD_BN,
            ),
            calibration,
        )

    def test_amount(self, result) -> None:
        assert result.amount_usd_bn == pytest.approx(403.1)
        assert result.input.months == 1 and result.monthly_pace_usd_bn == pytest.approx(403.1)

    def test_shares_of_foreign_and_marketable(self, result) -> None:
        # fact sheet §6: "about 4.4% of all foreign holdings ... about 1.4% of marketable"
        assert round(result.share_of_foreign_pct, 1) == 4.3  # 403.1 / 9,267.2 = 4.35
        assert round(result.share_of_marketable_pct, 1) == 1.4

    def test_long_run(self, result) -> None:
        assert [round(x) for x in bounds(result.long_run_10y_bp)] == [8, 20, 81]
        assert bounds(result.long_run_10y_bp) == pytest.approx((8.062, 20.155, 80.62))

    def test_article(self, result) -> None:
        assert round(result.article_bp, 1) == 100.8
        assert result.article_vs_central == pytest.approx(5.0)

    def test_short_run_is_capped_at_the_largest_observed_month(self, result) -> None:
        # $403.1bn in one month exceeds the $300bn cap: e_SR applied to $300bn only.
        assert result.short_run_capped is True
        assert result.short_run_basis_usd_bn == 300
        assert bounds(result.short_run_10y_bp) == pytest.approx((60.0, 150.0, 300.0))
        assert result.short_run_half_life_months == 6

    def test_pass_through_one_for_one(self, result) -> None:
        assert result.mortgage_30y_bp == result.long_run_10y_bp
        assert result.corporate_ig_bp == result.long_run_10y_bp

    def test_implied_rates(self, result) -> None:
        assert result.new_10y_pct.central == pytest.approx(4.14 + 0.20155)
        assert result.new_mortgage_pct.high == pytest.approx(6.15 + 0.8062)

    def test_federal_interest(self, result) -> None:
        years = [y.year for y in result.extra_federal_interest_usd_bn]
        assert years == list(INTEREST_REPORT_YEARS) == [1, 5, 10]
        by_year = {y.year: y.usd_bn for y in result.extra_federal_interest_usd_bn}
        # year 1: 20.155bp × 1/6 of $30.1T; year 10: all of it
        assert by_year[1].central == pytest.approx(20.155e-4 * DEBT_USD_BN / 6)
        assert by_year[5].central == pytest.approx(20.155e-4 * DEBT_USD_BN * 5 / 6)
        assert by_year[10].central == pytest.approx(20.155e-4 * DEBT_USD_BN)
        assert result.extra_federal_interest_10y_total_usd_bn.central == pytest.approx(
            phased_interest_cost(DEBT_USD_BN, 20.155, 6, 10)[-1].cumulative_usd_bn
        )

    def test_reading_names_the_interpretation(self, result) -> None:
        assert "persistent reallocation" in result.reading
        assert "2 / 5 / 20 bp per $100bn" in result.reading
        assert "$300.0bn" in result.reading  # says the cap bit
        assert "+100.8 bp" in result.reading and "5.0×" in result.reading


class TestYieldModelSection6:
    def test_400bn_gives_8_20_80(self, calibration) -> None:
        r = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=2_000, percent=20), calibration)
        assert bounds(r.long_run_10y_bp) == pytest.approx((8.0, 20.0, 80.0))
        assert r.article_bp == pytest.approx(100.0)

    def test_beltran_100bn_in_a_month(self, calibration) -> None:
        # Beltran et al. (2013): −$100bn in a month → +40–60bp short run, ≈ +20bp long run.
        r = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=1_000, percent=10), calibration)
        assert r.short_run_capped is False and r.short_run_basis_usd_bn == pytest.approx(100)
        assert 40 <= r.short_run_10y_bp.central <= 60
        assert r.long_run_10y_bp.high == pytest.approx(20.0)


class TestModes:
    def test_default_months(self) -> None:
        assert DEFAULT_MONTHS == {"sell": 1, "pause": 12}
        assert eu_sale().months == 1
        assert eu_sale(mode="pause").months == 12
        assert eu_sale(mode="pause", months=None).months == 12

    def test_pause_is_a_flow_shock_of_the_forgone_amount(self, calibration) -> None:
        # The EU-listed holders grew ≈ 9.3% in 2025 (1,866.8 → 2,040.5): a year's strike
        # forgoes that much, and is priced like a sale of the same size over 12 months.
        strike = shock_impact(eu_sale(mode="pause", percent=9.3), calibration)
        sale = shock_impact(eu_sale(mode="sell", percent=9.3, months=12), calibration)
        assert strike.amount_usd_bn == pytest.approx(0.093 * EU27_UST_USD_BN)
        assert strike.long_run_10y_bp == sale.long_run_10y_bp
        assert strike.monthly_pace_usd_bn == pytest.approx(strike.amount_usd_bn / 12)
        assert strike.short_run_10y_bp is None and strike.short_run_capped is False
        assert "stops adding" in strike.amount_meaning
        assert "do not fall" in strike.amount_meaning
        assert "persistent shortfall" in strike.reading and "not made up" in strike.reading

    def test_one_month_strike_has_a_short_run(self, calibration) -> None:
        r = shock_impact(eu_sale(mode="pause", months=1, percent=5), calibration)
        assert r.short_run_10y_bp is not None

    def test_sale_over_several_months_has_no_short_run(self, calibration) -> None:
        r = shock_impact(eu_sale(months=3), calibration)
        assert r.short_run_10y_bp is None and r.short_run_basis_usd_bn is None
        assert r.monthly_pace_usd_bn == pytest.approx(403.1 / 3)
        assert "no short-run overshoot" in r.reading

    def test_sale_meaning(self, calibration) -> None:
        r = shock_impact(eu_sale(), calibration)
        assert "sells 20%" in r.amount_meaning and "$403.1bn" in r.amount_meaning


class TestReinvestment:
    def test_half_reinvested_halves_the_long_run_only(self, calibration) -> None:
        full = shock_impact(eu_sale(), calibration)
        half = shock_impact(eu_sale(reinvest_share=0.5), calibration)
        assert bounds(half.long_run_10y_bp) == pytest.approx(tuple(x / 2 for x in bounds(full.long_run_10y_bp)))
        assert half.short_run_10y_bp == full.short_run_10y_bp
        assert half.article_bp == full.article_bp
        assert "50% kept" in half.reading

    def test_all_reinvested(self, calibration) -> None:
        r = shock_impact(eu_sale(reinvest_share=1.0), calibration)
        assert bounds(r.long_run_10y_bp) == (0.0, 0.0, 0.0)
        assert r.article_vs_central is None


class TestPassThrough:
    def test_betas_scale_the_long_run(self, calibration) -> None:
        cal = calibration.model_copy(update={"mortgage_pass_through": 0.5, "ig_pass_through": 1.2})
        r = shock_impact(eu_sale(), cal)
        assert r.mortgage_30y_bp.central == pytest.approx(0.5 * r.long_run_10y_bp.central)
        assert r.corporate_ig_bp.high == pytest.approx(1.2 * r.long_run_10y_bp.high)

    def test_optional_parts_are_off_by_default(self, calibration) -> None:
        r = shock_impact(eu_sale(), calibration)
        assert r.new_10y_pct is None and r.new_mortgage_pct is None
        assert r.extra_federal_interest_usd_bn is None
        assert r.extra_federal_interest_10y_total_usd_bn is None
        assert r.share_of_foreign_pct is None and r.share_of_marketable_pct is None


class TestShortRunBounds:
    def test_short_run_never_below_long_run(self, calibration) -> None:
        # $2,000bn in one month: capped e_SR high gives 100 × 3 = 300bp, below the long-run
        # high of 20 × 20 = 400bp; the overshoot is reported as at least the long run.
        r = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=2_000, percent=100), calibration)
        assert r.short_run_capped
        assert r.long_run_10y_bp.high == pytest.approx(400)
        assert r.short_run_10y_bp.high == pytest.approx(400)
        assert r.short_run_10y_bp.central == pytest.approx(150)

    @DETERMINISTIC
    @given(h=holdings, p=percents, r=shares)
    def test_short_run_dominates_long_run(self, calibration, h, p, r) -> None:
        res = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=h, percent=p, reinvest_share=r), calibration)
        for s, l in zip(bounds(res.short_run_10y_bp), bounds(res.long_run_10y_bp)):
            assert s >= l

    @DETERMINISTIC
    @given(h=holdings, p=percents)
    def test_cap_bounds_the_raw_short_run(self, calibration, h, p) -> None:
        res = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=h, percent=p), calibration)
        assert res.short_run_basis_usd_bn <= calibration.sr_max_monthly_sale_usd_bn
        assert res.short_run_capped == (res.amount_usd_bn > calibration.sr_max_monthly_sale_usd_bn)


class TestProperties:
    @DETERMINISTIC
    @given(h=holdings, p1=percents, p2=percents, mode=modes, m=months, r=shares)
    def test_monotone_in_percent(self, calibration, h, p1, p2, mode, m, r) -> None:
        lo, hi = sorted((p1, p2))
        common = dict(holder_label="x", holdings_usd_bn=h, mode=mode, months=m,
                      reinvest_share=r, debt_usd_bn=DEBT_USD_BN)
        a = shock_impact(ShockInput(percent=lo, **common), calibration)
        b = shock_impact(ShockInput(percent=hi, **common), calibration)
        assert a.amount_usd_bn <= b.amount_usd_bn and a.article_bp <= b.article_bp
        for x, y in [(a.long_run_10y_bp, b.long_run_10y_bp), (a.mortgage_30y_bp, b.mortgage_30y_bp)]:
            assert all(u <= v for u, v in zip(bounds(x), bounds(y)))
        if a.short_run_10y_bp is not None:
            assert all(u <= v for u, v in zip(bounds(a.short_run_10y_bp), bounds(b.short_run_10y_bp)))
        for ya, yb in zip(a.extra_federal_interest_usd_bn, b.extra_federal_interest_usd_bn):
            assert all(u <= v for u, v in zip(bounds(ya.usd_bn), bounds(yb.usd_bn)))

    @DETERMINISTIC
    @given(h=holdings, mode=modes, m=months, r=shares)
    def test_zero_at_zero_percent(self, calibration, h, mode, m, r) -> None:
        res = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=h, percent=0, mode=mode,
                                      months=m, reinvest_share=r, debt_usd_bn=DEBT_USD_BN,
                                      base_10y_pct=BASE_10Y_PCT), calibration)
        assert res.amount_usd_bn == 0 and res.article_bp == 0
        assert bounds(res.long_run_10y_bp) == (0, 0, 0)
        assert bounds(res.new_10y_pct) == (BASE_10Y_PCT,) * 3
        assert res.extra_federal_interest_10y_total_usd_bn == Range(low=0, central=0, high=0)
        if res.short_run_10y_bp is not None:
            assert bounds(res.short_run_10y_bp) == (0, 0, 0)
        assert res.article_vs_central is None

    @DETERMINISTIC
    @given(h=holdings, p=percents, mode=modes, m=months, r=shares)
    def test_ranges_are_ordered(self, calibration, h, p, mode, m, r) -> None:
        res = shock_impact(ShockInput(holder_label="x", holdings_usd_bn=h, percent=p, mode=mode,
                                      months=m, reinvest_share=r, debt_usd_bn=DEBT_USD_BN,
                                      base_10y_pct=BASE_10Y_PCT, base_mortgage_pct=BASE_MORTGAGE_PCT),
                           calibration)
        ranges = [res.long_run_10y_bp, res.mortgage_30y_bp, res.corporate_ig_bp, res.new_10y_pct,
                  res.new_mortgage_pct, res.extra_federal_interest_10y_total_usd_bn,
                  *(y.usd_bn for y in res.extra_federal_interest_usd_bn)]
        if res.short_run_10y_bp is not None:
            ranges.append(res.short_run_10y_bp)
        for rng in ranges:
            assert rng.low <= rng.central <= rng.high

    @DETERMINISTIC
    @given(h=st.floats(1, 10_000), p=percents, k=st.floats(0, 10), mode=modes, m=months, r=shares)
    def test_linear_in_the_amount(self, calibration, h, p, k, mode, m, r) -> None:
        # Scaling holdings by k scales every linear output by k (the capped short run is not linear).
        common = dict(holder_label="x", percent=p, mode=mode, months=m, reinvest_share=r,
                      debt_usd_bn=DEBT_USD_BN)
        a = shock_impact(ShockInput(holdings_usd_bn=h, **common), calibration)
        b = shock_impact(ShockInput(holdings_usd_bn=h * k, **common), calibration)
        close = lambda x, y: x == pytest.approx(y, rel=1e-9, abs=1e-9)  # noqa: E731
        assert close(b.amount_usd_bn, k * a.amount_usd_bn)
        assert close(b.article_bp, k * a.article_bp)
        for x, y in [(a.long_run_10y_bp, b.long_run_10y_bp), (a.corporate_ig_bp, b.corporate_ig_bp),
                     (a.extra_federal_interest_10y_total_usd_bn, b.extra_federal_interest_10y_total_usd_bn)]:
            assert all(close(v, k * u) for u, v in zip(bounds(x), bounds(y)))

    @DETERMINISTIC
    @given(h=holdings, p=percents, mode=modes, r=shares)
    def test_inputs_never_mutated(self, calibration, h, p, mode, r) -> None:
        shock = ShockInput(holder_label="x", holdings_usd_bn=h, percent=p, mode=mode, reinvest_share=r)
        before_shock, before_cal = shock.model_dump(), calibration.model_dump()
        result = shock_impact(shock, calibration)
        assert shock.model_dump() == before_shock and calibration.model_dump() == before_cal
        assert result.input == shock

    @DETERMINISTIC
    @given(p=st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=100 + 1e-9), st.just(math.nan)))
    def test_percent_outside_0_100_raises(self, p) -> None:
        with pytest.raises(ValueError, match="percent"):
            ShockInput(holder_label="x", holdings_usd_bn=100, percent=p)


class TestInputValidation:
    @pytest.mark.parametrize(
        "field, value",
        [("holdings_usd_bn", -1.0), ("reinvest_share", 1.5), ("reinvest_share", -0.1),
         ("months", 0), ("mode", "dump"), ("debt_usd_bn", 0.0), ("holdings_usd_bn", math.inf)],
    )
    def test_bad_values(self, field, value) -> None:
        with pytest.raises(ValueError, match=field):
            eu_sale(**{field: value})

    def test_unknown_field(self) -> None:
        with pytest.raises(ValueError, match="reinvest"):
            eu_sale(reinvest=0.5)

    def test_frozen(self) -> None:
        shock = eu_sale()
        with pytest.raises(ValidationError):
            shock.percent = 50  # type: ignore[misc]


class TestRange:
    def test_order_is_enforced(self) -> None:
        with pytest.raises(ValueError, match="low <= central <= high"):
            Range(low=5, central=2, high=20)

    def test_negative_scale_refused(self) -> None:
        with pytest.raises(ValueError, match="factor"):
            Range(low=1, central=2, high=3).scaled(-1)

    def test_shift(self) -> None:
        assert Range(low=1, central=2, high=3).shifted(4) == Range(low=5, central=6, high=7)


CALIBRATION_ROWS = [
    ("e_lr_bp_per_100bn", 2, 5, 20),
    ("e_sr_bp_per_100bn", 20, 50, 100),
    ("sr_max_monthly_sale_usd_bn", math.nan, 300, math.nan),
    ("sr_half_life_months", math.nan, 6, math.nan),
    ("mortgage_pass_through", 1.0, 1.0, 1.0),
    ("ig_pass_through", 1.0, 1.0, 1.0),
    ("wam_years", 5, 6, 6),
    ("article_bp_per_100bn", math.nan, 25, math.nan),
]


@pytest.fixture
def calibration_table() -> pd.DataFrame:
    """Shape of data/yield_calibration.csv (parameter, low, central, high, unit, source, note)."""
    table = pd.DataFrame(CALIBRATION_ROWS, columns=["parameter", "low", "central", "high"])
    return table.assign(unit="", source="yield-model.md §5", note="")


class TestCalibrationFromTable:
    def test_builds_the_section_5_calibration(self, calibration_table, calibration) -> None:
        assert calibration_from_table(calibration_table) == calibration

    def test_extra_rows_are_ignored(self, calibration_table, calibration) -> None:
        extra = pd.DataFrame([("mortgage_spread_pct", 1.7, 1.8, 1.9)], columns=["parameter", "low", "central", "high"])
        assert calibration_from_table(pd.concat([calibration_table, extra])) == calibration

    def test_missing_parameter(self, calibration_table) -> None:
        with pytest.raises(ValueError, match="wam_years"):
            calibration_from_table(calibration_table[calibration_table["parameter"] != "wam_years"])

    def test_repeated_parameter(self, calibration_table) -> None:
        with pytest.raises(ValueError, match="more than once"):
            calibration_from_table(pd.concat([calibration_table, calibration_table.head(1)]))

    def test_unordered_range(self, calibration_table) -> None:
        bad = calibration_table.copy()
        bad.loc[0, "low"] = 10.0
        with pytest.raises(ValueError, match="low <= central <= high"):
            calibration_from_table(bad)

    def test_negative_elasticity(self, calibration_table) -> None:
        bad = calibration_table.copy()
        bad.loc[0, "low"] = -1.0
        with pytest.raises(ValueError, match="must not be negative"):
            calibration_from_table(bad)

    def test_non_positive_wam(self, calibration_table) -> None:
        bad = calibration_table.copy()
        bad.loc[bad["parameter"] == "wam_years", "central"] = 0.0
        with pytest.raises(ValueError, match="wam_years"):
            calibration_from_table(bad)

    def test_missing_column(self, calibration_table) -> None:
        with pytest.raises(ValueError, match="high"):
            calibration_from_table(calibration_table.drop(columns="high"))

    def test_table_not_modified(self, calibration_table, unchanged) -> None:
        with unchanged(calibration_table):
            calibration_from_table(calibration_table)


class TestDecay:
    SR = Range(low=60, central=150, high=300)
    LR = Range(low=8, central=20, high=80)

    def test_starts_at_the_short_run(self) -> None:
        assert decay_toward_long_run(self.SR, self.LR, 6, 0) == self.SR

    def test_halfway_after_one_half_life(self) -> None:
        assert decay_toward_long_run(self.SR, self.LR, 6, 6) == Range(low=34, central=85, high=190)

    def test_approaches_the_long_run(self) -> None:
        late = decay_toward_long_run(self.SR, self.LR, 6, 600)
        assert bounds(late) == pytest.approx(bounds(self.LR))

    @DETERMINISTIC
    @given(t1=st.floats(0, 120), t2=st.floats(0, 120), h=st.floats(0.1, 60))
    def test_fades_monotonically(self, t1, t2, h) -> None:
        assume(t1 != t2)
        early, late = sorted((t1, t2))
        a = decay_toward_long_run(self.SR, self.LR, h, early)
        b = decay_toward_long_run(self.SR, self.LR, h, late)
        assert all(x >= y for x, y in zip(bounds(a), bounds(b)))
        assert all(y >= z for y, z in zip(bounds(b), bounds(self.LR)))

    @pytest.mark.parametrize("h, t", [(0, 1), (-1, 1), (6, -1)])
    def test_bad_arguments(self, h, t) -> None:
        with pytest.raises(ValueError):
            decay_toward_long_run(self.SR, self.LR, h, t)


def test_calibration_rejects_bad_values(calibration) -> None:
    with pytest.raises(ValueError, match="sr_max_monthly_sale_usd_bn"):
        YieldCalibration(**{**calibration.model_dump(), "sr_max_monthly_sale_usd_bn": 0})
