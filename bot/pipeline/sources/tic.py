"""US Treasury TIC tables of foreign holdings of Treasury securities.

* ``mfhhis01.txt`` — "Major Foreign Holders", monthly history from 2000: tab-separated, one block
  per calendar year, newest first, $ billions.
* ``slt_table5.txt`` — SLT Table 5, the same table for the latest 13 months, tab-separated,
  months as ``YYYY-MM``.
* ``mfh.txt`` — the older fixed-width release of the latest 13 months.
* ``slt3d_globl.csv`` — SLT Table 3D, Treasury holdings by country (long and short term),
  $ millions.

The three "major holders" parsers return the same tidy frame: ``month`` ("YYYY-MM"), ``holder``
(the TIC row label, normalised) and ``usd_bn``. Labels are normalised so that the same holder
has one spelling across tables: quotes, footnote markers ("United Kingdom 2/") and doubled
spaces are removed, and the "of which" memo lines become ``Foreign Official``,
``Foreign Official Treasury Bills`` and ``Foreign Official T-Bonds & Notes``. Country labels
are otherwise TIC's own ("China, Mainland", "Korea, South").

Every table is checked against itself: the listed holders plus "All Other" must add up to the
Grand Total, and the official bills plus bonds must add up to the official total, so a dropped
or shifted column cannot pass as data.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from bot.pipeline.sources._cells import clean_label, number, number_with_commas
from bot.pipeline.sources.errors import SourceFormatError
from metrics.holdings import TIC_ALL_OTHER, TIC_MEMO_LABELS, TIC_TOTAL

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# TIC's own labels, defined once in metrics.holdings.
GRAND_TOTAL = TIC_TOTAL
ALL_OTHER = TIC_ALL_OTHER
MEMO_LABELS = TIC_MEMO_LABELS
OFFICIAL, OFFICIAL_BILLS, OFFICIAL_NOTES = TIC_MEMO_LABELS

#: Markers TIC prints instead of a value: "n.a." (not available) and "*" (less than $50
#: million). Both mean "no figure for this holder this month"; the cell produces no row.
_NO_VALUE = {"n.a.", "*"}

#: Rounding slack when checking that rows add up to a printed total: each printed value is
#: rounded to 0.1, so n rows can be off by up to 0.05·n (plus the total's own rounding).
_ROUNDING = 0.05


@dataclass(frozen=True)
class _Row:
    line: int
    label: str
    cells: list[str]  # one raw cell per month column


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _check_descending(months: list[tuple[int, int]], origin: str, line: int, *, allow_repeat: bool) -> None:
    """Month columns must run newest to oldest with no gap (a repeat marks a TIC series break)."""
    for earlier, later in zip(months, months[1:]):
        if later == earlier and allow_repeat:
            continue
        if later != _previous(*earlier):
            raise SourceFormatError(
                origin, line, f"month columns are not consecutive: {_month_key(*earlier)} then {_month_key(*later)}"
            )


def _memo_label(label: str) -> str:
    """The normalised label of an "of which" line (both tables' spellings), else ``label``."""
    text = label.removeprefix("Of Which:").strip()
    return {
        "For. Official": OFFICIAL,
        "Foreign Official": OFFICIAL,
        "Treasury Bills": OFFICIAL_BILLS,
        "Foreign Official Treasury Bills": OFFICIAL_BILLS,
        "T-Bonds & Notes": OFFICIAL_NOTES,
        "Foreign Official T-Bonds & Notes": OFFICIAL_NOTES,
    }.get(text, label)


def _collect(
    rows: list[_Row], months: list[str], columns: list[int], origin: str
) -> tuple[pd.DataFrame, dict[tuple[str, str], int]]:
    """Tidy frame of ``rows`` for the month ``columns`` (in that order), and each value's line."""
    labels = [r.label for r in rows]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        line = next(r.line for r in rows if r.label == twice[0])
        raise SourceFormatError(origin, line, f"holder(s) listed twice: {twice}")
    out_month: list[str] = []
    out_holder: list[str] = []
    out_value: list[float] = []
    line_of: dict[tuple[str, str], int] = {}
    for index in columns:
        for row in rows:
            cell = row.cells[index].strip()
            if cell in _NO_VALUE:
                continue
            out_month.append(months[index])
            out_holder.append(row.label)
            out_value.append(number(cell, origin, row.line, f"{row.label}, {months[index]}"))
            line_of[(months[index], row.label)] = row.line
    return _frame(out_month, out_holder, out_value), line_of


def _check_totals(frame: pd.DataFrame, origin: str, line_of: dict[tuple[str, str], int]) -> None:
    """Holders (incl. All Other) add up to the Grand Total; official bills + notes = official."""
    for month, group in frame.groupby("month", sort=False):
        values = dict(zip(group["holder"], group["usd_bn"]))
        if GRAND_TOTAL not in values:
            raise SourceFormatError(origin, None, f"{month}: no Grand Total")
        parts = [v for h, v in values.items() if h not in MEMO_LABELS and h != GRAND_TOTAL]
        slack = _ROUNDING * (len(parts) + 1) + 1e-6
        if abs(sum(parts) - values[GRAND_TOTAL]) > slack:
            raise SourceFormatError(
                origin,
                line_of[(month, GRAND_TOTAL)],
                f"{month}: holders add up to {sum(parts):.1f} but Grand Total is {values[GRAND_TOTAL]:.1f}"
                " (a column may be shifted)",
            )
        if all(m in values for m in MEMO_LABELS):
            both = values[OFFICIAL_BILLS] + values[OFFICIAL_NOTES]
            if abs(both - values[OFFICIAL]) > 3 * _ROUNDING + 1e-6:
                raise SourceFormatError(
                    origin,
                    line_of[(month, OFFICIAL)],
                    f"{month}: official bills + notes = {both:.1f} but Foreign Official is {values[OFFICIAL]:.1f}",
                )


def _frame(months: list[str], holders: list[str], values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.Series(months, dtype="str"),
            "holder": pd.Series(holders, dtype="str"),
            "usd_bn": pd.Series(values, dtype="float64"),
        }
    )


