"""WHAT A CHART IS DRAWN FROM: one pure table value per chart, `ChartData`.

Every chart is built in two steps: `chart_data(key, datasets)` computes a `ChartData` — the rows
(series, category, period, date, value, unit, source, vintage) and the words the image carries —
and `handlers.charts.topics` draws that value and nothing else. The "Data (CSV)" button and
`reset-bot ask --csv` write the same value (`handlers.csvdata`), so the file and the picture
cannot disagree: both are read from one tuple of rows, not recomputed twice.

Rows hold every number the image shows — the plotted points and bars, and the figures written on
it (a peak, a sale's size, the article's claim) — each with the source and vintage it came from.
No matplotlib here: this module is imported by the CSV path, which must stay light.
"""

from __future__ import annotations

import calendar
import inspect
import re
from collections.abc import Callable, Iterable

import pandas as pd
from pydantic import BaseModel, ConfigDict

from handlers import formatting as fmt
from handlers.charts import UnknownChart
from handlers.datasets import Datasets, Source
from handlers.europe import TYPES, eu_holdings
from handlers.holders import EU
from handlers.holders import registry_for as registry
from handlers.lookup import fact, holder_series
from handlers.queries import ShockQuery
from handlers.topics.buying import breakdown, windows
from handlers.topics.gap import history_pct_gdp, latest_position
from handlers.topics.gold import gold_table
from handlers.topics.holdings import STORY
from handlers.topics.refinancing import wall
from metrics.shock import Range

YEARS_SHOWN = 12

#: The CSV's columns, in order (`Row`'s fields).
COLUMNS = ("series", "category", "period", "date", "value", "unit", "source", "vintage")


class Row(BaseModel):
    """One number on a chart. ``period`` is the data's own label ("2025-12", "2025Q3", "2024",
    "month 7"); ``date`` is the ISO date that period ends on (YYYY-MM-DD), or "" for a model's
    months-after-the-start. ``category`` is a bar's label where one series has several bars."""

    model_config = ConfigDict(frozen=True)

    series: str
    category: str = ""
    period: str = ""
    date: str = ""
    value: float
    unit: str
    source: str
    vintage: str


class Style(BaseModel):
    """How a series is drawn: its label on the image (legend or tick), emphasis and dashing."""

    model_config = ConfigDict(frozen=True)

    series: str
    label: str = ""
    bold: bool = False
    dashed: bool = False


class ChartData(BaseModel):
    """Everything one chart shows: title, subtitle, the source line, a warning drawn across the
    plot (an extrapolation), the series' styles and the rows."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    subtitle: str = ""
    source_line: str
    warning: str = ""
    styles: tuple[Style, ...] = ()
    rows: tuple[Row, ...]

    def series(self, name: str) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.series == name)

    def values(self, name: str) -> list[float]:
        return [r.value for r in self.rows if r.series == name]

    def one(self, name: str) -> Row:
        rows = self.series(name)
        if len(rows) != 1:
            raise ValueError(f"chart {self.key!r} has {len(rows)} rows of {name!r}, expected one")
        return rows[0]

    def style(self, name: str) -> Style:
        return next((s for s in self.styles if s.series == name), Style(series=name, label=name))


def iso_end(period: str) -> str:
    """The ISO date a period ends on: "2024" → "2024-12-31", "2025-12" → "2025-12-31",
    "2025Q3" → "2025-09-30"; an ISO date is returned as it is, anything else as ""."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return period
    if re.fullmatch(r"\d{4}", period):
        return f"{period}-12-31"
    month = re.fullmatch(r"(\d{4})-(\d{2})", period)
    quarter = re.fullmatch(r"(\d{4})-?Q([1-4])", period)
    if month:
        year, m = int(month[1]), int(month[2])
    elif quarter:
        year, m = int(quarter[1]), int(quarter[2]) * 3
    else:
        return ""
    return f"{year:04d}-{m:02d}-{calendar.monthrange(year, m)[1]:02d}"


def cite(*sources: Source) -> tuple[str, str]:
    """The source and vintage columns for numbers from these datasets (publisher and series; each
    vintage once)."""
    names = dict.fromkeys(f"{s.publisher}, {s.series}" for s in sources)
    vintages = dict.fromkeys(s.vintage for s in sources)
    return "; ".join(names), "; ".join(vintages)


def short_cite(source: Source) -> str:
    """A compact citation for the image: first publisher, first series, as-of date."""
    publisher = source.publisher.split(";")[0].split(" (")[0].strip()
    series = source.series.split(";")[0].strip()
    return f"{publisher}, {series}, as of {source.as_of}"


