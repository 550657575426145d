"""Who accounted for the rise in foreign Treasury holdings over a window ("Europe bought 80%").

Definitional caveat
-------------------
Everything here is a **change in holdings** (end-of-month stock minus stock), as reported in
TIC's Major Foreign Holders table. That change includes valuation (price) effects and
custody reallocations, not only net purchases; TIC's transactions data (SLT/TIC S) measure
purchases and are not used here. Citi's "Europe accounted for 80% of foreign buying"
(Reuters, 22 Jan 2026) is of the same kind: an *increase in holdings*, April–November 2025.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from metrics._base import FrozenModel, LabelNotFoundError, as_label_set, describe_index, value_at
from metrics.holdings import pivot_holdings

__all__ = ["HOLDINGS_CHANGE_CAVEAT", "FlowBreakdown", "RegionChange", "region_shares"]

#: Sentence a reply should carry next to any figure from `region_shares`.
HOLDINGS_CHANGE_CAVEAT = (
    "Changes in holdings, not net purchases: they include price (valuation) changes and "
    "custody reallocations, and country labels are custodians' locations, not owners."
)


class RegionChange(FrozenModel):
    """One region's change in holdings over the window ($bn) and its share of the total change.

    ``members_used`` are the members listed by TIC in **both** months; the region's start and
    end values sum exactly these, so a member entering or leaving the table does not show up as
    a purchase or a sale. ``members_missing`` are the others (not listed in one or both months).
    ``share_of_total_change_pct`` is None when the total did not change.
    """

    region: str
    members_used: tuple[str, ...]
    members_missing: tuple[str, ...]
    start_usd_bn: float
    end_usd_bn: float
    change_usd_bn: float
    share_of_total_change_pct: float | None


class FlowBreakdown(FrozenModel):
    """Changes in holdings by region between two months, against the change in the total."""

    start: str
    end: str
    total_holder: str
    total_start_usd_bn: float
    total_end_usd_bn: float
    total_change_usd_bn: float
    regions: tuple[RegionChange, ...]
    caveat: str = HOLDINGS_CHANGE_CAVEAT

    def region(self, name: str) -> RegionChange:
        """The `RegionChange` called ``name`` (KeyError if there is none)."""
        for item in self.regions:
            if item.region == name:
                return item
        raise KeyError(name)


def region_shares(
    df: pd.DataFrame,
    regions: Mapping[str, Collection[str]],
    total_holder: str,
    start: str,
    end: str,
) -> FlowBreakdown:
    """Change in holdings by region over a window, and each region's share of the total change.

    Parameters
    ----------
    df : pandas.DataFrame
        Long holdings frame (``month`` "YYYY-MM", ``holder`` TIC label, ``usd_bn`` in $
        billions) including the total's rows. Not modified.
    regions : mapping of str to collection of str
        Region name → TIC labels of its members, e.g. ``{"Europe": [...EU listed..., "United
        Kingdom", "Norway", "Switzerland"]}``. Regions may overlap (e.g. "EU" and "Europe");
        each share is then against the total on its own, and shares need not add to 100.
    total_holder : str
        Label of the total, e.g. ``"Grand Total"`` (all foreign holders).
    start, end : str
        Months "YYYY-MM" bounding the window; ``start`` must come before ``end``.

    Returns
    -------
    FlowBreakdown
        Total start, end and change ($ billions) and one `RegionChange` per region, in the
        order given, each with ``share_of_total_change_pct`` in percent.

    Raises
    ------
    LabelNotFoundError
        If a month is not in ``df`` or the total is not listed in one of them.
    ValueError
        If ``start`` is not before ``end``, ``regions`` is empty, a region has no members or
        none of its members is listed in both months.

    Notes
    -----
    For region R with members listed in both months (set M):
    ``change_R = sum_{h in M} (end_h - start_h)`` and
    ``share_R = 100 * change_R / (total_end - total_start)``.
    When the total falls, a region whose holdings also fell has a *positive* share (it
    accounts for part of the fall); read the sign of ``total_change_usd_bn`` first.

    This is a change in holdings, including valuation effects — not net purchases (see the
    module docstring and `HOLDINGS_CHANGE_CAVEAT`).

    References
    ----------
    US Treasury, TIC mfhhis01 (Major Foreign Holders, $bn). Reuters (Y. Bahceli, 22 Jan 2026)
    citing Citi: Europe "accounted for 80% of foreign buying ... from April to November".
    The data-sources fact sheet (§5) reproduces 79.1% for end-Mar → end-Nov 2025.

    Examples
    --------
    End-Mar → end-Nov 2025, with Europe reduced to the UK for brevity:

    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "month": ["2025-03", "2025-03", "2025-11", "2025-11"],
    ...     "holder": ["Grand Total", "United Kingdom"] * 2,
    ...     "usd_bn": [9054.2, 779.3, 9349.6, 879.8]})
    >>> b = region_shares(df, {"UK": ["United Kingdom"]}, "Grand Total", "2025-03", "2025-11")
    >>> round(b.total_change_usd_bn, 1), round(b.region("UK").change_usd_bn, 1)
    (295.4, 100.5)
    >>> round(b.region("UK").share_of_total_change_pct, 1)
    34.0
    """
    if not regions:
        raise ValueError("regions must name at least one region")
    wide = pivot_holdings(df)
    for month in (start, end):
        if month not in wide.index:
            raise LabelNotFoundError(
                f"month {month!r} is not in the holdings frame; {describe_index(wide.index)}"
            )
    if not wide.index.get_loc(start) < wide.index.get_loc(end):
        raise ValueError(f"start {start!r} must come before end {end!r}")
    if total_holder not in wide.columns:
        raise LabelNotFoundError(f"total {total_holder!r} is not a holder in the frame")
    total = wide[total_holder]
    total_start = value_at(total, start, what=f"{total_holder!r} series")
    total_end = value_at(total, end, what=f"{total_holder!r} series")
    total_change = total_end - total_start

    changes: list[RegionChange] = []
    for name, members in regions.items():
        labels = as_label_set(f"members of region {name!r}", members)
        used = tuple(
            label
            for label in labels
            if label in wide.columns
            and pd.notna(wide.at[start, label])
            and pd.notna(wide.at[end, label])
        )
        if not used:
            raise ValueError(
                f"no member of region {name!r} is listed in both {start} and {end}"
            )
        start_usd_bn = float(wide.loc[start, list(used)].sum())
        end_usd_bn = float(wide.loc[end, list(used)].sum())
        change = end_usd_bn - start_usd_bn
        changes.append(
            RegionChange(
                region=name,
                members_used=used,
                members_missing=tuple(label for label in labels if label not in used),
                start_usd_bn=start_usd_bn,
                end_usd_bn=end_usd_bn,
                change_usd_bn=change,
                share_of_total_change_pct=(
                    None if total_change == 0 else 100.0 * change / total_change
                ),
            )
        )
    return FlowBreakdown(
        start=start,
        end=end,
        total_holder=total_holder,
        total_start_usd_bn=total_start,
        total_end_usd_bn=total_end,
        total_change_usd_bn=total_change,
        regions=tuple(changes),
    )