# --------------------------------------------------------------------------------------------
# mfhhis01.txt
# --------------------------------------------------------------------------------------------


class _Block:
    """One calendar-year block of mfhhis01 while it is being read."""

    def __init__(self, header_line: int, months: list[int]) -> None:
        self.header_line = header_line
        self.month_numbers = months
        self.year: int | None = None
        self.rows: list[_Row] = []
        self.memo: list[_Row] = []
        self.stage = "years"  # years → dashes → rows → memo → done


def _split_tabs(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("\t")]


def _is_blank(cells: list[str]) -> bool:
    return not any(cells)


def parse_mfhhis01(text: str, origin: str) -> pd.DataFrame:
    """The whole history, one row per month and holder, in $ billions, oldest month first.

    Where a year shows a month twice (a TIC series break, e.g. "Jun 2011" under series XII and
    XI), the first column — the new series, continuous with the later months — is kept and the
    old-series column, which TIC shows "for comparison only", is dropped. Rows are otherwise in
    the table's own order (largest holders first).
    """
    lines = text.splitlines()
    blocks: list[_Block] = []
    block: _Block | None = None
    footer_seen = False

    for line_no, line in enumerate(lines, start=1):
        cells = _split_tabs(line)
        first = cells[0].strip('"').strip() if cells else ""
        if block is None:
            if cells and cells[0] == "" and any(c in MONTHS for c in cells[1:]):
                named = [c for c in cells[1:] if c]
                if not all(c in MONTHS for c in named):
                    raise SourceFormatError(origin, line_no, f"month header has unknown months: {named}")
                block = _Block(line_no, [MONTHS.index(c) + 1 for c in named])
                continue
            if first.startswith("Department of the Treasury"):
                footer_seen = True
                break
            if first and blocks:
                raise SourceFormatError(origin, line_no, f"unexpected text between year blocks: {first!r}")
            continue  # titles, blank lines and "Series" notes above a block

        width = len(block.month_numbers)
        if block.stage == "years":
            if first != "Country":
                raise SourceFormatError(origin, line_no, f"expected the 'Country' year row, got {first!r}")
            years = [c for c in cells[1:] if c]
            if len(years) != width:
                raise SourceFormatError(
                    origin, line_no, f"expected {width} year columns to match the month header, got {len(years)}"
                )
            if not all(re.fullmatch(r"\d{4}", y) for y in years) or len(set(years)) != 1:
                raise SourceFormatError(origin, line_no, f"expected one four-digit year in every column, got {years}")
            block.year = int(years[0])
            if blocks and block.year != blocks[-1].year - 1:  # type: ignore[operator]
                raise SourceFormatError(
                    origin, line_no, f"year {block.year} does not follow {blocks[-1].year} (blocks run newest first)"
                )
            block.stage = "dashes"
        elif block.stage == "dashes":
            dashes = [c for c in cells[1:] if c]
            if first or len(dashes) != width or not all(set(d) == {"-"} for d in dashes):
                raise SourceFormatError(origin, line_no, f"expected a row of {width} '------' rules")
            block.stage = "rows"
        elif block.stage == "rows":
            if _is_blank(cells):
                if block.rows:
                    raise SourceFormatError(origin, line_no, "blank line before the Grand Total row (file cut short?)")
                continue
            block.rows.append(_read_row(cells, width, origin, line_no))
            if block.rows[-1].label == GRAND_TOTAL:
                block.stage = "memo"
        elif block.stage == "memo":
            if _is_blank(cells) or first == "Of which:":
                continue
            row = _read_row(cells, width, origin, line_no)
            label = _memo_label(row.label)
            expected = MEMO_LABELS[len(block.memo)]
            if label != expected:
                raise SourceFormatError(origin, line_no, f"expected the '{expected}' line, got {row.label!r}")
            block.memo.append(_Row(row.line, label, row.cells))
            if len(block.memo) == len(MEMO_LABELS):
                blocks.append(block)
                block = None

    if block is not None:
        raise SourceFormatError(origin, len(lines), f"the {block.year or 'last'} block is incomplete (file cut short?)")
    if not blocks:
        raise SourceFormatError(origin, None, "no year blocks found (expected a month header row)")
    if not footer_seen:
        raise SourceFormatError(origin, len(lines), "no 'Department of the Treasury' footer (file cut short?)")

    parts: list[pd.DataFrame] = []
    line_of: dict[tuple[str, str], int] = {}
    for block in reversed(blocks):  # oldest year first
        labelled = [(int(block.year), m) for m in block.month_numbers]  # type: ignore[arg-type]
        _check_descending(labelled, origin, block.header_line, allow_repeat=True)
        first_of_month = [i for i, ym in enumerate(labelled) if ym not in labelled[:i]]
        names = [_month_key(*ym) for ym in labelled]
        frame, value_lines = _collect(block.rows + block.memo, names, first_of_month[::-1], origin)
        parts.append(frame)
        line_of.update(value_lines)
    frame = pd.concat(parts, ignore_index=True)
    _check_totals(frame, origin, line_of)
    return frame


