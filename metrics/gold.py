"""Central-bank gold against foreign official holdings of US Treasuries ("the crossover").

Whether gold has overtaken Treasuries depends on the base, so both are always reported:

* ``all_official_gold`` — gold of all reporting official holders, **including the US's**
  8,133 t (the comparison behind the Crescat/Bloomberg "27 Aug 2025" claim, as far as can be
  told; its method was not seen);
* ``ex_us_official_gold`` — non-US official gold only, the like-for-like comparison with
  *foreign* official Treasury holdings.

Both gold sums omit the IMF, the ECB and late reporters, and are valued at market prices, so
a rising gold price alone can produce a crossover.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from metrics._base import FrozenModel, check_columns

__all__ = ["Crossover", "GoldBase", "GoldCrossover", "crossover", "gold_vs_treasuries"]

GoldBase = Literal["all_official_gold", "ex_us_official_gold"]

_BASES: dict[GoldBase, tuple[str, str, str]] = {
    "all_official_gold": (
        "gold_all_usd_bn",
        "ratio_all",
        "official gold of all reporters, including the United States",
    ),
    "ex_us_official_gold": (
        "gold_ex_us_usd_bn",
        "ratio_ex_us",
        "official gold of reporters other than the United States",
    ),
}


def gold_vs_treasuries(gold: pd.DataFrame, official_ust: pd.Series) -> pd.DataFrame:
    """Official gold against foreign official Treasury holdings at matching quarter-ends.

    Parameters
    ----------
    gold : pandas.DataFrame
        Columns ``quarter_end`` ("YYYY-MM-DD"), ``gold_all_usd_bn``, ``gold_ex_us_usd_bn``
        ($ billions, market value) and ``reporters`` (count); other columns are ignored.
        Not modified.
    official_ust : pandas.Series
        TIC foreign official holdings of Treasuries, $ billions, indexed by month "YYYY-MM".
        Not modified.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quarter_end`` (ascending), with ``month``, the three gold columns,
        ``official_ust_usd_bn``, and the ratios ``ratio_all`` and ``ratio_ex_us``
        (gold ÷ Treasuries; > 1 means more gold). Only quarter-ends whose month is in
        ``official_ust`` (with a value) are kept.

    Raises
    ------
    ValueError
        If a column is missing, an input is empty, a date is not "YYYY-MM-DD", a quarter-end
        repeats, no quarter-end matches a month, or a matched Treasury value is <= 0.

    Notes
    -----
    ``ratio_all = gold_all_usd_bn / official_ust_usd_bn`` and
    ``ratio_ex_us = gold_ex_us_usd_bn / official_ust_usd_bn``, where the Treasury value is
    that of the quarter-end's month (end-of-month holdings).

    References
    ----------
    World Gold Council central-bank gold statistics (republishing IMF IFS), summed across
    holders; US Treasury TIC mfhhis01, "For. Official" (normalised to "Foreign Official" in data/).

    Examples
    --------
    >>> import pandas as pd
    >>> gold = pd.DataFrame({"quarter_end": ["2025-09-30", "2025-12-31"],
    ...                      "gold_all_usd_bn": [3935.4, 4469.3],
    ...                      "gold_ex_us_usd_bn": [2935.1, 3327.1], "reporters": [100, 93]})
    >>> ust = pd.Series({"2025-09": 3872.6, "2025-11": 3912.3, "2025-12": 3877.6})
    >>> table = gold_vs_treasuries(gold, ust)
    >>> table[["ratio_all", "ratio_ex_us"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
                 ratio_all  ratio_ex_us
    quarter_end
    2025-09-30        1.02         0.76
    2025-12-31        1.15         0.86
    """
    check_columns(
        gold, ("quarter_end", "gold_all_usd_bn", "gold_ex_us_usd_bn", "reporters"), "gold frame"
    )
    if gold.empty:
        raise ValueError("gold frame is empty")
    ust = official_ust.dropna()
    if ust.empty:
        raise ValueError("official_ust has no values")
    if ust.index.has_duplicates:
        raise ValueError("official_ust has duplicate months")
    quarter_end = gold["quarter_end"].astype(str)
    if quarter_end.duplicated().any():
        repeated = sorted(set(quarter_end[quarter_end.duplicated()]))
        raise ValueError(f"gold frame repeats quarter_end {repeated}")
    try:
        dates = pd.to_datetime(quarter_end, format="%Y-%m-%d")
    except (ValueError, TypeError) as error:
        raise ValueError(f"quarter_end must be dates as 'YYYY-MM-DD': {error}") from None
    table = pd.DataFrame(
        {
            "month": dates.dt.strftime("%Y-%m").to_numpy(),
            "gold_all_usd_bn": gold["gold_all_usd_bn"].astype(float).to_numpy(),
            "gold_ex_us_usd_bn": gold["gold_ex_us_usd_bn"].astype(float).to_numpy(),
            "reporters": gold["reporters"].to_numpy(),
        },
        index=pd.Index(quarter_end.to_numpy(), name="quarter_end"),
    )
    ust_by_month = pd.Series(ust.astype(float).to_numpy(), index=ust.index.astype(str))
    table = table[table["month"].isin(ust_by_month.index)].copy()
    if table.empty:
        raise ValueError(
            "no gold quarter-end falls in a month of official_ust (months are 'YYYY-MM')"
        )
    table["official_ust_usd_bn"] = ust_by_month.loc[table["month"]].to_numpy()
    if not (table["official_ust_usd_bn"] > 0).all():
        raise ValueError("official Treasury holdings must be greater than zero")
    table["ratio_all"] = table["gold_all_usd_bn"] / table["official_ust_usd_bn"]
    table["ratio_ex_us"] = table["gold_ex_us_usd_bn"] / table["official_ust_usd_bn"]
    return table.sort_index()


class GoldCrossover(FrozenModel):
    """When gold first reached foreign official Treasuries on one base (amounts in $bn).

    ``first_quarter_end`` is the first quarter-end in the sample with gold >= Treasuries, or
    None. If the sample *starts* at or above parity (``starts_above``), that is not a crossing
    but the start of the data. ``above_at_latest`` and ``latest_ratio`` say where things stand
    now, since gold may have crossed and fallen back.
    """

    base: GoldBase
    description: str
    first_quarter_end: str | None
    gold_usd_bn: float | None
    official_ust_usd_bn: float | None
    starts_above: bool
    latest_quarter_end: str
    latest_ratio: float
    above_at_latest: bool


class Crossover(FrozenModel):
    """The crossover on both bases: all official gold, and official gold excluding the US."""

    all_official_gold: GoldCrossover
    ex_us_official_gold: GoldCrossover


def _one_base(table: pd.DataFrame, base: GoldBase) -> GoldCrossover:
    gold_column, ratio_column, description = _BASES[base]
    at_or_above = table[table[ratio_column] >= 1]
    first = None if at_or_above.empty else at_or_above.index[0]
    latest = table.index[-1]
    return GoldCrossover(
        base=base,
        description=description,
        first_quarter_end=first,
        gold_usd_bn=None if first is None else float(table.at[first, gold_column]),
        official_ust_usd_bn=(
            None if first is None else float(table.at[first, "official_ust_usd_bn"])
        ),
        starts_above=bool(table[ratio_column].iloc[0] >= 1),
        latest_quarter_end=latest,
        latest_ratio=float(table.at[latest, ratio_column]),
        above_at_latest=bool(table.at[latest, ratio_column] >= 1),
    )


def crossover(gold: pd.DataFrame, official_ust: pd.Series) -> Crossover:
    """First quarter-end at which official gold was worth at least foreign official Treasuries.

    Parameters
    ----------
    gold : pandas.DataFrame
        As for `gold_vs_treasuries` (``quarter_end``, ``gold_all_usd_bn``,
        ``gold_ex_us_usd_bn`` in $ billions, ``reporters``). Not modified.
    official_ust : pandas.Series
        TIC foreign official Treasury holdings, $ billions, indexed by month "YYYY-MM".
        Not modified.

    Returns
    -------
    Crossover
        One `GoldCrossover` per base (``all_official_gold``, ``ex_us_official_gold``), each
        naming its base, with the first quarter-end at or above parity or None.

    Raises
    ------
    ValueError
        As for `gold_vs_treasuries`.

    Notes
    -----
    ``first_quarter_end = min{q : gold_q / official_ust_q >= 1}`` over matched quarter-ends.

    References
    ----------
    World Gold Council / IMF IFS official gold; US Treasury TIC mfhhis01. Claim: "foreign
    central banks now hold more ... in gold than in U.S. Treasury securities, crossing that
    threshold on 27 Aug." (Crescat Capital via Bloomberg, 2025; secondary).

    Examples
    --------
    >>> import pandas as pd
    >>> gold = pd.DataFrame({"quarter_end": ["2025-06-30", "2025-09-30", "2025-12-31"],
    ...                      "gold_all_usd_bn": [3375.7, 3935.4, 4469.3],
    ...                      "gold_ex_us_usd_bn": [2516.1, 2935.1, 3327.1],
    ...                      "reporters": [103, 100, 93]})
    >>> ust = pd.Series({"2025-06": 3892.5, "2025-09": 3872.6, "2025-12": 3877.6})
    >>> c = crossover(gold, ust)
    >>> c.all_official_gold.first_quarter_end, c.ex_us_official_gold.first_quarter_end
    ('2025-09-30', None)
    """
    table = gold_vs_treasuries(gold, official_ust)
    return Crossover(
        all_official_gold=_one_base(table, "all_official_gold"),
        ex_us_official_gold=_one_base(table, "ex_us_official_gold"),
    )
