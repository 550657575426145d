"""The US external balance sheet: net international investment position (IIP) against GDP.

Computed versus published net
-----------------------------
BEA publishes assets, liabilities and the net position, each rounded (to $0.01T in the news
release). Assets minus liabilities therefore need not equal the published net: for 2025 Q3,
41.27 − 68.89 = −27.62 while BEA prints −27.61. `NetPosition` keeps both:

* ``net_usd_bn`` is always *computed* (assets − liabilities), so the three stored amounts are
  internally consistent;
* ``published_net_usd_bn`` is BEA's figure when the caller passes it;
* ``headline_net_usd_bn`` is the one to show and to divide by GDP — the published figure when
  there is one (so the bot quotes BEA's own number), otherwise the computed one.

A published net that differs from the computed one by more than ``max_discrepancy_usd_bn``
(default $50bn — far above rounding error) is rejected: it almost certainly comes from a
different vintage than the assets and liabilities.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd
from pydantic import Field, computed_field, model_validator

from metrics._base import FrozenModel, check_finite, check_positive

__all__ = [
    "DEFAULT_MAX_DISCREPANCY_USD_BN",
    "NetPosition",
    "net_pct_gdp_history",
    "net_position",
    "pct_of_gdp",
]

#: Largest accepted gap between a published net position and assets − liabilities ($bn).
DEFAULT_MAX_DISCREPANCY_USD_BN = 50.0


def pct_of_gdp(value_usd_bn: float, gdp_usd_bn: float) -> float:
    """Express an amount as a percentage of GDP.

    Parameters
    ----------
    value_usd_bn : float
        Amount in $ billions (may be negative, e.g. a net liability position).
    gdp_usd_bn : float
        Nominal GDP in $ billions; must be > 0.

    Returns
    -------
    float
        The amount in percent of GDP (−89.7 means −89.7%).

    Raises
    ------
    ValueError
        If GDP is zero, negative or not finite, or the value is not finite.

    Notes
    -----
    ``pct = 100 * value_usd_bn / gdp_usd_bn``.

    References
    ----------
    BEA, *U.S. International Investment Position, 3rd Quarter 2025*; GDP from FRED GDPA.

    Examples
    --------
    Net IIP at end-2025 Q3 against 2025 GDP:

    >>> round(pct_of_gdp(-27_610, 30_767.1), 1)
    -89.7
    """
    value = check_finite("value_usd_bn", value_usd_bn)
    gdp = check_positive("gdp_usd_bn (GDP)", gdp_usd_bn)
    return 100.0 * value / gdp


class NetPosition(FrozenModel):
    """One period's IIP: assets, liabilities, net and ratios to GDP (amounts in $bn).

    Build it with `net_position`. Derived fields (``net_usd_bn``, ``headline_net_usd_bn``,
    ``net_pct_gdp``, …) are computed from the stored ones, so they cannot disagree.
    """

    period: str
    assets_usd_bn: float = Field(ge=0)
    liabilities_usd_bn: float = Field(ge=0)
    gdp_usd_bn: float = Field(gt=0)
    published_net_usd_bn: float | None = None
    max_discrepancy_usd_bn: float = Field(default=DEFAULT_MAX_DISCREPANCY_USD_BN, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def net_usd_bn(self) -> float:
        """Assets − liabilities ($bn), computed."""
        return self.assets_usd_bn - self.liabilities_usd_bn

    @computed_field  # type: ignore[prop-decorator]
    @property
    def discrepancy_usd_bn(self) -> float | None:
        """Published − computed net ($bn): rounding in the publication; None if unpublished."""
        if self.published_net_usd_bn is None:
            return None
        return self.published_net_usd_bn - self.net_usd_bn

    @computed_field  # type: ignore[prop-decorator]
    @property
    def net_source(self) -> Literal["published", "computed"]:
        """Which net figure ``headline_net_usd_bn`` and ``net_pct_gdp`` use."""
        return "computed" if self.published_net_usd_bn is None else "published"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headline_net_usd_bn(self) -> float:
        """The net position to show: published if given, else computed ($bn)."""
        if self.published_net_usd_bn is None:
            return self.net_usd_bn
        return self.published_net_usd_bn

    @computed_field  # type: ignore[prop-decorator]
    @property
    def net_pct_gdp(self) -> float:
        """Headline net position in percent of GDP."""
        return 100.0 * self.headline_net_usd_bn / self.gdp_usd_bn

    @computed_field  # type: ignore[prop-decorator]
    @property
    def liabilities_to_gdp(self) -> float:
        """Liabilities ÷ GDP, a ratio (2.24 means 2.24× GDP), not a percentage."""
        return self.liabilities_usd_bn / self.gdp_usd_bn

    @model_validator(mode="after")
    def _published_matches_computed(self) -> NetPosition:
        gap = self.discrepancy_usd_bn
        if gap is not None and abs(gap) > self.max_discrepancy_usd_bn:
            raise ValueError(
                f"published net {self.published_net_usd_bn} differs from assets − liabilities "
                f"= {self.net_usd_bn:.1f} by {gap:.1f} $bn (more than "
                f"{self.max_discrepancy_usd_bn} $bn): are they from the same vintage?"
            )
        return self


def net_position(
    period: str,
    assets_usd_bn: float,
    liabilities_usd_bn: float,
    gdp_usd_bn: float,
    *,
    published_net_usd_bn: float | None = None,
    max_discrepancy_usd_bn: float = DEFAULT_MAX_DISCREPANCY_USD_BN,
) -> NetPosition:
    """Net international investment position and its size relative to GDP.

    Parameters
    ----------
    period : str
        Period label, e.g. ``"2025Q3"``.
    assets_usd_bn, liabilities_usd_bn : float
        US external assets and liabilities at the end of the period, $ billions, >= 0.
    gdp_usd_bn : float
        Nominal GDP to compare with, $ billions, > 0 (BEA/FRED GDPA for the calendar year).
    published_net_usd_bn : float, optional
        BEA's published net position, $ billions. When given it becomes the headline figure
        (see the module docstring); it must lie within ``max_discrepancy_usd_bn`` of
        assets − liabilities.
    max_discrepancy_usd_bn : float, default 50
        Tolerance for the published-vs-computed check, $ billions.

    Returns
    -------
    NetPosition
        With ``net_usd_bn`` (computed), ``headline_net_usd_bn``, ``net_pct_gdp`` (percent) and
        ``liabilities_to_gdp`` (a ratio).

    Raises
    ------
    ValueError
        If GDP is not > 0, an amount is negative or not finite, or the published net is
        further than the tolerance from assets − liabilities.

    Notes
    -----
    ``net = assets - liabilities``;
    ``net_pct_gdp = 100 * headline_net / gdp``;
    ``liabilities_to_gdp = liabilities / gdp``.

    References
    ----------
    BEA, *U.S. International Investment Position, 3rd Quarter 2025* (news release): assets
    $41.27T, liabilities $68.89T, net −$27.61T. GDP 2025: FRED GDPA, $30,767.1bn.

    Examples
    --------
    >>> p = net_position("2025Q3", 41_270, 68_890, 30_767.1, published_net_usd_bn=-27_610)
    >>> p.net_usd_bn, p.headline_net_usd_bn, round(p.net_pct_gdp, 1)
    (-27620.0, -27610.0, -89.7)
    >>> round(p.liabilities_to_gdp, 2)
    2.24
    """
    return NetPosition(
        period=period,
        assets_usd_bn=assets_usd_bn,
        liabilities_usd_bn=liabilities_usd_bn,
        gdp_usd_bn=gdp_usd_bn,
        published_net_usd_bn=published_net_usd_bn,
        max_discrepancy_usd_bn=max_discrepancy_usd_bn,
    )


def net_pct_gdp_history(net_usd_bn: pd.Series, gdp_usd_bn: pd.Series) -> pd.Series:
    """Net IIP as a percentage of GDP, year by year.

    Parameters
    ----------
    net_usd_bn : pandas.Series
        Net IIP in $ billions, indexed by year (e.g. FRED IIPUSNETIA / 1000). Not modified.
    gdp_usd_bn : pandas.Series
        Nominal GDP in $ billions, indexed by year with the same label type (FRED GDPA).
        Not modified.

    Returns
    -------
    pandas.Series
        Percent of GDP, named ``"net_pct_gdp"``, indexed by year (sorted ascending). Only years
        present and non-missing in **both** inputs are kept; other years are dropped silently
        (e.g. a year whose GDP is not yet published).

    Raises
    ------
    ValueError
        If either input is empty or has duplicate years, no year is in both, or a kept year
        has GDP <= 0.

    Notes
    -----
    ``net_pct_gdp[t] = 100 * net_usd_bn[t] / gdp_usd_bn[t]`` for each year t in both series.

    References
    ----------
    FRED IIPUSNETIA (BEA net IIP, annual) and FRED GDPA (BEA nominal GDP, annual).

    Examples
    --------
    >>> import pandas as pd
    >>> net = pd.Series({2023: -20_416.5, 2024: -26_539.5})
    >>> gdp = pd.Series({2022: 25_744.1, 2024: 29_298.0})
    >>> net_pct_gdp_history(net, gdp).round(1).to_dict()
    {2024: -90.6}
    """
    for name, series in (("net_usd_bn", net_usd_bn), ("gdp_usd_bn", gdp_usd_bn)):
        if series.empty:
            raise ValueError(f"{name} is empty")
        if series.index.has_duplicates:
            duplicated = sorted(set(series.index[series.index.duplicated()]), key=str)
            raise ValueError(f"{name} has duplicate years: {duplicated}")
    both = pd.concat(
        [net_usd_bn.rename("net"), gdp_usd_bn.rename("gdp")], axis=1, join="inner"
    ).dropna()
    if both.empty:
        raise ValueError(
            "net_usd_bn and gdp_usd_bn have no year in common (check that both are indexed "
            "by the same kind of year label, e.g. int)"
        )
    bad = both.index[~(both["gdp"] > 0)]
    if len(bad):
        raise ValueError(f"GDP must be greater than zero; it is not in year(s) {list(bad)}")
    result = (100.0 * both["net"] / both["gdp"]).sort_index()
    result.name = "net_pct_gdp"
    if not all(math.isfinite(v) for v in result):
        raise ValueError("net_usd_bn or gdp_usd_bn contains infinite values")
    return result
