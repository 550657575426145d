"""What foreign sales (or a buyers' strike) of US Treasuries might do to yields: the scenario model, v2.

Every coefficient comes from a `YieldCalibration` built by the caller from
``data/yield_calibration.csv``, whose rows state the sample each estimate was measured on and
how it was converted to today's market; this module holds no numbers of its own. The model is
held to the record (``data/yield_episodes.csv``) by the tests and by `episode_prediction`.

1. **Size.** Each leg (holder) contributes an amount S_i ($bn); S = Σ S_i. Legs are separate
   TIC rows, so nothing is counted twice as long as the caller does not list a country and a
   group that contains it.

   * ``sell``: S_i = holdings × percent / 100, over ``months`` (default 1).
   * ``pause`` (a buyers' strike over ``months``, default 12): S_i = percent / 100 × (forgone
     net purchases × months / 12 + bills not rolled over + long-term debt maturing and not
     rolled over), with bills running off evenly over ``bills_run_off_months`` and
     ``lt_maturing_12m_share`` of long-term holdings maturing within 12 months (SHL 2025 A12).

2. **Scale.** Coefficients are stated per $100bn in the market of ``calibration_market_usd_bn``;
   in a market of D they are rescaled by D_cal / D (yield-model notes §5 step 1), so a sale
   matters by its share of the market — this is what the back-test uses for older episodes.

3. **Lasting effect**: LR = e_LR × (1 − r) × S / 100 bp, r = share of the proceeds kept in
   other dollar duration assets; with the Fed as backstop, times ``fed_lasting_share``.

4. **Path** (months t = 0 … 120). LR builds up while the sale lasts, holds for
   ``lasting_hold_months`` after it and then fades with ``lasting_fade_half_life_months``. Each
   month of selling adds an overshoot I = max(0, e_SR × min(pace, cap) / 100 − LR / months) that
   fades with ``sr_half_life_months``; cap = ``sr_max_monthly_sale_pct`` of the market (the
   largest monthly sale on record). With the backstop the overshoot is at most
   ``fed_backstop_sr_cap_bp`` and fades with ``fed_backstop_half_life_months``.

5. **Evidence.** A scenario larger than ``evidence_max_sale_pct`` of marketable debt, or sold
   faster than the cap, is outside every episode on record: ``beyond_evidence`` is set and the
   caller must call the figures an extrapolation.

6. **Pass-through**: mortgage and IG corporate yields move by β × LR, β a low/central/high range.

7. **Federal interest** on the debt path the caller gives (CBO's baseline): in month t the notes
   and bonds repriced so far, (1 − bills share) × min(1, t / 12 / WAM) of the debt, pay the
   path's Δ(t). Bills are left out: the sale moves long rates; short rates are the Fed's.

8. **The article's rule** ("20% of ~$2T → +1%", 25 bp per $100bn) is computed beside the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from metrics._base import FrozenModel, check_columns, check_finite, check_non_negative

__all__ = [
    "DEFAULT_MONTHS",
    "INTEREST_REPORT_YEARS",
    "PATH_MONTHS",
    "EpisodePrediction",
    "InterestYear",
    "Leg",
    "LegAmount",
    "PathPoint",
    "Range",
    "ShockInput",
    "ShockMode",
    "ShockResult",
    "YieldCalibration",
    "calibration_from_table",
    "decay_toward_long_run",
    "episode_prediction",
    "interest_cost_of_rate_rise",
    "leg_amount",
    "shock_impact",
]

ShockMode = Literal["sell", "pause"]

#: Execution window when ``months`` is not given: a sale happens at once, a strike lasts a year.
DEFAULT_MONTHS: Mapping[str, int] = {"sell": 1, "pause": 12}

#: Years after the shock for which the extra federal interest is reported.
INTEREST_REPORT_YEARS: tuple[int, ...] = (1, 2, 3, 5, 10)

#: Months of the path the result carries (the chart shows the first 36).
PATH_MONTHS = 120

_BOUNDS = ("low", "central", "high")


class Range(FrozenModel):
    """A low / central / high estimate, ordered ``low <= central <= high`` (same unit for all)."""

    low: float
    central: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low <= self.central <= self.high:
            raise ValueError(
                f"a Range needs low <= central <= high, got {self.low}, {self.central}, "
                f"{self.high}"
            )
        return self

    def scaled(self, factor: float) -> Range:
        """Each bound times ``factor`` (>= 0, so the order is kept).

        >>> Range(low=2, central=5, high=20).scaled(3)
        Range(low=6.0, central=15.0, high=60.0)
        """
        k = check_non_negative("factor", factor)
        return Range(low=self.low * k, central=self.central * k, high=self.high * k)

    def shifted(self, offset: float) -> Range:
        """Each bound plus ``offset`` (e.g. a base rate in percent plus a change in percent).

        >>> Range(low=0.1, central=0.2, high=0.8).shifted(4.0).high
        4.8
        """
        d = check_finite("offset", offset)
        return Range(low=self.low + d, central=self.central + d, high=self.high + d)

    def times(self, other: Range) -> Range:
        """Bound by bound product of two non-negative ranges (low × low, …).

        >>> Range(low=1, central=2, high=4).times(Range(low=0.5, central=1, high=1.5))
        Range(low=0.5, central=2.0, high=6.0)
        """
        return Range(low=self.low * other.low, central=self.central * other.central, high=self.high * other.high)


class YieldCalibration(FrozenModel):
    """Coefficients of the scenario model; build it from the data with `calibration_from_table`.

    Units are in the names: bp per $100bn (in a market of ``calibration_market_usd_bn``), percent
    of marketable debt, months, years, ratios. See the dataset for each row's sample and conversion.
    """

    calibration_market_usd_bn: float = Field(gt=0)
    e_lr_bp_per_100bn: Range
    e_sr_bp_per_100bn: Range
    sr_max_monthly_sale_pct: float = Field(gt=0)
    evidence_max_sale_pct: float = Field(gt=0)
    sr_half_life_months: Range
    lasting_hold_months: float = Field(ge=0)
    lasting_fade_half_life_months: float = Field(gt=0)
    fed_backstop_sr_cap_bp: float = Field(ge=0)
    fed_backstop_half_life_months: float = Field(gt=0)
    fed_lasting_share: Range
    mortgage_pass_through: Range
    ig_pass_through: Range
    wam_years: float = Field(gt=0)
    bills_share: float = Field(ge=0, le=1)
    lt_maturing_12m_share: float = Field(ge=0, le=1)
    bills_run_off_months: float = Field(gt=0)
    article_bp_per_100bn: float = Field(ge=0)

    @model_validator(mode="after")
    def _non_negative(self) -> YieldCalibration:
        for name in ("e_lr_bp_per_100bn", "e_sr_bp_per_100bn", "fed_lasting_share", "mortgage_pass_through",
                     "ig_pass_through"):
            if getattr(self, name).low < 0:
                raise ValueError(f"{name} must not be negative")
        if self.sr_half_life_months.low <= 0:
            raise ValueError("sr_half_life_months must be greater than zero")
        return self


_RANGE_PARAMETERS = ("e_lr_bp_per_100bn", "e_sr_bp_per_100bn", "sr_half_life_months", "fed_lasting_share",
                     "mortgage_pass_through", "ig_pass_through")
_SCALAR_PARAMETERS = tuple(name for name in YieldCalibration.model_fields if name not in _RANGE_PARAMETERS)


def calibration_from_table(table: pd.DataFrame) -> YieldCalibration:
    """Build a `YieldCalibration` from the ``yield_calibration`` dataset.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``parameter``, ``low``, ``central``, ``high`` (others ignored), one row per
        parameter, named as the `YieldCalibration` fields. Range parameters use all three
        columns; every other parameter uses ``central``. Rows for other parameters are ignored.

    Returns
    -------
    YieldCalibration

    Raises
    ------
    ValueError
        If a column or parameter is missing, a parameter is repeated, or a value is invalid.

    Notes
    -----
    ``Range(low, central, high)`` for the range parameters, ``central`` for the others.

    References
    ----------
    The dataset's ``sample``, ``as_published``, ``conversion`` and ``source`` columns, row by row;
    yield-model notes §5.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(name, 1, 1, 1) for name in _SCALAR_PARAMETERS] + [(name, 1, 2, 3) for name in _RANGE_PARAMETERS]
    >>> calibration_from_table(pd.DataFrame(rows, columns=["parameter", "low", "central", "high"])).e_lr_bp_per_100bn
    Range(low=1.0, central=2.0, high=3.0)
    """
    check_columns(table, ("parameter", "low", "central", "high"), "yield calibration table")
    names = table["parameter"].astype(str)
    repeated = sorted(set(names[names.duplicated()]))
    if repeated:
        raise ValueError(f"yield calibration lists parameter(s) {repeated} more than once")
    rows = table.set_index(names)
    missing = [p for p in (*_RANGE_PARAMETERS, *_SCALAR_PARAMETERS) if p not in rows.index]
    if missing:
        raise ValueError(f"yield calibration is missing parameter(s) {missing}")
    values: dict[str, Any] = {}
    for name in _RANGE_PARAMETERS:
        row = rows.loc[name]
        values[name] = Range(low=row["low"], central=row["central"], high=row["high"])
    for name in _SCALAR_PARAMETERS:
        values[name] = rows.loc[name, "central"]
    return YieldCalibration(**values)


class Leg(FrozenModel):
    """One holder's part of a scenario (amounts in $bn, TIC and SHL).

    ``holdings_usd_bn``: latest TIC holdings. For a strike: ``purchases_12m_usd_bn``, its net
    additions over the last 12 months (0 for a net seller; TIC holdings changes include price
    changes), and ``bills_usd_bn`` / ``long_term_usd_bn``, its short- and long-term Treasuries.
    """

    label: str
    mode: ShockMode = "sell"
    percent: float = Field(ge=0, le=100)
    holdings_usd_bn: float = Field(ge=0)
    purchases_12m_usd_bn: float = Field(default=0.0, ge=0)
    bills_usd_bn: float = Field(default=0.0, ge=0)
    long_term_usd_bn: float = Field(default=0.0, ge=0)


class LegAmount(FrozenModel):
    """What one leg puts on the market over the window, $bn, and its parts for a strike."""

    label: str
    mode: ShockMode
    percent: float
    amount_usd_bn: float
    pct_of_holdings: float | None
    forgone_purchases_usd_bn: float = 0.0
    bills_not_rolled_usd_bn: float = 0.0
    maturing_not_rolled_usd_bn: float = 0.0


def leg_amount(leg: Leg, months: int, calibration: YieldCalibration) -> LegAmount:
    """What one holder puts on the market over ``months``, $bn.

    Parameters
    ----------
    leg : Leg
        The holder, its mode and percent, and its holdings (and, for a strike, purchases and split).
    months : int
        The scenario's window, >= 1.
    calibration : YieldCalibration
        For ``bills_run_off_months`` and ``lt_maturing_12m_share``.

    Returns
    -------
    LegAmount
        The amount and, for a strike, its three parts.

    Notes
    -----
    Sell: ``S = p × holdings``. Pause: ``S = p × (purchases_12m × m / 12 + bills × min(1, m / run_off)
    + long_term × share_12m × min(1, m / 12))``, p = percent / 100.

    References
    ----------
    SHL 2025 Table A12 (share of foreign-held long-term Treasuries due within a year) and Table A7
    (bills by holder); yield-model notes §5 step 1.

    Examples
    --------
    >>> cal = _example_calibration()
    >>> leg_amount(Leg(label="x", percent=20, holdings_usd_bn=2000), 1, cal).amount_usd_bn
    400.0
    >>> strike = leg_amount(Leg(label="x", mode="pause", percent=100, holdings_usd_bn=1000,
    ...                         purchases_12m_usd_bn=0, bills_usd_bn=100, long_term_usd_bn=900), 12, cal)
    >>> round(strike.amount_usd_bn, 1), round(strike.maturing_not_rolled_usd_bn, 1)
    (207.1, 107.1)
    """
    share = leg.percent / 100.0
    if leg.mode == "sell":
        amount = share * leg.holdings_usd_bn
        return LegAmount(label=leg.label, mode="sell", percent=leg.percent, amount_usd_bn=amount,
                         pct_of_holdings=leg.percent if leg.holdings_usd_bn else None)
    forgone = share * leg.purchases_12m_usd_bn * months / 12.0
    bills = share * leg.bills_usd_bn * min(1.0, months / calibration.bills_run_off_months)
    maturing = share * leg.long_term_usd_bn * calibration.lt_maturing_12m_share * min(1.0, months / 12.0)
    amount = forgone + bills + maturing
    return LegAmount(label=leg.label, mode="pause", percent=leg.percent, amount_usd_bn=amount,
                     pct_of_holdings=100.0 * amount / leg.holdings_usd_bn if leg.holdings_usd_bn else None,
                     forgone_purchases_usd_bn=forgone, bills_not_rolled_usd_bn=bills,
                     maturing_not_rolled_usd_bn=maturing)


class ShockInput(FrozenModel):
    """A hypothetical scenario: one or more legs over ``months``, in a market of ``market_usd_bn``.

    ``months`` defaults to 1 if any leg sells, else 12. ``reinvest_share`` (0–1) is the share of
    the proceeds kept in other dollar duration assets. ``fed_backstop`` lets the Fed (or FIMA)
    absorb the disorder as in March 2020. ``debt_path_usd_bn`` (debt held by the public for each
    year from the first) switches the interest cost on; base rates give implied new rates.
    """

    legs: tuple[Leg, ...] = Field(min_length=1)
    months: int = Field(default=1, ge=1, le=60)
    reinvest_share: float = Field(default=0.0, ge=0, le=1)
    fed_backstop: bool = False
    market_usd_bn: float = Field(gt=0)
    base_10y_pct: float | None = None
    base_mortgage_pct: float | None = None
    debt_path_usd_bn: tuple[float, ...] | None = None
    foreign_holdings_usd_bn: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _default_months(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("months") is None:
            legs = data.get("legs") or ()
            modes = {leg.mode if isinstance(leg, Leg) else leg.get("mode", "sell") for leg in legs}
            return {**data, "months": DEFAULT_MONTHS["sell" if "sell" in modes or not modes else "pause"]}
        return data


class InterestYear(FrozenModel):
    """Extra federal interest in one year after the shock, $bn per year (low/central/high)."""

    year: int = Field(ge=1)
    usd_bn: Range


class PathPoint(FrozenModel):
    """The 10-year's change ``months`` after the scenario starts, bp."""

    month: int
    bp: Range


