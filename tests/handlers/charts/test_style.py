"""`handlers.charts.style`: the house look — a 1200×675 PNG, large type, a title (and subtitle) above the plot,
and the source line printed on the image itself so it travels with the picture."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from matplotlib.colors import is_color_like

from handlers.charts.style import (
    DPI,
    HEIGHT_PX,
    INK,
    LABEL_SIZE,
    PALETTE,
    WIDTH_PX,
    new_figure,
    short_cite,
    source_line,
    to_png,
    usd_axis,
)
from handlers.datasets import Source


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def pixels(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())


def source(**overrides: str) -> Source:
    values = {"name": "x", "title": "X", "publisher": "US Treasury", "series": "mfhhis01", "url": "https://x.test",
              "period": "2000-01 to 2026-04", "as_of": "2026-04", "vintage": "2026-05-18", "units": "usd_bn",
              "tag": "official"}
    return Source(**(values | overrides))


class TestSize:
    def test_a_figure_is_1200_by_675_pixels_at_its_dpi(self):
        fig, _ax = new_figure("Title")
        assert fig.dpi == DPI
        assert tuple(fig.get_size_inches() * DPI) == (WIDTH_PX, HEIGHT_PX)
        assert WIDTH_PX / HEIGHT_PX == pytest.approx(16 / 9)

    def test_the_png_has_exactly_that_size(self):
        fig, ax = new_figure("Title", "Subtitle")
        ax.plot([0, 1], [0, 1])
        assert png_size(to_png(fig)) == (WIDTH_PX, HEIGHT_PX)


class TestText:
    def test_the_title_is_printed_top_left(self):
        fig, _ax = new_figure("Who holds Treasuries")
        assert fig.get_suptitle() == "Who holds Treasuries"
        top = pixels(fig)[: HEIGHT_PX // 10, :, :3]  # the top tenth of the image
        inked = np.argwhere((top < 200).all(axis=2))  # dark pixels: the title's letters
        assert len(inked) > 0
        assert inked[:, 1].min() < 0.05 * WIDTH_PX and inked[:, 1].max() < WIDTH_PX / 2

    def test_dollar_signs_in_titles_are_printed_not_read_as_tex(self):
        fig, _ax = new_figure(r"From $\undefinedmacro$ to $2T", r"Subtitle $\alsoundefined$")
        assert png_size(to_png(fig)) == (WIDTH_PX, HEIGHT_PX)  # TeX parsing would raise on the unknown macros

    def test_dollar_signs_in_the_source_line_are_printed_not_read_as_tex(self):
        fig, _ax = new_figure("Title")
        source_line(fig, "Source: $5bn (10% of $50bn)")
        assert png_size(to_png(fig)) == (WIDTH_PX, HEIGHT_PX)

    def test_a_subtitle_sits_above_the_plot(self):
        fig, ax = new_figure("Title", "A subtitle")
        subtitle = next(t for t in fig.texts if t.get_text() == "A subtitle")
        assert ax.get_position().y1 < subtitle.get_position()[1]

    def test_a_subtitle_takes_room_from_the_plot_only_when_there_is_one(self):
        _fig, plain = new_figure("Title")
        _fig, with_subtitle = new_figure("Title", "Subtitle")
        assert with_subtitle.get_position().y1 < plain.get_position().y1

    def test_the_left_margin_can_be_widened_for_long_labels(self):
        _fig, ax = new_figure("Title", left=0.25)
        assert ax.get_position().x0 == pytest.approx(0.25)

    def test_axis_labels_are_large_enough_for_a_phone(self):
        _fig, ax = new_figure("Title")
        ax.set_ylabel("$ billions")
        assert ax.yaxis.label.get_fontsize() == LABEL_SIZE >= 14

    def test_only_the_left_and_bottom_spines_are_drawn(self):
        _fig, ax = new_figure("Title")
        assert [side for side, spine in ax.spines.items() if spine.get_visible()] == ["left", "bottom"]


class TestSourceLine:
    def test_the_source_line_is_printed_bottom_left(self):
        fig, _ax = new_figure("Title")
        source_line(fig, "Source: US Treasury, mfhhis01, as of 2026-04")
        line = next(t for t in fig.texts if t.get_text().startswith("Source:"))
        x, y = line.get_position()
        assert x < 0.05 and y < 0.05

    def test_the_source_line_is_drawn_into_the_pixels(self):
        bare, _ = new_figure("Title")
        cited, _ = new_figure("Title")
        source_line(cited, "Source: US Treasury, TIC, mfhhis01, as of 2026-04 (vintage 2026-05-18)")
        strip = slice(HEIGHT_PX - 40, HEIGHT_PX)  # the bottom 40 pixel rows, below the axis labels
        assert (pixels(bare)[strip] == pixels(bare)[strip][0, 0]).all()  # blank without a source line
        assert not np.array_equal(pixels(bare)[strip], pixels(cited)[strip])

    def test_the_image_citation_is_the_first_publisher_and_series_with_the_as_of_date(self):
        cite = short_cite(source(publisher="US Treasury / FRBNY (TIC SHL); Federal Reserve Board",
                                 series="shl_app05_2025 (Table A5); shl_app07_2025", as_of="2025-06-30"))
        assert cite == "US Treasury / FRBNY, shl_app05_2025 (Table A5), as of 2025-06-30"

    def test_a_simple_source_is_cited_whole(self):
        assert short_cite(source()) == "US Treasury, mfhhis01, as of 2026-04"

    def test_every_shipped_source_has_a_short_citation(self, datasets):
        for item in datasets.sources.values():
            cite = short_cite(item)
            assert cite.endswith(f", as of {item.as_of}") and ";" not in cite.removesuffix(item.as_of)


class TestAxesAndColours:
    def test_dollar_axes_have_thousands_separators(self):
        _fig, ax = new_figure("Title")
        usd_axis(ax)
        formatter = ax.yaxis.get_major_formatter()
        assert [formatter(v, 0) for v in (0, 950.4, 12345.6)] == ["0", "950", "12,346"]

    def test_the_palette_is_distinct_colours_starting_with_the_house_ink(self):
        assert PALETTE[0] == INK
        assert len(set(PALETTE)) == len(PALETTE) >= 6
        assert all(is_color_like(colour) for colour in PALETTE)


class TestPng:
    def test_rendering_is_deterministic(self):
        def draw() -> bytes:
            fig, ax = new_figure("Title", "Subtitle")
            ax.plot([2000, 2026], [1000, 9000])
            source_line(fig, "Source: test")
            return to_png(fig)

        assert draw() == draw()

    def test_the_png_names_the_software_that_made_it(self):
        fig, _ax = new_figure("Title")
        assert b"Software\x00reset-bot" in to_png(fig)

    def test_the_figure_is_cleared_once_rendered(self):
        fig, _ax = new_figure("Title")
        to_png(fig)
        assert fig.axes == [] and fig.texts == []
