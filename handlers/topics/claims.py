"""`/reset claims`: the thesis, claim by claim, against official data — and the one rule set
the message fact-check (`handlers.factcheck`) uses too.

A **rule** (`Rule`, all of them in `RULES`) is one way of measuring a claim with official data:
what it checks, the unit of the claimed value it takes, how the official figure is computed from
the datasets (pure computations in ``metrics``), its verdict thresholds (``metrics.claims``) and
the sources it cites. A **check** names a rule and its arguments (``:``-separated), e.g.
``holder_change:china:2015-12:2025-12:down``. Each row of data/claims.csv names the check that
measures it and the value it claims; `/reset claims` runs every row, and the fact-check runs the
same check with the value (or direction) found in a message instead — so the two can never
disagree about an official figure, a threshold or a source. Verdicts are computed at run time,
so a data refresh can change them; only claims that no official source can measure carry a fixed
verdict (``verdict_if_unchecked``, e.g. "no primary source").

Rules (arguments after the name):

* ``iip_liabilities_usd_t``, ``iip_assets_usd_t``, ``iip_net_usd_t``, ``iip_net_pct_gdp``
* ``holder_change:<holder>:<start>:<end>:<up|down>`` — the direction claimed over a stated
  window (pinned, so the figure shown matches the claim's evidence after a refresh)
* ``holder_level:<holder>`` — a holder's Treasuries in its newest TIC month, $bn
* ``shl_eu27:<treasury|corporate|equities>`` — EU-27 holdings by type, $T
* ``shl_europe_total`` — all of Europe's holdings of US securities (SHL "Total Europe"), $T
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
* ``shock_range:<holder>:<percent>`` — "if X sold N%, yields would rise by Y": the claimed rise
  (bp) against the scenario model's peak range for the 10-year (metrics.shock): inside it is
  partly (a model allows it; it is not a measurement), outside not supported
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from handlers import formatting as fmt
from handlers.datasets import Datasets, Source
from handlers.europe import eu_holdings
from handlers.holders import Holder, HolderRegistry
from handlers.lookup import holder_series, official_series
from handlers.queries import ClaimsQuery, ShockQuery
from handlers.reply import Reply, build, context, header, section
from handlers.topics.buying import breakdown
from handlers.topics.gap import latest_position
from handlers.topics.gold import gold_crossover
from handlers.topics.shock import run_shock
from metrics import (
    NON_COUNTRY_LABELS,
    Verdict,
    change_between,
    judge_against_range,
    judge_count,
    judge_direction,
    judge_level,
    judge_only_one,
    judge_steady_decline,
    judge_threshold,
)

LEVEL_TOLERANCE_PCT = 5.0  # "about $68.9T" is confirmed within 5% of the official figure
LEVEL_RULE = (f"confirmed within {LEVEL_TOLERANCE_PCT:g}% of the official figure, "
              f"partly within {2 * LEVEL_TOLERANCE_PCT:g}%")
DIRECTION_RULE = "confirmed if the official change has the claimed sign"

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


Compute = Callable[[Sequence[str], float | None, Datasets, HolderRegistry], Measured]


@dataclass(frozen=True)
class Rule:
    """One way of measuring a claim with official data (see the module docstring)."""

    name: str
    checks: str  # what it checks, in words
    unit: str  # the claimed value's unit: "usd_t", "usd_bn", "pct", "ratio", "bp"; "" = none (a direction)
    thresholds: str  # its verdict thresholds, in words
    compute: Compute


RULES: dict[str, Rule] = {}


def rule(name: str, checks: str, unit: str, thresholds: str) -> Callable[[Compute], Compute]:
    def register(compute: Compute) -> Compute:
        if name in RULES:
            raise ValueError(f"rule {name!r} defined twice")
        RULES[name] = Rule(name, checks, unit, thresholds, compute)
        return compute
    return register


def rule_of(check: str) -> Rule:
    """The rule a check names; ValueError for one this code does not know."""
    found = RULES.get(check.split(":", 1)[0])
    if found is None:
        raise ValueError(f"unknown check {check!r}")
    return found


def measure(check: str, claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    """Run one check; raises ValueError for a check key this code does not know."""
    name, *args = check.split(":")
    return rule_of(check).compute(args, claimed, datasets, holders)


def _direction(word: str) -> int:
    if word not in ("up", "down"):
        raise ValueError(f"claims.csv: a direction must be 'up' or 'down', got {word!r}")
    return 1 if word == "up" else -1


def _level(claimed: float, official: float, shown: str, sources: Sequence[Source]) -> Measured:
    return Measured(judge_level(claimed, official, LEVEL_TOLERANCE_PCT), shown, tuple(sources))


def _tic(datasets: Datasets) -> list[Source]:
    return [datasets.source("treasury_holdings")]


def _iip(name: str, claimed: float | None, datasets: Datasets) -> Measured:
    pos = latest_position(datasets)
    q = fmt.quarter_label(pos.period)
    values: dict[str, tuple[float, str]] = {
        "iip_liabilities_usd_t": (pos.liabilities_usd_bn / 1000, f"{fmt.usd_bn(pos.liabilities_usd_bn)} ({q})"),
        "iip_assets_usd_t": (pos.assets_usd_bn / 1000, f"{fmt.usd_bn(pos.assets_usd_bn)} ({q})"),
        "iip_net_usd_t": (abs(pos.headline_net_usd_bn) / 1000, f"{fmt.usd_bn(pos.headline_net_usd_bn)} ({q})"),
        "iip_net_pct_gdp": (abs(pos.net_pct_gdp), f"{fmt.pct(pos.net_pct_gdp)} of GDP ({q})"),
    }
    value, shown = values[name]
    return _level(_need(claimed, name), value, shown, [datasets.source("iip_quarterly"), datasets.source("gdp_annual")])


def _iip_rule(name: str) -> Compute:
    def compute(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
        return _iip(name, claimed, datasets)
    return compute


for _name, _what, _unit in (
    ("iip_liabilities_usd_t", "what foreigners own in the US (BEA IIP liabilities)", "usd_t"),
    ("iip_assets_usd_t", "what the US owns abroad (BEA IIP assets)", "usd_t"),
    ("iip_net_usd_t", "the gap: the net international investment position, in size", "usd_t"),
    ("iip_net_pct_gdp", "the gap as a share of that year's GDP", "pct"),
):
    rule(_name, _what, _unit, LEVEL_RULE)(_iip_rule(_name))


@rule("holder_change", "a holder's direction of change in TIC holdings over a window", "", DIRECTION_RULE)
def _holder_change(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    holder, start, end, direction = holders.get(args[0]), args[1], args[2], args[3]
    change = change_between(holder_series(datasets, holder), start, end)
    shown = (f"{holder.label}: {fmt.usd_bn(change.start_value)} ({fmt.month(str(change.start))}) → "
             f"{fmt.usd_bn(change.end_value)} ({fmt.month(str(change.end))})")
    return Measured(judge_direction(_direction(direction), change.change), shown, tuple(_tic(datasets)))


@rule("holder_level", "a holder's US Treasuries in its newest TIC month", "usd_bn", LEVEL_RULE)
def _holder_level(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    holder = holders.get(args[0])
    series = holder_series(datasets, holder)
    month = str(series.index.max())
    value = float(series.loc[month])
    return _level(_need(claimed, "holder_level"), value, f"{holder.title}: {fmt.usd_bn(value)} ({fmt.month(month)})",
                  _tic(datasets))


@rule("shl_eu27", "EU-27 holdings of US securities by type (SHL survey, June 2025)", "usd_t", LEVEL_RULE)
def _shl_eu27(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    column = {"treasury": "treasury_usd_mn", "corporate": "lt_corporate_usd_mn", "equities": "equities_usd_mn"}[args[0]]
    value = eu_holdings(datasets).by_type_usd_bn[column]
    return _level(_need(claimed, "shl_eu27"), value / 1000, f"{fmt.usd_bn(value)} (EU-27, June 2025)",
                  [datasets.source("shl_holdings")])


@rule("shl_europe_total", "all of Europe's holdings of US securities, every type (SHL survey, June 2025)", "usd_t",
      LEVEL_RULE)
def _shl_europe(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    eu = eu_holdings(datasets)
    shown = (f"Europe {fmt.usd_bn(eu.europe_usd_bn)} of US securities (equities, long- and short-term debt; "
             "June 2025)")
    return _level(_need(claimed, "shl_europe_total"), eu.europe_usd_bn / 1000, shown, [datasets.source("shl_holdings")])


@rule("europe_share_of_foreign_holdings", "Europe's holdings of US securities ÷ the rest of the world's", "ratio",
      LEVEL_RULE)
def _europe_ratio(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    eu = eu_holdings(datasets)
    rest = eu.all_foreign_usd_bn - eu.europe_usd_bn
    ratio = eu.europe_usd_bn / rest
    shown = (f"Europe {fmt.usd_bn(eu.europe_usd_bn)} vs the rest of the world {fmt.usd_bn(rest)} "
             f"({ratio:.2f}×; {fmt.pct(100 * eu.europe_usd_bn / eu.all_foreign_usd_bn)} of foreign holdings)")
    return _level(_need(claimed, "europe_share_of_foreign_holdings"), ratio, shown, [datasets.source("shl_holdings")])


@rule("europe_buying_share", "Europe's share of the rise in foreign holdings of Treasuries over a window (TIC)",
      "pct", LEVEL_RULE)
def _europe_buying(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    start, end = args
    b = breakdown(datasets, holders, start, end)
    europe = next(r for r in b.regions if r.region == "Europe")
    share = europe.share_of_total_change_pct or 0.0
    shown = (f"{fmt.pct(share)} ({fmt.usd_bn(europe.change_usd_bn, signed=True)} of "
             f"{fmt.usd_bn(b.total_change_usd_bn, signed=True)}, end-{fmt.month(start)} → end-{fmt.month(end)})")
    return _level(_need(claimed, "europe_buying_share"), share, shown, _tic(datasets))


@rule("gold_vs_official_ust", "has central banks' gold passed foreign official Treasuries?", "",
      "confirmed if it has without the US's gold too, partly if only counting it")
def _gold(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    cross = gold_crossover(datasets)
    all_above, ex_above = cross.all_official_gold.above_at_latest, cross.ex_us_official_gold.above_at_latest
    verdict: Verdict = "confirmed" if ex_above else ("partly" if all_above else "not_supported")
    shown = (f"gold ÷ foreign official Treasuries at "
             f"{fmt.quarter_end(cross.all_official_gold.latest_quarter_end)}: "
             f"{cross.all_official_gold.latest_ratio:.2f} counting the US's gold, "
             f"{cross.ex_us_official_gold.latest_ratio:.2f} without it")
    return Measured(verdict, shown, (datasets.source("gold_reserves"), *_tic(datasets)))


@rule("holders_change", "the same direction for several holders over a window (TIC)", "",
      "confirmed if all moved that way, partly if some did")
def _holders_change(args: Sequence[str], claimed: float | None, datasets: Datasets,
                    holders: HolderRegistry) -> Measured:
    keys, start, end, wanted = args[0].split(","), args[1], args[2], _direction(args[3])
    parts, moved = [], 0
    for key in keys:
        holder = holders.get(key)
        change = change_between(holder_series(datasets, holder), start, end)
        moved += judge_direction(wanted, change.change) == "confirmed"
        parts.append(f"{holder.label} {fmt.usd_bn(change.change, signed=True)}")
    return Measured(judge_count(moved, len(keys)),
                    f"{', '.join(parts)} (end-{fmt.month(start)} → end-{fmt.month(end)})", tuple(_tic(datasets)))


@rule("only_buyer", "of the largest holders, did only this one add? (TIC)", "",
      "confirmed if no other added, partly if one other did")
def _only_buyer_rule(args: Sequence[str], claimed: float | None, datasets: Datasets,
                     holders: HolderRegistry) -> Measured:
    key, start, end, top = args[0], args[1], args[2], int(args[3])
    return _only_buyer(holders.get(key), start, end, top, datasets, holders, _tic(datasets))


@rule("primary_financier", "a region's rise in TIC holdings ÷ the rise in debt held by the public CBO expects", "",
      "confirmed above 50%, partly above 25%")
def _primary_financier(args: Sequence[str], claimed: float | None, datasets: Datasets,
                       holders: HolderRegistry) -> Measured:
    region, start, end = args
    b = breakdown(datasets, holders, start, end)
    row = next(r for r in b.regions if r.region.lower() == region.lower())
    path = datasets.frame("cbo_debt_path").set_index("year")["debt_held_by_public_usd_bn"]
    rise = float(path.loc[2026] - path.loc[2025])
    share = 100 * row.change_usd_bn / rise
    shown = (f"{row.region} added {fmt.usd_bn(row.change_usd_bn, signed=True)} (end-{fmt.month(start)} → "
             f"end-{fmt.month(end)}), {fmt.pct(share)} of the {fmt.usd_bn(rise)} rise in debt held by the public "
             "CBO expects for FY2026")
    return Measured(judge_threshold(share, 50, 25), shown, (*_tic(datasets), datasets.source("cbo_debt_path")))


@rule("steady_decline", "did foreign official holdings fall December to December, steadily? (TIC)", "",
      "confirmed if lower overall and in at least 70% of the years, partly if lower overall only")
def _steady_decline(args: Sequence[str], claimed: float | None, datasets: Datasets,
                    holders: HolderRegistry) -> Measured:
    first, last = int(args[1]), int(args[2])
    series = official_series(datasets)
    years = [y for y in range(first, last + 1) if f"{y}-12" in series.index]
    decembers = [float(series.loc[f"{y}-12"]) for y in years]
    verdict, falls, steps = judge_steady_decline(decembers)
    shown = (f"foreign official holdings {fmt.usd_bn(decembers[0])} (Dec {years[0]}) → {fmt.usd_bn(decembers[-1])} "
             f"(Dec {years[-1]}); lower than a year before in {falls} of {steps} years")
    return Measured(verdict, shown, tuple(_tic(datasets)))


@rule("shock_range", "a claimed rise in the 10-year yield if a holder sold a share of its Treasuries", "bp",
      "partly if inside the scenario model's peak range (a model, not a measurement), else not supported")
def _shock_range(args: Sequence[str], claimed: float | None, datasets: Datasets, holders: HolderRegistry) -> Measured:
    holder, percent = holders.get(args[0]), float(args[1])
    result, month = run_shock(ShockQuery(holder=holder.key, percent=percent), datasets, holders)
    peak, lasting = result.peak_10y_bp, result.long_run_10y_bp
    shown = (f"the scenario model (`/reset shock {holder.key} {percent:g}%`): {holder.label} selling "
             f"{fmt.usd_bn(result.amount_usd_bn)} ({fmt.month(month)} holdings) moves the 10-year "
             f"{fmt.bp_range(peak.central, peak.low, peak.high)} at the peak, "
             f"{fmt.bp_range(lasting.central, lasting.low, lasting.high)} lasting"
             + ("; outside the evidence, an extrapolation" if result.beyond_evidence else ""))
    verdict = judge_against_range(_need(claimed, "shock_range"), peak.low, peak.high)
    return Measured(verdict, shown, (*_tic(datasets), datasets.source("yield_calibration")))


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
    verdict = judge_only_one(own, len(others))
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
    blocks.append(context([f"Rules: a level is {LEVEL_RULE}; a direction must match the official change."]))
    text = "Fact-check: " + "; ".join(f"{r.claim} — {r.measured.verdict.replace('_', ' ')}" for r in results)
    return build(blocks, text, sources=sources)

