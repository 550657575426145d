"""How the generated CSVs write their cells and files, shared by `bot.pipeline.build` and the
refresh-only builders in `bot.pipeline.downloads`, so a rebuilt file is byte-identical whoever
wrote it: fixed rounding with trailing zeros dropped, empty cells for missing values, UTF-8 with
``\\n`` line ends."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pandas as pd


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def number_cell(value: Any, decimals: int) -> str:
    """Fixed rounding, trailing zeros dropped, empty for missing.

    >>> number_cell(1185.50, 1), number_cell(-0.0001, 3), number_cell(float("nan"), 2)
    ('1185.5', '0', '')
    """
    if _missing(value):
        return ""
    text = f"{float(value):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def integer_cell(value: Any) -> str:
    """An integer, empty for missing (None or pandas' NA).

    >>> integer_cell(35348680), integer_cell(None)
    ('35348680', '')
    """
    return "" if value is None or value is pd.NA else str(int(value))


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """The exact bytes every generated CSV is written with (UTF-8, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
