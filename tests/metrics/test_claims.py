"""Specification of the claim rules in `metrics.claims`."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.claims import judge_direction, judge_level, relative_deviation_pct

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=300)

RANK = {"confirmed": 0, "partly": 1, "not_supported": 2}


class TestJudgeLevel:
    @pytest.mark.parametrize(
        "claimed, verdict",
        [
            (100.0, "confirmed"),  # exact
            (105.0, "confirmed"),  # exactly the tolerance
            (95.0, "confirmed"),
            (105.1, "partly"),  # just beyond
            (110.0, "partly"),  # exactly twice the tolerance
            (110.1, "not_supported"),
            (50.0, "not_supported"),
        ],
    )
    def test_boundaries_at_5_pct(self, claimed: float, verdict: str) -> None:
        assert judge_level(claimed, 100.0, 5) == verdict

    def test_seed_gap(self) -> None:
        # "gap ~$28T" against BEA's −$27.61T (2025 Q3): 1.4% off
        assert judge_level(-28_000, -27_610, 5) == "confirmed"

    def test_citi_80_pct(self) -> None:
        # "Europe ~80% of foreign buying" against 79.1% from TIC (Mar→Nov 2025): 1.1% off
        assert judge_level(80, 79.1, 1) == "partly"
        assert judge_level(80, 79.1, 2) == "confirmed"

    def test_almost_twice_the_rest_of_the_world(self) -> None:
        # Saravelos: Europe "almost twice as much as the rest of the world combined";
        # SHL June 2025: Europe 16,224.6 vs rest 35,348.7 − 16,224.6 → ratio 0.85
        official_ratio = 16_224.6 / (35_348.7 - 16_224.6)
        assert judge_level(2.0, official_ratio, 10) == "not_supported"

    def test_no_primary_source(self) -> None:
        assert judge_level(8_000, None, 5) == "no_primary_source"

    def test_zero_official(self) -> None:
        with pytest.raises(ValueError, match="zero"):
            judge_level(1.0, 0.0, 5)

    @pytest.mark.parametrize("tolerance", [0.0, -1.0, 100.5, math.nan])
    def test_bad_tolerance(self, tolerance: float) -> None:
        with pytest.raises(ValueError, match="tolerance_pct"):
            judge_level(1.0, 1.0, tolerance)

    def test_nan_claim(self) -> None:
        with pytest.raises(ValueError, match="claimed"):
            judge_level(math.nan, 1.0, 5)
        with pytest.raises(ValueError, match="claimed"):
            judge_level(math.nan, None, 5)

    @DETERMINISTIC
    @given(c=st.floats(-1e6, 1e6), o=st.floats(-1e6, 1e6), tol=st.floats(0.1, 100), k=st.floats(0.001, 1000))
    def test_unit_free_and_sign_symmetric(self, c, o, tol, k) -> None:
        if o == 0 or abs(o * k) < 1e-300:
            return
        d = relative_deviation_pct(c, o)
        # Skip points within rounding error of a boundary, where rescaling may tip the verdict.
        if min(abs(d - tol), abs(d - 2 * tol)) < 1e-6 * max(1.0, tol):
            return
        verdict = judge_level(c, o, tol)
        assert judge_level(c * k, o * k, tol) == verdict
        assert judge_level(-c, -o, tol) == verdict

    @DETERMINISTIC
    @given(o=st.floats(1, 1e4), d1=st.floats(0, 5), d2=st.floats(0, 5), tol=st.floats(0.1, 50))
    def test_a_worse_claim_never_gets_a_better_verdict(self, o, d1, d2, tol) -> None:
        near, far = sorted((d1, d2))
        assert RANK[judge_level(o * (1 + near), o, tol)] <= RANK[judge_level(o * (1 + far), o, tol)]


class TestRelativeDeviation:
    def test_hand_checked(self) -> None:
        assert relative_deviation_pct(80, 79.1) == pytest.approx(100 * 0.9 / 79.1)
        assert relative_deviation_pct(-28, -27.61) == pytest.approx(100 * 0.39 / 27.61)

    def test_zero_official(self) -> None:
        with pytest.raises(ValueError, match="undefined"):
            relative_deviation_pct(1, 0)


class TestJudgeDirection:
    def test_saudi_did_not_cut(self) -> None:
        # TIC: Saudi Arabia 118.9 (Dec 2015) → 149.5 (Dec 2025)
        assert judge_direction(-1, 149.5 - 118.9) == "not_supported"

    def test_china_did_cut(self) -> None:
        assert judge_direction(-1, 683.5 - 1_246.1) == "confirmed"

    def test_japan_roughly_flat(self) -> None:
        # Japan 1,122.4 → 1,185.5: +63.1 (+5.6%). "Flat" within a $100bn band; not without one.
        assert judge_direction(0, 63.1, flat_band=100) == "confirmed"
        assert judge_direction(0, 63.1) == "partly"
        assert judge_direction(+1, 63.1, flat_band=100) == "partly"

    def test_no_change(self) -> None:
        assert judge_direction(0, 0.0) == "confirmed"
        assert judge_direction(1, 0.0) == "partly"

    def test_no_primary_source(self) -> None:
        assert judge_direction(1, None) == "no_primary_source"

    @pytest.mark.parametrize("sign", [2, -2, 0.5, True])
    def test_bad_sign(self, sign) -> None:
        with pytest.raises(ValueError, match="claimed_sign"):
            judge_direction(sign, 1.0)

    def test_bad_band(self) -> None:
        with pytest.raises(ValueError, match="flat_band"):
            judge_direction(1, 1.0, flat_band=-1)

    def test_nan_change(self) -> None:
        with pytest.raises(ValueError, match="official_change"):
            judge_direction(1, math.nan)

    @DETERMINISTIC
    @given(sign=st.sampled_from([-1, 0, 1]), change=st.floats(-1e6, 1e6), band=st.floats(0, 1e3))
    def test_mirror_symmetry(self, sign, change, band) -> None:
        assert judge_direction(sign, change, flat_band=band) == judge_direction(-sign, -change, flat_band=band)


class TestRulesOfSeveralKinds:
    """The verdict rules the shared claims rule set uses besides levels and directions."""

    def test_count(self) -> None:
        from metrics.claims import judge_count

        assert [judge_count(m, 3) for m in (0, 1, 2, 3)] == ["not_supported", "partly", "partly", "confirmed"]
        with pytest.raises(ValueError):
            judge_count(3, 2)

    def test_threshold_is_strict(self) -> None:
        from metrics.claims import judge_threshold

        assert [judge_threshold(v, 50, 25) for v in (50, 50.01, 25, 25.01)] == \
            ["partly", "confirmed", "not_supported", "partly"]
        with pytest.raises(ValueError):
            judge_threshold(1, 25, 50)

    def test_only_one(self) -> None:
        from metrics.claims import judge_only_one

        assert [judge_only_one(1.0, n) for n in (0, 1, 2)] == ["confirmed", "partly", "not_supported"]
        assert judge_only_one(0.0, 0) == "not_supported"  # did not add itself

    def test_steady_decline(self) -> None:
        from metrics.claims import judge_steady_decline

        assert judge_steady_decline([5, 4, 3, 2]) == ("confirmed", 3, 3)
        assert judge_steady_decline([5, 6, 7, 8]) == ("not_supported", 0, 3)
        with pytest.raises(ValueError):
            judge_steady_decline([1.0])

    def test_a_model_range_never_confirms(self) -> None:
        from metrics.claims import judge_against_range

        assert {judge_against_range(c, 4, 29) for c in (4, 10, 29)} == {"partly"}
        assert {judge_against_range(c, 4, 29) for c in (3.9, 29.1, 100)} == {"not_supported"}
