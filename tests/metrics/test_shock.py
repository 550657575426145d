"""Specification of the scenario model v2 (`metrics.shock`): sizes, scale, the record, the path,
the backstop, pass-through and the budget.

Hand check: the EU holds $2,040.5bn (TIC, Dec 2025); 20% = $408.1bn = 1.32% of the $30,894.5bn of
marketable debt (MSPD, May 2026). Lasting effect at 1 / 2.5 / 7 bp per $100bn → +4 / +10 / +29 bp;
short-run at 3 / 6 / 12.5 bp per $100bn within a month → +12 / +24 / +51 bp at the peak. The
article's "+1%" rule (25 bp per $100bn) gives +102 bp.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from metrics.shock import (
    DEFAULT_MONTHS,
    Leg,
    Range,
    ShockInput,
    episode_prediction,
    interest_cost_of_rate_rise,
    leg_amount,
    shock_impact,
)

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=120)
DATA = Path(__file__).resolve().parents[2] / "data"
MARKET = 30_894.5  # MSPD, marketable held by the public, 31 May 2026
EU_USD_BN = 2_040.5  # TIC, EU members listed, Dec 2025


def sale(percent=20.0, holdings=EU_USD_BN, **fields) -> ShockInput:
    leg = Leg(label="EU", percent=percent, holdings_usd_bn=holdings)
    return ShockInput(legs=(leg,), market_usd_bn=MARKET, **fields)


def bounds(r: Range) -> tuple[float, float, float]:
    return (r.low, r.central, r.high)


def episodes() -> list[dict]:
    with (DATA / "yield_episodes.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class TestTheSeedScenario:
    def test_amount_and_share_of_the_market(self, calibration):
        r = shock_impact(sale(), calibration)
        assert r.amount_usd_bn == pytest.approx(408.1)
        assert r.share_of_marketable_pct == pytest.approx(100 * 408.1 / MARKET)

    def test_lasting_and_peak(self, calibration):
        r = shock_impact(sale(), calibration)
        assert [round(x) for x in bounds(r.long_run_10y_bp)] == [4, 10, 29]
        assert [round(x) for x in bounds(r.peak_10y_bp)] == [12, 24, 51]
        assert r.peak_month == 1 and not r.beyond_evidence

    def test_the_articles_figure_is_above_the_models_whole_range(self, calibration):
        r = shock_impact(sale(), calibration)
        assert r.article_bp == pytest.approx(102.0, abs=0.1)
        assert r.article_bp > r.peak_10y_bp.high


class TestHistory:
    """The model against data/yield_episodes.csv: a calibration that history contradicts fails here."""

    @pytest.mark.parametrize("row", episodes(), ids=lambda row: row["episode"])
    def test_the_central_peak_never_exceeds_the_largest_rise_on_record(self, calibration, row):
        p = episode_prediction(float(row["sale_usd_bn"]), int(row["months"]), float(row["marketable_debt_usd_bn"]),
                               calibration)
        assert p.peak_bp.central <= float(row["dgs10_peak_rise_bp"])

    def test_march_2020_is_the_high_case(self, calibration):
        """The one episode where selling dominated for days: +64 bp from 9 to 18 March 2020."""
        [row] = [r for r in episodes() if r["episode"] == "march_2020"]
        p = episode_prediction(float(row["sale_usd_bn"]), 1, float(row["marketable_debt_usd_bn"]), calibration)
        assert p.peak_bp.high == pytest.approx(float(row["dgs10_peak_rise_bp"]), rel=0.1)
        assert p.peak_bp.central <= 0.6 * float(row["dgs10_peak_rise_bp"])  # others sold too

    def test_the_old_calibration_would_fail_this_test(self, calibration):
        old = calibration.model_copy(update={"e_sr_bp_per_100bn": Range(low=20, central=50, high=100),
                                             "calibration_market_usd_bn": 30_100.0})
        [row] = [r for r in episodes() if r["episode"] == "march_2020"]
        p = episode_prediction(float(row["sale_usd_bn"]), 1, float(row["marketable_debt_usd_bn"]), old)
        assert p.peak_bp.central > float(row["dgs10_peak_rise_bp"])

    def test_no_episode_is_beyond_the_evidence(self, calibration):
        for row in episodes():
            p = episode_prediction(float(row["sale_usd_bn"]), int(row["months"]),
                                   float(row["marketable_debt_usd_bn"]), calibration)
            assert not p.beyond_evidence, row["episode"]


class TestScale:
    def test_the_same_share_of_a_smaller_market_moves_yields_the_same(self, calibration):
        today = shock_impact(sale(), calibration)
        half_market = ShockInput(legs=(Leg(label="x", percent=20, holdings_usd_bn=EU_USD_BN / 2),),
                                 market_usd_bn=MARKET / 2)
        assert bounds(shock_impact(half_market, calibration).peak_10y_bp) == pytest.approx(bounds(today.peak_10y_bp))

    def test_beyond_the_evidence_is_said(self, calibration):
        everything = ShockInput(legs=(Leg(label="all", percent=100, holdings_usd_bn=9_352.6),), market_usd_bn=MARKET)
        r = shock_impact(everything, calibration)
        assert r.beyond_evidence and r.short_run_capped

    def test_a_slow_sale_of_the_same_size_stays_within_the_evidence_if_small_enough(self, calibration):
        r = shock_impact(sale(percent=30, months=12), calibration)  # $612bn = 1.98% over a year
        assert not r.beyond_evidence and not r.short_run_capped


class TestBuyersStrike:
    def test_a_strike_includes_bills_and_maturing_debt_not_rolled_over(self, calibration):
        leg = Leg(label="China", mode="pause", percent=10, holdings_usd_bn=683.0, purchases_12m_usd_bn=0,
                  bills_usd_bn=69.7, long_term_usd_bn=613.3)
        amount = leg_amount(leg, 12, calibration)
        assert amount.forgone_purchases_usd_bn == 0
        assert amount.bills_not_rolled_usd_bn == pytest.approx(6.97)
        assert amount.maturing_not_rolled_usd_bn == pytest.approx(0.1 * 613.3 * calibration.lt_maturing_12m_share)
        assert amount.amount_usd_bn > 0  # "a strike changes nothing" was wrong

    def test_a_short_strike_leaves_part_of_the_bills(self, calibration):
        leg = Leg(label="x", mode="pause", percent=100, holdings_usd_bn=100, bills_usd_bn=60, long_term_usd_bn=40)
        assert leg_amount(leg, 3, calibration).bills_not_rolled_usd_bn == pytest.approx(30)

    def test_default_windows(self):
        assert DEFAULT_MONTHS == {"sell": 1, "pause": 12}
        strike = ShockInput(legs=(Leg(label="x", mode="pause", percent=5, holdings_usd_bn=10),), market_usd_bn=MARKET)
        assert strike.months == 12 and sale().months == 1


class TestSeveralHolders:
    def test_amounts_add_up(self, calibration):
        two = ShockInput(legs=(Leg(label="EU", percent=20, holdings_usd_bn=EU_USD_BN),
                               Leg(label="Japan", percent=10, holdings_usd_bn=1_209.9)), market_usd_bn=MARKET)
        r = shock_impact(two, calibration)
        assert r.amount_usd_bn == pytest.approx(408.1 + 120.99)
        assert [leg.label for leg in r.legs] == ["EU", "Japan"]


class TestPath:
    def test_starts_at_zero_peaks_then_settles_on_the_lasting_effect_and_fades(self, calibration):
        r = shock_impact(sale(), calibration)
        central = [p.bp.central for p in r.path]
        assert central[0] == 0
        assert central[1] == pytest.approx(r.peak_10y_bp.central)
        assert central[12] == pytest.approx(r.long_run_10y_bp.central, rel=0.01)
        hold_end = 1 + int(calibration.lasting_hold_months)
        assert central[hold_end] == pytest.approx(r.long_run_10y_bp.central, rel=0.01)
        assert central[hold_end + 12] == pytest.approx(r.long_run_10y_bp.central / 2, rel=0.01)

    def test_a_slow_sale_builds_up(self, calibration):
        r = shock_impact(sale(months=6), calibration)
        central = [p.bp.central for p in r.path]
        assert central[1] < central[6] and r.peak_month == 6

    def test_the_fed_caps_and_shortens_the_overshoot(self, calibration):
        plain = shock_impact(sale(percent=100, holdings=3_000), calibration)
        fed = shock_impact(sale(percent=100, holdings=3_000, fed_backstop=True), calibration)
        assert fed.peak_10y_bp.high <= calibration.fed_backstop_sr_cap_bp + fed.long_run_10y_bp.high + 1e-9
        assert fed.long_run_10y_bp.low == 0  # the Fed kept what it bought, as in 2020
        assert fed.path[3].bp.central < plain.path[3].bp.central


class TestPassThroughAndBudget:
    def test_mortgage_range_is_wider_than_the_ten_year(self, calibration):
        r = shock_impact(sale(), calibration)
        assert r.mortgage_30y_bp.high == pytest.approx(1.4 * r.long_run_10y_bp.high)
        assert r.mortgage_30y_bp.low == pytest.approx(0.8 * r.long_run_10y_bp.low)

    def test_interest_follows_the_yield_path_and_the_growing_debt(self, calibration):
        debt = tuple(31_883 * 1.056 ** k for k in range(10))
        r = shock_impact(sale(debt_path_usd_bn=debt), calibration)
        by_year = {y.year: y.usd_bn.central for y in r.extra_federal_interest_usd_bn}
        assert by_year[1] < by_year[3]  # notes and bonds reprice over time
        assert by_year[10] < by_year[3]  # the effect fades after about two years
        flat = shock_impact(sale(debt_path_usd_bn=(31_883,) * 10), calibration)
        assert r.extra_federal_interest_10y_total_usd_bn.central > flat.extra_federal_interest_10y_total_usd_bn.central

    def test_cbo_rule_of_thumb(self):
        """CBO (Mar 2025): all rates 0.1 pp higher → deficits +$351bn over 2026–2035, +$54bn in 2035.
        The same experiment on CBO's debt path gives 0.8–1.1× that: CBO's figure also carries the
        interest on the extra debt itself, which a 10-year sum without compounding leaves out."""
        with (DATA / "cbo_debt_path.csv").open(encoding="utf-8") as handle:
            path = {int(r["year"]): float(r["debt_held_by_public_usd_bn"]) for r in csv.DictReader(handle)}
        extra = interest_cost_of_rate_rise(10, [path[y] for y in range(2026, 2036)], bills_share=0.219, wam_years=6)
        assert 0.8 <= sum(extra) / 351 <= 1.1
        assert 0.8 <= extra[-1] / 54 <= 1.1


class TestProperties:
    @DETERMINISTIC
    @given(p1=st.floats(0, 100), p2=st.floats(0, 100), m=st.integers(1, 36), r=st.floats(0, 1),
           fed=st.booleans(), mode=st.sampled_from(["sell", "pause"]))
    def test_monotone_in_percent(self, calibration, p1, p2, m, r, fed, mode):
        lo, hi = sorted((p1, p2))

        def run(p):
            leg = Leg(label="x", mode=mode, percent=p, holdings_usd_bn=2000, purchases_12m_usd_bn=100,
                      bills_usd_bn=300, long_term_usd_bn=1700)
            return shock_impact(ShockInput(legs=(leg,), months=m, reinvest_share=r, fed_backstop=fed,
                                           market_usd_bn=MARKET), calibration)

        a, b = run(lo), run(hi)
        assert all(x <= y + 1e-9 for x, y in zip(bounds(a.peak_10y_bp), bounds(b.peak_10y_bp)))
        assert all(x <= y + 1e-9 for x, y in zip(bounds(a.long_run_10y_bp), bounds(b.long_run_10y_bp)))

    @DETERMINISTIC
    @given(p=st.floats(0, 100), m=st.integers(1, 36), r=st.floats(0, 1), fed=st.booleans())
    def test_every_range_is_ordered_and_zero_means_zero(self, calibration, p, m, r, fed):
        res = shock_impact(sale(percent=p, months=m, reinvest_share=r, fed_backstop=fed), calibration)
        for point in res.path:
            assert point.bp.low <= point.bp.central + 1e-9 <= point.bp.high + 2e-9
        if p == 0:
            assert bounds(res.peak_10y_bp) == (0, 0, 0)

    def test_percent_outside_0_100_is_refused(self):
        with pytest.raises(ValidationError):
            Leg(label="x", percent=101, holdings_usd_bn=1)
        with pytest.raises(ValidationError):
            ShockInput(legs=(), market_usd_bn=MARKET)


class TestRange:
    def test_order_is_enforced(self):
        with pytest.raises(ValidationError):
            Range(low=2, central=1, high=3)

    def test_product(self):
        assert Range(low=1, central=2, high=3).times(Range(low=0, central=1, high=2)) == Range(low=0, central=2, high=6)
