"""Small, strict cell readers shared by the parsers (text in, value out, or SourceFormatError)."""

from __future__ import annotations

import re

from bot.pipeline.sources.errors import SourceFormatError

_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?")


def number(cell: str, origin: str, line: int | None, what: str) -> float:
    """``cell`` as a float; plain decimals only ("1185.5", "-26539470").

    Anything else (blank, "n.a.", "1.2e3", "12abc") raises, so a footnote marker or a shifted
    label never becomes a number.
    """
    text = cell.strip()
    if not _NUMBER.fullmatch(text):
        raise SourceFormatError(origin, line, f"{what}: {cell!r} is not a number")
    return float(text)


def number_with_commas(cell: str, origin: str, line: int | None, what: str) -> float:
    """Like `number`, but also accepts thousands separators ("5,367")."""
    text = cell.strip()
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return number(text, origin, line, what)


def clean_label(cell: str) -> str:
    """A row label without quotes, footnote markers ("United Kingdom 2/") or doubled spaces."""
    text = cell.strip().strip('"').strip()
    text = re.sub(r"\s+\d+/$", "", text)
    return re.sub(r"\s+", " ", text)
