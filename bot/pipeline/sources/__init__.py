"""Parsers for the publishers' own files: text in, tidy pandas frame out, no file I/O.

Each raises `SourceFormatError` (file, line, reason) when a layout changed, a file was cut
short or a cell is not a number, so the same functions can serve a live refresh.
"""

from bot.pipeline.sources.cofer import parse_cofer, world_table
from bot.pipeline.sources.errors import SourceFormatError
from bot.pipeline.sources.fred import parse_fred_csv
from bot.pipeline.sources.shl import parse_shl_a5, parse_shl_a7
from bot.pipeline.sources.tic import parse_mfh, parse_mfhhis01, parse_slt3d, parse_slt_table5
from bot.pipeline.sources.wgc import parse_wgc, quarterly_totals

__all__ = [
    "SourceFormatError",
    "parse_cofer",
    "parse_fred_csv",
    "parse_mfh",
    "parse_mfhhis01",
    "parse_shl_a5",
    "parse_shl_a7",
    "parse_slt3d",
    "parse_slt_table5",
    "parse_wgc",
    "quarterly_totals",
    "world_table",
]
