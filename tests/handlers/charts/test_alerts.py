"""`handlers.charts.alerts`: a fired alert's chart, drawn from the same numbers as its message."""

from __future__ import annotations

import pytest

from handlers import alerts, charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("series", "direction", "threshold"), [
    ("holdings:china", "below", 600.0), ("holdings:eu", "below", 2000.0), ("10y", "above", 5.0),
    ("mortgage", "above", 7.0), ("gap_gdp", "above", 95.0), ("gap_usd", "above", 30000.0)])
def test_every_series_draws_with_its_line(datasets, holders, series, direction, threshold):
    chart = alerts.chart_for(series, direction, threshold, holders)
    assert charts.render(chart.key, datasets).startswith(PNG_MAGIC)


def test_a_malformed_key_is_refused(datasets):
    with pytest.raises(KeyError):
        charts.render("alert:10y", datasets)
