"""`/reset shock <holder> <pct>% [sell|pause]`: what a sale or a buyers' strike could do.

The model (metrics.shock) takes every coefficient from data/yield_calibration.csv; this module
only gathers the inputs — the holder's latest TIC holdings, base rates, the debt stock — and
lays the answer out with the article's own figure beside the literature's range.
"""

from __future__ import annotations

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.holders import Holder, HolderRegistry
from handlers.lookup import calibration_table, fact, holder_series, market_rate, total_series
from handlers.queries import ShockQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import DEFAULT_MONTHS, Range, ShockInput, ShockResult, calibration_from_table, shock_impact


def purchase_pace(series, month: str) -> tuple[float, str]:
    """Net additions over the 12 months to ``month`` ($bn, 0 for a net seller) and the window start."""
    start = f"{int(month[:4]) - 1}{month[4:]}"
    if start not in series.index:
        start = str(series.index.min())
    return max(0.0, float(series.loc[month]) - float(series.loc[start])), start


def shock_input(query: ShockQuery, datasets: Datasets, holder: Holder) -> tuple[ShockInput, str]:
    """The model's input and the month whose holdings it uses.

    A sale takes ``percent`` of the holder's latest TIC holdings. A buyers' strike (``pause``)
    takes ``percent`` of what the holder added over the last 12 months — a net seller forgoes
    nothing by stopping purchases.
    """
    series = holder_series(datasets, holder)
    month = str(series.index.max())
    params = calibration_table(datasets).set_index("parameter")["central"]
    total = total_series(datasets)
    base = float(series.loc[month]) if query.mode == "sell" else purchase_pace(series, month)[0]
    return ShockInput(
        holder_label=holder.label,
        holdings_usd_bn=base,
        percent=query.percent,
        mode=query.mode,
        months=DEFAULT_MONTHS[query.mode],
        base_10y_pct=market_rate(datasets, "ten_year_yield_pct").value,
        base_mortgage_pct=market_rate(datasets, "mortgage_30y_pct").value,
        debt_usd_bn=float(params["debt_held_by_public_usd_bn"]),
        foreign_holdings_usd_bn=float(total.loc[month]) if month in total.index else None,
        marketable_usd_bn=fact(datasets, "marketable_treasuries_usd_bn").value,
    ), month