class ShockResult(FrozenModel):
    """Everything `shock_impact` computes; bp are basis points on yields, rates in percent."""

    input: ShockInput
    legs: tuple[LegAmount, ...]
    amount_usd_bn: float
    monthly_pace_usd_bn: float
    share_of_marketable_pct: float
    share_of_foreign_pct: float | None
    long_run_10y_bp: Range
    peak_10y_bp: Range
    peak_month: int
    short_run_capped: bool
    beyond_evidence: bool
    path: tuple[PathPoint, ...]
    mortgage_30y_bp: Range
    corporate_ig_bp: Range
    new_10y_pct: Range | None
    new_mortgage_pct: Range | None
    extra_federal_interest_usd_bn: tuple[InterestYear, ...] | None
    extra_federal_interest_10y_total_usd_bn: Range | None
    article_bp: float
    article_vs_central: float | None


def _path(lasting_bp: float, sr_month_bp: float, months: int, half_life: float, cal: YieldCalibration,
          fed: bool, horizon: int) -> list[float]:
    """Δ(t) for t = 0 … horizon, one bound (module docstring, step 4)."""
    impulse = max(0.0, sr_month_bp - lasting_bp / months)
    if fed:
        half_life = cal.fed_backstop_half_life_months
    out = [0.0]
    for t in range(1, horizon + 1):
        lasting = lasting_bp * min(1.0, t / months)
        after = t - months - cal.lasting_hold_months
        if after > 0:
            lasting *= 0.5 ** (after / cal.lasting_fade_half_life_months)
        overshoot = sum(impulse * 0.5 ** ((t - j) / half_life) for j in range(1, min(t, months) + 1))
        if fed:
            overshoot = min(overshoot, cal.fed_backstop_sr_cap_bp)
        out.append(lasting + overshoot)
    return out


