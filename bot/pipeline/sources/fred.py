"""FRED graph CSVs (``fredgraph.csv?id=SERIES``): ``observation_date,SERIES`` then one row a date.

Values stay in the series' own units (IIPUSNETIA: $ millions; GDPA: $ billions); callers
convert. FRED writes "." for a missing observation; such rows are dropped (never NaN), and
anything else that is not a plain number raises `SourceFormatError`.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from bot.pipeline.sources._cells import number
from bot.pipeline.sources.errors import SourceFormatError

_SERIES_ID = re.compile(r"[A-Z0-9_]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: FRED's graph CSV has used both spellings of the date column.
_DATE_HEADERS = ("observation_date", "DATE")


def parse_fred_csv(text: str, origin: str) -> pd.DataFrame:
    """One FRED series as rows ``date`` (datetime64), ``series`` (str), ``value`` (float).

    Checks: the header names a date column and one series id; every row has exactly two cells;
    dates are ISO and strictly increasing; at least one observation is present.
    """
    lines = text.lstrip("\ufeff").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SourceFormatError(origin, None, "file is empty")
    header = lines[0].strip().split(",")
    if len(header) != 2 or header[0] not in _DATE_HEADERS or not _SERIES_ID.fullmatch(header[1]):
        raise SourceFormatError(origin, 1, f"expected header 'observation_date,SERIES', got {lines[0]!r}")
    series = header[1]

    dates: list[date] = []
    values: list[float] = []
    for number_, line in enumerate(lines[1:], start=2):
        cells = line.strip().split(",")
        if len(cells) != 2:
            raise SourceFormatError(origin, number_, f"expected 2 columns, got {len(cells)}")
        day, cell = cells
        if not _DATE.fullmatch(day):
            raise SourceFormatError(origin, number_, f"{day!r} is not a YYYY-MM-DD date")
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise SourceFormatError(origin, number_, f"{day!r} is not a valid date") from None
        if dates and when <= dates[-1]:
            raise SourceFormatError(origin, number_, f"date {day} is not after {dates[-1]}")
        if cell.strip() in (".", ""):  # "no observation" (holidays): "." in older downloads, empty in newer ones
            continue
        dates.append(when)
        values.append(number(cell, origin, number_, series))
    if not values:
        raise SourceFormatError(origin, None, f"no observations for {series}")
    return pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series(dates)),
            "series": pd.Series([series] * len(values), dtype="str"),
            "value": pd.Series(values, dtype="float64"),
        }
    )
