"""Plausibility checks a refreshed resource must pass before it may replace the one in service.

Types, units and schema are checked by `bot.pipeline.load.read_resource` first; these checks catch
files that parse but cannot be right: values outside the range a series has ever had (a unit
change: millions instead of billions, basis points instead of percent), periods in the future,
the newest period older than the data in service, periods the data in service has that the new
file lacks (cut short), and a headline figure "revised" by more than any real revision.

Ordinary revisions are not errors: `bot.pipeline.refresh` records them (see `handlers.changes.find_revisions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from handlers.changes import SERIES, find_revisions


class ImplausibleData(ValueError):
    """A refreshed resource that parses but is not plausible; the message says what and where."""

    def __init__(self, resource: str, reason: str) -> None:
        self.resource = resource
        self.reason = reason
        super().__init__(f"{resource}: {reason}")


Rows = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Range:
    column: str
    low: float
    high: float
    what: str  # the rule in words, for the error message
    rows: Rows | None = None  # which rows the range applies to (default: all)
    low_inclusive: bool = True


def _holder(label: str) -> Rows:
    return lambda f: f["holder"] == label


def _series(series_id: str) -> Rows:
    return lambda f: f["series"] == series_id


def _kind(kind: str) -> Rows:
    return lambda f: f["kind"] == kind


RANGES: dict[str, tuple[Range, ...]] = {
    "treasury_holdings": (
        Range("usd_bn", 0, 20_000, "a holder's holdings are >= $0 (TIC prints 0.0) and < $20T"),
        Range("usd_bn", 500, 30_000, "the Grand Total is between $0.5T and $30T", _holder("Grand Total")),
    ),
    "iip_annual": (Range("net_usd_bn", -200_000, 50_000, "the net IIP is between -$200T and +$50T"),),
    "gdp_annual": (Range("gdp_usd_bn", 0, 200_000, "GDP is > $0 and < $200T", low_inclusive=False),),
    "market_rates": (
        Range("value_pct", 0, 20, "the 10-year yield is between 0% and 20%", _series("DGS10")),
        Range("value_pct", 0, 25, "the 30-year mortgage rate is between 0% and 25%", _series("MORTGAGE30US"),
              low_inclusive=False),
    ),
    "iip_quarterly_fred": (
        Range("assets_usd_bn", 0, 1_000_000, "IIP assets are > $0 and < $1,000T", low_inclusive=False),
        Range("liabilities_usd_bn", 0, 1_000_000, "IIP liabilities are > $0 and < $1,000T", low_inclusive=False),
        Range("net_usd_bn", -500_000, 500_000, "the net IIP is between -$500T and +$500T"),
    ),
    "cofer": (
        Range("usd_share_pct", 0, 100, "the USD share is between 0% and 100%"),
        Range("eur_share_pct", 0, 100, "the EUR share is between 0% and 100%"),
        Range("total_fx_reserves_usd_bn", 0, 100_000, "allocated reserves are > $0 and < $100T", low_inclusive=False),
    ),
    "gold_reserves": (
        Range("gold_all_usd_bn", 0, 100_000, "official gold is > $0 and < $100T", low_inclusive=False),
        Range("total_reserves_all_usd_bn", 0, 200_000, "total reserves are > $0 and < $200T", low_inclusive=False),
    ),
    "shl_holdings": (
        Range("total_usd_mn", 0, 1e9, "holdings are >= $0"),
        Range("total_usd_mn", 1e6, 2e8, "all foreign holdings are between $1T and $200T", _kind("total")),
    ),
}

#: Largest believable revision of a headline figure between two downloads, as (rows, column,
#: relative, absolute): a bigger "revision" is a unit or layout change, not a revision.
HEADLINE_REVISIONS: dict[str, tuple[tuple[Rows | None, str, float, float], ...]] = {
    "treasury_holdings": ((_holder("Grand Total"), "usd_bn", 0.05, 0.0),),
    "iip_annual": ((None, "net_usd_bn", 0.5, 500.0),),
    "gdp_annual": ((None, "gdp_usd_bn", 0.1, 0.0),),
    "market_rates": ((None, "value_pct", 0.0, 1.0),),
    "iip_quarterly_fred": ((None, "assets_usd_bn", 0.2, 0.0), (None, "liabilities_usd_bn", 0.2, 0.0)),
    "cofer": ((None, "total_fx_reserves_usd_bn", 0.2, 0.0), (None, "usd_share_pct", 0.0, 5.0)),
}


def check(resource: str, new: pd.DataFrame, old: pd.DataFrame | None, now: datetime) -> None:
    """Raise `ImplausibleData` if ``new`` (typed, as `read_resource` returns it) may not replace
    ``old`` (the frame in service, or None for a resource the service does not have yet)."""
    if new.empty:
        raise ImplausibleData(resource, "no rows")
    for rule in RANGES.get(resource, ()):
        _check_range(resource, new, rule)
    if resource == "iip_quarterly_fred":
        gap = (new["assets_usd_bn"] - new["liabilities_usd_bn"] - new["net_usd_bn"]).abs()
        bad = gap > np.maximum(1.0, 0.001 * new["liabilities_usd_bn"].abs())
        if bad.any():
            row = new[bad].iloc[0]
            raise ImplausibleData(resource, f"{row['quarter']}: net {row['net_usd_bn']:,.1f} ≠ assets "
                                            f"{row['assets_usd_bn']:,.1f} - liabilities "
                                            f"{row['liabilities_usd_bn']:,.1f} ($bn)")
    spec = SERIES.get(resource)
    if spec is None:
        return
    periods = _period_keys(new[spec.period])
    if periods.max() > _now_key(new[spec.period], now):
        raise ImplausibleData(resource, f"period {periods.max()} is in the future (today is {now.date().isoformat()})")
    if old is None or spec.period not in old.columns or old.empty:
        return
    before = _period_keys(old[spec.period])
    if periods.max() < before.max():
        raise ImplausibleData(resource, f"the newest period {periods.max()} is older than {before.max()} in the data "
                                        "in service (a period going backwards)")
    missing = sorted(set(before) - set(periods))
    if missing:
        raise ImplausibleData(resource, f"{len(missing)} period(s) in service are missing from the new file "
                                        f"(first {missing[0]}, last {missing[-1]}): file cut short?")
    for rows, column, rel, absolute in HEADLINE_REVISIONS.get(resource, ()):
        keep = [spec.period, *spec.keys, column]
        subset_new = new[rows(new)][keep] if rows else new[keep]
        subset_old = old[rows(old)][keep] if rows else old[keep]
        big = find_revisions(resource, subset_old, subset_new, rel_tol=rel, abs_tol=absolute)
        if big:
            r = big[-1]
            raise ImplausibleData(resource, f"{r.period} {r.item or column}: {r.old:,.2f} → {r.new:,.2f} is a larger "
                                            f"change than any real revision (unit or layout change?)")


def _check_range(resource: str, frame: pd.DataFrame, rule: Range) -> None:
    rows = frame[rule.rows(frame)] if rule.rows else frame
    values = rows[rule.column].astype("float64")
    low_ok = values >= rule.low if rule.low_inclusive else values > rule.low
    bad = values.notna() & ~(low_ok & (values <= rule.high))
    if bad.any():
        row = rows[bad.to_numpy()].iloc[0]
        where = ", ".join(str(_plain(row[c])) for c in frame.columns[:2])
        raise ImplausibleData(resource, f"{where}: {rule.column} = {_plain(row[rule.column])} is implausible "
                                        f"(expected: {rule.what})")


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return value


def _period_keys(values: pd.Series) -> pd.Series:
    """Periods as sortable strings: dates as YYYY-MM-DD, years as 4 digits, else as written."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d")
    return values.astype(str)


def _now_key(values: pd.Series, now: datetime) -> str:
    """``now`` in the same shape as the period column (for a quarter-end date: the current
    quarter's end, because a quarter's data are labelled with a date at its end)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return now.strftime("%Y-%m-%d") if values.dt.is_month_end.sum() < len(values) else _quarter_end(now)
    sample = str(values.iloc[0])
    if len(sample) == 4:
        return f"{now.year:04d}"
    if len(sample) == 7 and sample[4] == "-":
        return f"{now.year:04d}-{now.month:02d}"
    if len(sample) == 6 and sample[4] == "Q":
        return f"{now.year:04d}Q{(now.month - 1) // 3 + 1}"
    return now.strftime("%Y-%m-%d")


def _quarter_end(now: datetime) -> str:
    month = ((now.month - 1) // 3 + 1) * 3
    day = 31 if month in (3, 12) else 30
    return f"{now.year:04d}-{month:02d}-{day:02d}"
