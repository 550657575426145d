"""World Gold Council central-bank statistics (``fsapi.gold.org/api/cbd``, which republishes IMF
IFS): quarterly gold and total reserves per holder, as the JSON behind gold.org's dashboard.

The file holds the request metadata, then ``chartData.table.QTD_FULL.<metric>`` tables: a header
row ("Country", "Q4 00", "Q1 01", …) and one row per holder (``iso3`` + name), each cell a string:
a number, or "AWAITED" where the holder has not reported that quarter yet. The metric list in
``chartData.options.metrics`` gives each metric's unit; the parser checks it is still
"US$ Millions" (or "tonnes").

`parse_wgc` returns the table in long form; `quarterly_totals` sums it across holders.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any

import pandas as pd

from bot.pipeline.sources.errors import SourceFormatError

GOLD = "gold_reserves"  # US$ millions
TOTAL = "total_reserves"  # US$ millions (gold + FX + SDR + IMF position)
GOLD_TONNES = "gold_reserves_tns"
_UNITS = {GOLD: "US$ Millions", TOTAL: "US$ Millions", GOLD_TONNES: "tonnes"}
_NAMES = {
    GOLD: "Gold reserves (US$ Millions)", TOTAL: "Total reserves (US$ Millions)", GOLD_TONNES: "Gold reserves (Tonnes)",
}
AWAITED = "AWAITED"
US = "USA"
_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


def _quarter_end(label: str, origin: str) -> date:
    match = re.fullmatch(r"Q([1-4]) (\d{2})", label)
    if not match:
        raise SourceFormatError(origin, None, f"quarter header {label!r} is not like 'Q4 25'")
    month, day = _QUARTER_END[int(match[1])]
    return date(2000 + int(match[2]), month, day)


def _dig(data: Any, path: tuple[str, ...], origin: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise SourceFormatError(origin, None, f"no '{'.'.join(path)}' in the JSON (layout changed?)")
        data = data[key]
    return data


def parse_wgc(text: str, origin: str) -> pd.DataFrame:
    """Long form: ``iso3``, ``holder`` (name), ``metric`` (gold_reserves / total_reserves /
    gold_reserves_tns), ``quarter_end`` (datetime64), ``value`` (US$ millions or tonnes).

    Holders that have not reported a quarter ("AWAITED") have no row for it.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceFormatError(origin, error.lineno, f"not valid JSON ({error.msg}; file cut short?)") from None

    declared = {
        metric.get("key"): metric
        for group in _dig(data, ("chartData", "options", "metrics"), origin)
        for metric in group
        if isinstance(metric, dict)
    }
    tables = _dig(data, ("chartData", "table", "QTD_FULL"), origin)
    records: list[tuple[str, str, str, date, float]] = []
    holders_by_metric: dict[str, list[str]] = {}
    for metric, unit in _UNITS.items():
        if metric not in tables:
            if metric == GOLD_TONNES:
                continue
            raise SourceFormatError(origin, None, f"no '{metric}' table")
        meta = declared.get(metric)
        if not meta or meta.get("unitName") != unit or meta.get("name") != _NAMES[metric]:
            raise SourceFormatError(
                origin, None, f"metric {metric!r} should be {_NAMES[metric]!r} in {unit!r}, file says {meta!r}"
            )
        table = tables[metric]
        header = [cell.get("val") for cell in _dig(table, ("headers",), origin)[0]]
        if not header or header[0] != "Country":
            raise SourceFormatError(origin, None, f"{metric}: header should start with 'Country', got {header[:2]}")
        quarters = [_quarter_end(label, origin) for label in header[1:]]
        for earlier, later in zip(quarters, quarters[1:]):
            step = (later.year - earlier.year) * 12 + later.month - earlier.month
            if step != 3:
                raise SourceFormatError(origin, None, f"{metric}: quarters jump from {earlier} to {later}")
        holders: list[str] = []
        for row in _dig(table, ("rows",), origin):
            if len(row) != len(header):
                name = row[0].get("val") if row and isinstance(row[0], dict) else row
                raise SourceFormatError(
                    origin, None, f"{metric}, {name}: {len(row) - 1} values for {len(quarters)} quarters")
            iso3, name = row[0].get("iso3"), row[0].get("val")
            if not iso3 or not name:
                raise SourceFormatError(origin, None, f"{metric}: a row has no iso3/name: {row[0]!r}")
            holders.append(iso3)
            for when, cell in zip(quarters, row[1:]):
                raw = cell.get("val") if isinstance(cell, dict) else None
                if raw == AWAITED:
                    continue
                try:
                    value = float(raw)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise SourceFormatError(
                        origin, None, f"{metric}, {name}, {when}: {raw!r} is not a number") from None
                if not math.isfinite(value) or value < 0:
                    raise SourceFormatError(origin, None, f"{metric}, {name}, {when}: {raw!r} is not a holding")
                records.append((iso3, name, metric, when, value))
        if len(set(holders)) != len(holders):
            raise SourceFormatError(origin, None, f"{metric}: a holder appears twice")
        holders_by_metric[metric] = holders
    if set(holders_by_metric[GOLD]) != set(holders_by_metric[TOTAL]):
        raise SourceFormatError(origin, None, "gold and total-reserves tables list different holders")
    if US not in holders_by_metric[GOLD]:
        raise SourceFormatError(origin, None, "no United States (USA) row")
    frame = pd.DataFrame.from_records(records, columns=["iso3", "holder", "metric", "quarter_end", "value"])
    frame["quarter_end"] = pd.to_datetime(frame["quarter_end"])
    return frame.astype({"iso3": "str", "holder": "str", "metric": "str"})


def quarterly_totals(long: pd.DataFrame) -> pd.DataFrame:
    """Per quarter: ``gold_all_usd_bn`` and ``total_reserves_all_usd_bn`` (sums over the holders
    that reported, $ bn), ``gold_us_usd_bn``, ``gold_ex_us_usd_bn`` (<NA> if the US has not
    reported) and ``reporters`` (holders with a gold figure, zeros included).

    Sums cover reporting holders only, so a quarter with few reporters is an undercount; the
    IMF, the ECB and the BIS are not holders in this data set.
    """
    gold = long[long["metric"] == GOLD]
    total = long[long["metric"] == TOTAL]
    by_quarter = gold.groupby("quarter_end")["value"]
    us = gold[gold["iso3"] == US].set_index("quarter_end")["value"]
    out = pd.DataFrame(
        {
            "gold_all_usd_bn": by_quarter.sum() / 1000,
            "reporters": by_quarter.size(),
        }
    )
    out["gold_us_usd_bn"] = (us / 1000).reindex(out.index)
    out["gold_ex_us_usd_bn"] = out["gold_all_usd_bn"] - out["gold_us_usd_bn"]
    out["total_reserves_all_usd_bn"] = (total.groupby("quarter_end")["value"].sum() / 1000).reindex(out.index)
    out = out.reset_index()
    return out[
        ["quarter_end", "gold_all_usd_bn", "gold_us_usd_bn", "gold_ex_us_usd_bn", "total_reserves_all_usd_bn",
         "reporters"]
    ]
