"""`/reset buying`: who added Treasuries in 2025, and how the "Europe 80%" claim was measured."""

from __future__ import annotations

from collections.abc import Iterable

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.holders import EU, HolderRegistry
from handlers.lookup import GRAND_TOTAL, fact, holdings, last_full_history_month
from handlers.queries import BuyingQuery
from handlers.reply import ChartRef, Reply, build, buttons, context, header, section
from metrics import FlowBreakdown, region_shares

WINDOW_CHECK = "europe_buying_share"


def europe_labels(datasets: Datasets) -> list[str]:
    """TIC labels of European holders (EU members + UK, Norway, Switzerland …), from holders.csv."""
    frame = datasets.frame("holders")
    return [str(label) for label in frame.loc[frame["europe"].astype(bool), "tic_label"]]


def regions(datasets: Datasets, holders: HolderRegistry) -> dict[str, list[str]]:
    """The regions compared; they overlap (EU ⊂ Europe), so shares do not add to 100."""
    present = set(holdings(datasets)["holder"])
    def keep(labels: Iterable[str]) -> list[str]:
        return [label for label in labels if label in present]
    return {
        "Europe": keep(europe_labels(datasets)),
        "EU members listed": keep(holders.get(EU).tic_labels),
        "United Kingdom": keep(["United Kingdom"]),
        "Japan": keep(["Japan"]),
        "China (mainland)": keep(["China, Mainland"]),
        "Canada": keep(["Canada"]),
        "Cayman Islands": keep(["Cayman Islands"]),
    }


def windows(datasets: Datasets) -> list[tuple[str, str]]:
    """The windows to show: each claim's window (claims.csv) and the latest calendar year."""
    claims = datasets.frame("claims")
    found = []
    for check in claims["check"].dropna().astype(str):
        if check.startswith(WINDOW_CHECK + ":"):
            _, start, end = check.split(":")
            found.append((start, end))
    last = last_full_history_month(datasets)
    year_end = last if last.endswith("-12") else f"{int(last[:4]) - 1}-12"
    calendar = (f"{int(year_end[:4]) - 1}-12", year_end)
    if calendar not in found:
        found.append(calendar)
    return found


def breakdown(datasets: Datasets, holders: HolderRegistry, start: str, end: str) -> FlowBreakdown:
    return region_shares(holdings(datasets), {k: v for k, v in regions(datasets, holders).items() if v},
                         GRAND_TOTAL, start, end)


def _window_label(start: str, end: str) -> str:
    return f"end-{fmt.month(start)} → end-{fmt.month(end)}"


def answer_buying(query: BuyingQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    lines = []
    calendar = None
    for start, end in windows(datasets):
        b = breakdown(datasets, holders, start, end)
        by = {r.region: r for r in b.regions}
        europe, eu = by["Europe"], by["EU members listed"]
        lines.append(
            f"*{_window_label(start, end)}*: foreign holdings {fmt.usd_bn(b.total_change_usd_bn, signed=True)}; "
            f"Europe {fmt.usd_bn(europe.change_usd_bn, signed=True)} = "
            f"*{fmt.pct(europe.share_of_total_change_pct or 0)}* "
            f"of the increase (EU members alone {fmt.pct(eu.share_of_total_change_pct or 0)})."
        )
        calendar = (start, end, b)
    assert calendar is not None
    start, end, year = calendar
    others = [f"{r.region} {fmt.usd_bn(r.change_usd_bn, signed=True)}" for r in year.regions
              if r.region not in ("Europe", "EU members listed")]
    citi = fact(datasets, "citi_europe_share_apr_nov_2025_pct")
    tic_flow = fact(datasets, "tic_2025_net_treasury_purchases_usd_bn")
    blocks = [
        header("Who bought US Treasuries in 2025"),
        section("\n".join(lines)),
        section("Calendar-year changes elsewhere: " + ", ".join(others) + "."),
        section(
            f"The popular *“Europe bought {fmt.pct(citi.value, digits=0)}”* is Citi's figure for April–November "
            f"2025 (reported by Reuters), measured as the increase in holdings. TIC holdings reproduce it for "
            f"that window but not for the whole year. Treasury's own flow data put foreign net purchases of "
            f"Treasuries in {tic_flow.period} at {fmt.usd_bn(tic_flow.value)} (reported second-hand)."
        ),
        context([year.caveat, "Europe = EU members TIC lists + UK, Norway, Switzerland and other European "
                 "holders listed; country-level 2025 net purchases (TIC S data) were not available."]),
        buttons([("Who holds Treasuries", "holdings"), ("Fact-check", "claims")]),
    ]
    text = f"Foreign Treasury buying, {_window_label(start, end)}: " + " ".join(line.replace("*", "") for line in lines)
    chart = ChartRef(
        key="buying",
        title=f"Change in foreign Treasury holdings, {_window_label(start, end)}",
        alt_text=(f"Bar chart of the change in Treasury holdings by region from {fmt.month(start)} to "
                  f"{fmt.month(end)}: " + ", ".join(f"{r.region} {fmt.usd_bn(r.change_usd_bn, signed=True)}"
                                                    for r in year.regions) + "."),
        filename="reset-buying.png",
    )
    sources = [datasets.source("treasury_holdings"), citi.source, tic_flow.source]
    return build(blocks, text, charts=[chart], sources=sources)
