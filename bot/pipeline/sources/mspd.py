"""Treasury's Monthly Statement of the Public Debt, summary by security type (fiscal data CSV).

``MSPD_SumSecty_*.csv`` has one row per month-end and security class: ``Record Date``,
``Security Type Description`` (Marketable, Nonmarketable, Total Marketable, …), ``Security Class
Description`` (Bills, Notes, Bonds, …; ``_`` on total rows) and three amounts in $ millions, of
which the bot uses *Debt Held by the Public*.

Checks: the header is the one above; dates are ISO month-ends; amounts are numbers; each month's
marketable classes add up to its ``Total Marketable`` row (within 0.001%, the file's own rounding
of a few $mn),
so a shifted or dropped row cannot pass as data.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pandas as pd

from bot.pipeline.sources.errors import SourceFormatError

HEADER = ["Record Date", "Security Type Description", "Security Class Description",
          "Debt Held by the Public (in Millions)", "Intragovernmental Holdings (in Millions)",
          "Total Public Debt Outstanding (in Millions)"]


def parse_mspd_summary(text: str, origin: str) -> pd.DataFrame:
    """Marketable debt held by the public by month-end and class: ``date`` (datetime64),
    ``security_class`` ("Bills", "Notes", …, and "Total Marketable"), ``held_by_public_usd_mn``."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [cell.strip() for cell in rows[0]] != HEADER:
        raise SourceFormatError(origin, 1, f"expected the MSPD summary header {HEADER}")
    out: list[tuple[date, str, float]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            raise SourceFormatError(origin, line, f"expected {len(HEADER)} columns, got {len(row)}")
        day, kind, klass, public = row[0], row[1].strip(), row[2].strip(), row[3]
        try:
            when = date.fromisoformat(day)
            amount = float(public)
        except ValueError:
            raise SourceFormatError(origin, line, f"unreadable date or amount: {day!r}, {public!r}") from None
        if (when + timedelta(days=1)).day != 1:
            raise SourceFormatError(origin, line, f"{day} is not a month-end (MSPD reports month-end positions)")
        if kind == "Marketable":
            out.append((when, klass, amount))
        elif kind == "Total Marketable":
            out.append((when, "Total Marketable", amount))
    if not out:
        raise SourceFormatError(origin, None, "no marketable rows")
    frame = pd.DataFrame(out, columns=["date", "security_class", "held_by_public_usd_mn"])
    frame["date"] = pd.to_datetime(frame["date"])
    parts = frame[frame.security_class != "Total Marketable"].groupby("date")["held_by_public_usd_mn"].sum()
    totals = frame[frame.security_class == "Total Marketable"].set_index("date")["held_by_public_usd_mn"]
    if set(parts.index) - set(totals.index):
        first = min(set(parts.index) - set(totals.index))
        raise SourceFormatError(origin, None, f"{first:%Y-%m-%d} has marketable rows but no Total Marketable row")
    if set(totals.index) - set(parts.index):
        first = min(set(totals.index) - set(parts.index))
        raise SourceFormatError(origin, None, f"{first:%Y-%m-%d} has a Total Marketable row but no marketable classes")
    off = (parts - totals).abs()
    if (off > totals.abs() * 1e-5).any():
        bad = (off / totals.abs()).idxmax()
        raise SourceFormatError(origin, None, f"{bad:%Y-%m-%d}: marketable classes add up to {parts[bad]:,.1f} "
                                              f"but Total Marketable says {totals[bad]:,.1f} ($mn)")
    return frame.sort_values(["date", "security_class"]).reset_index(drop=True)