def _read_row(cells: list[str], width: int, origin: str, line_no: int) -> _Row:
    """A labelled row with exactly ``width`` value cells (blank cells only after them)."""
    label = clean_label(cells[0])
    if not label:
        raise SourceFormatError(origin, line_no, "row has values but no holder label")
    values = cells[1:]
    filled = [c for c in values if c]
    if len(filled) != width or any(values[width:]) or not all(values[:width]):
        raise SourceFormatError(origin, line_no, f"expected {width} numeric columns, got {len(filled)}")
    return _Row(line_no, label, values[:width])


# --------------------------------------------------------------------------------------------
# slt_table5.txt
# --------------------------------------------------------------------------------------------


def parse_slt_table5(text: str, origin: str) -> pd.DataFrame:
    """SLT Table 5: the latest months, one row per month and holder, $ billions, oldest first."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Table 5: Major Foreign Holders of Treasury Securities"):
        raise SourceFormatError(origin, 1, "expected the title 'Table 5: Major Foreign Holders of Treasury Securities'")
    if not any(_split_tabs(line)[0] == "Billions of dollars" for line in lines[:6]):
        raise SourceFormatError(origin, None, "expected the unit line 'Billions of dollars' above the table")

    header_no = next((i for i, line in enumerate(lines, 1) if _split_tabs(line)[0] == "Country"), None)
    if header_no is None:
        raise SourceFormatError(origin, None, "no 'Country' header row")
    header = [c for c in _split_tabs(lines[header_no - 1])[1:] if c]
    parsed: list[tuple[int, int]] = []
    for cell in header:
        match = re.fullmatch(r"(\d{4})-(\d{2})", cell)
        if not match or not 1 <= int(match[2]) <= 12:
            raise SourceFormatError(origin, header_no, f"month header {cell!r} is not YYYY-MM")
        parsed.append((int(match[1]), int(match[2])))
    if not parsed:
        raise SourceFormatError(origin, header_no, "header row has no month columns")
    _check_descending(parsed, origin, header_no, allow_repeat=False)
    width = len(parsed)

    rows: list[_Row] = []
    memo: list[_Row] = []
    notes_seen = False
    for line_no in range(header_no + 1, len(lines) + 1):
        cells = _split_tabs(lines[line_no - 1])
        if len(memo) == len(MEMO_LABELS):
            if cells[0] == "Notes:":
                notes_seen = True
                break
            if _is_blank(cells):
                continue
            raise SourceFormatError(origin, line_no, f"unexpected row after the memo lines: {cells[0]!r}")
        if _is_blank(cells):
            raise SourceFormatError(origin, line_no, "blank line inside the table (file cut short?)")
        _add_row(_read_row(cells, width, origin, line_no), rows, memo, origin, line_no)
    if len(memo) != len(MEMO_LABELS):
        raise SourceFormatError(
            origin, len(lines), "table ends before the Grand Total and 'Of Which' lines (file cut short?)")
    if not notes_seen:
        raise SourceFormatError(origin, len(lines), "no 'Notes:' section after the table (file cut short?)")
    return _assemble(rows + memo, parsed, origin)


def _assemble(rows: list[_Row], parsed: list[tuple[int, int]], origin: str) -> pd.DataFrame:
    """Tidy frame (oldest month first, table order within a month) from a 13-month table."""
    names = [_month_key(*ym) for ym in parsed]
    frame, line_of = _collect(rows, names, list(reversed(range(len(names)))), origin)
    _check_totals(frame, origin, line_of)
    return frame


# --------------------------------------------------------------------------------------------
# mfh.txt (fixed width)
# --------------------------------------------------------------------------------------------


def parse_mfh(text: str, origin: str) -> pd.DataFrame:
    """The fixed-width "Major Foreign Holders" release: latest 13 months, $ billions.

    Column positions come from the row of ``------`` rules; every value must end where its rule
    ends (the table is right-aligned), so a value that moved into a neighbouring column is caught.
    """
    lines = text.splitlines()
    header_no = next(
        (i for i, line in enumerate(lines, 1) if line.split() and all(t in MONTHS for t in line.split())), None
    )
    if header_no is None:
        raise SourceFormatError(origin, None, "no month header row (e.g. 'Jan  Dec  Nov …')")
    month_tokens = lines[header_no - 1].split()
    width = len(month_tokens)
    if header_no + 2 > len(lines):
        raise SourceFormatError(origin, header_no, "file ends after the month header")
    year_line = lines[header_no]
    year_tokens = year_line.split()
    if not year_tokens or year_tokens[0] != "Country" or len(year_tokens) - 1 != width:
        raise SourceFormatError(origin, header_no + 1, f"expected 'Country' and {width} years under the months")
    if not all(re.fullmatch(r"\d{4}", y) for y in year_tokens[1:]):
        raise SourceFormatError(origin, header_no + 1, f"year row has non-year cells: {year_tokens[1:]}")
    parsed = [(int(y), MONTHS.index(m) + 1) for m, y in zip(month_tokens, year_tokens[1:])]
    _check_descending(parsed, origin, header_no, allow_repeat=False)

    rule_line = lines[header_no + 1]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule_line)]
    if len(spans) != width:
        raise SourceFormatError(origin, header_no + 2, f"expected {width} column rules, got {len(spans)}")
    label_end = spans[0][0]

    rows: list[_Row] = []
    memo: list[_Row] = []
    footer_seen = False
    for line_no in range(header_no + 3, len(lines) + 1):
        line = lines[line_no - 1]
        stripped = line.strip()
        if len(memo) == len(MEMO_LABELS):
            if stripped.startswith("Department of the Treasury"):
                footer_seen = True
                break
            if stripped:
                raise SourceFormatError(origin, line_no, f"unexpected row after the memo lines: {stripped[:40]!r}")
            continue
        if not stripped or stripped == "Of which:":
            if rows and rows[-1].label != GRAND_TOTAL and not memo and not stripped:
                raise SourceFormatError(origin, line_no, "blank line inside the table (file cut short?)")
            continue
        _add_row(_read_fixed(line, label_end, spans, origin, line_no), rows, memo, origin, line_no)
    if len(memo) != len(MEMO_LABELS):
        raise SourceFormatError(
            origin, len(lines), "table ends before the Grand Total and 'Of which' lines (file cut short?)")
    if not footer_seen:
        raise SourceFormatError(origin, len(lines), "no 'Department of the Treasury' footer (file cut short?)")
    return _assemble(rows + memo, parsed, origin)


def _read_fixed(line: str, label_end: int, spans: list[tuple[int, int]], origin: str, line_no: int) -> _Row:
    label = clean_label(line[:label_end])
    if not label:
        raise SourceFormatError(origin, line_no, "row has values but no holder label")
    tokens = list(re.finditer(r"\S+", line[label_end:]))
    if len(tokens) != len(spans):
        raise SourceFormatError(origin, line_no, f"expected {len(spans)} numeric columns, got {len(tokens)}")
    cells: list[str] = []
    for token, (_, end) in zip(tokens, spans):
        if token.end() + label_end != end:
            raise SourceFormatError(
                origin, line_no, f"value {token.group()!r} is not aligned under its column (layout changed?)"
            )
        cells.append(token.group())
    return _Row(line_no, label, cells)


# --------------------------------------------------------------------------------------------
# slt3d_globl.csv
# --------------------------------------------------------------------------------------------

_SLT3D_COLUMNS = ("total_usd_mn", "lt_usd_mn", "st_usd_mn")


def parse_slt3d(text: str, origin: str) -> pd.DataFrame:
    """SLT Table 3D: Treasury securities held by foreign residents, by country, $ millions.

    Columns: ``country`` (TIC label, incl. regional totals and memo lines as printed), ``code``
    (TIC country code), ``month`` ("YYYY-MM"), ``total_usd_mn``, ``lt_usd_mn``, ``st_usd_mn``
    (nullable integers: TIC prints "n.a." where short-term holdings are not available). Rows are
    in the file's order. Where all three are given, total = long term + short term is checked.
    """
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not any("TABLE 3D" in "".join(r) for r in rows[:10]):
        raise SourceFormatError(
            origin, None, "expected the title 'TABLE 3D: U.S. Treasury Securities Held by Foreign Residents'")
    # Header cells are split at fixed widths ("Millio","ns of dollars"), so join them first.
    if not any("Millions of dollars" in "".join(r) for r in rows[:10]):
        raise SourceFormatError(origin, None, "expected the unit line 'Millions of dollars'")

    out: dict[str, list[object]] = {"country": [], "code": [], "month": [], **{c: [] for c in _SLT3D_COLUMNS}}
    in_data = False
    notes_seen = False
    for line_no, row in enumerate(rows, start=1):
        is_data = len(row) >= 3 and re.fullmatch(r"\d{4}-\d{2}", row[2].strip() or "") is not None
        if not in_data:
            if is_data:
                in_data = True
            else:
                continue
        if not is_data:
            if not any(c.strip() for c in row):
                continue
            if row[0].strip() == "Notes:":
                notes_seen = True
                break
            raise SourceFormatError(origin, line_no, f"unexpected row inside the data: {row[:3]}")
        if len(row) != 6:
            raise SourceFormatError(origin, line_no, f"expected 6 columns, got {len(row)}")
        name, code, month = row[0].strip(), row[1].strip(), row[2].strip()
        if not name or not re.fullmatch(r"\d{5}", code):
            raise SourceFormatError(origin, line_no, f"expected a country name and a 5-digit TIC code, got {row[:2]}")
        values: list[int | None] = []
        for column, cell in zip(_SLT3D_COLUMNS, row[3:]):
            if cell.strip() == "n.a.":
                values.append(None)
                continue
            value = number_with_commas(cell, origin, line_no, f"{name} {month} {column}")
            if value != int(value):
                raise SourceFormatError(origin, line_no, f"{column}: {cell!r} is not a whole number of $ millions")
            values.append(int(value))
        total, long_term, short_term = values
        if total is not None and long_term is not None and short_term is not None \
                and abs(total - long_term - short_term) > 2:
            raise SourceFormatError(
                origin, line_no, f"{name} {month}: total {total} ≠ long term {long_term} + short term {short_term}")
        out["country"].append(name)
        out["code"].append(int(code))
        out["month"].append(month)
        for column, given in zip(_SLT3D_COLUMNS, values):
            out[column].append(given)
    if not out["country"]:
        raise SourceFormatError(origin, None, "no data rows found")
    if not notes_seen:
        raise SourceFormatError(origin, len(rows), "no 'Notes:' section after the data (file cut short?)")
    return pd.DataFrame(
        {
            "country": pd.Series(out["country"], dtype="str"),
            "code": pd.Series(out["code"], dtype="int64"),
            "month": pd.Series(out["month"], dtype="str"),
            **{c: pd.Series(out[c], dtype="Int64") for c in _SLT3D_COLUMNS},
        }
    )


def _add_row(row: _Row, rows: list[_Row], memo: list[_Row], origin: str, line_no: int) -> None:
    """Country rows up to the Grand Total; after it, the 'Of which' memo lines in their fixed order."""
    if rows and rows[-1].label == GRAND_TOTAL or memo:
        label = _memo_label(row.label)
        if label != MEMO_LABELS[len(memo)]:
            raise SourceFormatError(origin, line_no, f"expected the '{MEMO_LABELS[len(memo)]}' line, got {row.label!r}")
        memo.append(_Row(row.line, label, row.cells))
    else:
        rows.append(row)
