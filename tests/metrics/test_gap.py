"""Specification of `metrics.gap`: net IIP against GDP.

Figures: BEA, U.S. International Investment Position, 3rd Quarter 2025 (assets $41.27T,
liabilities $68.89T, net −$27.61T); FRED GDPA 2025 = $30,767.088bn; FRED IIPUSNETIA.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from metrics.gap import NetPosition, net_pct_gdp_history, net_position, pct_of_gdp

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=200)

ASSETS_2025Q3 = 41_270.0
LIABILITIES_2025Q3 = 68_890.0
PUBLISHED_NET_2025Q3 = -27_610.0
GDP_2025 = 30_767.088

# FRED IIPUSNETIA ($ millions / 1000) and GDPA ($bn), as in shared/data/raw/fred/*.csv.
NET_BY_YEAR = pd.Series(
    {2006: -1_807.819, 2008: -3_994.625, 2015: -7_590.470, 2020: -14_721.004,
     2023: -20_416.524, 2024: -26_539.470}
)
GDP_BY_YEAR = pd.Series(
    {2006: 13_815.583, 2008: 14_769.862, 2015: 18_295.019, 2020: 21_375.281,
     2023: 27_811.517, 2024: 29_298.013, 2025: 30_767.088}
)
# The fact sheet's "% of GDP" column (§1b), one decimal.
FACT_SHEET_PCT = {2006: -13.1, 2008: -27.0, 2015: -41.5, 2020: -68.9, 2023: -73.4, 2024: -90.6}


@pytest.fixture
def q3_2025() -> NetPosition:
    return net_position(
        "2025Q3", ASSETS_2025Q3, LIABILITIES_2025Q3, GDP_2025,
        published_net_usd_bn=PUBLISHED_NET_2025Q3,
    )


class TestPctOfGdp:
    def test_hand_checked(self) -> None:
        # fact sheet §1a: −27.61 ÷ 30.767 = −89.7%
        assert round(pct_of_gdp(PUBLISHED_NET_2025Q3, GDP_2025), 1) == -89.7

    def test_closed_form(self) -> None:
        assert pct_of_gdp(250.0, 1_000.0) == 25.0

    @pytest.mark.parametrize("gdp", [0.0, -1.0, math.nan, math.inf])
    def test_bad_gdp(self, gdp: float) -> None:
        with pytest.raises(ValueError, match="GDP"):
            pct_of_gdp(100.0, gdp)

    def test_bad_value(self) -> None:
        with pytest.raises(ValueError, match="value_usd_bn"):
            pct_of_gdp(math.nan, 1_000.0)


class TestNetPosition:
    def test_computed_net_is_assets_minus_liabilities(self, q3_2025: NetPosition) -> None:
        # 41.27 − 68.89 = −27.62, one rounding step away from BEA's −27.61
        assert q3_2025.net_usd_bn == pytest.approx(-27_620.0)
        assert q3_2025.discrepancy_usd_bn == pytest.approx(10.0)

    def test_headline_is_the_published_net(self, q3_2025: NetPosition) -> None:
        assert q3_2025.net_source == "published"
        assert q3_2025.headline_net_usd_bn == PUBLISHED_NET_2025Q3
        assert round(q3_2025.net_pct_gdp, 1) == -89.7

    def test_without_published_net_the_computed_one_is_used(self) -> None:
        p = net_position("2025Q3", ASSETS_2025Q3, LIABILITIES_2025Q3, GDP_2025)
        assert p.net_source == "computed" and p.discrepancy_usd_bn is None
        assert p.headline_net_usd_bn == pytest.approx(-27_620.0)
        # the choice is visible at one decimal: −89.8% instead of BEA-based −89.7%
        assert round(p.net_pct_gdp, 1) == -89.8

    def test_liabilities_to_gdp(self, q3_2025: NetPosition) -> None:
        assert round(q3_2025.liabilities_to_gdp, 2) == 2.24  # fact sheet: 2.24×

    def test_published_net_from_another_vintage_is_rejected(self) -> None:
        # Q4 2024 first published −26.23T; revised assets/liabilities give −26.54T
        with pytest.raises(ValueError, match="vintage"):
            net_position("2024Q4", 35_720, 62_260, 29_298.0, published_net_usd_bn=-26_230)

    def test_tolerance_is_adjustable(self) -> None:
        p = net_position("2024Q4", 35_720, 62_260, 29_298.0, published_net_usd_bn=-26_230,
                         max_discrepancy_usd_bn=400)
        assert p.headline_net_usd_bn == -26_230

    @pytest.mark.parametrize("gdp", [0.0, -5.0])
    def test_zero_or_negative_gdp(self, gdp: float) -> None:
        with pytest.raises(ValueError, match="gdp_usd_bn"):
            net_position("2025Q3", ASSETS_2025Q3, LIABILITIES_2025Q3, gdp)

    def test_negative_assets(self) -> None:
        with pytest.raises(ValueError, match="assets_usd_bn"):
            net_position("x", -1.0, 10.0, 100.0)

    def test_nan_liabilities(self) -> None:
        with pytest.raises(ValueError, match="liabilities_usd_bn"):
            net_position("x", 1.0, math.nan, 100.0)

    def test_frozen(self, q3_2025: NetPosition) -> None:
        with pytest.raises(ValidationError):
            q3_2025.assets_usd_bn = 0.0  # type: ignore[misc]

    def test_dump_carries_the_derived_figures(self, q3_2025: NetPosition) -> None:
        dumped = q3_2025.model_dump()
        for key in ("net_usd_bn", "headline_net_usd_bn", "net_pct_gdp", "liabilities_to_gdp"):
            assert key in dumped

    @DETERMINISTIC
    @given(
        assets=st.floats(0, 1e5), liabilities=st.floats(0, 1e5), gdp=st.floats(1, 1e5),
        k=st.floats(0.01, 100),
    )
    def test_ratios_do_not_depend_on_the_unit(
        self, assets: float, liabilities: float, gdp: float, k: float
    ) -> None:
        # Metamorphic: $bn → any other unit (×k) leaves % of GDP and the ratio unchanged.
        a = net_position("p", assets, liabilities, gdp)
        b = net_position("p", assets * k, liabilities * k, gdp * k)
        assert b.net_pct_gdp == pytest.approx(a.net_pct_gdp, rel=1e-9, abs=1e-9)
        assert b.liabilities_to_gdp == pytest.approx(a.liabilities_to_gdp, rel=1e-9, abs=1e-12)


class TestHistory:
    def test_matches_the_fact_sheet(self) -> None:
        result = net_pct_gdp_history(NET_BY_YEAR, GDP_BY_YEAR)
        assert result.round(1).to_dict() == FACT_SHEET_PCT
        assert result.name == "net_pct_gdp"

    def test_years_missing_from_either_series_are_dropped(self) -> None:
        net = NET_BY_YEAR.copy()
        net[2008] = math.nan
        result = net_pct_gdp_history(net, GDP_BY_YEAR)
        assert 2008 not in result.index  # NaN net
        assert 2025 not in result.index  # no net for 2025
        assert len(result) == 5

    def test_sorted_by_year(self) -> None:
        result = net_pct_gdp_history(NET_BY_YEAR[::-1], GDP_BY_YEAR)
        assert list(result.index) == sorted(result.index)

    def test_no_common_year(self) -> None:
        gdp_by_text_year = GDP_BY_YEAR.copy()
        gdp_by_text_year.index = gdp_by_text_year.index.astype(str)
        with pytest.raises(ValueError, match="same kind of year label"):
            net_pct_gdp_history(NET_BY_YEAR, gdp_by_text_year)

    def test_empty_input(self) -> None:
        with pytest.raises(ValueError, match="net_usd_bn is empty"):
            net_pct_gdp_history(pd.Series(dtype=float), GDP_BY_YEAR)

    def test_zero_gdp(self) -> None:
        gdp = GDP_BY_YEAR.copy()
        gdp[2015] = 0.0
        with pytest.raises(ValueError, match="2015"):
            net_pct_gdp_history(NET_BY_YEAR, gdp)

    def test_duplicate_years(self) -> None:
        net = pd.concat([NET_BY_YEAR, pd.Series({2024: -1.0})])
        with pytest.raises(ValueError, match="duplicate"):
            net_pct_gdp_history(net, GDP_BY_YEAR)

    def test_inputs_not_modified(self, unchanged) -> None:
        net, gdp = NET_BY_YEAR.copy(), GDP_BY_YEAR.copy()
        with unchanged(net, gdp):
            net_pct_gdp_history(net, gdp)

    def test_agrees_with_pct_of_gdp(self) -> None:
        result = net_pct_gdp_history(NET_BY_YEAR, GDP_BY_YEAR)
        for year, value in result.items():
            assert value == pct_of_gdp(NET_BY_YEAR[year], GDP_BY_YEAR[year])
