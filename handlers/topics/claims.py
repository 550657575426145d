"""`/reset claims`: the thesis, claim by claim, against official data.

Each row of data/claims.csv names a ``check``: the computation that measures the claim with
official data. The verdict is computed here from that measurement (metrics.claims rules), so a
data refresh can change a verdict; only claims that no official source can measure carry a
fixed verdict (``verdict_if_unchecked``, e.g. "no primary source").

Check keys (``:``-separated arguments):

* ``iip_liabilities_usd_t``, ``iip_assets_usd_t``, ``iip_net_usd_t``, ``iip_net_pct_gdp``
* ``holder_change:<holder>:<start>:<end>:<up|down>`` — the direction claimed over a stated
  window (pinned, so the figure shown matches the claim's evidence after a refresh)
* ``shl_eu27:<treasury|corporate|equities>`` — EU-27 holdings by type, $T
* ``europe_share_of_foreign_holdings`` — Europe's holdings ÷ the rest of the world's
* ``europe_buying_share:<start>:<end>`` — Europe's share of the change in foreign holdings, %
* ``gold_vs_official_ust`` — has official gold passed foreign official Treasuries (both bases)?
* ``holders_change:<h1,h2,…>:<start>:<end>:<up|down>`` — the same direction for several holders:
  confirmed if all moved that way, partly if some did, not supported if none did
* ``only_buyer:<holder>:<start>:<end>:<n>`` — "the last man standing": of the ``n`` largest
  holders, did only this one add? Confirmed if no other added, partly if one other, else not
* ``primary_financier:<region>:<start>:<end>`` — "the primary financier of the deficit", defined
  as the region's rise in TIC holdings over the window ÷ the rise in debt held by the public
  CBO expects from FY2025 to FY2026 (cbo_debt_path.csv): confirmed above 50%, partly above 25%
* ``steady_decline:official:<start year>:<end year>`` — "steadily declined": foreign official
  holdings fell from December to December in at least 70% of the years and overall (confirmed);
  fell overall only (partly); did not fall (not supported)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from handlers import formatting as fmt
from handlers.datasets import Datasets, Source
from handlers.europe import eu_holdings
from handlers.holders import Holder, HolderRegistry
from handlers.lookup import holder_series, official_series
from handlers.queries import ClaimsQuery
from handlers.reply import Reply, build, context, header, section
from handlers.topics.buying import breakdown
from handlers.topics.gap import latest_position
from handlers.topics.gold import gold_crossover
from metrics import NON_COUNTRY_LABELS, Verdict, change_between, judge_direction, judge_level

LEVEL_TOLERANCE_PCT = 5.0  # "about $68.9T" is confirmed within 5% of the official figure

BADGE: dict[str, str] = {
    "confirmed": ":white_check_mark: Confirmed",
    "partly": ":large_orange_circle: Partly",
    "not_supported": ":x: Not supported",
    "no_primary_source": ":grey_question: No primary source",
}


@dataclass(frozen=True)
class Measured:
    """What official data say about one claim."""

    verdict: Verdict
    official: str  # the official figure, formatted
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class ClaimResult:
    id: str
    topic: str
    claim: str
    claim_source: str
    evidence: str
    measured: Measured


def _direction(word: str) -> int:
    if word not in ("up", "down"):
        raise ValueError(f"claims.csv: a direction must be 'up' or 'down', got {word!r}")
    return 1 if word == "up" else -1


def _level(claimed: float, official: float, shown: str, sources: Sequence[Source]) -> Measured:
    return Measured(judge_level(claimed, official, LEVEL_TOLERANCE_PCT), shown, tuple(sources))


def measure(check: str, claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    """Run one check; raises ValueError for a check key this code does not know."""
    name, *args = check.split(":")
    iip = [datasets.source("iip_quarterly"), datasets.source("gdp_annual")]
    tic = [datasets.source("treasury_holdings")]
    if name.startswith("iip_"):
        pos = latest_position(datasets)
        q = fmt.quarter_label(pos.period)
        values: dict[str, tuple[float, str]] = {
            "iip_liabilities_usd_t": (pos.liabilities_usd_bn / 1000, f"{fmt.usd_bn(pos.liabilities_usd_bn)} ({q})"),
            "iip_assets_usd_t": (pos.assets_usd_bn / 1000, f"{fmt.usd_bn(pos.assets_usd_bn)} ({q})"),
            "iip_net_usd_t": (abs(pos.headline_net_usd_bn) / 1000, f"{fmt.usd_bn(pos.headline_net_usd_bn)} ({q})"),
            "iip_net_pct_gdp": (abs(pos.net_pct_gdp), f"{fmt.pct(pos.net_pct_gdp)} of GDP ({q})"),
        }
        if name not in values:
            raise ValueError(f"unknown check {check!r}")
        value, shown = values[name]
        return _level(_need(claimed, check), value, shown, iip)
    if name == "holder_change":
        holder, start, end, direction = holders.get(args[0]), args[1], args[2], args[3]
        change = change_between(holder_series(datasets, holder), start, end)
        shown = (f"{holder.label}: {fmt.usd_bn(change.start_value)} ({fmt.month(str(change.start))}) → "
                 f"{fmt.usd_bn(change.end_value)} ({fmt.month(str(change.end))})")
        return Measured(judge_direction(_direction(direction), change.change), shown, tuple(tic))
    if name == "shl_eu27":
        column = {"treasury": "treasury_usd_mn", "corporate": "lt_corporate_usd_mn",
                  "equities": "equities_usd_mn"}[args[0]]
        value = eu_holdings(datasets).by_type_usd_bn[column]
        return _level(_need(claimed, check), value / 1000, f"{fmt.usd_bn(value)} (EU-27, June 2025)",
                      [datasets.source("shl_holdings")])
    if name == "europe_share_of_foreign_holdings":
        eu = eu_holdings(datasets)
        rest = eu.all_foreign_usd_bn - eu.europe_usd_bn
        ratio = eu.europe_usd_bn / rest
        shown = (f"Europe {fmt.usd_bn(eu.europe_usd_bn)} vs the rest of the world {fmt.usd_bn(rest)} "
                 f"({ratio:.2f}×; {fmt.pct(100 * eu.europe_usd_bn / eu.all_foreign_usd_bn)} of foreign holdings)")
        return _level(_need(claimed, check), ratio, shown, [datasets.source("shl_holdings")])
    if name == "europe_buying_share":
        start, end = args
        b = breakdown(datasets, holders, start, end)
        europe = next(r for r in b.regions if r.region == "Europe")
        share = europe.share_of_total_change_pct or 0.0
        shown = (f"{fmt.pct(share)} ({fmt.usd_bn(europe.change_usd_bn, signed=True)} of "
                 f"{fmt.usd_bn(b.total_change_usd_bn, signed=True)}, end-{fmt.month(start)} → end-{fmt.month(end)})")
        return _level(_need(claimed, check), share, shown, tic)
    if name == "gold_vs_official_ust":
        cross = gold_crossover(datasets)
        all_above, ex_above = cross.all_official_gold.above_at_latest, cross.ex_us_official_gold.above_at_latest
        verdict: Verdict = "confirmed" if ex_above else ("partly" if all_above else "not_supported")
        shown = (f"gold ÷ foreign official Treasuries at "
                 f"{fmt.quarter_end(cross.all_official_gold.latest_quarter_end)}: "
                 f"{cross.all_official_gold.latest_ratio:.2f} counting the US's gold, "
                 f"{cross.ex_us_official_gold.latest_ratio:.2f} without it")
        return Measured(verdict, shown, (datasets.source("gold_reserves"), *tic))
    if name == "holders_change":
        keys, start, end, wanted = args[0].split(","), args[1], args[2], _direction(args[3])
        parts, moved = [], 0
        for key in keys:
            holder = holders.get(key)
            change = change_between(holder_series(datasets, holder), start, end)
            moved += judge_direction(wanted, change.change) == "confirmed"
            parts.append(f"{holder.label} {fmt.usd_bn(change.change, signed=True)}")
        verdict = "confirmed" if moved == len(keys) else ("partly" if moved else "not_supported")
        return Measured(verdict, f"{', '.join(parts)} (end-{fmt.month(start)} → end-{fmt.month(end)})", tuple(tic))
    if name == "only_buyer":
        key, start, end, top = args[0], args[1], args[2], int(args[3])
        return _only_buyer(holders.get(key), start, end, top, datasets, holders, tic)
    if name == "primary_financier":
        region, start, end = args
        b = breakdown(datasets, holders, start, end)
        row = next(r for r in b.regions if r.region.lower() == region.lower())
        path = datasets.frame("cbo_debt_path").set_index("year")["debt_held_by_public_usd_bn"]
        rise = float(path.loc[2026] - path.loc[2025])
        share = 100 * row.change_usd_bn / rise
        verdict = "confirmed" if share > 50 else ("partly" if share > 25 else "not_supported")
        shown = (f"{row.region} added {fmt.usd_bn(row.change_usd_bn, signed=True)} (end-{fmt.month(start)} → "
                 f"end-{fmt.month(end)}), {fmt.pct(share)} of the {fmt.usd_bn(rise)} rise in debt held by the public "
                 "CBO expects for FY2026")
        return Measured(verdict, shown, (*tic, datasets.source("cbo_debt_path")))
    if name == "steady_decline":
        first, last = int(args[1]), int(args[2])
        series = official_series(datasets)
        years = [y for y in range(first, last + 1) if f"{y}-12" in series.index]
        decembers = [float(series.loc[f"{y}-12"]) for y in years]
        falls = sum(b < a for a, b in zip(decembers, decembers[1:]))
        steps = max(1, len(decembers) - 1)
        overall = decembers[-1] - decembers[0]
        verdict = ("confirmed" if overall < 0 and falls / steps >= 0.7 else
                   "partly" if overall < 0 else "not_supported")
        shown = (f"foreign official holdings {fmt.usd_bn(decembers[0])} (Dec {years[0]}) → {fmt.usd_bn(decembers[-1])} "
                 f"(Dec {years[-1]}); lower than a year before in {falls} of {steps} years")
        return Measured(verdict, shown, tuple(tic))
    raise ValueError(f"unknown check {check!r}")


def _only_buyer(holder: Holder, start: str, end: str, top: int, datasets: Datasets, holders: HolderRegistry,
                tic: list[Source]) -> Measured:
    frame = datasets.frame("treasury_holdings")
    latest = frame[frame["month"] == end]
    countries = latest[~latest["holder"].isin(NON_COUNTRY_LABELS) & ~latest["holder"].isin(holder.tic_labels)]
    largest = countries.sort_values("usd_bn", ascending=False).head(top)["holder"].tolist()
    others = []
    for label in largest:
        rows = frame[(frame["holder"] == label) & frame["month"].isin([start, end])].set_index("month")["usd_bn"]
        if start in rows.index and end in rows.index and rows[end] > rows[start]:
            others.append((label, float(rows[end] - rows[start])))
    own = change_between(holder_series(datasets, holder), start, end).change
    verdict: Verdict = ("not_supported" if own <= 0 or len(others) > 1 else "partly" if others else "confirmed")
    added = ", ".join(f"{label} {fmt.usd_bn(v, signed=True)}" for label, v in sorted(others, key=lambda x: -x[1])[:4])
    shown = (f"{holder.label} {fmt.usd_bn(own, signed=True)}; of the {top} largest other holders "
             f"{len(others)} also added (end-{fmt.month(start)} → "
             f"end-{fmt.month(end)})" + (f": {added}" if added else ""))
    return Measured(verdict, shown, tuple(tic))


def _need(claimed: float | None, check: str) -> float:
    if claimed is None or pd.isna(claimed):
        raise ValueError(f"claims.csv: check {check!r} needs a claimed_value")
    return float(claimed)


def evaluate(datasets: Datasets, holders: HolderRegistry) -> list[ClaimResult]:
    results = []
    for row in datasets.frame("claims").itertuples(index=False):
        check = str(row.check) if isinstance(row.check, str) and row.check else ""
        claimed = None if pd.isna(row.claimed_value) else float(row.claimed_value)
        if check:
            measured = measure(check, claimed, datasets, holders)
        else:
            measured = Measured(row.verdict_if_unchecked, "no official figure measures this", ())
        results.append(ClaimResult(row.id, row.topic, row.claim, row.claim_source, row.evidence, measured))
    return results


def answer_claims(query: ClaimsQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    results = evaluate(datasets, holders)
    tally: dict[str, int] = {}
    for r in results:
        tally[r.measured.verdict] = tally.get(r.measured.verdict, 0) + 1
    summary = ", ".join(f"{BADGE[v]}: {n}" for v, n in sorted(tally.items(), key=lambda kv: list(BADGE).index(kv[0])))
    blocks = [header("Fact-check: the thesis against official data"), section(summary)]
    for r in results:
        blocks.append(section(
            f"{BADGE[r.measured.verdict]} — *{r.claim}*\n"
            f"Official: {r.measured.official}. {r.evidence}\n_Claimed by {r.claim_source}._"
        ))
    sources: list[Source] = [datasets.source("claims")]
    for r in results:
        sources.extend(r.measured.sources)
    blocks.append(context([f"Rules: a level is confirmed within {LEVEL_TOLERANCE_PCT:g}% of the official figure, "
                           f"partly within {2 * LEVEL_TOLERANCE_PCT:g}%; a direction must match the official change."]))
    text = "Fact-check: " + "; ".join(f"{r.claim} — {r.measured.verdict.replace('_', ' ')}" for r in results)
    return build(blocks, text, sources=sources)

