"""The publishers as the refresh tests see them: their genuine files (``tests/fixtures/raw``, and
FRED format fixtures for the series those lack) served by an injected transport, never the
network; a data folder as shipped a month earlier; and the edits that make a file wrong.

Shared by the tests of `bot.pipeline` and `bot.serving` (the conftests there re-export the
fixtures)."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

import bot.pipeline.refresh as refresh_module
from bot.pipeline.build import build
from bot.pipeline.catalog import catalog
from bot.pipeline.refresh import (
    DownloadError,
)
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
RAW = ROOT / "tests" / "fixtures" / "raw"
FORMAT = ROOT / "tests" / "fixtures" / "refresh"  # FRED format fixtures (see its README)
SHIPPED = ROOT / "data"
NOW = datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc)

TIC = "https://ticdata.treasury.gov/resource-center/data-chart-center/tic/Documents/"
TREASURY = "https://www.treasury.gov/resource-center/data-chart-center/tic/Documents/"
FRED = "https://fred.stlouisfed.org/graph/fredgraph.csv?id="
IMF = "https://api.imf.org/external/sdmx/2.1/data/IMF.STA,COFER/"
WGC = ("https://fsapi.gold.org/api/cbd/v11/charts/getPage?endDate=2026-12-31&page=date_range"
       "&periodicity=QTD_FULL&startDate=2000-01-01")


def shl_zip() -> bytes:
    """The SHL appendix as Treasury serves it: one zip of the appendix files (the genuine files,
    zipped here because the fixtures keep them unzipped)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((RAW / "shl-2025").iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def publisher_files() -> dict[str, bytes]:
    """Official URL -> the file that URL serves (genuine copies; FRED format fixtures for the
    series the genuine copies lack)."""
    return {
        TREASURY + "mfhhis01.txt": (RAW / "tic/mfhhis01.txt").read_bytes(),
        TIC + "slt_table5.txt": (RAW / "tic/slt_table5.txt").read_bytes(),
        TREASURY + "shl_appendix_2025.zip": shl_zip(),
        FRED + "IIPUSNETIA": (RAW / "fred/niip.csv").read_bytes(),
        FRED + "GDPA": (RAW / "fred/gdp.csv").read_bytes(),
        FRED + "DGS10": (FORMAT / "fred/dgs10.csv").read_bytes(),
        FRED + "MORTGAGE30US": (FORMAT / "fred/mortgage30us.csv").read_bytes(),
        FRED + "IIPUSASSQ": (FORMAT / "fred/iipusassq.csv").read_bytes(),
        FRED + "IIPUSLIAQ": (FORMAT / "fred/iipusliaq.csv").read_bytes(),
        FRED + "IIPUSNETIQ": (FORMAT / "fred/iipusnetiq.csv").read_bytes(),
        IMF + "*.AFXRA.*.SHRO_PT.Q": (RAW / "imf-cofer/cofer_shares.xml").read_bytes(),
        IMF + "*.AFXRA.CI_T.NV_USD.Q": (RAW / "imf-cofer/cofer_total_nv.xml").read_bytes(),
        IMF + "*.AFXRA.CI_USD.NV_USD.Q": (RAW / "imf-cofer/cofer_usd_nv.xml").read_bytes(),
        WGC: (RAW / "wgc/cbd_quarterly_2000_2026.json").read_bytes(),
    }


class Publishers:
    """The injected transport: serves `publisher_files()` (with overrides), records each request."""

    def __init__(self, **overrides: bytes | Exception) -> None:
        self.files: dict[str, bytes | Exception] = {**publisher_files(), **overrides}
        self.requests: list[tuple[str, float]] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.requests.append((url, timeout))
        if url not in self.files:
            raise DownloadError(url, "HTTP 404 Not Found")
        body = self.files[url]
        if isinstance(body, Exception):
            raise body
        return body


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The default urllib transport must never run in tests."""
    def refuse(url, timeout):
        raise AssertionError(f"the test tried to download {url}")
    monkeypatch.setattr(refresh_module, "urllib_transport", refuse)


@pytest.fixture(scope="module")
def march_baseline(tmp_path_factory) -> Path:
    """A data folder as the bot shipped it a month earlier: SLT Table 5's 2026-04 column not yet
    published (the genuine file with its newest column removed), everything else as shipped."""
    raw = tmp_path_factory.mktemp("raw-march")
    shutil.copytree(RAW, raw, dirs_exist_ok=True)
    (raw / "tic/slt_table5.txt").write_text(drop_newest_month((RAW / "tic/slt_table5.txt").read_text()))
    out = tmp_path_factory.mktemp("data-march")
    for meta in catalog().shipped().values():
        if not meta["generated"]:
            shutil.copy(SHIPPED / meta["path"], out / meta["path"])
    build(raw, out)
    return out


def drop_newest_month(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        cells = line.split("\t")
        if len(cells) > 2:
            del cells[1]
        lines.append("\t".join(cells))
    return "\n".join(lines)


def revise_table5(text: str, month_column: int, holder: str, delta: float) -> str:
    """Table 5 with ``holder`` and the Grand Total both revised by ``delta`` in one month column."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if cells[0] in (holder, "Grand Total"):
            cells[month_column] = f"{float(cells[month_column]) + delta:.1f}"
            lines[i] = "\t".join(cells)
    return "\n".join(lines)


def settings_for(tmp_path: Path, data_dir: Path | None = None) -> Settings:
    return Settings(state_dir=tmp_path / "state", data_dir=data_dir)


def holdings(datasets) -> dict[tuple[str, str], float]:
    frame = datasets.frame("treasury_holdings")
    return dict(zip(zip(frame["month"], frame["holder"]), frame["usd_bn"]))


class Crash(BaseException):
    """The process dying mid-refresh (not an Exception: nothing in the refresh may catch it)."""
