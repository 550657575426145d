"""The publishers' key-free files `reset-bot data refresh` downloads, and the resources each builds.

Every source lists its downloads (official URL → a path in a raw folder laid out like
``tests/fixtures/raw``), the resources built from them with the same builders as
`bot.pipeline.build`, and how its vintage is known. Two resources exist only in refreshed versions
(the shipped baseline's raw files lack their series), so handlers treat them as optional:

* ``market_rates`` — FRED DGS10 (10-year Treasury yield, daily) and MORTGAGE30US (Freddie Mac
  30-year mortgage rate, weekly);
* ``iip_quarterly_fred`` — FRED IIPUSASSQ, IIPUSLIAQ and IIPUSNETIQ (BEA's quarterly US assets,
  liabilities and net IIP, $ millions). These are the FRED ids as I understand FRED names BEA's
  quarterly IIP aggregates; they stand in for BEA's API, which is not implemented (see ``bea``).

What each resource is, and the derivation a refreshed version states for it, is not here but in
``data/catalog.json`` (`bot.pipeline.catalog`), beside every other resource's metadata.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from bot.pipeline.build import BUILDERS, read_cofer
from bot.pipeline.cells import number_cell
from bot.pipeline.sources import SourceFormatError, parse_fred_csv

FRED_GRAPH = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"
TIC_DOCS = "https://ticdata.treasury.gov/resource-center/data-chart-center/tic/Documents/"
TREASURY_DOCS = "https://www.treasury.gov/resource-center/data-chart-center/tic/Documents/"
IMF_COFER = "https://api.imf.org/external/sdmx/2.1/data/IMF.STA,COFER/"
WGC_CBD = ("https://fsapi.gold.org/api/cbd/v11/charts/getPage?endDate={end_of_year}&page=date_range"
           "&periodicity=QTD_FULL&startDate=2000-01-01")


@dataclass(frozen=True)
class Download:
    key: str  # path in a raw folder laid out like tests/fixtures/raw (what the builders read)
    url: str  # may contain {end_of_year}
    fred_series: str | None = None  # for FRED graph CSVs: the series id the header must name

    def url_for(self, now: datetime) -> str:
        return self.url.format(end_of_year=f"{now.year}-12-31")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    downloads: tuple[Download, ...]
    resources: tuple[str, ...]
    #: (raw folder after download, retrieval date) -> the resources' vintage (YYYY-MM-DD)
    vintage: Callable[[Path, date], str] = lambda raw, retrieved: retrieved.isoformat()
    #: extra text for the refreshed derivation (the catalog's ``{note}``), read from the raw files
    #: (e.g. mfhhis01's revision note)
    note: Callable[[Path], str] = lambda raw: ""
    unpack: Callable[[Path], None] | None = None  # e.g. extract the SHL appendix zip
    requires_env: str | None = None  # an API key without which the source is skipped
    implemented: bool = True
    skip_reason: str = ""


def fred(series: str, key: str) -> Download:
    return Download(key=key, url=FRED_GRAPH.format(series=series), fred_series=series)


# ------------------------------------------------------------------------------------------
# Resources only refreshed versions have
# ------------------------------------------------------------------------------------------

RATE_SERIES = ("DGS10", "MORTGAGE30US")
IIP_SERIES = {"assets_usd_bn": "IIPUSASSQ", "liabilities_usd_bn": "IIPUSLIAQ", "net_usd_bn": "IIPUSNETIQ"}
RAW_NEW = {
    "DGS10": "fred/dgs10.csv",
    "MORTGAGE30US": "fred/mortgage30us.csv",
    "IIPUSASSQ": "fred/iipusassq.csv",
    "IIPUSLIAQ": "fred/iipusliaq.csv",
    "IIPUSNETIQ": "fred/iipusnetiq.csv",
}

def _fred_frame(raw_dir: Path, series: str) -> tuple[pd.DataFrame, str]:
    key = RAW_NEW[series]
    return parse_fred_csv((raw_dir / key).read_text(encoding="utf-8"), Path(key).name), key


def build_market_rates(raw_dir: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for series in RATE_SERIES:
        frame, _ = _fred_frame(raw_dir, series)
        rows += [[d.strftime("%Y-%m-%d"), series, number_cell(v, 3)] for d, v in zip(frame["date"], frame["value"])]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def build_iip_quarterly_fred(raw_dir: Path) -> list[list[str]]:
    columns: dict[str, dict[date, float]] = {}
    for column, series in IIP_SERIES.items():
        frame, key = _fred_frame(raw_dir, series)
        values: dict[date, float] = {}
        for when, value in zip(frame["date"], frame["value"]):
            when = when.date()
            if when.day != 1 or when.month not in (1, 4, 7, 10):
                raise SourceFormatError(
                    Path(key).name, None, f"{when} is not the first day of a quarter (not quarterly data?)")
            values[when] = value
        columns[column] = values
    quarters = {column: set(values) for column, values in columns.items()}
    if len({frozenset(q) for q in quarters.values()}) != 1:
        union = set.union(*quarters.values())
        gaps = {IIP_SERIES[c]: sorted(d.isoformat() for d in union - q) for c, q in quarters.items() if union - q}
        raise SourceFormatError(
            "fred/iipus*.csv", None, f"the three IIP series cover different quarters; missing: {gaps}")
    rows = []
    for when in sorted(next(iter(quarters.values()))):
        rows.append([f"{when.year}Q{(when.month - 1) // 3 + 1}"]
                    + [number_cell(columns[c][when] / 1000, 3) for c in IIP_SERIES])
    return rows


ALL_BUILDERS: dict[str, Callable[[Path], list[list[str]]]] = {
    **BUILDERS,
    "market_rates": build_market_rates,
    "iip_quarterly_fred": build_iip_quarterly_fred,
}

# ------------------------------------------------------------------------------------------
# Source-specific reading
# ------------------------------------------------------------------------------------------

_REVISED = re.compile(r"\((\d{4}) revised ([A-Z][a-z]+ \d{1,2}, \d{4})\)")


def mfhhis01_note(raw_dir: Path) -> str:
    """mfhhis01's own newest revision note, e.g. "'2025 revised May 18, 2026'", or ""."""
    text = (raw_dir / RAW_TIC_HISTORY).read_text(encoding="utf-8", errors="replace")
    found = []
    for year, when in _REVISED.findall(text):
        try:
            found.append((datetime.strptime(when, "%B %d, %Y").date(), year, when))
        except ValueError:
            continue
    if not found:
        return ""
    day, year, when = max(found)
    return f" (its newest revision note: '{year} revised {when}', i.e. {day.isoformat()})"


