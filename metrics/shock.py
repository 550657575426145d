"""What a foreign sale (or buyers' strike) of US Treasuries might do to yields: the shock model.

The model follows the yield-model notes (§5) step by step; every coefficient comes from a
`YieldCalibration` built by the caller from ``data/yield_calibration.csv``, so this module
holds no numbers of its own.

1. **Size.** S = holdings × percent / 100 ($bn).

   * ``mode="sell"``: the holder sells S, spread evenly over ``months`` (default 1).
   * ``mode="pause"``: a buyers' strike. The holder *stops adding* for ``months`` (default 12).
     The caller passes as ``holdings_usd_bn`` the purchases the holder would have made over
     that window (its recent pace of net additions, zero for a net seller) and ``percent`` is
     the share of them it forgoes (100% = a full strike). Holdings do not fall;
     the market must absorb S more than it otherwise would. No calibrated elasticity for a
     non-participation strike exists (yield-model §2, last bullet), so the strike is treated as
     a flow shock of the forgone amount S, using the same coefficients as a sale.

2. **Long run** (a persistent reallocation). Δy_LR = e_LR × (1 − r) × S / 100 bp on the
   10-year, r = share of the proceeds (or of the forgone purchases) that stays in other
   dollar duration assets. Reported as a low / central / high `Range`.

3. **Short run** — only if the whole amount is executed within one month (``months == 1``):
   Δy_SR = e_SR × min(S, cap) / 100, where cap = ``sr_max_monthly_sale_usd_bn`` is the largest
   monthly flow the evidence covers (≈ $300bn, March 2020). Beyond the cap the short-run
   coefficient is not extrapolated; ``short_run_capped`` says so and the figure is then a
   floor for the first $cap bn only. Because the overshoot decays *towards* the long-run
   level, each bound is reported as max(Δy_SR, Δy_LR). The short run is not scaled by
   (1 − r): proceeds moved into other dollar assets still leave the Treasury market on impact.

4. **Pass-through**: mortgage and IG corporate yields move by β × Δy_LR.

5. **Budget**: extra federal interest for years 1, 5 and 10 (and the 10-year total) from
   `metrics.refinancing.phased_interest_cost`, the debt repricing at a pace of 1/WAM a year.

6. **The article's rule** ("20% of ~$2T → +1%", i.e. 25 bp per $100bn) is computed beside the
   model as ``article_bp`` and compared with the central long-run estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from metrics._base import FrozenModel, check_columns, check_finite, check_non_negative
from metrics.refinancing import phased_interest_cost

__all__ = [
    "DEFAULT_MONTHS",
    "INTEREST_REPORT_YEARS",
    "InterestYear",
    "Range",
    "ShockInput",
    "ShockMode",
    "ShockResult",
    "YieldCalibration",
    "calibration_from_table",
    "decay_toward_long_run",
    "shock_impact",
]

ShockMode = Literal["sell", "pause"]

#: Execution window when ``months`` is not given: a sale happens at once, a strike lasts a year.
DEFAULT_MONTHS: Mapping[str, int] = {"sell": 1, "pause": 12}

#: Years after the shock for which the extra federal interest is reported.
INTEREST_REPORT_YEARS: tuple[int, ...] = (1, 5, 10)


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


class YieldCalibration(FrozenModel):
    """Coefficients of the shock model; build it from the data with `calibration_from_table`.

    * ``e_lr_bp_per_100bn`` — long-run 10y response, bp per $100bn persistent change (≈ 2/5/20).
    * ``e_sr_bp_per_100bn`` — short-run response to a one-month flow, bp per $100bn (≈ 20/50/100).
    * ``sr_max_monthly_sale_usd_bn`` — largest monthly flow the short-run evidence covers, $bn.
    * ``sr_half_life_months`` — assumed half-life of the overshoot, months (a model assumption).
    * ``mortgage_pass_through``, ``ig_pass_through`` — β of 30y mortgage / IG yields to the 10y.
    * ``wam_years`` — weighted average maturity of the debt, years.
    * ``article_bp_per_100bn`` — the article's implied rule (100bp per $400bn = 25).
    """

    e_lr_bp_per_100bn: Range
    e_sr_bp_per_100bn: Range
    sr_max_monthly_sale_usd_bn: float = Field(gt=0)
    sr_half_life_months: float = Field(gt=0)
    mortgage_pass_through: float = Field(ge=0)
    ig_pass_through: float = Field(ge=0)
    wam_years: float = Field(gt=0)
    article_bp_per_100bn: float = Field(ge=0)

    @model_validator(mode="after")
    def _non_negative_elasticities(self) -> YieldCalibration:
        for name in ("e_lr_bp_per_100bn", "e_sr_bp_per_100bn"):
            if getattr(self, name).low < 0:
                raise ValueError(f"{name} must not be negative (it is bp per $100bn sold)")
        return self


_RANGE_PARAMETERS = ("e_lr_bp_per_100bn", "e_sr_bp_per_100bn")
_SCALAR_PARAMETERS = (
    "sr_max_monthly_sale_usd_bn",
    "sr_half_life_months",
    "mortgage_pass_through",
    "ig_pass_through",
    "wam_years",
    "article_bp_per_100bn",
)


def calibration_from_table(table: pd.DataFrame) -> YieldCalibration:
    """Build a `YieldCalibration` from the ``yield_calibration`` dataset.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``parameter``, ``low``, ``central``, ``high`` (others ignored), one row per
        parameter, named as the `YieldCalibration` fields. The two elasticities use all three
        columns; every other parameter uses ``central`` only. Rows for other parameters are
        ignored. Not modified.

    Returns
    -------
    YieldCalibration

    Raises
    ------
    ValueError
        If a column or parameter is missing, a parameter is repeated, or a value is invalid
        (e.g. low > central, a negative elasticity, a non-positive WAM).

    Notes
    -----
    ``e_lr_bp_per_100bn = Range(low, central, high)`` of row ``e_lr_bp_per_100bn``; likewise
    for ``e_sr_bp_per_100bn``; scalars are ``central`` of their rows.

    References
    ----------
    Yield-model notes §5 (values and their sources are in the dataset's ``source`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     [("e_lr_bp_per_100bn", 2, 5, 20), ("e_sr_bp_per_100bn", 20, 50, 100),
    ...      ("sr_max_monthly_sale_usd_bn", None, 300, None),
    ...      ("sr_half_life_months", None, 6, None), ("mortgage_pass_through", None, 1, None),
    ...      ("ig_pass_through", None, 1, None), ("wam_years", None, 6, None),
    ...      ("article_bp_per_100bn", None, 25, None)],
    ...     columns=["parameter", "low", "central", "high"])
    >>> calibration_from_table(table).e_lr_bp_per_100bn
    Range(low=2.0, central=5.0, high=20.0)
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