def shock_impact(shock: ShockInput, calibration: YieldCalibration) -> ShockResult:
    """Yield path, rates and budget effects of a scenario (module docstring, steps 1–8).

    Parameters
    ----------
    shock : ShockInput
    calibration : YieldCalibration

    Returns
    -------
    ShockResult
        The amount ($bn) and its shares; the lasting and peak 10-year changes (bp, `Range`);
        the monthly path; pass-through; implied rates; extra federal interest; the article's rule.

    Notes
    -----
    With k = D_cal / D, S the total and p = S / months:

    * ``long_run_10y_bp = e_LR × k × (1 − r) × S / 100`` (× ``fed_lasting_share`` with the backstop)
    * monthly overshoot impulse ``e_SR × k × min(p, cap × D) / 100 − LR / months`` (floored at 0)
    * ``mortgage_30y_bp = β_mortgage × long_run_10y_bp`` (bound by bound), likewise IG

    References
    ----------
    Beltran, Kretchmer, Márquez & Thomas (2013), *JIMF* 32(1); Martin (2014/15), SSRN 2534430;
    Bonis, Ihrig & Wei (2017), FEDS Notes; Vissing-Jorgensen (2021), *JME* 124; Gilchrist,
    López-Salido & Zakrajšek (2015), *AEJ: Macro*; Krishnamurthy & Vissing-Jorgensen (2012),
    *JPE* 120(2); CBO (Mar 2025), rules of thumb. Yield-model notes §5.

    Examples
    --------
    The EU sells 20% of $2,040.5bn in one month, in today's market:

    >>> cal = _example_calibration()
    >>> leg = Leg(label="EU", percent=20, holdings_usd_bn=2040.5)
    >>> r = shock_impact(ShockInput(legs=(leg,), market_usd_bn=30894.5), cal)
    >>> round(r.amount_usd_bn, 1), [round(x) for x in (r.long_run_10y_bp.low, r.long_run_10y_bp.central,
    ...                                                r.long_run_10y_bp.high)]
    (408.1, [4, 10, 29])
    >>> [round(x) for x in (r.peak_10y_bp.low, r.peak_10y_bp.central, r.peak_10y_bp.high)], r.beyond_evidence
    ([12, 24, 51], False)
    """
    cal = calibration
    legs = tuple(leg_amount(leg, shock.months, cal) for leg in shock.legs)
    amount = sum(leg.amount_usd_bn for leg in legs)
    months = shock.months
    pace = amount / months
    scale = cal.calibration_market_usd_bn / shock.market_usd_bn
    cap_usd_bn = cal.sr_max_monthly_sale_pct / 100.0 * shock.market_usd_bn
    share_pct = 100.0 * amount / shock.market_usd_bn

    lasting = cal.e_lr_bp_per_100bn.scaled(scale * (1.0 - shock.reinvest_share) * amount / 100.0)
    if shock.fed_backstop:
        lasting = lasting.times(cal.fed_lasting_share)
    sr_month = cal.e_sr_bp_per_100bn.scaled(scale * min(pace, cap_usd_bn) / 100.0)

    paths = {b: _path(getattr(lasting, b), getattr(sr_month, b), months, getattr(cal.sr_half_life_months, b),
                      cal, shock.fed_backstop, PATH_MONTHS) for b in _BOUNDS}
    path = tuple(PathPoint(month=t, bp=Range(**{b: paths[b][t] for b in _BOUNDS})) for t in range(PATH_MONTHS + 1))
    peak_month = max(range(PATH_MONTHS + 1), key=lambda t: paths["central"][t])
    peak = Range(**{b: max(paths[b]) for b in _BOUNDS})

    mortgage = lasting.times(cal.mortgage_pass_through)
    corporate = lasting.times(cal.ig_pass_through)
    new_10y = None if shock.base_10y_pct is None else lasting.scaled(0.01).shifted(shock.base_10y_pct)
    new_mortgage = None if shock.base_mortgage_pct is None else mortgage.scaled(0.01).shifted(shock.base_mortgage_pct)

    interest: tuple[InterestYear, ...] | None = None
    interest_total: Range | None = None
    if shock.debt_path_usd_bn:
        by_year = {b: _interest_by_year(paths[b], shock.debt_path_usd_bn, cal) for b in _BOUNDS}
        interest = tuple(InterestYear(year=y, usd_bn=Range(**{b: by_year[b][y - 1] for b in _BOUNDS}))
                         for y in INTEREST_REPORT_YEARS if y <= len(by_year["central"]))
        interest_total = Range(**{b: sum(by_year[b]) for b in _BOUNDS})

    article = cal.article_bp_per_100bn * amount / 100.0
    return ShockResult(
        input=shock,
        legs=legs,
        amount_usd_bn=amount,
        monthly_pace_usd_bn=pace,
        share_of_marketable_pct=share_pct,
        share_of_foreign_pct=(None if shock.foreign_holdings_usd_bn is None
                              else 100.0 * amount / shock.foreign_holdings_usd_bn),
        long_run_10y_bp=lasting,
        peak_10y_bp=peak,
        peak_month=peak_month,
        short_run_capped=pace > cap_usd_bn,
        beyond_evidence=share_pct > cal.evidence_max_sale_pct or pace > cap_usd_bn,
        path=path,
        mortgage_30y_bp=mortgage,
        corporate_ig_bp=corporate,
        new_10y_pct=new_10y,
        new_mortgage_pct=new_mortgage,
        extra_federal_interest_usd_bn=interest,
        extra_federal_interest_10y_total_usd_bn=interest_total,
        article_bp=article,
        article_vs_central=None if lasting.central == 0 else article / lasting.central,
    )


