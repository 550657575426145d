"""Named fixtures for the metrics tests: small slices of official data, cited, and helpers.

Every number below is copied from the source named beside it (see
/work/shared/reference/data-sources.md for the fact sheet that quotes them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest

from metrics.shock import YieldCalibration

# --- US Treasury TIC, Major Foreign Holders (mfhhis01.txt, retrieved 2026-07-01), $bn. -----
# End-of-month holdings for the four months the fact sheet's hand checks use (§2, §5).
EU_LISTED = (
    "Belgium", "Luxembourg", "France", "Ireland", "Germany",
    "Spain", "Netherlands", "Italy", "Poland", "Sweden",
)  # EU members TIC lists separately in 2024-2025 (fact sheet §2)
EUROPE = (*EU_LISTED, "United Kingdom", "Norway", "Switzerland")  # fact sheet §5's "Europe"

TIC_MFHHIS01: dict[str, dict[str, float]] = {
    #                  2024-12  2025-03  2025-11  2025-12
    "Belgium":         {"2024-12": 374.6, "2025-03": 402.1, "2025-11": 481.0, "2025-12": 477.3},
    "Luxembourg":      {"2024-12": 423.9, "2025-03": 412.4, "2025-11": 424.7, "2025-12": 434.2},
    "France":          {"2024-12": 332.3, "2025-03": 363.1, "2025-11": 376.1, "2025-12": 368.9},
    "Ireland":         {"2024-12": 339.4, "2025-03": 329.3, "2025-11": 340.3, "2025-12": 340.7},
    "Germany":         {"2024-12": 97.2, "2025-03": 111.6, "2025-11": 109.1, "2025-12": 103.1},
    "Spain":           {"2024-12": 59.1, "2025-03": 60.7, "2025-11": 82.3, "2025-12": 73.6},
    "Netherlands":     {"2024-12": 78.6, "2025-03": 90.9, "2025-11": 79.6, "2025-12": 70.0},
    "Italy":           {"2024-12": 59.8, "2025-03": 59.6, "2025-11": 65.5, "2025-12": 62.1},
    "Poland":          {"2024-12": 52.7, "2025-03": 57.5, "2025-11": 59.9, "2025-12": 60.5},
    "Sweden":          {"2024-12": 49.2, "2025-03": 55.9, "2025-11": 50.4, "2025-12": 50.1},
    "United Kingdom":  {"2024-12": 722.8, "2025-03": 779.3, "2025-11": 879.8, "2025-12": 863.1},
    "Norway":          {"2024-12": 157.6, "2025-03": 200.1, "2025-11": 218.9, "2025-12": 208.1},
    "Switzerland":     {"2024-12": 298.7, "2025-03": 311.7, "2025-11": 300.4, "2025-12": 294.1},
    "Japan":           {"2024-12": 1061.5, "2025-03": 1130.8, "2025-11": 1202.7, "2025-12": 1185.5},
    "China, Mainland": {"2024-12": 759.0, "2025-03": 765.4, "2025-11": 683.9, "2025-12": 683.5},
    "Grand Total":     {"2024-12": 8619.3, "2025-03": 9054.2, "2025-11": 9349.6, "2025-12": 9267.2},
    "Foreign Official":   {"2024-12": 3792.5, "2025-03": 3923.4, "2025-11": 3912.3, "2025-12": 3877.6},
}


def long_frame(wide: dict[str, dict[str, float]], table: str = "mfhhis01") -> pd.DataFrame:
    """The ``treasury_holdings`` layout (month, holder, usd_bn, table) from {holder: {month: v}}."""
    rows = [
        {"month": month, "holder": holder, "usd_bn": value, "table": table}
        for holder, by_month in wide.items()
        for month, value in by_month.items()
    ]
    return pd.DataFrame(rows, columns=["month", "holder", "usd_bn", "table"])


@pytest.fixture
def eu_listed() -> tuple[str, ...]:
    return EU_LISTED


@pytest.fixture
def europe() -> tuple[str, ...]:
    return EUROPE


@pytest.fixture
def tic_values() -> dict[str, dict[str, float]]:
    """The raw dict behind `tic_holdings` (a deep copy, so a test cannot spoil it)."""
    return copy.deepcopy(TIC_MFHHIS01)


@pytest.fixture
def tic_holdings() -> pd.DataFrame:
    """TIC mfhhis01 slice: 17 rows × 4 months (Dec-2024, Mar-2025, Nov-2025, Dec-2025)."""
    return long_frame(TIC_MFHHIS01)


# --- The shipped calibration (data/yield_calibration.csv, issue 11), as the model reads it. ------
@pytest.fixture(scope="session")  # frozen, so one instance can be shared (and hypothesis
def calibration() -> YieldCalibration:  # tests may use it without the fixture-reset warning)
    """The shipped rows of data/yield_calibration.csv, read through `calibration_from_table`: the
    tests hold the model the bot serves, not a copy of its numbers."""
    from pathlib import Path

    from metrics.shock import calibration_from_table

    table = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "yield_calibration.csv")
    return calibration_from_table(table)


# --- Inputs must never be modified. ---------------------------------------------------------
def _assert_same(before: Any, after: Any) -> None:
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before, check_exact=True)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(after, before, check_exact=True)
    else:
        assert after == before


@pytest.fixture
def unchanged() -> Callable[..., Any]:
    """``with unchanged(df, series): f(df, series)`` fails if f modified df or series."""

    @contextmanager
    def check(*objects: Any) -> Iterator[None]:
        copies = [
            obj.copy(deep=True) if isinstance(obj, (pd.DataFrame, pd.Series)) else copy.deepcopy(obj)
            for obj in objects
        ]
        yield
        for original, saved in zip(objects, copies):
            _assert_same(saved, original)

    return check
