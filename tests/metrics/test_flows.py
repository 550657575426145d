"""Specification of `metrics.flows.region_shares` (fact sheet §5: "Europe ~80% of buying")."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.flows import HOLDINGS_CHANGE_CAVEAT, region_shares
from metrics.series import LabelNotFoundError

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=100)


@pytest.fixture
def regions(europe, eu_listed) -> dict[str, tuple[str, ...]]:
    return {
        "Europe": europe,
        "EU listed": eu_listed,
        "UK": ("United Kingdom",),
        "Norway": ("Norway",),
        "Switzerland": ("Switzerland",),
    }


class TestHandChecked:
    def test_citi_window_mar_to_nov_2025(self, tic_holdings, regions) -> None:
        b = region_shares(tic_holdings, regions, "Grand Total", "2025-03", "2025-11")
        assert b.total_change_usd_bn == pytest.approx(295.4)  # 9,054.2 → 9,349.6
        europe = b.region("Europe")
        assert europe.change_usd_bn == pytest.approx(233.8)
        assert round(europe.share_of_total_change_pct, 1) == 79.1  # Citi's "80%"
        # the parts, as itemised in the fact sheet
        assert b.region("EU listed").change_usd_bn == pytest.approx(125.8)
        assert b.region("UK").change_usd_bn == pytest.approx(100.5)
        assert b.region("Norway").change_usd_bn == pytest.approx(18.8)
        assert b.region("Switzerland").change_usd_bn == pytest.approx(-11.3)

    def test_calendar_2025(self, tic_holdings, regions) -> None:
        b = region_shares(tic_holdings, regions, "Grand Total", "2024-12", "2025-12")
        assert b.total_change_usd_bn == pytest.approx(647.9)
        assert b.region("Europe").change_usd_bn == pytest.approx(359.9)
        assert round(b.region("Europe").share_of_total_change_pct, 1) == 55.5
        assert round(b.region("EU listed").share_of_total_change_pct, 1) == 26.8

    def test_regions_keep_their_order_and_members(self, tic_holdings, regions) -> None:
        b = region_shares(tic_holdings, regions, "Grand Total", "2024-12", "2025-12")
        assert [r.region for r in b.regions] == list(regions)
        assert b.region("Europe").members_used == regions["Europe"]
        assert b.region("Europe").members_missing == ()

    def test_caveat_says_holdings_not_purchases(self, tic_holdings, regions) -> None:
        b = region_shares(tic_holdings, regions, "Grand Total", "2024-12", "2025-12")
        assert b.caveat == HOLDINGS_CHANGE_CAVEAT
        assert "not net purchases" in b.caveat and "valuation" in b.caveat


class TestCoverage:
    def test_member_missing_at_one_end_is_left_out_of_both(self, tic_holdings, eu_listed) -> None:
        df = tic_holdings[~((tic_holdings["month"] == "2025-12") & (tic_holdings["holder"] == "Germany"))]
        b = region_shares(df, {"EU": eu_listed}, "Grand Total", "2024-12", "2025-12")
        eu = b.region("EU")
        assert eu.members_missing == ("Germany",)
        assert "Germany" not in eu.members_used
        # Germany neither "sold" 97.2 nor "bought" anything: its +5.9 is simply not counted.
        assert eu.change_usd_bn == pytest.approx(173.7 - (103.1 - 97.2))
        assert eu.start_usd_bn == pytest.approx(1_866.8 - 97.2)

    def test_unlisted_member_is_reported(self, tic_holdings) -> None:
        b = region_shares(tic_holdings, {"Nordics": ["Norway", "Sweden", "Denmark"]},
                          "Grand Total", "2024-12", "2025-12")
        assert b.region("Nordics").members_missing == ("Denmark",)


class TestEdgeCases:
    def test_start_must_precede_end(self, tic_holdings, regions) -> None:
        with pytest.raises(ValueError, match="before"):
            region_shares(tic_holdings, regions, "Grand Total", "2025-12", "2024-12")

    def test_same_month(self, tic_holdings, regions) -> None:
        with pytest.raises(ValueError, match="before"):
            region_shares(tic_holdings, regions, "Grand Total", "2025-12", "2025-12")

    def test_missing_month(self, tic_holdings, regions) -> None:
        with pytest.raises(LabelNotFoundError, match="2023-12"):
            region_shares(tic_holdings, regions, "Grand Total", "2023-12", "2025-12")

    def test_missing_total(self, tic_holdings, regions) -> None:
        with pytest.raises(LabelNotFoundError, match="All foreign"):
            region_shares(tic_holdings, regions, "All foreign", "2024-12", "2025-12")

    def test_no_regions(self, tic_holdings) -> None:
        with pytest.raises(ValueError, match="at least one region"):
            region_shares(tic_holdings, {}, "Grand Total", "2024-12", "2025-12")

    def test_region_with_nobody_listed(self, tic_holdings) -> None:
        with pytest.raises(ValueError, match="Baltics"):
            region_shares(tic_holdings, {"Baltics": ["Estonia"]}, "Grand Total", "2024-12", "2025-12")

    def test_unchanged_total_has_no_share(self) -> None:
        df = pd.DataFrame({"month": ["a", "a", "b", "b"], "holder": ["T", "X"] * 2,
                           "usd_bn": [10.0, 4.0, 10.0, 5.0]})
        b = region_shares(df, {"X": ["X"]}, "T", "a", "b")
        assert b.region("X").change_usd_bn == 1.0
        assert b.region("X").share_of_total_change_pct is None

    def test_inputs_not_modified(self, tic_holdings, regions, unchanged) -> None:
        with unchanged(tic_holdings, regions):
            region_shares(tic_holdings, regions, "Grand Total", "2024-12", "2025-12")


holdings = st.lists(st.floats(0, 5_000), min_size=2, max_size=6)


class TestProperties:
    @DETERMINISTIC
    @given(start=holdings, data=st.data())
    def test_shares_of_a_partition_add_up_to_100(self, start, data) -> None:
        # When the total is the sum of the holders and the regions partition them, the
        # regions account for the whole change: shares sum to 100% (if the total moved).
        n = len(start)
        end = data.draw(st.lists(st.floats(0, 5_000), min_size=n, max_size=n))
        names = [f"h{i}" for i in range(n)]
        rows = [("a", h, v) for h, v in zip(names, start)] + [("b", h, v) for h, v in zip(names, end)]
        rows += [("a", "T", sum(start)), ("b", "T", sum(end))]
        df = pd.DataFrame(rows, columns=["month", "holder", "usd_bn"])
        cut = data.draw(st.integers(1, n - 1))
        b = region_shares(df, {"A": names[:cut], "B": names[cut:]}, "T", "a", "b")
        assert b.region("A").change_usd_bn + b.region("B").change_usd_bn == pytest.approx(
            b.total_change_usd_bn, abs=1e-6
        )
        if abs(b.total_change_usd_bn) > 1e-3:
            total_share = sum(r.share_of_total_change_pct for r in b.regions)
            assert total_share == pytest.approx(100.0, rel=1e-6)

    @DETERMINISTIC
    @given(k=st.floats(0.01, 100))
    def test_shares_are_unit_free(self, k: float, ) -> None:
        df = pd.DataFrame({"month": ["a", "a", "b", "b"], "holder": ["T", "X"] * 2,
                           "usd_bn": [100.0, 40.0, 110.0, 47.0]})
        scaled = df.assign(usd_bn=df["usd_bn"] * k)
        base = region_shares(df, {"X": ["X"]}, "T", "a", "b").region("X")
        other = region_shares(scaled, {"X": ["X"]}, "T", "a", "b").region("X")
        assert other.share_of_total_change_pct == pytest.approx(base.share_of_total_change_pct)
