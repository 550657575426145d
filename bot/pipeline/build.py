"""Build ``data/``: parse the publishers' raw files into the generated CSVs and describe every
CSV (generated and hand-curated) in ``data/datapackage.json``.

    python -m bot.pipeline.build RAW_DIR OUT_DIR     # e.g. tests/fixtures/raw data

The curated metadata (titles, sources, units, field descriptions) lives in ``data/catalog.json``
(`bot.pipeline.catalog`); the build adds only what it measures (sha256, period, as-of, measured
vintages), so regenerating is one command. The output is deterministic: the same raw files give
the same bytes (no timestamps), which a test checks. Hand-curated CSVs must already be in ``OUT_DIR``; they are
hashed and described, never rewritten. The whole folder is validated with
`bot.pipeline.load.load_datasets` at the end, so a build cannot leave files the bot would refuse.

Treasury holdings (``treasury_holdings.csv``) combine two TIC tables:

* ``mfhhis01.txt`` gives the full monthly history (Mar 2000 onwards);
* ``slt_table5.txt`` gives the latest 13 months (a newer release).

Where a month is in both, the newer ``slt_table5`` vintage wins for every holder it lists
(including the Grand Total and the foreign-official lines); ``mfhhis01`` rows are kept for the
holders ``slt_table5`` does not list (Germany, the Netherlands, …) and for "All Other", because
"All Other" is the residual of each table's own country list (Table 5 lists fewer countries, so
its "All Other" is larger). The ``table`` column says which table each row came from. The build
checks that, in every merged month, the holders still add up to the Grand Total.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bot.pipeline.catalog import Catalog, catalog, describe_resource, header_of
from bot.pipeline.cells import csv_bytes, integer_cell, number_cell
from bot.pipeline.load import load_datasets
from bot.pipeline.sources import (
    parse_cofer,
    parse_fred_csv,
    parse_mfhhis01,
    parse_shl_a5,
    parse_shl_a7,
    parse_slt_table5,
    parse_wgc,
    quarterly_totals,
    world_table,
)
from bot.pipeline.sources.mspd import parse_mspd_summary
from bot.pipeline.sources.tic import ALL_OTHER, GRAND_TOTAL, MEMO_LABELS

#: The 27 EU member states, spelled as in the TIC SHL appendix tables.
EU27 = (
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Denmark", "Estonia",
    "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia", "Lithuania",
    "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia",
    "Spain", "Sweden",
)  # fmt: skip

RAW: dict[str, str] = {
    "mfhhis01": "tic/mfhhis01.txt",
    "slt_table5": "tic/slt_table5.txt",
    "shl_a5": "shl-2025/shl_app05_2025.csv",
    "shl_a7": "shl-2025/shl_app07_2025.csv",
    "wgc": "wgc/cbd_quarterly_2000_2026.json",
    "niip": "fred/niip.csv",
    "gdp": "fred/gdp.csv",
    "dgs10": "fred/DGS10.csv",
    "treast": "fred/TREAST.csv",
    "walcl": "fred/WALCL.csv",
    "mspd": "mspd/MSPD_SumSecty_20010131_20260531.csv",
}
#: COFER comes in three files (shares, total and US-dollar nominal values) of one IMF release.
RAW_COFER = ("imf-cofer/cofer_shares.xml", "imf-cofer/cofer_total_nv.xml", "imf-cofer/cofer_usd_nv.xml")

#: The back-test's episodes (issue 11): (key, TIC holder row, title, first month-end, last
#: month-end, what else was going on). The windows are the episodes as usually told; the
#: numbers are computed from the raw files by `build_yield_episodes`. The last episode's window
#: is found in the data: the largest fall of foreign official holdings over 12 months.
EPISODES: list[tuple[str, str, str, str | None, str | None, str]] = [
    ("march_2020", GRAND_TOTAL, "All foreign holders, March 2020 (the 'dash for cash')", "2020-02", "2020-03",
     "Mutual funds, hedge funds and foreign official holders all sold at once; the Fed bought Treasuries at a "
     "record pace and cut rates to zero. The 10-year peaked on 18 March and ended the month lower."),
    ("china_2016", "China, Mainland", "China, 2016 (defending the yuan)", "2016-02", "2016-11",
     "China's largest 2016 decline; the US election in November and a Fed hike priced for December moved "
     "yields most."),
    ("russia_2018", "Russia", "Russia's exit, April-May 2018", "2018-03", "2018-05",
     "Sanctions; the Fed was raising rates; Italy's political scare in late May pulled yields down."),
    ("japan_2022", "Japan", "Japan's yen intervention, September-October 2022", "2022-08", "2022-10",
     "The Fed raised rates by 150 bp in September-November and shrank its balance sheet; much of the fall "
     "in holdings is falling prices, not sales."),
    ("official_12m", "Foreign Official", "Largest 12-month fall in foreign official holdings", None, None,
     "The Fed's fastest hiking cycle in forty years; holdings are at market value, so falling prices are "
     "a large part of the fall."),
]

# ------------------------------------------------------------------------------------------
# Generated resources
# ------------------------------------------------------------------------------------------


def _read(raw_dir: Path, relative: str) -> str:
    return (raw_dir / relative).read_text(encoding="utf-8")


def build_iip_annual(raw_dir: Path) -> list[list[str]]:
    frame = parse_fred_csv(_read(raw_dir, RAW["niip"]), Path(RAW["niip"]).name)
    return [[str(d.year), number_cell(v / 1000, 3)] for d, v in zip(frame["date"], frame["value"])]


def build_gdp_annual(raw_dir: Path) -> list[list[str]]:
    frame = parse_fred_csv(_read(raw_dir, RAW["gdp"]), Path(RAW["gdp"]).name)
    return [[str(d.year), number_cell(v, 3)] for d, v in zip(frame["date"], frame["value"])]


def merge_holdings(history: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """mfhhis01 history + slt_table5 latest months (see the module docstring for the rule).

    Row order: month, then mfhhis01's order within the month, then any Table 5 holder mfhhis01
    does not show; months only in Table 5 keep its order.
    """
    newer = {
        (m, h): v for m, h, v in zip(latest["month"], latest["holder"], latest["usd_bn"]) if h != ALL_OTHER
    }
    latest_months = set(latest["month"])
    out: list[tuple[str, str, float, str]] = []
    for month, rows in history.groupby("month", sort=True):
        shown = set()
        for holder, value in zip(rows["holder"], rows["usd_bn"]):
            shown.add(holder)
            if (month, holder) in newer:
                out.append((month, holder, newer[(month, holder)], "slt_table5"))
            else:
                out.append((month, holder, value, "mfhhis01"))
        if month in latest_months:
            extra = latest[(latest["month"] == month) & ~latest["holder"].isin(shown) & (latest["holder"] != ALL_OTHER)]
            out += [(month, h, v, "slt_table5") for h, v in zip(extra["holder"], extra["usd_bn"])]
            values = {h: v for m, h, v, _ in out if m == month}
            parts = sum(v for h, v in values.items() if h != GRAND_TOTAL and h not in MEMO_LABELS)
            if abs(parts - values[GRAND_TOTAL]) > 0.05 * len(values):
                raise ValueError(
                    f"treasury_holdings {month}: merged holders add up to {parts:.1f} but Grand Total is "
                    f"{values[GRAND_TOTAL]:.1f}; slt_table5 revised figures mfhhis01 still shows — review the "
                    "precedence rule"
                )
    history_months = set(history["month"])
    only_latest = latest[~latest["month"].isin(history_months)]
    for month, rows in only_latest.groupby("month", sort=True):
        out += [(month, h, v, "slt_table5") for h, v in zip(rows["holder"], rows["usd_bn"])]
    return pd.DataFrame.from_records(out, columns=["month", "holder", "usd_bn", "table"])


def build_treasury_holdings(raw_dir: Path) -> list[list[str]]:
    history = parse_mfhhis01(_read(raw_dir, RAW["mfhhis01"]), "mfhhis01.txt")
    latest = parse_slt_table5(_read(raw_dir, RAW["slt_table5"]), "slt_table5.txt")
    merged = merge_holdings(history, latest)
    columns = merged[["month", "holder", "usd_bn", "table"]]
    return [[m, h, number_cell(v, 1), t] for m, h, v, t in columns.itertuples(index=False)]


def build_shl_holdings(raw_dir: Path) -> list[list[str]]:
    a5 = parse_shl_a5(_read(raw_dir, RAW["shl_a5"]), "shl_app05_2025.csv")
    a7 = parse_shl_a7(_read(raw_dir, RAW["shl_a7"]), "shl_app07_2025.csv")
    treasury = dict(zip(a7["country"], a7["treasury_usd_mn"]))
    unknown = [c for c in a7["country"] if c not in set(a5["country"])]
    if unknown:
        raise ValueError(f"shl_app07_2025.csv lists {unknown} which Table A5 does not")
    missing_eu = [c for c in EU27 if c not in set(a5["country"])]
    if missing_eu:
        raise ValueError(f"shl_app05_2025.csv has no row for EU members {missing_eu}")
    columns = ["total_usd_mn", "equities_usd_mn", "lt_treasury_usd_mn", "lt_agency_usd_mn", "lt_corporate_usd_mn",
               "st_debt_usd_mn"]
    rows = []
    for record in a5.to_dict("records"):
        is_eu = record["kind"] == "country" and record["country"] in EU27
        rows.append(
            [record["country"], record["kind"], "true" if is_eu else "false"]
            + [integer_cell(record[c]) for c in columns]
            + [integer_cell(treasury.get(record["country"]))]
        )
    return rows


def build_gold_reserves(raw_dir: Path) -> list[list[str]]:
    totals = quarterly_totals(parse_wgc(_read(raw_dir, RAW["wgc"]), Path(RAW["wgc"]).name))
    return [
        [q.strftime("%Y-%m-%d"), number_cell(a, 3), number_cell(u, 3), number_cell(x, 3), number_cell(t, 3),
         integer_cell(n)]
        for q, a, u, x, t, n in totals.itertuples(index=False)
    ]


def read_cofer(raw_dir: Path) -> tuple[pd.DataFrame, str]:
    """The COFER world table from the three raw files, and their release's PUBLICATION_DATE (the
    resource's vintage); refuses files from different releases."""
    frames = [parse_cofer(_read(raw_dir, p), Path(p).name) for p in RAW_COFER]
    observations = pd.concat(frames, ignore_index=True)
    dates = sorted(set(observations["published"]))
    if len(dates) != 1:
        raise ValueError(f"COFER files come from different releases: {dates}")
    return world_table(observations, "imf-cofer"), dates[0]