def run_shock(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> tuple[ShockResult, str]:
    shock, month = shock_input(query, datasets, holders.get(query.holder))
    return shock_impact(shock, calibration_from_table(calibration_table(datasets))), month


def _range(r: Range) -> str:
    return f"{fmt.bp(r.central)} (range {fmt.bp(r.low)} to {fmt.bp(r.high)})"


def _rate(r: Range | None) -> str:
    return "" if r is None else f" → {fmt.pct(r.central, digits=2)}"


def answer_shock(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    holder = holders.get(query.holder)
    result, month = run_shock(query, datasets, holders)
    shock = result.input
    verb = "sells" if query.mode == "sell" else "stops buying:"
    title = (f"If {holder.label} sells {query.percent:g}% of its Treasuries" if query.mode == "sell"
             else f"If {holder.label} stops buying Treasuries ({query.percent:g}% of its purchases forgone)")
    if query.mode == "sell":
        size = (f"That is *{fmt.usd_bn(result.amount_usd_bn)}* — {query.percent:g}% of the "
                f"{fmt.usd_bn(shock.holdings_usd_bn, digits=2 if shock.holdings_usd_bn >= 1000 else None)} "
                f"TIC recorded for {holder.label} in {fmt.month(month)}")
    else:
        pace, start = purchase_pace(holder_series(datasets, holder), month)
        size = (f"That is *{fmt.usd_bn(result.amount_usd_bn)}* of purchases forgone over a year — {query.percent:g}% "
                f"of the {fmt.usd_bn(pace)} {holder.label} added from {fmt.month(start)} to {fmt.month(month)}"
                + (" (it was a net seller, so a buyers' strike changes nothing)" if pace == 0 else ""))
    shares = []
    if result.share_of_foreign_pct is not None:
        shares.append(f"{fmt.pct(result.share_of_foreign_pct)} of all foreign holdings")
    if result.share_of_marketable_pct is not None:
        shares.append(f"{fmt.pct(result.share_of_marketable_pct)} of marketable Treasuries")
    size += (" (" + ", ".join(shares) + ")." if shares else ".") + f"\n_{result.amount_meaning}_"
    if query.requested_percent is not None:
        size += (f"\n_Computed for {query.percent:g}% (you asked for {query.requested_percent:g}%): scenarios are "
                 "rounded to whole percents, tenths below 1%._")
    pairs = [
        ("10-year yield, lasting", _range(result.long_run_10y_bp) + _rate(result.new_10y_pct)),
    ]
    if result.short_run_10y_bp is not None:
        pairs.append(("10-year, short-run overshoot", _range(result.short_run_10y_bp)
                      + (" — a floor (sale above the largest month on record)" if result.short_run_capped else "")))
    pairs += [
        ("30-year mortgage rate", _range(result.mortgage_30y_bp) + _rate(result.new_mortgage_pct)),
        ("Investment-grade corporate yields", _range(result.corporate_ig_bp)),
    ]
    if result.extra_federal_interest_usd_bn:
        years = ", ".join(f"year {y.year} {fmt.usd_bn(y.usd_bn.central)}" for y in result.extra_federal_interest_usd_bn)
        total = result.extra_federal_interest_10y_total_usd_bn
        pairs.append(("Extra federal interest (central)", years + (f"; 10-year total {fmt.usd_bn(total.central)}" if total else "")))
    ratio = f" — {result.article_vs_central:.1f}× the central *lasting* estimate" if result.article_vs_central else ""
    if result.short_run_10y_bp is not None:
        position = "below" if result.article_bp < result.short_run_10y_bp.central else "above"
        ratio += f"; {position} the central short-run overshoot of {fmt.bp(result.short_run_10y_bp.central)}"
    pairs.append(("The article's claim", f"{fmt.bp(result.article_bp)}{ratio}"))
    blocks = [
        header(title[:150]),
        section(size),
        fields(pairs),
        section(result.reading),
        context([
            "A central estimate, not a forecast: it assumes no Fed backstop (the FIMA repo facility lets central "
            "banks raise dollars without selling) and that the holder's Treasuries are its own, though TIC "
            "country labels are custodians.",
        ]),
        buttons(_followups(query)),
    ]
    text = (f"{holder.title} {verb} {query.percent:g}% (~{fmt.usd_bn(result.amount_usd_bn)}): 10-year "
            f"{_range(result.long_run_10y_bp)}; mortgage {fmt.bp(result.mortgage_30y_bp.central)}; "
            f"the article's claim {fmt.bp(result.article_bp)}.")
    chart = ChartRef(
        key=f"shock:{query.holder}:{query.percent:g}:{query.mode}",
        title=title[:120],
        alt_text=(f"Chart of the 10-year yield change if {holder.label} {verb} {query.percent:g}%: lasting effect "
                  f"{_range(result.long_run_10y_bp)}"
                  + (f", short-run {_range(result.short_run_10y_bp)}" if result.short_run_10y_bp else "")
                  + f", against the article's {fmt.bp(result.article_bp)}."),
        filename=f"reset-shock-{query.holder}-{query.percent:g}-{query.mode}.png",
    )
    sources = [datasets.source("treasury_holdings"), datasets.source("yield_calibration"),
               market_rate(datasets, "ten_year_yield_pct").source, market_rate(datasets, "mortgage_30y_pct").source,
               fact(datasets, "marketable_treasuries_usd_bn").source]
    return build(blocks, text, charts=[chart], sources=sources)


def _followups(query: ShockQuery) -> list[tuple[str, str]]:
    sizes = [p for p in (10, 20, 50) if p != query.percent][:2]
    other_mode = "pause" if query.mode == "sell" else "sell"
    return ([(f"{p}%", f"shock {query.holder} {p}% {query.mode}") for p in sizes]
            + [(f"{other_mode.capitalize()} instead", f"shock {query.holder} {query.percent:g}% {other_mode}"),
               ("China sells 20%", "shock china 20%") if query.holder != "china" else ("Japan sells 20%", "shock japan 20%")])
