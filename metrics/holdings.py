"""Foreign holdings of US Treasuries by holder and month (TIC Major Foreign Holders).

The functions take the long ``treasury_holdings`` frame (columns ``month`` "YYYY-MM",
``holder`` TIC label, ``usd_bn``; other columns are ignored) and never modify it.

TIC caveat: the data are "collected primarily from U.S.-based custodians and broker-dealers"
and "may not provide a precise accounting of individual country ownership" — Belgium
(Euroclear), Luxembourg (Clearstream), the UK, Cayman and Ireland are custody or fund hubs.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
from pydantic import Field

from metrics._base import (
    FrozenModel,
    Label,
    LabelNotFoundError,
    as_label_set,
    check_columns,
    describe_index,
)
from metrics.series import Change, change_between

__all__ = [
    "NON_COUNTRY_LABELS",
    "TIC_ALL_OTHER",
    "TIC_MEMO_LABELS",
    "TIC_TOTAL",
    "RankedHolder",
    "aggregate",
    "holder_change",
    "pivot_holdings",
    "ranking",
    "share_of",
]

#: TIC's label of the total over all foreign holders (the "foreign" aggregate).
TIC_TOTAL = "Grand Total"
#: TIC's label of the residual over the countries a table does not list.
TIC_ALL_OTHER = "All Other"
#: TIC's memo lines: the foreign-official part of the total, split by maturity.
TIC_MEMO_LABELS: tuple[str, ...] = ("Foreign Official", "Foreign Official Treasury Bills",
                                    "Foreign Official T-Bonds & Notes")
#: TIC rows that are totals or breakdowns, not holders; `ranking` leaves them out by default.
#: The one list of them: the parsers, the build, the change report and the claims read it.
NON_COUNTRY_LABELS: frozenset[str] = frozenset({TIC_TOTAL, TIC_ALL_OTHER, *TIC_MEMO_LABELS})

_COLUMNS = ("month", "holder", "usd_bn")


def pivot_holdings(df: pd.DataFrame) -> pd.DataFrame:
    """Reshape the long holdings frame to one row per month and one column per holder.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame with columns ``month`` ("YYYY-MM"), ``holder`` (TIC label) and ``usd_bn``
        ($ billions). Not modified.

    Returns
    -------
    pandas.DataFrame
        Holdings in $ billions; index ``month`` (sorted ascending), columns = holders (sorted).
        A holder not listed by TIC in a month is NaN there (TIC folds small holders into
        "All Other", so "not listed" is not "zero").

    Raises
    ------
    ValueError
        If a column is missing or a (month, holder) pair appears twice — e.g. when rows of both
        ``mfhhis01`` and ``slt_table5`` cover the same month; filter on ``table`` first.

    Notes
    -----
    ``wide.loc[m, h] = usd_bn`` of the row with ``month == m`` and ``holder == h``.

    References
    ----------
    US Treasury, TIC *Major Foreign Holders of Treasury Securities* (mfhhis01, SLT Table 5).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"month": ["2025-12", "2025-12", "2024-12"],
    ...                    "holder": ["Japan", "Belgium", "Japan"],
    ...                    "usd_bn": [1185.5, 477.3, 1061.5]})
    >>> pivot_holdings(df)  # doctest: +NORMALIZE_WHITESPACE
    holder   Belgium   Japan
    month
    2024-12      NaN  1061.5
    2025-12    477.3  1185.5
    """
    check_columns(df, _COLUMNS, "holdings frame")
    duplicated = df.duplicated(subset=["month", "holder"], keep=False)
    if duplicated.any():
        pairs = df.loc[duplicated, ["month", "holder"]].drop_duplicates().head(5)
        raise ValueError(
            "holdings frame has more than one row for (month, holder), e.g. "
            f"{list(pairs.itertuples(index=False, name=None))}; filter on `table` first"
        )
    wide = df.pivot(index="month", columns="holder", values="usd_bn").astype(float)
    wide = wide.sort_index().sort_index(axis=1)
    wide.index.name = "month"
    wide.columns.name = "holder"
    return wide


def aggregate(
    df: pd.DataFrame, members: Collection[str], *, allow_unknown: bool = False
) -> pd.DataFrame:
    """Sum a group of holders (e.g. the EU members TIC lists) month by month, with coverage.

    Parameters
    ----------
    df : pandas.DataFrame
        Long holdings frame (``month``, ``holder``, ``usd_bn`` in $ billions). Not modified.
    members : collection of str
        TIC labels to add up. Duplicates are counted once. A bare string is refused.
    allow_unknown : bool, default False
        If False, a member that appears in no month of ``df`` raises ValueError (usually a
        misspelt label). Set True for groups whose small members TIC may never list.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month`` (every month of ``df``, ascending) with columns

        * ``usd_bn`` — sum over the members listed that month, $ billions (NaN if none is);
        * ``members_present`` — how many members were listed that month (int);
        * ``members_expected`` — how many were asked for (int).

        Compare ``members_present`` across months before reading a change: a member that
        drops out of the table (e.g. Germany is not in SLT Table 5) lowers the sum.

    Raises
    ------
    ValueError
        If ``members`` is empty, or a member never appears and ``allow_unknown`` is False.
    TypeError
        If ``members`` is a single string.

    Notes
    -----
    ``usd_bn[m] = sum(usd_bn[m, h] for h in members if h is listed in month m)``.

    References
    ----------
    US Treasury, TIC mfhhis01. The data-sources fact sheet (§2) sums the EU members TIC lists:
    930.5 (2015) → 2,040.5 (2025) $bn, an understatement because small members sit in
    "All Other".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"month": ["2025-12", "2025-12", "2026-04"],
    ...                    "holder": ["Germany", "France", "France"],
    ...                    "usd_bn": [103.1, 368.9, 393.3]})
    >>> aggregate(df, ["France", "Germany"])  # doctest: +NORMALIZE_WHITESPACE
             usd_bn  members_present  members_expected
    month
    2025-12   472.0                2                 2
    2026-04   393.3                1                 2
    """
    labels = as_label_set("members", members)
    wide = pivot_holdings(df)
    unknown = [label for label in labels if label not in wide.columns]
    if unknown and not allow_unknown:
        raise ValueError(
            f"member(s) {unknown} never appear in the holdings frame; check the TIC labels "
            "or pass allow_unknown=True"
        )
    known = [label for label in labels if label in wide.columns]
    block = wide[known]
    present = block.notna().sum(axis=1).astype(int)
    total = block.sum(axis=1, min_count=1)
    result = pd.DataFrame(
        {
            "usd_bn": total.astype(float),
            "members_present": present,
            "members_expected": len(labels),
        },
        index=wide.index,
    )
    result["members_expected"] = result["members_expected"].astype(int)
    return result


def holder_change(series: pd.Series, start: Label, end: Label) -> Change:
    """Change in one holder's (or group's) holdings between two months.

    Parameters
    ----------
    series : pandas.Series
        Holdings in $ billions indexed by month "YYYY-MM" — a column of `pivot_holdings` or
        the ``usd_bn`` column of `aggregate`. Not modified.
    start, end : str
        Month labels, e.g. ``"2015-12"`` and ``"2025-12"``.

    Returns
    -------
    Change
        ``change`` in $ billions and ``change_pct`` in percent of the start value.

    Raises
    ------
    LabelNotFoundError
        If a month is not in the series.
    ValueError
        If the holder is not listed (NaN) in one of the months.

    Notes
    -----
    ``change = end - start``; ``change_pct = 100 * change / start``. A change in holdings
    includes price (valuation) changes, not only purchases or sales.

    References
    ----------
    US Treasury, TIC mfhhis01 (December values quoted in the data-sources fact sheet, §2).

    Examples
    --------
    Saudi Arabia, Dec 2015 → Dec 2025 (holdings rose, contrary to the seed claim):

    >>> import pandas as pd
    >>> saudi = pd.Series({"2015-12": 118.9, "2025-12": 149.5})
    >>> c = holder_change(saudi, "2015-12", "2025-12")
    >>> round(c.change, 1), round(c.change_pct, 1)
    (30.6, 25.7)
    """
    return change_between(series, start, end)


def share_of(holder_series: pd.Series, total_series: pd.Series) -> pd.Series:
    """A holder's share of a total (e.g. of all foreign holdings), month by month, in percent.

    Parameters
    ----------
    holder_series : pandas.Series
        The holder's holdings in $ billions, indexed by month. Not modified.
    total_series : pandas.Series
        The total in $ billions, same index type (e.g. TIC "Grand Total"). Not modified.

    Returns
    -------
    pandas.Series
        Percent (41.8 means 41.8%), named ``"share_pct"``, for the months where both series
        have a value (other months dropped), sorted ascending.

    Raises
    ------
    ValueError
        If either series is empty, no month is in both, or the total is <= 0 in a kept month.

    Notes
    -----
    ``share_pct[m] = 100 * holder[m] / total[m]``.

    References
    ----------
    US Treasury, TIC mfhhis01: foreign official 3,877.6 of 9,267.2 $bn in Dec 2025 (41.8%).

    Examples
    --------
    >>> import pandas as pd
    >>> official = pd.Series({"2014-12": 4122.6, "2025-12": 3877.6})
    >>> total = pd.Series({"2014-12": 6158.0, "2025-12": 9267.2})
    >>> share_of(official, total).round(1).to_dict()
    {'2014-12': 66.9, '2025-12': 41.8}
    """
    if holder_series.empty or total_series.empty:
        raise ValueError("share_of needs non-empty holder and total series")
    both = pd.concat(
        [holder_series.rename("holder"), total_series.rename("total")], axis=1, join="inner"
    ).dropna()
    if both.empty:
        raise ValueError("holder and total series have no month in common")
    bad = both.index[~(both["total"] > 0)]
    if len(bad):
        raise ValueError(f"the total must be greater than zero; it is not in {list(bad)}")
    share = (100.0 * both["holder"] / both["total"]).sort_index()
    share.name = "share_pct"
    return share


class RankedHolder(FrozenModel):
    """One row of a ranking of holders in a month."""

    rank: int = Field(ge=1)
    holder: str
    usd_bn: float
    share_of_total_pct: float | None = None


def ranking(
    df: pd.DataFrame,
    month: str,
    n: int,
    *,
    total_holder: str | None = "Grand Total",
    exclude: Collection[str] = NON_COUNTRY_LABELS,
) -> list[RankedHolder]:
    """The ``n`` largest holders in a month.

    Parameters
    ----------
    df : pandas.DataFrame
        Long holdings frame (``month``, ``holder``, ``usd_bn`` in $ billions). Not modified.
    month : str
        Month "YYYY-MM".
    n : int
        How many holders to return, >= 1. Fewer are returned if fewer are listed.
    total_holder : str or None, default "Grand Total"
        Label of the total used for ``share_of_total_pct`` (percent). If None, or the total is
        not listed that month, the share is None.
    exclude : collection of str, default `NON_COUNTRY_LABELS`
        Labels that are totals or breakdowns rather than holders.

    Returns
    -------
    list of RankedHolder
        Ranked by ``usd_bn`` descending; ties broken by holder name, so the order is stable.

    Raises
    ------
    LabelNotFoundError
        If the month is not in ``df``.
    ValueError
        If ``n < 1`` or a column is missing.

    Notes
    -----
    ``share_of_total_pct = 100 * usd_bn / total``.

    References
    ----------
    US Treasury, TIC SLT Table 5 / mfhhis01, "Major Foreign Holders of Treasury Securities".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"month": ["2026-04"] * 4,
    ...                    "holder": ["United Kingdom", "Japan", "China, Mainland", "Grand Total"],
    ...                    "usd_bn": [937.5, 1209.9, 651.1, 9352.6]})
    >>> [(r.rank, r.holder, round(r.share_of_total_pct, 1)) for r in ranking(df, "2026-04", 2)]
    [(1, 'Japan', 12.9), (2, 'United Kingdom', 10.0)]
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}")
    wide = pivot_holdings(df)
    if month not in wide.index:
        raise LabelNotFoundError(
            f"month {month!r} is not in the holdings frame; {describe_index(wide.index)}"
        )
    row = wide.loc[month].dropna()
    total: float | None = None
    if total_holder is not None and total_holder in row.index:
        total = float(row[total_holder])
    skip = set(exclude) | ({total_holder} if total_holder else set())
    holders = row[[label for label in row.index if label not in skip]]
    ordered = sorted(holders.items(), key=lambda item: (-float(item[1]), str(item[0])))
    return [
        RankedHolder(
            rank=i + 1,
            holder=str(holder),
            usd_bn=float(value),
            share_of_total_pct=None if not total else 100.0 * float(value) / total,
        )
        for i, (holder, value) in enumerate(ordered[: int(n)])
    ]