def build_cofer(raw_dir: Path) -> list[list[str]]:
    table, _ = read_cofer(raw_dir)
    return [[q, number_cell(u, 4), number_cell(e, 4), number_cell(t, 3)]
            for q, u, e, t in table.itertuples(index=False)]


def _on_or_before(series: pd.Series, day: pd.Timestamp) -> tuple[pd.Timestamp, float]:
    earlier = series.loc[:day]
    if earlier.empty:
        raise ValueError(f"no observation on or before {day:%Y-%m-%d}")
    return earlier.index[-1], float(earlier.iloc[-1])


def _peak_rise(window: pd.Series) -> tuple[float, pd.Timestamp]:
    """The largest rise from any day to a later one (in the series' unit) and the later day."""
    running_min = window.cummin()
    rises = window - running_min
    return float(rises.max()), rises.idxmax()


def yield_episode_rows(holdings: pd.DataFrame, dgs10: pd.Series, treast: pd.Series, walcl: pd.Series,
                       marketable: pd.Series) -> list[list[str]]:
    """The episode table from tidy inputs: TIC ``holdings`` (month, holder, usd_bn), daily 10-year
    yields (percent), weekly Fed holdings ($mn) and month-end marketable debt ($mn), all indexed by date."""
    by_holder = holdings.pivot_table(index="month", columns="holder", values="usd_bn", aggfunc="first")
    rows = []
    for key, holder, title, start, end, context in EPISODES:
        series = by_holder[holder].dropna()
        if start is None or end is None:  # the largest 12-month fall on record
            fall = series.shift(12) - series
            end = str(fall.idxmax())
            start = str(pd.Period(end, "M") - 12)
        first, last = pd.Period(start, "M").to_timestamp("M"), pd.Period(end, "M").to_timestamp("M")
        sale = float(series[start] - series[end])
        d0_day, d0 = _on_or_before(dgs10, first)
        d1_day, d1 = _on_or_before(dgs10, last)
        rise, peak_day = _peak_rise(dgs10.loc[d0_day:d1_day])
        debt = float(marketable.loc[first]) / 1000
        fed = ""
        if last <= treast.index[-1]:
            fed = number_cell((_on_or_before(treast, last)[1] - _on_or_before(treast, first)[1]) / 1000, 1)
        assets = (_on_or_before(walcl, last)[1] - _on_or_before(walcl, first)[1]) / 1000
        months = (pd.Period(end, "M") - pd.Period(start, "M")).n
        rows.append([key, title, holder, start, end, str(months), number_cell(float(series[start]), 1),
                     number_cell(sale, 1),
                     number_cell(debt, 1), number_cell(100 * sale / debt, 3), number_cell(d0, 2), number_cell(d1, 2),
                     str(round((d1 - d0) * 100)), str(round(rise * 100)), f"{peak_day:%Y-%m-%d}", fed,
                     number_cell(assets, 1), context])
    return rows


