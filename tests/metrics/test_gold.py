"""Specification of `metrics.gold` against the fact sheet's §7c table.

Gold: World Gold Council central-bank dashboard (IMF IFS), summed across reporters, $bn.
Treasuries: TIC mfhhis01 "For. Official", $bn, at the quarter-end month.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.gold import crossover, gold_vs_treasuries

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, max_examples=100)

# quarter_end, gold_all_usd_bn, gold_ex_us_usd_bn, reporters  (fact sheet §7c)
GOLD_ROWS = [
    ("2015-12-31", 985.9, 708.7, 118),
    ("2018-12-31", 1_228.0, 893.6, 116),
    ("2020-12-31", 1_857.6, 1_364.0, 112),
    ("2022-12-31", 1_831.7, 1_357.4, 110),
    ("2024-12-31", 2_695.4, 2_013.1, 107),
    ("2025-06-30", 3_375.7, 2_516.1, 103),
    ("2025-09-30", 3_935.4, 2_935.1, 100),
    ("2025-12-31", 4_469.3, 3_327.1, 93),
]
OFFICIAL_UST = pd.Series(
    {"2015-12": 4_091.6, "2018-12": 3_956.8, "2020-12": 4_186.5, "2022-12": 3_667.4,
     "2024-12": 3_792.5, "2025-06": 3_892.5, "2025-09": 3_872.6, "2025-11": 3_912.3,
     "2025-12": 3_877.6}
)
# The fact sheet's "Gold ex-US ÷ official UST" column.
EX_US_RATIO = {"2015-12-31": 0.17, "2018-12-31": 0.23, "2020-12-31": 0.33, "2022-12-31": 0.37,
               "2024-12-31": 0.53, "2025-06-30": 0.65, "2025-09-30": 0.76, "2025-12-31": 0.86}


@pytest.fixture
def gold() -> pd.DataFrame:
    frame = pd.DataFrame(GOLD_ROWS, columns=["quarter_end", "gold_all_usd_bn", "gold_ex_us_usd_bn", "reporters"])
    return frame.assign(gold_us_usd_bn=frame["gold_all_usd_bn"] - frame["gold_ex_us_usd_bn"])


@pytest.fixture
def ust() -> pd.Series:
    return OFFICIAL_UST.copy()


class TestTable:
    def test_ex_us_ratios_match_the_fact_sheet(self, gold, ust) -> None:
        table = gold_vs_treasuries(gold, ust)
        assert table["ratio_ex_us"].round(2).to_dict() == EX_US_RATIO

    def test_columns_and_index(self, gold, ust) -> None:
        table = gold_vs_treasuries(gold, ust)
        assert table.index.name == "quarter_end"
        assert list(table.columns) == ["month", "gold_all_usd_bn", "gold_ex_us_usd_bn", "reporters",
                                       "official_ust_usd_bn", "ratio_all", "ratio_ex_us"]
        assert table.loc["2025-09-30", "official_ust_usd_bn"] == 3_872.6
        assert table.loc["2025-09-30", "ratio_all"] == pytest.approx(3_935.4 / 3_872.6)

    def test_quarters_without_treasury_data_are_dropped(self, gold, ust) -> None:
        table = gold_vs_treasuries(gold, ust.drop("2018-12"))
        assert "2018-12-31" not in table.index and len(table) == 7

    def test_row_order_does_not_matter(self, gold, ust) -> None:
        shuffled = gold.sample(frac=1, random_state=1337)
        pd.testing.assert_frame_equal(gold_vs_treasuries(shuffled, ust), gold_vs_treasuries(gold, ust))

    def test_inputs_not_modified(self, gold, ust, unchanged) -> None:
        with unchanged(gold, ust):
            gold_vs_treasuries(gold, ust)
            crossover(gold, ust)


class TestCrossover:
    def test_all_official_gold_crossed_in_q3_2025(self, gold, ust) -> None:
        c = crossover(gold, ust).all_official_gold
        assert c.base == "all_official_gold" and "including the United States" in c.description
        assert c.first_quarter_end == "2025-09-30"  # 3,935.4 ≥ 3,872.6; June: 3,375.7 < 3,892.5
        assert (c.gold_usd_bn, c.official_ust_usd_bn) == (3_935.4, 3_872.6)
        assert c.starts_above is False and c.above_at_latest is True

    def test_ex_us_gold_has_not_crossed(self, gold, ust) -> None:
        c = crossover(gold, ust).ex_us_official_gold
        assert c.base == "ex_us_official_gold" and "other than the United States" in c.description
        assert c.first_quarter_end is None and c.gold_usd_bn is None
        assert c.latest_quarter_end == "2025-12-31" and round(c.latest_ratio, 2) == 0.86
        assert c.above_at_latest is False

    def test_sample_starting_above_is_flagged(self, gold, ust) -> None:
        c = crossover(gold, ust.drop(["2015-12", "2018-12", "2020-12", "2022-12", "2024-12", "2025-06"]))
        assert c.all_official_gold.first_quarter_end == "2025-09-30"
        assert c.all_official_gold.starts_above is True

    def test_crossed_then_fell_back(self, gold, ust) -> None:
        fell = gold.copy()
        fell.loc[fell["quarter_end"] == "2025-12-31", "gold_all_usd_bn"] = 3_000.0
        c = crossover(fell, ust).all_official_gold
        assert c.first_quarter_end == "2025-09-30" and c.above_at_latest is False

    @DETERMINISTIC
    @given(k=st.floats(1.0, 10.0))
    def test_dearer_gold_never_delays_the_crossover(self, k: float) -> None:
        # Metamorphic: raising the gold price (×k ≥ 1) can only bring the crossover forward.
        gold = pd.DataFrame(GOLD_ROWS, columns=["quarter_end", "gold_all_usd_bn", "gold_ex_us_usd_bn", "reporters"])
        dearer = gold.assign(gold_all_usd_bn=gold["gold_all_usd_bn"] * k,
                             gold_ex_us_usd_bn=gold["gold_ex_us_usd_bn"] * k)
        base, up = crossover(gold, OFFICIAL_UST), crossover(dearer, OFFICIAL_UST)
        for before, after in [(base.all_official_gold, up.all_official_gold),
                              (base.ex_us_official_gold, up.ex_us_official_gold)]:
            if before.first_quarter_end is not None:
                assert after.first_quarter_end is not None
                assert after.first_quarter_end <= before.first_quarter_end


class TestEdgeCases:
    def test_missing_column(self, gold, ust) -> None:
        with pytest.raises(ValueError, match="reporters"):
            gold_vs_treasuries(gold.drop(columns="reporters"), ust)

    def test_empty_gold(self, gold, ust) -> None:
        with pytest.raises(ValueError, match="empty"):
            gold_vs_treasuries(gold.head(0), ust)

    def test_empty_treasuries(self, gold) -> None:
        with pytest.raises(ValueError, match="no values"):
            gold_vs_treasuries(gold, pd.Series(dtype=float))

    def test_bad_date(self, gold, ust) -> None:
        bad = gold.copy()
        bad.loc[0, "quarter_end"] = "2015Q4"
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            gold_vs_treasuries(bad, ust)

    def test_repeated_quarter(self, gold, ust) -> None:
        with pytest.raises(ValueError, match="repeats"):
            gold_vs_treasuries(pd.concat([gold, gold.tail(1)]), ust)

    def test_no_matching_month(self, gold) -> None:
        with pytest.raises(ValueError, match="no gold quarter-end"):
            gold_vs_treasuries(gold, pd.Series({"1999-12": 1.0}))

    def test_zero_treasuries(self, gold, ust) -> None:
        ust["2025-09"] = 0.0
        with pytest.raises(ValueError, match="greater than zero"):
            gold_vs_treasuries(gold, ust)