def cofer_vintage(raw_dir: Path, retrieved: date) -> str:
    return read_cofer(raw_dir)[1]  # the IMF files' own PUBLICATION_DATE


SHL_ZIP = "shl-2025/shl_appendix_2025.zip"
SHL_MEMBERS = ("shl_app05_2025.csv", "shl_app07_2025.csv")
_MAX_MEMBER = 20 * 1024 * 1024


def unpack_shl(raw_dir: Path) -> None:
    """Extract Tables A5 and A7 from the appendix zip (members matched by file name)."""
    path = raw_dir / SHL_ZIP
    try:
        archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    except zipfile.BadZipFile as error:
        raise SourceFormatError(path.name, None, f"not a zip archive ({error}; download cut short?)") from None
    with archive:
        by_name = {Path(info.filename).name: info for info in archive.infolist() if not info.is_dir()}
        for member in SHL_MEMBERS:
            info = by_name.get(member)
            if info is None:
                raise SourceFormatError(path.name, None, f"no {member} in the archive (has: {sorted(by_name)[:8]}…)")
            if info.file_size > _MAX_MEMBER:
                raise SourceFormatError(
                    path.name, None, f"{member} is {info.file_size} bytes, larger than any SHL table")
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise SourceFormatError(path.name, None, f"{member} cannot be extracted ({error})") from None
            (path.parent / member).write_bytes(data)


RAW_TIC_HISTORY = "tic/mfhhis01.txt"

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            name="tic",
            title="US Treasury TIC: Major Foreign Holders (mfhhis01.txt) and SLT Table 5",
            downloads=(
                Download(RAW_TIC_HISTORY, TREASURY_DOCS + "mfhhis01.txt"),
                Download("tic/slt_table5.txt", TIC_DOCS + "slt_table5.txt"),
            ),
            resources=("treasury_holdings",),
            note=mfhhis01_note,
        ),
        SourceSpec(
            name="shl",
            title="US Treasury TIC: SHL survey appendix (shl_appendix_2025.zip, Tables A5 and A7)",
            downloads=(Download(SHL_ZIP, TREASURY_DOCS + "shl_appendix_2025.zip"),),
            resources=("shl_holdings",),
            unpack=unpack_shl,
        ),
        SourceSpec(
            name="fred_niip",
            title="FRED IIPUSNETIA: US net international investment position, annual",
            downloads=(fred("IIPUSNETIA", "fred/niip.csv"),),
            resources=("iip_annual",),
        ),
        SourceSpec(
            name="fred_gdp",
            title="FRED GDPA: US nominal GDP, annual",
            downloads=(fred("GDPA", "fred/gdp.csv"),),
            resources=("gdp_annual",),
        ),
        SourceSpec(
            name="fred_rates",
            title="FRED DGS10 and MORTGAGE30US: 10-year Treasury yield and 30-year mortgage rate",
            downloads=(fred("DGS10", RAW_NEW["DGS10"]), fred("MORTGAGE30US", RAW_NEW["MORTGAGE30US"])),
            resources=("market_rates",),
        ),
        SourceSpec(
            name="fred_iip_quarterly",
            title="FRED IIPUSASSQ, IIPUSLIAQ, IIPUSNETIQ: US IIP, quarterly",
            downloads=tuple(fred(series, RAW_NEW[series]) for series in IIP_SERIES.values()),
            resources=("iip_quarterly_fred",),
        ),
        SourceSpec(
            name="cofer",
            title="IMF COFER (SDMX 2.1): currency shares of FX reserves",
            downloads=(
                Download("imf-cofer/cofer_shares.xml", IMF_COFER + "*.AFXRA.*.SHRO_PT.Q"),
                Download("imf-cofer/cofer_total_nv.xml", IMF_COFER + "*.AFXRA.CI_T.NV_USD.Q"),
                Download("imf-cofer/cofer_usd_nv.xml", IMF_COFER + "*.AFXRA.CI_USD.NV_USD.Q"),
            ),
            resources=("cofer",),
            vintage=cofer_vintage,
        ),
        SourceSpec(
            name="wgc",
            title="World Gold Council central-bank statistics (gold.org JSON, IMF IFS)",
            downloads=(Download("wgc/cbd_quarterly_2000_2026.json", WGC_CBD),),
            resources=("gold_reserves",),
        ),
        SourceSpec(
            name="bea",
            title="BEA API: full IIP table (needs BEA_API_KEY)",
            downloads=(),
            resources=(),
            requires_env="BEA_API_KEY",
            implemented=False,
            skip_reason="the BEA API refresh is not implemented; the FRED quarterly IIP series stand in",
        ),
    )
}