def _interest_by_year(path_bp: Sequence[float], debt_path_usd_bn: Sequence[float],
                      cal: YieldCalibration) -> list[float]:
    """Extra interest per year, $bn: month t pays Δ(t) on the coupon debt repriced by then."""
    years = min(len(debt_path_usd_bn), (len(path_bp) - 1) // 12)
    out = []
    for year in range(1, years + 1):
        debt = debt_path_usd_bn[year - 1]
        total = 0.0
        for t in range(12 * (year - 1) + 1, 12 * year + 1):
            repriced = (1.0 - cal.bills_share) * min(1.0, t / 12.0 / cal.wam_years)
            total += path_bp[t] / 10_000.0 * repriced * debt / 12.0
        out.append(total)
    return out


def interest_cost_of_rate_rise(rise_bp: float, debt_path_usd_bn: Sequence[float], bills_share: float,
                               wam_years: float) -> list[float]:
    """Extra interest per year ($bn) if *all* rates rise by ``rise_bp`` for good — CBO's
    rule-of-thumb experiment, for cross-checking the scenario model's interest cost.

    Parameters
    ----------
    rise_bp : float
        The permanent rise of every rate, basis points.
    debt_path_usd_bn : sequence of float
        Debt held by the public in years 1, 2, …, $bn.
    bills_share : float
        Share of the debt in bills (0–1): it reprices at once.
    wam_years : float
        Weighted average maturity of the rest, years: 1/WAM of it reprices each year.

    Returns
    -------
    list of float
        Extra interest in each year, $bn.

    Notes
    -----
    ``extra_k = rise / 10_000 × D_k × (bills + (1 − bills) × min(1, k / WAM))``

    References
    ----------
    CBO, *How Changes in Economic Conditions Might Affect the Federal Budget: 2025 to 2035* (2025).

    Examples
    --------
    >>> [round(x, 1) for x in interest_cost_of_rate_rise(10, [1000, 1000], 0.2, 4)]
    [0.4, 0.6]
    """
    check_finite("rise_bp", rise_bp)
    return [rise_bp / 10_000.0 * debt * (bills_share + (1.0 - bills_share) * min(1.0, k / wam_years))
            for k, debt in enumerate(debt_path_usd_bn, start=1)]


class EpisodePrediction(FrozenModel):
    """The model's 10-year change for a sale on record: its peak within the window and at the end, bp."""

    peak_bp: Range
    end_bp: Range
    beyond_evidence: bool


def episode_prediction(sale_usd_bn: float, months: int, market_usd_bn: float, calibration: YieldCalibration,
                       *, fed_backstop: bool = False) -> EpisodePrediction:
    """What the model says a sale on record did to the 10-year: for the back-test.

    Parameters
    ----------
    sale_usd_bn : float
        The fall in holdings over the window, $bn (``yield_episodes.sale_usd_bn``).
    months : int
        The window, months.
    market_usd_bn : float
        Marketable debt held by the public then, $bn: the coefficients are rescaled to it.
    calibration : YieldCalibration
    fed_backstop : bool
        Whether to apply the backstop (the back-test leaves it off: it shows what selling alone does).

    Returns
    -------
    EpisodePrediction
        The peak within the window and the change at its end, bp; whether the sale is beyond the evidence.

    Notes
    -----
    `shock_impact` of one leg selling ``sale_usd_bn`` over ``months``, read over months 1 … ``months``.

    References
    ----------
    ``data/yield_episodes.csv``; yield-model notes §5 step 1 (rescaling to the market of the time).

    Examples
    --------
    >>> p = episode_prediction(276.5, 1, 16894.3, _example_calibration())
    >>> [round(x) for x in (p.peak_bp.low, p.peak_bp.central, p.peak_bp.high)]
    [15, 30, 63]
    """
    leg = Leg(label="episode", percent=100, holdings_usd_bn=max(0.0, sale_usd_bn))
    result = shock_impact(ShockInput(legs=(leg,), months=months, market_usd_bn=market_usd_bn,
                                     fed_backstop=fed_backstop), calibration)
    window = [p.bp for p in result.path[1:months + 1]]
    peak = Range(**{b: max(getattr(r, b) for r in window) for b in _BOUNDS})
    return EpisodePrediction(peak_bp=peak, end_bp=window[-1], beyond_evidence=result.beyond_evidence)


def decay_toward_long_run(
    short_run_bp: Range, long_run_bp: Range, half_life_months: float, months_after: float
) -> Range:
    """The 10y change some months after a one-month shock, as the overshoot fades.

    Parameters
    ----------
    short_run_bp, long_run_bp : Range
        Impact and lasting changes, basis points.
    half_life_months : float
        Months for the overshoot to halve, > 0.
    months_after : float
        Months since the shock, >= 0.

    Returns
    -------
    Range
        Change in basis points.

    Raises
    ------
    ValueError
        If ``half_life_months <= 0`` or ``months_after < 0``.

    Notes
    -----
    ``Δy(t) = Δy_LR + (Δy_SR − Δy_LR) × 0.5 ** (t / half_life)``, bound by bound.

    References
    ----------
    Yield-model notes §5 step 2; Martin (2014): effects peak near a year and last about two.

    Examples
    --------
    >>> sr, lr = Range(low=60, central=150, high=300), Range(low=8, central=20, high=80)
    >>> decay_toward_long_run(sr, lr, 6, 6).central
    85.0
    """
    if not half_life_months > 0:
        raise ValueError(f"half_life_months must be greater than zero, got {half_life_months!r}")
    t = check_non_negative("months_after", months_after)
    weight = 0.5 ** (t / check_finite("half_life_months", half_life_months))
    return Range(
        low=(1 - weight) * long_run_bp.low + weight * short_run_bp.low,
        central=(1 - weight) * long_run_bp.central + weight * short_run_bp.central,
        high=(1 - weight) * long_run_bp.high + weight * short_run_bp.high,
    )


def _example_calibration() -> YieldCalibration:
    """The shipped calibration's values, for the examples (the bot reads them from the dataset)."""
    return YieldCalibration(
        calibration_market_usd_bn=30894.5, e_lr_bp_per_100bn=Range(low=1, central=2.5, high=7),
        e_sr_bp_per_100bn=Range(low=3, central=6, high=12.5), sr_max_monthly_sale_pct=1.637,
        evidence_max_sale_pct=2.56, sr_half_life_months=Range(low=0.25, central=1, high=12),
        lasting_hold_months=24, lasting_fade_half_life_months=12, fed_backstop_sr_cap_bp=64,
        fed_backstop_half_life_months=0.25, fed_lasting_share=Range(low=0, central=0.5, high=1),
        mortgage_pass_through=Range(low=0.8, central=1, high=1.4), ig_pass_through=Range(low=0.7, central=1, high=1.15),
        wam_years=6, bills_share=0.219, lt_maturing_12m_share=0.119, bills_run_off_months=6, article_bp_per_100bn=25)
