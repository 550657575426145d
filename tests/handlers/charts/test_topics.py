"""Every topic draws a legible PNG sized for Slack, from the same numbers as its text."""

from __future__ import annotations

import struct

import pytest

from handlers.charts import UnknownChart, render
from handlers.charts.style import HEIGHT_PX, WIDTH_PX

KEYS = ["gap", "holdings", "holdings:china", "holdings:eu", "europe", "buying", "refinancing", "gold",
        "shock:eu 20%", "shock:china 10% pause", "shock:foreign 100%", "shock:eu 20% japan 10% over 6 months with fed"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # IHDR width, height


@pytest.fixture(scope="module")
def images(datasets):
    return {key: render(key, datasets) for key in KEYS}


@pytest.mark.parametrize("key", KEYS)
def test_each_chart_is_a_png_sized_for_slack(images, key):
    assert png_size(images[key]) == (WIDTH_PX, HEIGHT_PX)
    assert len(images[key]) > 20_000  # a drawn chart, not an empty canvas


def test_charts_differ_by_topic_and_parameters(images):
    assert len(set(images.values())) == len(KEYS)


def test_rendering_is_deterministic(datasets, images):
    assert render("gap", datasets) == images["gap"]


def test_an_unknown_chart_is_refused(datasets):
    with pytest.raises(UnknownChart):
        render("pie", datasets)
