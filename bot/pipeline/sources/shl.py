"""TIC annual survey of foreign portfolio holdings of US securities (SHL), appendix tables.

The appendix CSVs (``shl_appNN_2025.csv``) share one layout: a title, "Millions of dollars",
a multi-row header ending in a row that starts "Countries and Regions", one row per country in
alphabetical order, then international organisations and "Country Unknown", a blank line, the
"Total" row, the foreign-official memo (its label wraps over two rows), and "Totals by Region:".

Values are whole $ millions. TIC prints "*" for a cell that is "greater than zero but less than
$500 million" (suppressed) and "n.a." for "not available"; both become <NA> in a nullable
integer column — never 0 and never a float NaN.

Each row gets a ``kind``:

* ``country`` — a country or territory;
* ``region`` — a regional subtotal ("Total Europe", "Euro area countries", …);
* ``total`` — all foreign holders ("Total");
* ``other`` — "Int. and reg. org.", "Country Unknown", and the memo line "of which: Holdings of
  foreign official institutions" (a part of Total, not an extra holder).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from bot.pipeline.sources.errors import SourceFormatError

KIND_COUNTRY = "country"
KIND_REGION = "region"
KIND_TOTAL = "total"
KIND_OTHER = "other"

_NOT_COUNTRIES = {"Int. and reg. org.", "Country Unknown"}
_OFFICIAL_FIRST = "of which: Holdings of foreign official"
_OFFICIAL_LABEL = "of which: Holdings of foreign official institutions"
_SUPPRESSED = {"*", "n.a."}
_FOOTNOTE = "* Greater than zero but less than $500 million."
#: Printed totals are rounded from unrounded parts, so sums may be off by a few $ millions.
_SLACK_USD_MN = 3


@dataclass(frozen=True)
class _Layout:
    title: str  # start of the first line
    header: tuple[str, ...]  # the "Countries and Regions" header row, cell by cell
    columns: tuple[str, ...]  # output column names for the value cells
    identities: tuple[tuple[str, tuple[str, ...]], ...]  # total column = sum of part columns


A5 = _Layout(
    title="Table A5. Foreign Holdings of U.S. Securities, by Country and Broad Security Type",
    header=("Countries and Regions", "(LT and ST)", "Equities", "Total", "Treasury", "Agency", "Corp", "ST"),
    columns=(
        "total_usd_mn",
        "equities_usd_mn",
        "lt_debt_usd_mn",
        "lt_treasury_usd_mn",
        "lt_agency_usd_mn",
        "lt_corporate_usd_mn",
        "st_debt_usd_mn",
    ),
    identities=(
        ("total_usd_mn", ("equities_usd_mn", "lt_debt_usd_mn", "st_debt_usd_mn")),
        ("lt_debt_usd_mn", ("lt_treasury_usd_mn", "lt_agency_usd_mn", "lt_corporate_usd_mn")),
    ),
)

A7 = _Layout(
    title="Table A7.  Foreign Holdings of U.S. Treasury Securities, by Country and",
    header=("Countries and Regions", "Total", "Total", "Nominal", "TIPS", "FRN", "ST debt**"),
    columns=(
        "treasury_usd_mn",
        "lt_treasury_usd_mn",
        "lt_treasury_nominal_usd_mn",
        "lt_treasury_tips_usd_mn",
        "lt_treasury_frn_usd_mn",
        "st_treasury_usd_mn",
    ),
    identities=(
        ("treasury_usd_mn", ("lt_treasury_usd_mn", "st_treasury_usd_mn")),
        ("lt_treasury_usd_mn", ("lt_treasury_nominal_usd_mn", "lt_treasury_tips_usd_mn", "lt_treasury_frn_usd_mn")),
    ),
)


def parse_shl_a5(text: str, origin: str) -> pd.DataFrame:
    """Table A5: holdings by country and broad security type, end-June, $ millions.

    Columns: ``country``, ``kind``, then ``total_usd_mn`` (equities + long-term debt +
    short-term debt), ``equities_usd_mn``, ``lt_debt_usd_mn``, ``lt_treasury_usd_mn``,
    ``lt_agency_usd_mn``, ``lt_corporate_usd_mn``, ``st_debt_usd_mn`` (all short-term debt,
    Treasury bills included).
    """
    return _parse(text, origin, A5)


def parse_shl_a7(text: str, origin: str) -> pd.DataFrame:
    """Table A7: Treasury holdings by country and type, end-June, $ millions.

    Columns: ``country``, ``kind``, ``treasury_usd_mn`` (long + short term), the long-term split
    (``lt_treasury_usd_mn`` = nominal + TIPS + FRN) and ``st_treasury_usd_mn`` (bills).
    Countries with no Treasury holdings at all are not listed in this table.
    """
    return _parse(text, origin, A7)


def _cells(row: list[str]) -> list[str]:
    return [re.sub(r"\s+", " ", c).strip() for c in row]


def _value(cell: str, origin: str, line: int, what: str) -> int | None:
    if cell in _SUPPRESSED:
        return None
    if not re.fullmatch(r"-?\d+", cell):
        raise SourceFormatError(origin, line, f"{what}: {cell!r} is not a whole number of $ millions")
    return int(cell)


def _parse(text: str, origin: str, layout: _Layout) -> pd.DataFrame:
    rows = [_cells(r) for r in csv.reader(io.StringIO(text))]
    if not rows or not rows[0] or not re.sub(r"\s+", " ", rows[0][0]).startswith(re.sub(r"\s+", " ", layout.title)):
        raise SourceFormatError(origin, 1, f"expected the title {layout.title!r}")
    if not any(r and r[0] == "Millions of dollars" for r in rows[:5]):
        raise SourceFormatError(origin, None, "expected the unit line 'Millions of dollars'")
    header_at = next((i for i, r in enumerate(rows) if r and r[0] == "Countries and Regions"), None)
    if header_at is None:
        raise SourceFormatError(origin, None, "no 'Countries and Regions' header row")
    if tuple(rows[header_at]) != layout.header:
        raise SourceFormatError(
            origin, header_at + 1, f"header changed: expected {list(layout.header)}, got {rows[header_at]}"
        )

    width = len(layout.header)
    names: list[str] = []
    kinds: list[str] = []
    values: list[list[int | None]] = []
    lines: list[int] = []
    section = KIND_COUNTRY  # country → total → official → region → done
    pending_official = False
    footnote_seen = False

    for index in range(header_at + 1, len(rows)):
        line = index + 1
        row = rows[index]
        blank = not any(row)
        if section == "done":
            if row and row[0] == _FOOTNOTE:
                footnote_seen = True
                break
            continue
        if blank:
            if section == KIND_REGION and kinds and kinds[-1] == KIND_REGION:
                section = "done"
            continue
        label = row[0]
        if section == KIND_COUNTRY and label == "Total":
            section = KIND_TOTAL
        if section in (KIND_TOTAL, "official") and label == _OFFICIAL_FIRST and len(row) == 1:
            pending_official = True
            section = "official"
            continue
        if label == "Totals by Region:":
            section = KIND_REGION
            continue
        if len(row) != width:
            raise SourceFormatError(origin, line, f"expected {width} columns, got {len(row)}")
        if pending_official:
            if label != "institutions":
                raise SourceFormatError(
                    origin, line, f"expected the 'institutions' line of the official memo, got {label!r}")
            label, kind, pending_official = _OFFICIAL_LABEL, KIND_OTHER, False
        elif section == KIND_COUNTRY:
            kind = KIND_OTHER if label in _NOT_COUNTRIES else KIND_COUNTRY
        elif section == KIND_TOTAL:
            if label != "Total" or KIND_TOTAL in kinds:
                raise SourceFormatError(origin, line, f"unexpected row after the countries: {label!r}")
            kind = KIND_TOTAL
        elif section == KIND_REGION:
            kind = KIND_REGION
        else:
            raise SourceFormatError(origin, line, f"unexpected row {label!r}")
        if label in names:
            raise SourceFormatError(origin, line, f"{label!r} appears twice")
        names.append(label)
        kinds.append(kind)
        values.append([_value(c, origin, line, f"{label}, {col}") for c, col in zip(row[1:], layout.columns)])
        lines.append(line)

    for required in (KIND_COUNTRY, KIND_TOTAL, KIND_REGION):
        if required not in kinds:
            raise SourceFormatError(origin, len(rows), f"no {required} rows (file cut short?)")
    if _OFFICIAL_LABEL not in names:
        raise SourceFormatError(origin, len(rows), "no foreign-official memo line")
    if not footnote_seen:
        raise SourceFormatError(origin, len(rows), f"no footnote {_FOOTNOTE!r} after the table (file cut short?)")

    frame = pd.DataFrame(
        {
            "country": pd.Series(names, dtype="str"),
            "kind": pd.Series(kinds, dtype="str"),
            **{col: pd.Series([v[i] for v in values], dtype="Int64") for i, col in enumerate(layout.columns)},
        }
    )
    _check_identities(frame, layout, lines, origin)
    return frame


def _check_identities(frame: pd.DataFrame, layout: _Layout, lines: list[int], origin: str) -> None:
    """Each row's total equals its parts where no part is suppressed (catches shifted columns)."""
    for total, parts in layout.identities:
        complete = frame[[total, *parts]].notna().all(axis=1)
        gap = (frame[total] - frame[list(parts)].sum(axis=1)).abs()
        bad = complete & (gap > _SLACK_USD_MN)
        if bad.any():
            i = int(bad.idxmax())
            raise SourceFormatError(
                origin,
                lines[i],
                f"{frame.at[i, 'country']}: {total} is {frame.at[i, total]} but {' + '.join(parts)} "
                f"= {int(frame.loc[i, list(parts)].sum())} (a column may be shifted)",
            )
