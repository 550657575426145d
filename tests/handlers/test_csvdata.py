"""The "Data (CSV)" file: the chart's own numbers, to the last digit, in a file spreadsheets open.

The comparison reads the numbers back from the drawn matplotlib artists (line data, bar heights,
scatter offsets, the fan's polygon), not from the `ChartData` the CSV was written from, so a drawer
that plotted anything else — a rounded value, a recomputed series, a dropped point — fails here.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.dates import date2num

from handlers import formatting as fmt
from handlers.charts import data as d
from handlers.charts.topics import axes_of, figure, quarter_x
from handlers.csvdata import ENCODING, chart_csv, csv_filename
from handlers.reply import ChartRef

KEYS = ["gap", "holdings", "holdings:china", "holdings:eu", "europe", "buying", "refinancing", "gold",
        "shock:eu 20%", "shock:china 10% pause", "shock:foreign 100%", "shock:eu 20% japan 10% over 6 months with fed"]


def read(raw: bytes) -> pd.DataFrame:
    """The file as a spreadsheet user's pandas would read it: exact floats, text kept as text."""
    return pd.read_csv(io.BytesIO(raw), encoding=ENCODING, keep_default_na=False,
                       dtype={c: str for c in d.COLUMNS if c != "value"})


@pytest.fixture(scope="module")
def files(datasets):
    return {key: chart_csv(key, datasets) for key in KEYS}


