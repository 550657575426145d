"""Changes between two labelled observations of a series (used by `gap` and `holdings`)."""

from __future__ import annotations

import math

import pandas as pd

from metrics._base import FrozenModel, Label, LabelNotFoundError, value_at

__all__ = ["Change", "LabelNotFoundError", "change_between"]


class Change(FrozenModel):
    """The change of one series between two periods.

    ``change`` is in the series' own units (e.g. $bn); ``change_pct`` is percent of the start
    value, or None when the start value is zero (a percentage change is undefined there) or
    so close to zero that the percentage overflows.
    """

    start: Label
    end: Label
    start_value: float
    end_value: float
    change: float
    change_pct: float | None


def change_between(series: pd.Series, start: Label, end: Label) -> Change:
    """Change of a series between two index labels.

    Parameters
    ----------
    series : pandas.Series
        Values in any unit (e.g. $bn), indexed by period labels such as ``"2025-03"`` or
        ``2024``. Not modified.
    start, end : str or int
        Index labels of the two observations. They need not be adjacent, and ``end`` may come
        before ``start`` (the change is then reported backwards, as given).

    Returns
    -------
    Change
        ``change`` in the series' units and ``change_pct`` in percent of the start value
        (None when the start value is 0, or the percentage would overflow).

    Raises
    ------
    LabelNotFoundError
        If ``start`` or ``end`` is not in the index (the message gives the available range).
    ValueError
        If the value at a label is NaN or the label is duplicated.

    Notes
    -----
    ``change = end_value - start_value`` and
    ``change_pct = 100 * change / start_value``.

    References
    ----------
    Change of a level; used for TIC holdings (US Treasury, *Major Foreign Holders of Treasury
    Securities*, mfhhis01) and BEA net-IIP levels.

    Examples
    --------
    China's holdings, Dec 2015 → Dec 2025 (TIC mfhhis01, $bn):

    >>> import pandas as pd
    >>> china = pd.Series({"2015-12": 1246.1, "2025-12": 683.5})
    >>> c = change_between(china, "2015-12", "2025-12")
    >>> round(c.change, 1), round(c.change_pct, 1)
    (-562.6, -45.1)
    """
    start_value = value_at(series, start)
    end_value = value_at(series, end)
    change = end_value - start_value
    change_pct = None if start_value == 0 else 100.0 * change / start_value
    if change_pct is not None and not math.isfinite(change_pct):
        change_pct = None  # start so close to zero that the percentage overflows
    return Change(
        start=start,
        end=end,
        start_value=start_value,
        end_value=end_value,
        change=change,
        change_pct=change_pct,
    )