def _rows(series: str, points: Iterable[tuple[str, float]], unit: str, sources: tuple[str, str],
          category: str = "") -> list[Row]:
    source, vintage = sources
    return [Row(series=series, category=category, period=period, date=iso_end(period), value=float(value), unit=unit,
                source=source, vintage=vintage) for period, value in points]


# -- one builder per chart ----------------------------------------------------------------------

NET_YEAR_END = "Net international investment position, year-end"
NET_QUARTER = "Net international investment position, latest quarter"
NET_QUARTER_USD = "Net international investment position, latest quarter (published)"


def gap(datasets: Datasets) -> ChartData:
    history = history_pct_gdp(datasets)
    pos = latest_position(datasets)
    annual = cite(datasets.source("iip_annual"), datasets.source("gdp_annual"))
    quarterly = cite(datasets.source("iip_quarterly"), datasets.source("gdp_annual"))
    rows = _rows(NET_YEAR_END, ((str(int(y)), v) for y, v in history.items()), "% of GDP", annual)
    rows += _rows(NET_QUARTER, [(pos.period, pos.net_pct_gdp)], "% of GDP", quarterly)
    rows += _rows(NET_QUARTER_USD, [(pos.period, pos.headline_net_usd_bn)], "$bn",
                  cite(datasets.source("iip_quarterly")))
    return ChartData(
        key="gap", title="The US foreign-asset gap",
        subtitle="Net international investment position, % of GDP (year-end; latest quarter marked)",
        source_line=(f"Source: {short_cite(datasets.source('iip_annual'))}; "
                     f"{short_cite(datasets.source('gdp_annual'))}; "
                     f"latest quarter: {short_cite(datasets.source('iip_quarterly'))}"),
        rows=tuple(rows))


def holdings(datasets: Datasets, holder_key: str | None = None) -> ChartData:
    holders = registry(datasets)
    source = datasets.source("treasury_holdings")
    line = f"Source: {short_cite(source)}. EU = members TIC lists separately."
    if holder_key is not None:
        holder = holders.get(holder_key)
        series = holder_series(datasets, holder)
        rows = _rows(holder.title, ((str(m), v) for m, v in series.items()), "$bn", cite(source))
        return ChartData(key=f"holdings:{holder_key}", title=f"{holder.title}: US Treasury holdings",
                         subtitle="End of month, $ billions", source_line=line, rows=tuple(rows),
                         styles=(Style(series=holder.title, label=holder.title, bold=True),))
    rows, styles, start = [], [], None
    for key in (*STORY, EU):
        holder = holders.get(key)
        series = holder_series(datasets, holder)
        start = start or f"{int(str(series.index.max())[:4]) - YEARS_SHOWN}-01"
        series = series[series.index >= start]
        rows += _rows(holder.title, ((str(m), v) for m, v in series.items()), "$bn", cite(source))
        styles.append(Style(series=holder.title, label=holder.title + ("†" if holder.custodial_centre else ""),
                            bold=key in ("china", EU), dashed=key == EU))
    return ChartData(key="holdings", title="Who holds US Treasuries",
                     subtitle="End of month, $ billions; † custody centre (holder, not owner)",
                     source_line=line, rows=tuple(rows), styles=tuple(styles))


EU27, UK = "EU-27", "United Kingdom"


def europe(datasets: Datasets) -> ChartData:
    eu = eu_holdings(datasets)
    source = datasets.source("shl_holdings")
    period = source.as_of[:7]
    rows = [r for col, value in eu.by_type_usd_bn.items()
            for r in _rows(EU27, [(period, value)], "$bn", cite(source), category=TYPES[col])]
    rows += [r for col in eu.by_type_usd_bn if col in eu.uk_usd_bn
             for r in _rows(UK, [(period, eu.uk_usd_bn[col])], "$bn", cite(source), category=TYPES[col])]
    return ChartData(key="europe", title="US securities held in the EU, by type",
                     subtitle="EU-27 residents, June 2025, $ billions (TIC survey)",
                     source_line=f"Source: {short_cite(source)}. Suppressed cells excluded.", rows=tuple(rows))


CHANGE, SHARE, ALL_FOREIGN = "Change in holdings", "Share of the all-foreign change", "All foreign holders"


