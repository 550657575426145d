"""The data behind a chart as a CSV file: the "Data (CSV)" button and `reset-bot ask --csv`.

The file is `handlers.charts.data.chart_data(key)`'s rows — the very value the PNG was drawn
from — one row per number on the chart, with the columns of `handlers.charts.data.COLUMNS`:
series, category, period, date (ISO, YYYY-MM-DD), value, unit, source, vintage.

Format decisions (spreadsheets are the audience):
* UTF-8 **with** a byte-order mark. Excel opens a double-clicked CSV in the system's legacy code
  page unless the file starts with a BOM, which would turn "≤", "†" and "—" in series names into
  mojibake; LibreOffice, Google Sheets, Numbers and pandas (``encoding="utf-8-sig"``) all read the
  BOM correctly. Plain ``utf-8`` readers see it as U+FEFF in the first header cell, the usual cost.
* Comma-separated, every field quoted when it needs to be (RFC 4180), CRLF line ends (RFC 4180 and
  Excel's own), no index column, no comment lines (which spreadsheets would read as data).
* Values written with Python's shortest round-trip repr (``repr(float)``), so parsing the file gives
  back the plotted numbers exactly — no rounding to "looks right".
"""

from __future__ import annotations

import csv
import io

from handlers.charts.data import COLUMNS, ChartData, chart_data
from handlers.datasets import Datasets
from handlers.reply import ChartRef

ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark (see above)
MIME = "text/csv"


def csv_bytes(data: ChartData) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in data.rows:
        values = row.model_dump()
        writer.writerow([repr(values[c]) if c == "value" else values[c] for c in COLUMNS])
    return buffer.getvalue().encode(ENCODING)


def chart_csv(key: str, datasets: Datasets) -> bytes:
    """The CSV of chart ``key`` (a `ChartRef.key`) for these datasets."""
    return csv_bytes(chart_data(key, datasets))


def csv_filename(chart: ChartRef | str) -> str:
    """``reset-gap.png`` → ``reset-gap-data.csv``. A bare key (a button's) is named the way the
    topics name their PNGs (``shock:eu 20%`` → ``reset-shock-eu-20pct-data.csv``), anything else
    in it made safe for a file name."""
    if isinstance(chart, ChartRef):
        stem = chart.filename.removesuffix(".png")
    else:
        name = chart.replace(":", "-").replace(" ", "-").replace("%", "pct")
        stem = "reset-" + "".join(c if c.isalnum() or c in "-." else "-" for c in name).strip("-.")
    return f"{stem}-data.csv"


def comment(data: ChartData, datasets: Datasets) -> str:
    """The line posted with the file: which chart, how many rows, the data version."""
    return (f"The data behind _{data.title}_: {len(data.rows)} rows (series, period, ISO date, value, unit, source, "
            f"vintage), data version `{datasets.version}`.")
