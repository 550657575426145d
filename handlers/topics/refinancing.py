"""`/reset refinancing`: the 2026 "refinancing wall" and what a rise in yields costs."""

from __future__ import annotations

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.lookup import calibration_table, fact, gdp_for_year
from handlers.queries import RefinancingQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, fields, header, section
from metrics import RefinancingWall, extra_interest_usd_bn, phased_interest_cost, refinancing_wall

# The illustrative rise the reply prices (the thesis's "+1%"); the shock command prices others.
ILLUSTRATIVE_RISE_BP = 100


def _param(datasets: Datasets, name: str) -> float:
    table = calibration_table(datasets).set_index("parameter")
    return float(table.loc[name, "central"])


def wall(datasets: Datasets) -> tuple[RefinancingWall, RefinancingWall]:
    """(bills + coupons maturing within 12 months, coupons only) against last year's GDP."""
    bills = fact(datasets, "treasury_bills_usd_bn").value
    coupons = _param(datasets, "coupons_maturing_12m_usd_bn")
    gdp = gdp_for_year(datasets, int(fact(datasets, "treasury_bills_usd_bn").period[:4]))
    return (refinancing_wall(gdp, bills_usd_bn=bills, coupons_usd_bn=coupons),
            refinancing_wall(gdp, coupons_usd_bn=coupons, include_bills=False))


def answer_refinancing(query: RefinancingQuery, datasets: Datasets) -> Reply:
    everything, coupons_only = wall(datasets)
    claim = fact(datasets, "refi_2026_claim_usd_bn")
    claim_share = 100 * claim.value / everything.gdp_usd_bn
    debt = _param(datasets, "debt_held_by_public_usd_bn")
    wam = _param(datasets, "wam_years")
    path = phased_interest_cost(debt, ILLUSTRATIVE_RISE_BP, wam, 10)
    year1_coupons = extra_interest_usd_bn(coupons_only.maturing_usd_bn, ILLUSTRATIVE_RISE_BP)
    cbo_10y = fact(datasets, "cbo_interest_per_10bp_10y_usd_bn")
    earlier = [fact(datasets, k) for k in ("refi_2025_claim_usd_bn", "refi_2023_claim_usd_bn")]
    apollo_maturing = fact(datasets, "apollo_maturing_12m_share_pct")
    apollo_bills = fact(datasets, "apollo_bills_share_pct")
    blocks = [
        header("The 2026 refinancing wall"),
        section(
            f"The thesis: *{fmt.usd_bn(claim.value)} matures in 2026, about {fmt.pct(claim_share, digits=0)} of GDP*. "
            f"The ratio holds if the amount does, but no primary source gives it: it comes from social posts, "
            f"and a “record wall” is claimed every year "
            f"({', '.join(f'{fmt.usd_bn(e.value)} for {e.period}' for e in earlier)})."
        ),
        fields([
            ("Treasury bills outstanding", f"{fmt.usd_bn(everything.bills_usd_bn or 0)} "
                                           f"({fact(datasets, 'treasury_bills_usd_bn').period}); each rolls over "
                                           f"within the year"),
            ("Notes and bonds due within 12 months", f"≈{fmt.usd_bn(coupons_only.maturing_usd_bn)} (derived)"),
            ("Bills + coupons", f"{fmt.usd_bn(everything.maturing_usd_bn)} = {fmt.pct(everything.share_of_gdp_pct)} "
                                f"of GDP"),
            ("Excluding bills", f"{fmt.usd_bn(coupons_only.maturing_usd_bn)} = "
                                f"{fmt.pct(coupons_only.share_of_gdp_pct)} of GDP"),
        ]),
        section(
            f"*What +{ILLUSTRATIVE_RISE_BP} bp on refinancing costs* (debt held by the public {fmt.usd_bn(debt)}, "
            f"average maturity {wam:g} years, so about 1/{wam:g} of the debt reprices each year):\n"
            f"• year 1: {fmt.usd_bn(path[0].extra_interest_usd_bn)} a year "
            f"(the coupons due alone: {fmt.usd_bn(year1_coupons)})\n"
            f"• year 5: {fmt.usd_bn(path[4].extra_interest_usd_bn)} a year\n"
            f"• 10-year total: {fmt.usd_bn(path[-1].cumulative_usd_bn)} — CBO's rule of thumb scales to "
            f"{fmt.usd_bn(cbo_10y.value * ILLUSTRATIVE_RISE_BP / 10)} when *all* rates, bills included, rise that much."
        ),
        context([
            "Bills mature within a year by definition and dominate any “maturing this year” total; rolling them "
            "over is routine, so the risk is the rate paid, not the amount. The coupon figure is derived from "
            f"Apollo's shares of the debt ({fmt.pct(apollo_maturing.value, digits=0)} maturing within 12 months, "
            f"{fmt.pct(apollo_bills.value, digits=0)} bills), not from Treasury's maturity table (MSPD), which "
            "was not available.",
        ]),
        buttons([("Shock: EU sells 20%", "shock eu 20%"), ("Fact-check", "claims")]),
    ]
    text = (f"Refinancing wall: bills {fmt.usd_bn(everything.bills_usd_bn or 0)} + coupons "
            f"≈{fmt.usd_bn(coupons_only.maturing_usd_bn)} "
            f"= {fmt.usd_bn(everything.maturing_usd_bn)} ({fmt.pct(everything.share_of_gdp_pct)} of GDP); the "
            f"{fmt.usd_bn(claim.value)} claim has no primary source.")
    chart = ChartRef(
        key="refinancing",
        title=f"What matures within 12 months vs the “{fmt.usd_bn(claim.value, digits=0)} wall”",
        alt_text=(f"Bar chart: Treasury bills outstanding {fmt.usd_bn(everything.bills_usd_bn or 0)}, notes and bonds "
                  f"maturing within a year about {fmt.usd_bn(coupons_only.maturing_usd_bn)}, together "
                  f"{fmt.usd_bn(everything.maturing_usd_bn)}, against the claimed {fmt.usd_bn(claim.value)}."),
        filename="reset-refinancing.png",
    )
    sources = [fact(datasets, "treasury_bills_usd_bn").source, datasets.source("yield_calibration"),
               datasets.source("gdp_annual"), claim.source, cbo_10y.source, apollo_maturing.source]
    return build(blocks, text, charts=[chart], sources=sources)
