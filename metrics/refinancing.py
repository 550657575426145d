"""The "refinancing wall" and what a rise in yields adds to federal interest costs.

Two questions, kept apart on purpose:

* How much debt matures in a year, against GDP (`refinancing_wall`)? The answer depends on
  what is counted: Treasury bills mature within a year by definition and roll continuously, so
  totals "with bills" are dominated by them. The result always says what was counted.
* What does a yield rise cost the budget (`extra_interest_usd_bn`, `phased_interest_cost`)?
  Only debt that is refinanced pays the new rate, so a long-rate rise reaches the interest bill
  gradually, at a pace set by the weighted average maturity (WAM).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import Field

from metrics._base import FrozenModel, check_finite, check_non_negative, check_positive

__all__ = [
    "RefinancingWall",
    "YearCost",
    "extra_interest_usd_bn",
    "phased_interest_cost",
    "refinancing_wall",
]


class RefinancingWall(FrozenModel):
    """Debt maturing within a year, against GDP ($bn; share in percent).

    ``bills_usd_bn`` / ``coupons_usd_bn`` are None when the split is unknown (a bare total was
    given). ``what_counted`` says in words what ``maturing_usd_bn`` includes.
    """

    maturing_usd_bn: float = Field(ge=0)
    gdp_usd_bn: float = Field(gt=0)
    share_of_gdp_pct: float = Field(ge=0)
    bills_usd_bn: float | None = Field(default=None, ge=0)
    coupons_usd_bn: float | None = Field(default=None, ge=0)
    what_counted: str


def refinancing_wall(
    gdp_usd_bn: float,
    *,
    bills_usd_bn: float | None = None,
    coupons_usd_bn: float | None = None,
    maturing_usd_bn: float | None = None,
    include_bills: bool = True,
    tolerance_usd_bn: float = 1.0,
) -> RefinancingWall:
    """Debt maturing within a year and its size relative to GDP.

    Give either the split (``bills_usd_bn`` and/or ``coupons_usd_bn``, e.g. from the Monthly
    Statement of the Public Debt) or a bare total (``maturing_usd_bn``, e.g. a quoted "$8T"),
    or both, in which case they must agree.

    Parameters
    ----------
    gdp_usd_bn : float
        Nominal GDP, $ billions, > 0.
    bills_usd_bn : float, optional
        Treasury bills outstanding, $ billions — each bill counted once, although it will be
        rolled over (perhaps several times) within the year.
    coupons_usd_bn : float, optional
        Notes and bonds (incl. TIPS, FRNs) maturing within 12 months, $ billions.
    maturing_usd_bn : float, optional
        Total maturing, $ billions, when only a total is known.
    include_bills : bool, default True
        Whether bills count towards the total. With False, ``coupons_usd_bn`` is required.
    tolerance_usd_bn : float, default 1
        Allowed difference between ``maturing_usd_bn`` and the sum of the parts, $ billions.

    Returns
    -------
    RefinancingWall
        ``maturing_usd_bn``, ``share_of_gdp_pct`` (percent) and ``what_counted``.

    Raises
    ------
    ValueError
        If GDP is not > 0, an amount is negative, nothing is given, bills are excluded but no
        coupon figure is given, or the total disagrees with the parts.

    Notes
    -----
    ``maturing = bills + coupons`` (or ``coupons`` alone with ``include_bills=False``);
    ``share_of_gdp_pct = 100 * maturing / gdp``.

    References
    ----------
    Fed Z.1 L.210 (2025 Q3): bills $6,396.6bn of $29,571.6bn marketable. Apollo (T. Sløk):
    "$10 trillion ... over the next year, which is 33% of all debt outstanding"; "22% of debt
    outstanding is in bills". The "$8T in 2026" claim has no primary source (fact sheet §4).

    Examples
    --------
    The claimed "$8T, ~25% of GDP", against 2025 GDP:

    >>> w = refinancing_wall(30_767.1, maturing_usd_bn=8_000)
    >>> round(w.share_of_gdp_pct, 1), w.bills_usd_bn
    (26.0, None)

    Notes and bonds only (≈ 11% of $30.1T, derived from Apollo's shares):

    >>> w = refinancing_wall(30_767.1, coupons_usd_bn=3_300, include_bills=False)
    >>> round(w.share_of_gdp_pct, 1)
    10.7
    """
    gdp = check_positive("gdp_usd_bn (GDP)", gdp_usd_bn)
    bills = None if bills_usd_bn is None else check_non_negative("bills_usd_bn", bills_usd_bn)
    coupons = (
        None if coupons_usd_bn is None else check_non_negative("coupons_usd_bn", coupons_usd_bn)
    )
    given = None if maturing_usd_bn is None else check_non_negative(
        "maturing_usd_bn", maturing_usd_bn
    )
    if bills is None and coupons is None and given is None:
        raise ValueError("give bills_usd_bn and/or coupons_usd_bn, or maturing_usd_bn")
    if not include_bills and coupons is None:
        raise ValueError("include_bills=False needs coupons_usd_bn (notes and bonds maturing)")

    # What the parts add up to, and how to describe it.
    if not include_bills:
        parts: float | None = coupons
        what = "notes and bonds maturing within 12 months; Treasury bills excluded"
    elif bills is not None and coupons is not None:
        parts = bills + coupons
        what = (
            "Treasury bills outstanding (each counted once, though they roll over within the "
            "year) plus notes and bonds maturing within 12 months"
        )
    else:
        parts = None  # at most one part: it does not make a total on its own

    if parts is not None:
        if given is not None and abs(given - parts) > tolerance_usd_bn:
            raise ValueError(
                f"maturing_usd_bn = {given} disagrees with the parts counted ({parts:.1f}): "
                f"{what}"
            )
        maturing = parts
    elif given is not None:
        maturing = given
        part = bills if bills is not None else coupons
        if part is not None and part > given + tolerance_usd_bn:
            raise ValueError(f"a part ({part}) exceeds the total maturing_usd_bn ({given})")
        what = {
            (False, False): "a total as quoted; whether it includes Treasury bills is not known",
            (True, False): "a total as given, of which Treasury bills as stated",
            (False, True): "a total as given, of which notes and bonds as stated",
        }[(bills is not None, coupons is not None)]
    elif bills is not None:
        maturing = bills
        what = "Treasury bills outstanding only; notes and bonds maturing not given"
    elif coupons is not None:
        maturing = coupons
        what = "notes and bonds maturing within 12 months only; bills not given"
    else:  # pragma: no cover - excluded by the first check
        raise ValueError("nothing to count")
    return RefinancingWall(
        maturing_usd_bn=maturing,
        gdp_usd_bn=gdp,
        share_of_gdp_pct=100.0 * maturing / gdp,
        bills_usd_bn=bills,
        coupons_usd_bn=coupons,
        what_counted=what,
    )


def extra_interest_usd_bn(repricing_usd_bn: float, yield_rise_bp: float) -> float:
    """Extra annual interest on debt that reprices at a higher yield.

    Parameters
    ----------
    repricing_usd_bn : float
        Debt refinanced (or issued) at the new yield, $ billions, >= 0.
    yield_rise_bp : float
        Change in its yield, basis points (negative for a fall).

    Returns
    -------
    float
        Extra interest per year, $ billions.

    Raises
    ------
    ValueError
        If the amount is negative or either input is not finite.

    Notes
    -----
    ``extra = repricing_usd_bn * yield_rise_bp / 10_000`` (1 bp = 0.01% = 1/10,000).

    References
    ----------
    Simple interest identity; the fact sheet's worked example: +20bp × $3.3T ≈ $7bn in year 1.

    Examples
    --------
    >>> extra_interest_usd_bn(1_000, 100)
    10.0
    >>> round(extra_interest_usd_bn(3_300, 20), 1)
    6.6
    """
    amount = check_non_negative("repricing_usd_bn", repricing_usd_bn)
    rise = check_finite("yield_rise_bp", yield_rise_bp)
    return amount * rise / 10_000.0


class YearCost(FrozenModel):
    """Extra interest in year ``year`` (1 = first year after the shock); amounts in $bn.

    ``repriced_share`` is the fraction of the debt paying the higher yield that year (0–1).
    ``cumulative_usd_bn`` is the total from year 1 to this year, so the last element of a path
    carries the total over the horizon.
    """

    year: int = Field(ge=1)
    debt_usd_bn: float = Field(ge=0)
    repriced_share: float = Field(ge=0, le=1)
    extra_interest_usd_bn: float
    cumulative_usd_bn: float


def phased_interest_cost(
    debt_usd_bn: float | Sequence[float],
    yield_rise_bp: float,
    wam_years: float,
    years: int,
) -> list[YearCost]:
    """Extra federal interest, year by year, as a persistent yield rise feeds through the debt.

    Parameters
    ----------
    debt_usd_bn : float or sequence of float
        Debt held by the public, $ billions: one number (held constant) or a path with one
        value per year, year 1 first (``len == years``).
    yield_rise_bp : float
        Persistent rise in the yield at which debt is refinanced, basis points.
    wam_years : float
        Weighted average maturity of the debt, years, > 0 (≈ 6: Treasury, 72 months in 2025).
    years : int
        Horizon, >= 1.

    Returns
    -------
    list of YearCost
        One per year, with ``extra_interest_usd_bn`` ($ billions per year) and the running
        total ``cumulative_usd_bn``; ``result[-1].cumulative_usd_bn`` is the horizon total.

    Raises
    ------
    ValueError
        If ``wam_years <= 0``, ``years < 1``, the path length is not ``years``, or a debt value
        is negative or not finite.

    Notes
    -----
    Following the yield model (§5 step 4), year k's extra interest is

    ``extra_k = yield_rise_bp / 10_000 * min(1, k / wam_years) * debt_k``

    i.e. a straight-line roll-off: after k years a share k/WAM of the debt has been refinanced.
    It treats the whole stock alike. Bills, which reprice within months, would make the
    early years dearer if short rates moved too; a rise confined to long yields reaches bills
    only through the WAM phasing.

    References
    ----------
    Reset Bot yield model notes, §5 step 4. CBO, *How Changes in Economic Conditions Might
    Affect the Federal Budget: 2025 to 2035* (Mar 2025): all rates +0.1pp → +$54bn in 2035,
    +$351bn over 2026–2035 (includes bills repricing at once).

    Examples
    --------
    +100bp on $1,000bn with a 4-year WAM: a quarter more of the debt reprices each year.

    >>> [c.extra_interest_usd_bn for c in phased_interest_cost(1_000, 100, 4, 5)]
    [2.5, 5.0, 7.5, 10.0, 10.0]
    >>> phased_interest_cost(1_000, 100, 4, 5)[-1].cumulative_usd_bn
    35.0
    """
    wam = check_positive("wam_years", wam_years)
    rise = check_finite("yield_rise_bp", yield_rise_bp)
    if isinstance(years, bool) or int(years) != years or years < 1:
        raise ValueError(f"years must be a whole number >= 1, got {years!r}")
    horizon = int(years)
    if isinstance(debt_usd_bn, (int, float)):
        path = [check_non_negative("debt_usd_bn", debt_usd_bn)] * horizon
    else:
        path = [check_non_negative(f"debt_usd_bn[{i}]", v) for i, v in enumerate(debt_usd_bn)]
        if len(path) != horizon:
            raise ValueError(
                f"debt_usd_bn path has {len(path)} values; it needs one per year ({horizon})"
            )
    costs: list[YearCost] = []
    running = 0.0
    for k, debt in enumerate(path, start=1):
        share = min(1.0, k / wam)
        extra = extra_interest_usd_bn(share * debt, rise)
        running += extra
        costs.append(
            YearCost(
                year=k,
                debt_usd_bn=debt,
                repriced_share=share,
                extra_interest_usd_bn=extra,
                cumulative_usd_bn=running,
            )
        )
    if not math.isfinite(running):
        raise ValueError("interest cost overflowed; check the inputs")
    return costs