class ShockInput(FrozenModel):
    """A hypothetical sale or buyers' strike by one holder (amounts in $bn, rates in percent).

    ``months`` defaults by mode (`DEFAULT_MONTHS`: 1 for ``sell``, 12 for ``pause``).
    ``reinvest_share`` (0–1) is the share of the proceeds / forgone purchases kept in other
    dollar duration assets. The optional fields switch on parts of the result: base rates give
    implied new rates; ``debt_usd_bn`` gives the interest cost; the two totals give S as a share.
    """

    holder_label: str
    holdings_usd_bn: float = Field(ge=0)
    percent: float = Field(ge=0, le=100)
    mode: ShockMode = "sell"
    months: int = Field(default=1, ge=1)
    reinvest_share: float = Field(default=0.0, ge=0, le=1)
    base_10y_pct: float | None = None
    base_mortgage_pct: float | None = None
    debt_usd_bn: float | None = Field(default=None, gt=0)
    foreign_holdings_usd_bn: float | None = Field(default=None, gt=0)
    marketable_usd_bn: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _default_months(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("months") is None:
            mode = data.get("mode", "sell")
            if mode in DEFAULT_MONTHS:
                return {**data, "months": DEFAULT_MONTHS[mode]}
        return data


class InterestYear(FrozenModel):
    """Extra federal interest in one year after the shock, $bn per year (low/central/high)."""

    year: int = Field(ge=1)
    usd_bn: Range


class ShockResult(FrozenModel):
    """Everything `shock_impact` computes; bp are basis points on yields, rates in percent."""

    input: ShockInput
    amount_usd_bn: float
    amount_meaning: str
    monthly_pace_usd_bn: float
    share_of_foreign_pct: float | None
    share_of_marketable_pct: float | None
    long_run_10y_bp: Range
    short_run_10y_bp: Range | None
    short_run_capped: bool
    short_run_basis_usd_bn: float | None
    short_run_half_life_months: float | None
    mortgage_30y_bp: Range
    corporate_ig_bp: Range
    new_10y_pct: Range | None
    new_mortgage_pct: Range | None
    extra_federal_interest_usd_bn: tuple[InterestYear, ...] | None
    extra_federal_interest_10y_total_usd_bn: Range | None
    article_bp: float
    article_vs_central: float | None
    reading: str


def _fmt_bn(value: float) -> str:
    return f"${value:,.1f}bn"


def _fmt_range(r: Range) -> str:
    return f"+{r.low:.0f} / +{r.central:.0f} / +{r.high:.0f} bp"


def shock_impact(shock: ShockInput, calibration: YieldCalibration) -> ShockResult:
    """Yield, mortgage-rate and budget effects of a foreign sale or buyers' strike.

    Parameters
    ----------
    shock : ShockInput
        Who (``holder_label``), how much they hold (``holdings_usd_bn``, $ billions), what
        share (``percent``, 0–100), ``mode`` (``"sell"`` or ``"pause"``, see the module
        docstring), execution window ``months``, ``reinvest_share`` r (0–1), and optionally
        base rates (percent), debt held by the public and totals for shares ($ billions).
    calibration : YieldCalibration
        Model coefficients (see `calibration_from_table`).

    Returns
    -------
    ShockResult
        Amount S ($ billions) and what it means; long-run 10y change (bp, `Range`); the
        short-run 10y change (bp) for a one-month execution, else None; mortgage and IG
        changes (bp); implied new rates (percent) if base rates were given; extra federal
        interest in years 1, 5, 10 and over 10 years ($ billions) if the debt was given; the
        article's figure (bp) and its ratio to the central long-run estimate; a ``reading``.

    Raises
    ------
    ValueError
        Via `ShockInput` validation: percent outside 0–100, negative holdings, r outside 0–1,
        months < 1.

    Notes
    -----
    With S = holdings × percent / 100 and r = reinvest_share:

    * ``long_run_10y_bp = e_LR × (1 − r) × S / 100``
    * ``short_run_10y_bp = max(e_SR × min(S, cap) / 100, long_run_10y_bp)`` if months == 1
    * ``mortgage_30y_bp = β_mortgage × long_run_10y_bp``; ``corporate_ig_bp = β_IG × …``
    * ``new_10y_pct = base_10y_pct + long_run_10y_bp / 100``
    * ``extra interest, year k = long_run_10y_bp / 10_000 × min(1, k / WAM) × debt``
    * ``article_bp = article_bp_per_100bn × S / 100``

    Every bound is applied separately (low with low, …).

    References
    ----------
    Beltran, Kretchmer, Márquez & Thomas (2013), *JIMF* 32(1): −$100bn official inflow in a
    month → 5y +40–60bp short run, ≈ +20bp long run. Bonis, Ihrig & Wei (2017), FEDS Notes
    (≈ 2.2 bp per $100bn). Gagnon, Raskin, Remache & Sack (2011), FRBNY EPR (2.9–5.7).
    Ahmed & Rebucci (2022), NBER WP 30476 (>100bp on impact). Gilchrist, López-Salido &
    Zakrajšek (2015), *AEJ: Macro* (complete pass-through). CBO (Mar 2025), rules of thumb.

    Examples
    --------
    The EU-27 sells 20% of its $2,015.5bn (TIC SHL, June 2025) in one month:

    >>> cal = YieldCalibration(
    ...     e_lr_bp_per_100bn=Range(low=2, central=5, high=20),
    ...     e_sr_bp_per_100bn=Range(low=20, central=50, high=100),
    ...     sr_max_monthly_sale_usd_bn=300, sr_half_life_months=6,
    ...     mortgage_pass_through=1.0, ig_pass_through=1.0, wam_years=6,
    ...     article_bp_per_100bn=25)
    >>> r = shock_impact(ShockInput(holder_label="EU", holdings_usd_bn=2015.5, percent=20), cal)
    >>> round(r.amount_usd_bn, 1)
    403.1
    >>> [round(x) for x in (r.long_run_10y_bp.low, r.long_run_10y_bp.central,
    ...                     r.long_run_10y_bp.high)]
    [8, 20, 81]
    >>> round(r.article_bp, 1), round(r.article_vs_central, 1)
    (100.8, 5.0)
    >>> r.short_run_capped, r.short_run_10y_bp.central
    (True, 150.0)
    """
    amount = shock.holdings_usd_bn * shock.percent / 100.0
    months = shock.months
    pace = amount / months
    per_100bn = amount / 100.0

    long_run = calibration.e_lr_bp_per_100bn.scaled((1.0 - shock.reinvest_share) * per_100bn)

    short_run: Range | None = None
    capped = False
    basis: float | None = None
    if months == 1:
        cap = calibration.sr_max_monthly_sale_usd_bn
        capped = pace > cap
        basis = min(pace, cap)
        raw = calibration.e_sr_bp_per_100bn.scaled(basis / 100.0)
        short_run = Range(
            low=max(raw.low, long_run.low),
            central=max(raw.central, long_run.central),
            high=max(raw.high, long_run.high),
        )

    mortgage = long_run.scaled(calibration.mortgage_pass_through)
    corporate = long_run.scaled(calibration.ig_pass_through)
    new_10y = None if shock.base_10y_pct is None else long_run.scaled(0.01).shifted(
        shock.base_10y_pct
    )
    new_mortgage = None if shock.base_mortgage_pct is None else mortgage.scaled(0.01).shifted(
        shock.base_mortgage_pct
    )

    interest: tuple[InterestYear, ...] | None = None
    interest_total: Range | None = None
    if shock.debt_usd_bn is not None:
        horizon = max(INTEREST_REPORT_YEARS)
        paths = {
            bound: phased_interest_cost(
                shock.debt_usd_bn, getattr(long_run, bound), calibration.wam_years, horizon
            )
            for bound in ("low", "central", "high")
        }
        interest = tuple(
            InterestYear(
                year=year,
                usd_bn=Range(**{b: paths[b][year - 1].extra_interest_usd_bn for b in paths}),
            )
            for year in INTEREST_REPORT_YEARS
        )
        interest_total = Range(**{b: paths[b][-1].cumulative_usd_bn for b in paths})

    article = calibration.article_bp_per_100bn * per_100bn
    ratio = None if long_run.central == 0 else article / long_run.central

    if shock.mode == "sell":
        meaning = (
            f"{shock.holder_label} sells {shock.percent:g}% of its {_fmt_bn(shock.holdings_usd_bn)}"
            f" = {_fmt_bn(amount)}, over {months} month{'s' if months > 1 else ''}"
        )
    else:
        meaning = (
            f"buyers' strike: {shock.holder_label} stops adding for {months} month"
            f"{'s' if months > 1 else ''}, forgoing {shock.percent:g}% of the "
            f"{_fmt_bn(shock.holdings_usd_bn)} it would have bought = {_fmt_bn(amount)}; its holdings "
            "do not fall, the market must absorb that much more (treated as a flow shock of that size)"
        )

    reading = _reading(shock, calibration, amount, long_run, short_run, capped, article, ratio)
    return ShockResult(
        input=shock,
        amount_usd_bn=amount,
        amount_meaning=meaning,
        monthly_pace_usd_bn=pace,
        share_of_foreign_pct=(
            None if shock.foreign_holdings_usd_bn is None
            else 100.0 * amount / shock.foreign_holdings_usd_bn
        ),
        share_of_marketable_pct=(
            None if shock.marketable_usd_bn is None
            else 100.0 * amount / shock.marketable_usd_bn
        ),
        long_run_10y_bp=long_run,
        short_run_10y_bp=short_run,
        short_run_capped=capped,
        short_run_basis_usd_bn=basis,
        short_run_half_life_months=(
            None if short_run is None else calibration.sr_half_life_months
        ),
        mortgage_30y_bp=mortgage,
        corporate_ig_bp=corporate,
        new_10y_pct=new_10y,
        new_mortgage_pct=new_mortgage,
        extra_federal_interest_usd_bn=interest,
        extra_federal_interest_10y_total_usd_bn=interest_total,
        article_bp=article,
        article_vs_central=ratio,
        reading=reading,
    )


def _reading(
    shock: ShockInput,
    calibration: YieldCalibration,
    amount: float,
    long_run: Range,
    short_run: Range | None,
    capped: bool,
    article: float,
    ratio: float | None,
) -> str:
    e = calibration.e_lr_bp_per_100bn
    what = (
        f"a persistent reallocation of {_fmt_bn(amount)} away from Treasuries"
        if shock.mode == "sell"
        else f"a persistent shortfall of {_fmt_bn(amount)} in demand for Treasuries (the "
        "forgone purchases are not made up later)"
    )
    parts = [
        f"Reading: {what}"
        + (
            f" ({shock.reinvest_share:.0%} kept in other dollar duration assets)"
            if shock.reinvest_share
            else ""
        )
        + f". Long-run 10-year change {_fmt_range(long_run)} (low/central/high), from the "
        f"literature's long-run range of {e.low:g} / {e.central:g} / {e.high:g} bp per $100bn "
        "(Fed balance-sheet and foreign-flow studies, in today's ~$30T market).",
    ]
    if short_run is None:
        parts.append(
            f"Spread over {shock.months} months, so no short-run overshoot is estimated "
            "(the short-run evidence is for one-month flows)."
        )
    else:
        cap = calibration.sr_max_monthly_sale_usd_bn
        parts.append(
            f"Done within one month, it could overshoot on impact: {_fmt_range(short_run)}"
            + (
                f", counting only the first {_fmt_bn(cap)} (the largest monthly flow in the "
                "evidence; beyond that the model does not extrapolate, so this is a floor)"
                if capped
                else ""
            )
            + f", fading towards the long-run level (assumed half-life "
            f"{calibration.sr_half_life_months:g} months)."
        )
    parts.append(
        f"The article's rule ({calibration.article_bp_per_100bn:g} bp per $100bn) gives "
        f"+{article:.1f} bp"
        + ("" if ratio is None else f", {ratio:.1f}× the central long-run estimate")
        + "."
    )
    return " ".join(parts)


def decay_toward_long_run(
    short_run_bp: Range, long_run_bp: Range, half_life_months: float, months_after: float
) -> Range:
    """The 10y change some months after a one-month shock, as the overshoot fades.

    Parameters
    ----------
    short_run_bp, long_run_bp : Range
        Impact and long-run changes, basis points (``ShockResult.short_run_10y_bp`` and
        ``long_run_10y_bp``).
    half_life_months : float
        Months for the overshoot to halve, > 0 (``YieldCalibration.sr_half_life_months``; a
        model assumption — the sources give no half-life).
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
    # (1 - w) * LR + w * SR: a sum of monotone terms, so low <= central <= high survives rounding.
    return Range(
        low=(1 - weight) * long_run_bp.low + weight * short_run_bp.low,
        central=(1 - weight) * long_run_bp.central + weight * short_run_bp.central,
        high=(1 - weight) * long_run_bp.high + weight * short_run_bp.high,
    )
