"""`/reset shock HOLDER PCT% [HOLDER PCT% …] [sell|pause] [over N months] [reinvest N%] [with fed]`.

What a sale or a buyers' strike could do. The model (metrics.shock) takes every coefficient from
data/yield_calibration.csv, whose rows say where each comes from and how it was converted; this
module gathers the inputs — each holder's latest TIC holdings (and, for a strike, its recent
purchases and its bills/long-term split from SHL 2025), the market's size (MSPD), base rates,
CBO's debt path — and puts the answer into words, with the article's figure and the record
(`/reset history`) beside the model's range. Where the scenario is larger than anything on
record, it says the figures are an extrapolation.
"""

from __future__ import annotations

import pandas as pd

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.holders import EU, Holder, HolderRegistry
from handlers.lookup import calibration_table, holder_series, holdings, market_rate, total_series
from handlers.modals import scenario_button
from handlers.queries import ShockQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import (
    DEFAULT_MONTHS,
    Leg,
    Range,
    ShockInput,
    ShockResult,
    YieldCalibration,
    calibration_from_table,
    shock_impact,
)

CUSTODY_NOTE = ("TIC records holdings by the country of the custodian, not the owner: Belgium, Luxembourg, the UK, "
                "Ireland and the Caribbean centres hold for investors elsewhere, so a 'sale by Belgium' is a sale by "
                "whoever keeps bonds there.")


def purchase_pace(series: pd.Series, month: str) -> tuple[float, str]:
    """Net additions over the 12 months to ``month`` ($bn, 0 for a net seller) and the window start."""
    start = f"{int(month[:4]) - 1}{month[4:]}"
    if start not in series.index:
        start = str(series.index.min())
    return max(0.0, float(series.loc[month]) - float(series.loc[start])), start


def legs_of(query: ShockQuery) -> list[tuple[str, float]]:
    return [(query.holder, query.percent), *query.others]


def scenario_text(query: ShockQuery) -> str:
    """The scenario as a command, canonical (chart keys, buttons): ``eu 20% japan 10% pause over 6 months``."""
    parts = [f"{holder} {percent:g}%" for holder, percent in legs_of(query)]
    if query.mode == "pause":
        parts.append("pause")
    if query.months is not None:
        parts.append(f"over {query.months} months")
    if query.reinvest_pct:
        parts.append(f"reinvest {query.reinvest_pct:g}%")
    if query.fed:
        parts.append("with fed")
    return " ".join(parts)


def _bills_share(datasets: Datasets, holder: Holder) -> tuple[float, str]:
    """The holder's short-term share of its Treasuries (SHL 2025, June 2025), and where it came from."""
    shl = datasets.frame("shl_holdings")
    if holder.key == EU:
        rows = shl[shl["eu_member"].astype(str).str.lower() == "true"]
    elif holder.key == "foreign":
        rows = shl[shl["kind"] == "total"]
    else:
        rows = shl[shl["country"].isin(holder.tic_labels) & (shl["kind"] == "country")]
    rows = rows.dropna(subset=["treasury_usd_mn", "lt_treasury_usd_mn"])
    if not rows.empty and rows["treasury_usd_mn"].sum() > 0:
        total, long_term = rows["treasury_usd_mn"].sum(), rows["lt_treasury_usd_mn"].sum()
        return max(0.0, (total - long_term) / total), "SHL 2025"
    everyone = shl[shl["kind"] == "total"].iloc[0]
    share = (everyone["treasury_usd_mn"] - everyone["lt_treasury_usd_mn"]) / everyone["treasury_usd_mn"]
    return float(share), "SHL 2025, all foreign holders (no split for this holder)"


def calibration(datasets: Datasets) -> YieldCalibration:
    return calibration_from_table(calibration_table(datasets))


def debt_path(datasets: Datasets, first_year: int) -> tuple[float, ...]:
    """Debt held by the public for ten fiscal years from ``first_year`` (cbo_debt_path.csv)."""
    frame = datasets.frame("cbo_debt_path").set_index("year")["debt_held_by_public_usd_bn"]
    years = [y for y in range(first_year, first_year + 10) if y in frame.index]
    return tuple(float(frame.loc[y]) for y in years)