def series(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = frame[frame["series"] == name]
    assert not rows.empty, name
    return rows


def values(frame: pd.DataFrame, name: str) -> list[float]:
    return series(frame, name)["value"].tolist()


def month_x(periods) -> list[float]:
    return list(date2num(pd.to_datetime(pd.Index(list(periods)), format="%Y-%m")))


def line_with(ax, label: str):
    matches = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(matches) == 1, [line.get_label() for line in ax.get_lines()]
    return matches[0]


def xy(line) -> tuple[list[float], list[float]]:
    x = line.get_xdata(orig=False)
    return list(np.asarray(x, dtype=float)), list(np.asarray(line.get_ydata(orig=False), dtype=float))


def texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


class TestSameNumbersAsTheChart:
    """Each chart drawn, its artists read back, compared with the parsed CSV with `==`."""

    def test_gap(self, datasets, files):
        frame, ax = read(files["gap"]), axes_of(figure("gap", datasets))
        annual = series(frame, d.NET_YEAR_END)
        x, y = xy(line_with(ax, "Net position, year-end"))
        assert y == annual["value"].tolist()
        assert x == [float(p) for p in annual["period"]]
        quarter = series(frame, d.NET_QUARTER).iloc[0]
        (point,) = ax.collections[-1].get_offsets().tolist()  # the marked latest quarter
        assert point == [quarter_x(quarter["period"]), quarter["value"]]
        published = series(frame, d.NET_QUARTER_USD).iloc[0]["value"]
        assert fmt.usd_bn(published) in texts(ax) and fmt.pct(quarter["value"]) in texts(ax)

    @pytest.mark.parametrize("key", ["holdings:china", "holdings:eu"])
    def test_one_holder(self, datasets, files, key):
        frame, ax = read(files[key]), axes_of(figure(key, datasets))
        (name,) = frame["series"].unique()
        x, y = xy(ax.get_lines()[0])
        assert y == values(frame, name)
        assert x == month_x(series(frame, name)["period"])
        peak = series(frame, name).loc[lambda f: f["value"] == f["value"].max()].iloc[0]
        assert f"peak {fmt.usd_bn(peak['value'])}\n{fmt.month(peak['period'])}" in texts(ax)

    def test_all_holders(self, datasets, files):
        frame, ax = read(files["holdings"]), axes_of(figure("holdings", datasets))
        names = list(frame["series"].unique())
        assert len(names) == len(ax.get_lines()) == 6
        for name, line in zip(names, ax.get_lines()):
            assert line.get_label().rstrip("†") == name
            x, y = xy(line)
            assert y == values(frame, name)
            assert x == month_x(series(frame, name)["period"])

    def test_europe(self, datasets, files):
        frame, ax = read(files["europe"]), axes_of(figure("europe", datasets))
        eu_bars, uk_bars = ax.containers
        assert [b.get_height() for b in eu_bars] == values(frame, d.EU27)
        assert [b.get_height() for b in uk_bars] == values(frame, d.UK)
        ticks = [t.get_text().replace("\n(", " (") for t in ax.get_xticklabels()]
        assert ticks == series(frame, d.EU27)["category"].tolist()

    def test_buying(self, datasets, files):
        frame, ax = read(files["buying"]), axes_of(figure("buying", datasets))
        (bars,) = ax.containers
        change = series(frame, d.CHANGE)
        assert [b.get_width() for b in bars][::-1] == change["value"].tolist()
        assert [t.get_text() for t in ax.get_yticklabels()][::-1] == change["category"].tolist()
        for _, row in series(frame, d.SHARE).iterrows():
            assert f"({fmt.pct(row['value'], digits=0)})" in texts(ax)
        total = series(frame, d.ALL_FOREIGN).iloc[0]["value"]
        assert fmt.usd_bn(total, signed=True) in figure("buying", datasets).texts[1].get_text()

    def test_refinancing(self, datasets, files):
        frame, ax = read(files["refinancing"]), axes_of(figure("refinancing", datasets))
        (bars,) = ax.containers
        bar_rows = frame[frame["series"] != d.GDP]
        assert [b.get_height() for b in bars] == bar_rows["value"].tolist()
        gdp = series(frame, d.GDP).iloc[0]["value"]
        for value in bar_rows["value"]:
            assert f"{fmt.pct(100 * value / gdp, digits=0)} of GDP" in texts(ax)

    def test_gold(self, datasets, files):
        frame, ax = read(files["gold"]), axes_of(figure("gold", datasets))
        for name in d.GOLD_SERIES.values():
            x, y = xy(line_with(ax, name))
            assert y == values(frame, name)
            assert x == list(date2num(pd.to_datetime(series(frame, name)["date"])))

    @pytest.mark.parametrize("key", [k for k in KEYS if k.startswith("shock:")])
    def test_shock(self, datasets, files, key):
        frame, ax = read(files[key]), axes_of(figure(key, datasets))
        x, y = xy(line_with(ax, "Central"))
        central = series(frame, d.CENTRAL)
        assert y == central["value"].tolist()
        assert x == [float(p.removeprefix("month ")) for p in central["period"]]
        fan = ax.collections[0].get_paths()[0].vertices  # fill_between: along the low edge, back along the high
        n = len(central)
        assert list(fan[1:n + 1, 1]) == values(frame, d.LOW)
        assert list(fan[n + 2:2 * n + 2, 1])[::-1] == values(frame, d.HIGH)
        article = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert list(article[0].get_ydata()) == values(frame, d.ARTICLE) * 2
        size = series(frame, d.SALE).iloc[0]["value"]
        assert fmt.usd_bn(size) in figure(key, datasets).texts[1].get_text()


class TestASpreadsheetOpensIt:
    @pytest.mark.parametrize("key", KEYS)
    def test_shape_columns_and_iso_dates(self, files, key):
        raw = files[key]
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads UTF-8, not the ANSI page
        text = raw.decode(ENCODING)
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # RFC 4180 line ends only
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert tuple(rows[0]) == d.COLUMNS  # no index column, header first, no comment lines
        assert all(len(r) == len(d.COLUMNS) for r in rows)
        frame = read(raw)
        assert frame["value"].dtype == float and frame["value"].notna().all()
        assert frame["date"].map(lambda v: v == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None).all()
        assert (frame[["series", "unit", "source", "vintage"]] != "").all().all()
        assert frame["vintage"].str.fullmatch(r"\d{4}-\d{2}-\d{2}(; \d{4}-\d{2}-\d{2})*").all()

    def test_non_ascii_labels_survive(self, files):
        frame = read(files["refinancing"])
        assert "Notes & bonds due ≤12 months" in frame["series"].tolist()

    def test_filenames(self):
        chart = ChartRef(key="gap", title="t", alt_text="a", filename="reset-gap.png")
        assert csv_filename(chart) == "reset-gap-data.csv"
        assert csv_filename("shock:eu 20%") == "reset-shock-eu-20pct-data.csv"

    @pytest.mark.parametrize("text", ["gap", "holdings eu", "buying", "refinancing", "gold", "shock eu 20% japan 10% "
                                      "over 6 months with fed", "shock china 10% pause"])
    def test_a_buttons_file_is_named_like_the_shells(self, datasets, holders, text):
        from handlers.answer import answer
        from handlers.parsing import parse

        for chart in answer(parse(text, holders), datasets, holders).charts:
            assert csv_filename(chart.key) == csv_filename(chart)


def test_an_unknown_chart_is_refused(datasets):
    with pytest.raises(d.UnknownChart):
        chart_csv("pie", datasets)