def buying(datasets: Datasets) -> ChartData:
    start, end = windows(datasets)[-1]
    result = breakdown(datasets, registry(datasets), start, end)
    source = datasets.source("treasury_holdings")
    period = f"{start} to {end}"
    rows = [Row(series=CHANGE, category=r.region, period=period, date=iso_end(end), value=float(r.change_usd_bn),
                unit="$bn", source=cite(source)[0], vintage=source.vintage) for r in result.regions]
    rows += [Row(series=SHARE, category=r.region, period=period, date=iso_end(end),
                 value=float(r.share_of_total_change_pct), unit="%", source=cite(source)[0], vintage=source.vintage)
             for r in result.regions if r.share_of_total_change_pct is not None]
    rows.append(Row(series=ALL_FOREIGN, period=period, date=iso_end(end), value=float(result.total_change_usd_bn),
                    unit="$bn", source=cite(source)[0], vintage=source.vintage))
    return ChartData(
        key="buying", title=f"Who added US Treasuries, end-{fmt.month(start)} to end-{fmt.month(end)}",
        subtitle=(f"Change in holdings, $ billions (all foreign: "
                  f"{fmt.usd_bn(result.total_change_usd_bn, signed=True)}); includes price changes"),
        source_line=f"Source: {short_cite(source)}. Europe includes the EU, UK, Norway, Switzerland; regions overlap.",
        rows=tuple(rows))


BILLS, COUPONS, BOTH, CLAIM, GDP = ("Treasury bills (rolled over)", "Notes & bonds due ≤12 months", "Bills + coupons",
                                    "Claimed 2026 wall", "Nominal GDP (denominator of the % of GDP labels)")


def refinancing(datasets: Datasets) -> ChartData:
    everything, coupons = wall(datasets)
    claim = fact(datasets, "refi_2026_claim_usd_bn")
    bills = fact(datasets, "treasury_bills_usd_bn")
    calibration = datasets.source("yield_calibration")
    apollo = ("Reset Bot, derived from Apollo's maturity shares (data/yield_calibration.csv)", calibration.vintage)
    both = (f"{cite(bills.source)[0]} + {apollo[0]}", "; ".join(dict.fromkeys((bills.source.vintage, apollo[1]))))
    rows = []
    if everything.bills_usd_bn is not None:
        rows += _rows(BILLS, [(bills.period, everything.bills_usd_bn)], "$bn", cite(bills.source))
    rows += _rows(COUPONS, [(bills.period, coupons.maturing_usd_bn)], "$bn", apollo)
    rows += _rows(BOTH, [(bills.period, everything.maturing_usd_bn)], "$bn", both)
    rows += _rows(CLAIM, [(claim.period, claim.value)], "$bn", (f"{claim.source.publisher} (no primary source)",
                                                               claim.source.vintage))
    rows += _rows(GDP, [(bills.period[:4], everything.gdp_usd_bn)], "$bn", cite(datasets.source("gdp_annual")))
    labels = {BILLS: "Treasury bills\n(rolled over)", COUPONS: "Notes & bonds\ndue ≤12 months",
              BOTH: "Bills + coupons", CLAIM: "Claimed 2026 wall"}
    return ChartData(
        key="refinancing", title=f"What matures within a year vs the “{fmt.usd_bn(claim.value, digits=0)} wall”",
        subtitle=f"$ billions; bills as outstanding at {bills.period}",
        source_line=(f"Sources: {short_cite(bills.source)}; coupons derived from Apollo shares "
                     "(yield_calibration.csv); "
                     f"claim: {claim.source.publisher} (no primary source)"),
        styles=tuple(Style(series=s, label=label) for s, label in labels.items()), rows=tuple(rows))


GOLD_SERIES = {"official_ust_usd_bn": "Foreign official Treasuries (TIC)",
               "gold_all_usd_bn": "Official gold, incl. US",
               "gold_ex_us_usd_bn": "Official gold, excl. US"}


def gold(datasets: Datasets) -> ChartData:
    table = gold_table(datasets)
    gold_src, tic = datasets.source("gold_reserves"), datasets.source("treasury_holdings")
    rows: list[Row] = []
    for column, name in GOLD_SERIES.items():
        source, vintage = cite(tic) if column == "official_ust_usd_bn" else cite(gold_src)
        rows += [Row(series=name, period=_quarter(str(day)), date=str(day), value=float(value), unit="$bn",
                     source=source, vintage=vintage) for day, value in table[column].items()]
    return ChartData(
        key="gold", title="Central-bank gold vs foreign official Treasuries",
        subtitle="Market value, $ billions, quarter-ends",
        source_line=(f"Sources: {gold_src.publisher.split(' (')[0]}, central-bank gold summed over reporters, "
                     f"quarter-ends to {table.index[-1]} (later quarters have too few reporters); "
                     f"{short_cite(tic)}, foreign official holdings"),
        styles=(Style(series=GOLD_SERIES["official_ust_usd_bn"], label=GOLD_SERIES["official_ust_usd_bn"], bold=True),
                Style(series=GOLD_SERIES["gold_all_usd_bn"], label=GOLD_SERIES["gold_all_usd_bn"], bold=True),
                Style(series=GOLD_SERIES["gold_ex_us_usd_bn"], label=GOLD_SERIES["gold_ex_us_usd_bn"], dashed=True)),
        rows=tuple(rows))


