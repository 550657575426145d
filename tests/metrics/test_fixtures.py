"""The hand-typed TIC fixture the metrics tests use agrees with the official file it came from."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.sources.tic import parse_mfhhis01

RAW = Path(__file__).resolve().parents[1] / "fixtures" / "raw" / "tic" / "mfhhis01.txt"


def test_fixture_matches_raw_mfhhis01(tic_values) -> None:
    frame = parse_mfhhis01(RAW.read_text(), "mfhhis01.txt")
    raw = {(m, h): v for m, h, v in frame[["month", "holder", "usd_bn"]].itertuples(index=False)}
    for holder, by_month in tic_values.items():
        for month, value in by_month.items():
            assert raw[(month, holder)] == value, (month, holder)