def _fred_series(raw_dir: Path, key: str) -> pd.Series:
    frame = parse_fred_csv(_read(raw_dir, RAW[key]), Path(RAW[key]).name)
    return frame.set_index(pd.to_datetime(frame["date"]))["value"]


def marketable_debt(raw_dir: Path) -> pd.DataFrame:
    """The MSPD summary's marketable debt held by the public, $mn, by month-end and class."""
    return parse_mspd_summary(_read(raw_dir, RAW["mspd"]), Path(RAW["mspd"]).name)


def build_yield_episodes(raw_dir: Path) -> list[list[str]]:
    history = parse_mfhhis01(_read(raw_dir, RAW["mfhhis01"]), "mfhhis01.txt")
    latest = parse_slt_table5(_read(raw_dir, RAW["slt_table5"]), "slt_table5.txt")
    mspd = marketable_debt(raw_dir)
    total = mspd[mspd.security_class == "Total Marketable"].set_index("date")["held_by_public_usd_mn"]
    return yield_episode_rows(merge_holdings(history, latest), _fred_series(raw_dir, "dgs10"),
                              _fred_series(raw_dir, "treast"), _fred_series(raw_dir, "walcl"), total)


BUILDERS: dict[str, Callable[[Path], list[list[str]]]] = {
    "iip_annual": build_iip_annual,
    "gdp_annual": build_gdp_annual,
    "treasury_holdings": build_treasury_holdings,
    "shl_holdings": build_shl_holdings,
    "gold_reserves": build_gold_reserves,
    "cofer": build_cofer,
    "yield_episodes": build_yield_episodes,
}