def _quarter(day: str) -> str:
    stamp = pd.Timestamp(day)
    return f"{stamp.year}Q{stamp.quarter}"


LOW, CENTRAL, HIGH = ("10-year yield change, low", "10-year yield change, central", "10-year yield change, high")
ARTICLE, SALE, SALE_SHARE = "The article's claim", "Size of the sale", "Share of marketable debt"
SHOWN_MONTHS = 36
EXTRAPOLATION = "Outside the evidence:\na straight-line extrapolation, not a forecast"


def shock(datasets: Datasets, scenario: str) -> ChartData:
    """The 10-year's path over 36 months (low / central / high) with the article's claim.

    ``scenario`` is `handlers.topics.shock.scenario_text` of the query."""
    from handlers.parsing import parse
    from handlers.topics.shock import run_shock, scenario_text, title_of

    holders = registry(datasets)
    query = parse("shock " + scenario, holders)
    if not isinstance(query, ShockQuery) or scenario_text(query) != scenario:
        raise ValueError(f"not a canonical scenario: {scenario!r}")
    result, month = run_shock(query, datasets, holders)
    calibration, tic = datasets.source("yield_calibration"), datasets.source("treasury_holdings")
    model = (f"Reset Bot scenario model (metrics/shock.py) on data/yield_calibration.csv and TIC holdings of "
             f"{month}", "; ".join(dict.fromkeys((calibration.vintage, tic.vintage))))
    points = [p for p in result.path if p.month <= SHOWN_MONTHS]
    rows: list[Row] = []
    bands: tuple[tuple[str, Callable[[Range], float]], ...] = (
        (LOW, lambda r: r.low), (CENTRAL, lambda r: r.central), (HIGH, lambda r: r.high))
    for name, pick in bands:
        rows += [Row(series=name, period=f"month {p.month}", value=float(pick(p.bp)), unit="bp", source=model[0],
                     vintage=model[1]) for p in points]
    rows += _rows(ARTICLE, [("", result.article_bp)], "bp", (
        "The thesis's claim (\"EU sells 20% → +1 pp\": 25 bp per $100bn, data/yield_calibration.csv) applied to "
        "this sale; no primary source", calibration.vintage))
    rows += _rows(SALE, [(month, result.amount_usd_bn)], "$bn", (f"TIC holdings of {month} × the scenario's percent",
                                                                  tic.vintage))
    rows += _rows(SALE_SHARE, [(month, result.share_of_marketable_pct)], "%", model)
    subtitle = (f"≈{fmt.usd_bn(result.amount_usd_bn)}, {fmt.pct(result.share_of_marketable_pct, digits=2)} "
                "of marketable debt")
    if result.beyond_evidence:
        subtitle = "EXTRAPOLATION, larger than any sale on record: " + subtitle
    return ChartData(
        key=f"shock:{scenario}", title=title_of(query, holders)[:90], subtitle=subtitle,
        source_line=(f"Model: Reset Bot scenario model, data/yield_calibration.csv ({short_cite(calibration)}); "
                     f"holdings: TIC, {fmt.month(month)}; back-test: /reset history"),
        warning=EXTRAPOLATION if result.beyond_evidence else "",
        styles=(Style(series=HIGH, label="Range (low to high)"), Style(series=CENTRAL, label="Central", bold=True),
                Style(series=ARTICLE, label="The article's claim", dashed=True)),
        rows=tuple(rows))


def _alert(datasets: Datasets, *parts: str) -> ChartData:
    from handlers.charts.alerts import alert_data  # it imports handlers.alerts, which imports the topics

    return alert_data(datasets, *parts)


BUILDERS: dict[str, Callable[..., ChartData]] = {
    "gap": gap,
    "holdings": holdings,
    "europe": europe,
    "buying": buying,
    "refinancing": refinancing,
    "gold": gold,
    "shock": shock,
    "alert": _alert,
}


def chart_data(key: str, datasets: Datasets) -> ChartData:
    """The table behind the chart ``key`` (a `ChartRef.key`: ``gap``, ``holdings:china``,
    ``shock:eu 20%`` …). Unknown names raise `UnknownChart`; bad parameters raise what the
    builder raises (an unknown holder, a non-canonical scenario)."""
    name, _, args = key.partition(":")
    builder = BUILDERS.get(name)
    if builder is None:
        raise UnknownChart(f"no chart called {name!r}")
    parts = tuple(args.split(":")) if args else ()
    try:  # a key with more (or fewer) parts than its chart takes: a forged or stale button
        inspect.signature(builder).bind(datasets, *parts)
    except TypeError:
        raise UnknownChart(f"chart {name!r} does not take {len(parts)} parameter(s)") from None
    data: ChartData = builder(datasets, *parts)
    return data