def leg_months(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> list[str]:
    """The TIC month each leg's holdings are read for (the EU's latest complete month may be older)."""
    return [str(holder_series(datasets, holders.get(key)).index.max()) for key, _ in legs_of(query)]


def shock_input(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> tuple[ShockInput, str]:
    """The model's input and the newest TIC month whose holdings it uses."""
    legs = []
    month = ""
    for key, percent in legs_of(query):
        holder = holders.get(key)
        series = holder_series(datasets, holder)
        leg_month = str(series.index.max())
        month = max(month, leg_month)
        holdings = float(series.loc[leg_month])
        bills_share, _ = _bills_share(datasets, holder)
        legs.append(Leg(label=holder.label, mode=query.mode, percent=percent, holdings_usd_bn=holdings,
                        purchases_12m_usd_bn=purchase_pace(series, leg_month)[0],
                        bills_usd_bn=holdings * bills_share, long_term_usd_bn=holdings * (1 - bills_share)))
    total = total_series(datasets)
    return ShockInput(
        legs=tuple(legs), months=DEFAULT_MONTHS[query.mode] if query.months is None else query.months,
        reinvest_share=query.reinvest_pct / 100.0, fed_backstop=query.fed,
        market_usd_bn=calibration(datasets).calibration_market_usd_bn,
        base_10y_pct=market_rate(datasets, "ten_year_yield_pct").value,
        base_mortgage_pct=market_rate(datasets, "mortgage_30y_pct").value,
        debt_path_usd_bn=debt_path(datasets, int(month[:4]) + 1),
        foreign_holdings_usd_bn=float(total.loc[month]) if month in total.index else None,
    ), month


def run_shock(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> tuple[ShockResult, str]:
    shock, month = shock_input(query, datasets, holders)
    return shock_impact(shock, calibration(datasets)), month


def _range(r: Range) -> str:
    return fmt.bp_range(r.central, r.low, r.high)


def _rate(r: Range | None) -> str:
    return "" if r is None else f" → {fmt.pct(r.central, digits=2)}"


def _plural(holder: Holder) -> bool:
    return holder.label.startswith("all ")


def title_of(query: ShockQuery, holders: HolderRegistry) -> str:
    names = [holders.get(key) for key, _ in legs_of(query)]
    if len(names) == 1:
        holder, percent = names[0], query.percent
        sells, stops, its = ("sell", "stop", "their") if _plural(holder) else ("sells", "stops", "its")
        what = (f"If {holder.label} {sells} {percent:g}% of {its} Treasuries" if query.mode == "sell"
                else f"If {holder.label} {stops} buying and rolling over Treasuries ({percent:g}%)")
    else:
        pieces = [f"{h.label} {p:g}%" for h, (_, p) in zip(names, legs_of(query))]
        what = (f"If {', '.join(pieces[:-1])} and {pieces[-1]} " + ("sell" if query.mode == "sell" else "stop buying")
                + " their Treasuries")
    extras = []
    if query.months is not None:
        extras.append(f"over {fmt.month_count(query.months)}")
    if query.fed:
        extras.append("with the Fed as backstop")
    return what + (f" ({', '.join(extras)})" if extras else "")


def _size(query: ShockQuery, result: ShockResult, month: str, datasets: Datasets, holders: HolderRegistry) -> str:
    lines = []
    for leg, (key, _), leg_month in zip(result.legs, legs_of(query), leg_months(query, datasets, holders)):
        holder = holders.get(key)
        inp = next(x for x in result.input.legs if x.label == leg.label)
        if leg.mode == "sell":
            lines.append(f"*{fmt.usd_bn(leg.amount_usd_bn)}* — {leg.percent:g}% of the "
                         f"{fmt.usd_bn(inp.holdings_usd_bn)} "
                         f"TIC recorded for {holder.label} in {fmt.month(leg_month)}")
        else:
            share, where = _bills_share(datasets, holder)
            forgone = (f"{fmt.usd_bn(leg.forgone_purchases_usd_bn)} of purchases forgone (its TIC holdings rose "
                       f"{fmt.usd_bn(inp.purchases_12m_usd_bn)} in the 12 months to {fmt.month(leg_month)}, a rise "
                       f"that "
                       "includes price changes: TIC's flow data are not in the shipped files)"
                       if inp.purchases_12m_usd_bn > 0 else
                       f"no purchases to forgo (its TIC holdings did not rise in the 12 months to "
                       f"{fmt.month(leg_month)})")
            parts = [forgone,
                     f"{fmt.usd_bn(leg.bills_not_rolled_usd_bn)} of bills not rolled over ({fmt.pct(100 * share)} of "
                     f"its "
                     f"Treasuries are bills, {where})",
                     f"{fmt.usd_bn(leg.maturing_not_rolled_usd_bn)} of notes and bonds maturing and not replaced"]
            pct = f", {fmt.pct(leg.pct_of_holdings)} of its holdings" if leg.pct_of_holdings is not None else ""
            lines.append(f"*{fmt.usd_bn(leg.amount_usd_bn)}* from {holder.label}{pct}: " + "; ".join(parts))
    window = fmt.month_count(result.input.months)
    shares = [f"{fmt.pct(result.share_of_marketable_pct, digits=2)} of the {fmt.usd_bn(result.input.market_usd_bn)} of "
              "marketable Treasuries held by the public (MSPD)"]
    if result.share_of_foreign_pct is not None:
        shares.append(f"{fmt.pct(result.share_of_foreign_pct)} of all foreign holdings")
    total = (f"In all *{fmt.usd_bn(result.amount_usd_bn)}* over {window}: " if len(result.legs) > 1
             else f"Over {window}: ")
    text = "\n".join(lines) + "\n" + total + ", ".join(shares) + "."
    if query.reinvest_pct:
        text += (f" {query.reinvest_pct:g}% of the proceeds stay in other dollar duration assets (reinvested shares "
                 "are taken in steps of 5%).")
    if query.requested_percent is not None:
        text += (f"\n_Computed for {query.percent:g}% (you asked for {query.requested_percent:g}%): scenarios are "
                 "rounded to whole percents, tenths below 1%._")
    return text


def evidence_note(result: ShockResult, cal: YieldCalibration) -> str:
    record = (f"the largest sales on record are {fmt.pct(cal.sr_max_monthly_sale_pct, digits=2)} of marketable debt "
              f"in one "
              f"month (all foreign holders, March 2020) and {fmt.pct(cal.evidence_max_sale_pct, digits=2)} over 12 "
              f"months "
              "(foreign official holders, Oct 2021 to Oct 2022)")
    pace_pct = 100 * result.monthly_pace_usd_bn / result.input.market_usd_bn
    if result.beyond_evidence:
        return (f":warning: *Outside the evidence.* This is {fmt.pct(result.share_of_marketable_pct, digits=2)} of "
                f"marketable debt, {fmt.pct(pace_pct, digits=2)} a month; {record}. The figures below scale the "
                "coefficients up in a straight line: an extrapolation, not a forecast — markets, the Fed and the "
                "Treasury would not stand still.")
    return (f"Within the evidence: {record}. `/reset history` sets the model beside each episode.")


def reading(result: ShockResult, cal: YieldCalibration) -> str:
    e_lr, e_sr = cal.e_lr_bp_per_100bn, cal.e_sr_bp_per_100bn
    text = (f"How: the lasting effect is {e_lr.low:g} / {e_lr.central:g} / {e_lr.high:g} bp per $100bn "
            f"(low / central / high), the short-run overshoot {e_sr.low:g} / {e_sr.central:g} / {e_sr.high:g} bp per "
            f"$100bn sold within a month — estimates from 1994–2020 samples converted to today's "
            f"{fmt.usd_bn(cal.calibration_market_usd_bn)} market (each row of data/yield_calibration.csv shows its "
            "sample and conversion). The overshoot fades (half-life "
            f"{cal.sr_half_life_months.low:g} to {cal.sr_half_life_months.high:g} months); the lasting effect holds "
            f"about "
            f"{cal.lasting_hold_months:g} months, then fades.")
    if result.input.fed_backstop:
        text += (f" With the Fed as backstop (as in March 2020, when it bought more than foreigners sold) the "
                 f"overshoot "
                 f"is capped at {cal.fed_backstop_sr_cap_bp:g} bp and gone within weeks, and "
                 f"{fmt.share(cal.fed_lasting_share.low)}–{fmt.share(cal.fed_lasting_share.high)} of the lasting "
                 f"effect is left.")
    if result.short_run_capped:
        text += " The monthly pace is above the largest month on record, so the overshoot counts only up to that pace."
    return text


def answer_shock(query: ShockQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    result, month = run_shock(query, datasets, holders)
    cal = calibration(datasets)
    title = title_of(query, holders)
    ten = market_rate(datasets, "ten_year_yield_pct")
    mortgage = market_rate(datasets, "mortgage_30y_pct")
    pairs = [
        ("10-year yield, peak", f"{_range(result.peak_10y_bp)}, in month {result.peak_month}"),
        ("10-year yield, lasting", _range(result.long_run_10y_bp) + _rate(result.new_10y_pct)
         + f" (from {fmt.pct(ten.value, digits=2)}, {ten.source.period})"),
        ("30-year mortgage rate", _range(result.mortgage_30y_bp) + _rate(result.new_mortgage_pct)
         + f" (from {fmt.pct(mortgage.value, digits=2)}, {mortgage.source.period})"),
        ("Investment-grade corporate yields", _range(result.corporate_ig_bp)),
    ]
    if result.extra_federal_interest_usd_bn:
        years = ", ".join(f"year {y.year} "
                          f"{fmt.usd_bn(y.usd_bn.central)}" for y in result.extra_federal_interest_usd_bn[:3])
        total = result.extra_federal_interest_10y_total_usd_bn
        pairs.append(("Extra federal interest (central)", years
                      + (f"; 10 years {fmt.usd_bn(total.central)} (range {fmt.usd_bn(total.low)} to "
                         f"{fmt.usd_bn(total.high)})" if total else "")))
    ratio = f" — {result.article_vs_central:.1f}× the central lasting estimate" if result.article_vs_central else ""
    position = "above" if result.article_bp > result.peak_10y_bp.high else "within"
    pairs.append(("The article's claim", f"{fmt.bp(result.article_bp)}{ratio}; {position} the model's peak range"))
    notes = [CUSTODY_NOTE]
    if any(key == EU for key, _ in legs_of(query)):
        eu = holders.get(EU)
        eu_month = str(holder_series(datasets, eu).index.max())
        frame = holdings(datasets)
        listed = frame[(frame["month"] == eu_month) & frame["holder"].isin(eu.tic_labels)]["holder"].nunique()
        notes.append(f"'EU' (also 'europe') means the {listed} EU members TIC lists by name in {fmt.month(eu_month)}; "
                     "small members sit in 'All Other', and the UK, Norway and Switzerland are not in it.")
    notes.append("The debt grows along CBO's baseline (cbo_debt_path.csv); only notes and bonds reprice: the sale "
                 "moves long rates, short rates are the Fed's.")
    blocks = [
        header(title[:150]),
        section(_size(query, result, month, datasets, holders)),
        section(evidence_note(result, cal)),
        fields(pairs),
        section(reading(result, cal)),
        context(notes),
        buttons(_followups(query)),
        scenario_button("shock " + scenario_text(query.model_copy(update={"requested_percent": None}))),
    ]
    verb = "sell" if query.mode == "sell" else "strike"
    text = (f"{title}: ~{fmt.usd_bn(result.amount_usd_bn)} ({fmt.pct(result.share_of_marketable_pct, digits=2)} of "
            f"marketable debt); 10-year peak {_range(result.peak_10y_bp)}, lasting {_range(result.long_run_10y_bp)}; "
            f"the article's claim {fmt.bp(result.article_bp)}."
            + (" Outside the evidence: an extrapolation." if result.beyond_evidence else ""))
    key = scenario_text(query)
    chart = ChartRef(
        key=f"shock:{key}",
        title=title[:120],
        alt_text=(f"Fan chart of the 10-year yield change over 36 months ({verb}): peak {_range(result.peak_10y_bp)}, "
                  f"lasting {_range(result.long_run_10y_bp)}, against the article's {fmt.bp(result.article_bp)}"
                  + ("; beyond the evidence, an extrapolation." if result.beyond_evidence else ".")),
        filename="reset-shock-" + key.replace(" ", "-").replace("%", "pct") + ".png",
    )
    sources = [datasets.source("treasury_holdings"), datasets.source("yield_calibration"),
               datasets.source("yield_episodes"), ten.source, mortgage.source, datasets.source("cbo_debt_path")]
    if query.mode == "pause":
        sources.append(datasets.source("shl_holdings"))
    return build(blocks, text, charts=[chart], sources=sources)


def _followups(query: ShockQuery) -> list[tuple[str, str]]:
    base = query.model_copy(update={"requested_percent": None})
    options = []
    if query.months is None or query.months < 6:
        options.append(("Over 6 months", "shock " + scenario_text(base.model_copy(update={"months": 6}))))
    if not query.fed:
        options.append(("With the Fed", "shock " + scenario_text(base.model_copy(update={"fed": True}))))
    other = "pause" if query.mode == "sell" else "sell"
    options.append((f"{other.capitalize()} instead", "shock " + scenario_text(base.model_copy(update={"mode": other}))))
    options.append(("History", "history"))
    return options[:4]