# ------------------------------------------------------------------------------------------
# Datapackage
# ------------------------------------------------------------------------------------------


def _newest_vintage_row(path: Path) -> str:
    with path.open(newline="", encoding="utf-8") as handle:
        return max(row["vintage"] for row in csv.DictReader(handle) if row["vintage"])


#: Vintages measured rather than fixed in the catalog: iip_quarterly's is the newest release among
#: its rows, cofer's the IMF files' own PUBLICATION_DATE. (file in out_dir, raw_dir) -> YYYY-MM-DD.
MEASURED_VINTAGES: dict[str, Callable[[Path, Path], str]] = {
    "iip_quarterly": lambda path, raw_dir: _newest_vintage_row(path),
    "cofer": lambda path, raw_dir: read_cofer(raw_dir)[1],
}


def describe(out_dir: Path, raw_dir: Path, resources: Catalog | None = None) -> dict[str, Any]:
    """The datapackage.json content for every shipped resource in the catalog, hashing files in
    ``out_dir``: the catalog's metadata plus what is measured (see `describe_resource`)."""
    resources = resources or catalog()
    entries = []
    for name, meta in resources.shipped().items():
        path = out_dir / meta["path"]
        if not path.is_file():
            hint = "" if meta["generated"] else " (hand-curated: copy it into the output folder first)"
            raise FileNotFoundError(f"{path} is missing{hint}")
        measure = MEASURED_VINTAGES.get(name)
        vintage = measure(path, raw_dir) if measure else meta["vintage"]
        entries.append(describe_resource(name, meta, path, vintage))
    return {**resources.package, "resources": entries}


def build(raw_dir: Path, out_dir: Path) -> None:
    """Write the generated CSVs and datapackage.json (described from the catalog) into ``out_dir``,
    then validate the folder."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    resources = catalog()
    for name, builder in BUILDERS.items():
        meta = resources.meta(name)
        (out_dir / meta["path"]).write_bytes(csv_bytes(header_of(meta), builder(raw_dir)))
    package = describe(out_dir, raw_dir, resources)
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "datapackage.json").write_bytes(text.encode("utf-8"))
    load_datasets(out_dir)  # refuse to leave a folder the bot would not load


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bot.pipeline.build RAW_DIR OUT_DIR", file=sys.stderr)
        return 2
    build(Path(args[0]), Path(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
