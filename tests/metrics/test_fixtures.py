"""The hard-coded TIC fixture agrees with the official file it was copied from.

Runs only where the raw copy of ``mfhhis01.txt`` is available (the shared data folder next to
the repository); elsewhere it is skipped, and the fixture's numbers stand on their citations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[3] / "shared" / "data" / "raw" / "tic" / "mfhhis01.txt"
MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}


def read_mfhhis01(path: Path) -> dict[tuple[str, str], float]:
    """{(month "YYYY-MM", holder): $bn} from TIC's tab-separated yearly blocks."""
    values: dict[tuple[str, str], float] = {}
    month_codes: list[str] = []
    labels: list[str] = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.split("\t")]
        filled = [c for c in cells if c]
        if filled and all(c in MONTHS for c in filled):
            month_codes = [MONTHS[c] for c in filled]
        elif cells and cells[0] == "Country":
            labels = [f"{year}-{code}" for year, code in zip(filled[1:], month_codes)]
        elif labels and len(filled) > 1 and cells[0]:
            for label, cell in zip(labels, cells[1:]):
                try:
                    values[(label, cells[0].strip('"'))] = float(cell)
                except ValueError:
                    pass
    return values


@pytest.mark.skipif(not RAW.exists(), reason=f"raw TIC file not available at {RAW}")
def test_fixture_matches_raw_mfhhis01(tic_values) -> None:
    raw = read_mfhhis01(RAW)
    for holder, by_month in tic_values.items():
        for month, value in by_month.items():
            assert raw[(month, holder)] == value, (month, holder)
