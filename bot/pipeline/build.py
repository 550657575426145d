"""Build ``data/``: parse the publishers' raw files into the generated CSVs and describe every
CSV (generated and hand-curated) in ``data/datapackage.json``.

    python -m bot.pipeline.build RAW_DIR OUT_DIR     # e.g. tests/fixtures/raw data

The curated metadata (titles, sources, units, field descriptions) lives in `RESOURCES` below, so
regenerating is one command. The output is deterministic: the same raw files give the same bytes
(no timestamps), which a test checks. Hand-curated CSVs must already be in ``OUT_DIR``; they are
hashed and described, never rewritten. The whole folder is validated with
`bot.pipeline.load.load_datasets` at the end, so a build cannot leave files the bot would refuse.

Treasury holdings (``treasury_holdings.csv``) combine two TIC tables:

* ``mfhhis01.txt`` gives the full monthly history (Mar 2000 onwards);
* ``slt_table5.txt`` gives the latest 13 months (a newer release).

Where a month is in both, the newer ``slt_table5`` vintage wins for every holder it lists
(including the Grand Total and the foreign-official lines); ``mfhhis01`` rows are kept for the
holders ``slt_table5`` does not list (Germany, the Netherlands, …) and for "All Other", because
"All Other" is the residual of each table's own country list (Table 5 lists fewer countries, so
its "All Other" is larger). The ``table`` column says which table each row came from. The build
checks that, in every merged month, the holders still add up to the Grand Total.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bot.pipeline.load import load_datasets
from bot.pipeline.sources import (
    parse_cofer,
    parse_fred_csv,
    parse_mfhhis01,
    parse_shl_a5,
    parse_shl_a7,
    parse_slt_table5,
    parse_wgc,
    quarterly_totals,
    world_table,
)
from bot.pipeline.sources.mspd import parse_mspd_summary
from bot.pipeline.sources.tic import ALL_OTHER, GRAND_TOTAL, MEMO_LABELS

#: The 27 EU member states, spelled as in the TIC SHL appendix tables.
EU27 = (
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Denmark", "Estonia",
    "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia", "Lithuania",
    "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia",
    "Spain", "Sweden",
)  # fmt: skip

RAW = {
    "mfhhis01": "tic/mfhhis01.txt",
    "slt_table5": "tic/slt_table5.txt",
    "shl_a5": "shl-2025/shl_app05_2025.csv",
    "shl_a7": "shl-2025/shl_app07_2025.csv",
    "cofer": ("imf-cofer/cofer_shares.xml", "imf-cofer/cofer_total_nv.xml", "imf-cofer/cofer_usd_nv.xml"),
    "wgc": "wgc/cbd_quarterly_2000_2026.json",
    "niip": "fred/niip.csv",
    "gdp": "fred/gdp.csv",
    "dgs10": "fred/DGS10.csv",
    "treast": "fred/TREAST.csv",
    "walcl": "fred/WALCL.csv",
    "mspd": "mspd/MSPD_SumSecty_20010131_20260531.csv",
}

#: The back-test's episodes (issue 11): (key, TIC holder row, title, first month-end, last
#: month-end, what else was going on). The windows are the episodes as usually told; the
#: numbers are computed from the raw files by `build_yield_episodes`. The last episode's window
#: is found in the data: the largest fall of foreign official holdings over 12 months.
EPISODES: list[tuple[str, str, str, str | None, str | None, str]] = [
    ("march_2020", GRAND_TOTAL, "All foreign holders, March 2020 (the 'dash for cash')", "2020-02", "2020-03",
     "Mutual funds, hedge funds and foreign official holders all sold at once; the Fed bought Treasuries at a "
     "record pace and cut rates to zero. The 10-year peaked on 18 March and ended the month lower."),
    ("china_2016", "China, Mainland", "China, 2016 (defending the yuan)", "2016-02", "2016-11",
     "China's largest 2016 decline; the US election in November and a Fed hike priced for December moved "
     "yields most."),
    ("russia_2018", "Russia", "Russia's exit, April-May 2018", "2018-03", "2018-05",
     "Sanctions; the Fed was raising rates; Italy's political scare in late May pulled yields down."),
    ("japan_2022", "Japan", "Japan's yen intervention, September-October 2022", "2022-08", "2022-10",
     "The Fed raised rates by 150 bp in September-November and shrank its balance sheet; much of the fall "
     "in holdings is falling prices, not sales."),
    ("official_12m", "Foreign Official", "Largest 12-month fall in foreign official holdings", None, None,
     "The Fed's fastest hiking cycle in forty years; holdings are at market value, so falling prices are "
     "a large part of the fall."),
]

# ------------------------------------------------------------------------------------------
# Metadata
# ------------------------------------------------------------------------------------------

US_GOV = "Public domain (US government data); cite the publisher."
CURATED = (
    "Compiled by the Reset Bot team from the sources named in each row; quotations and figures "
    "remain their publishers' — cite them, not this file."
)
TIC_URL = "https://home.treasury.gov/data/treasury-international-capital-tic-system"
SHL_URL = "https://home.treasury.gov/data/treasury-international-capital-tic-system/us-liabilities-to-foreigners-from-holdings-of-us-securities"
BEA_IIP_URL = "https://www.bea.gov/data/intl-trade-investment/international-investment-position"
TAGS = ["official", "quoted", "derived", "secondary", "claim"]


def field(name: str, type_: str, description: str, unit: str = "", *, nullable: str | None = None,
          pattern: str | None = None, enum: list[str] | None = None) -> dict[str, Any]:
    """One schema field; ``nullable`` is the reason an empty cell is allowed."""
    out: dict[str, Any] = {"name": name, "type": type_, "unit": unit, "description": description}
    if nullable:
        out["nullable"] = nullable
    constraints: dict[str, Any] = {}
    if pattern:
        constraints["pattern"] = pattern
    if enum:
        constraints["enum"] = enum
    if constraints:
        out["constraints"] = constraints
    return out


MONTH = r"\d{4}-(0[1-9]|1[0-2])"
QUARTER = r"\d{4}Q[1-4]"
SUPPRESSED = "suppressed by TIC ('*': greater than zero but less than $500 million) or not available"

RESOURCES: dict[str, dict[str, Any]] = {
    "iip_quarterly": {
        "path": "iip_quarterly.csv",
        "generated": False,
        "title": "US international investment position: assets, liabilities and net, by quarter and vintage",
        "description": "End-of-quarter US assets, liabilities and net IIP as BEA published them (first-published "
        "and revised vintages side by side; the vintage column says which). Year-end rows before 2024 are early "
        "vintages and do not match the current-vintage net series in iip_annual.",
        "sources": [
            {"publisher": "Bureau of Economic Analysis", "title": "U.S. International Investment Position news releases and Survey of Current Business articles", "url": BEA_IIP_URL, "series": "IIP Table A / news-release text"},
            {"publisher": "FRASER (Federal Reserve Bank of St. Louis)", "title": "Archived BEA news releases", "url": "https://fraser.stlouisfed.org/", "series": "bea_newsrelease_20250929, bea_newsreleases_20250326"},
            {"publisher": "financeloopnews.com (verbatim copy of BEA text)", "title": "U.S. International Investment Position, 3rd Quarter 2025", "url": "https://financeloopnews.com/u-s-international-investment-position-3rd-quarter-2025", "series": "Q3 2025 release text"},
        ],
        "time": ("period", "str"),
        "units": "US$ billions (release figures in $ trillions x 1,000)",
        "tag": "quoted",
        "derivation": "Hand-copied from the releases named in each row's note; tag per row (quoted, derived where assets or liabilities were computed from quoted changes, secondary for the news-site copy of the Q3 2025 release).",
        "licence": US_GOV,
        "primaryKey": ["period", "vintage"],
        "fields": [
            field("period", "string", "Quarter whose end the position refers to", pattern=QUARTER),
            field("vintage", "date", "Release date of the figures (first day of the month where only the month is known; see note)", nullable="release date not stated in the source read"),
            field("assets_usd_bn", "number", "US-owned assets abroad", "usd_bn"),
            field("liabilities_usd_bn", "number", "Foreign-owned assets in the US (US liabilities)", "usd_bn"),
            field("net_usd_bn", "number", "Net international investment position (assets minus liabilities)", "usd_bn"),
            field("tag", "string", "How the row's figures were obtained", enum=TAGS),
            field("note", "string", "Source of the row and caveats"),
        ],
    },
    "iip_annual": {
        "path": "iip_annual.csv",
        "generated": True,
        "title": "US net international investment position, annual (current vintage)",
        "description": "Year-end US net IIP from FRED series IIPUSNETIA (BEA), one consistent vintage for all years.",
        "sources": [{"publisher": "Bureau of Economic Analysis via FRED", "title": "U.S. Net International Investment Position", "url": "https://fred.stlouisfed.org/graph/fredgraph.csv?id=IIPUSNETIA", "series": "IIPUSNETIA"}],
        "time": ("year", "int"),
        "vintage": "2026-03-15",
        "units": "US$ billions",
        "tag": "official",
        "derivation": "IIPUSNETIA is in $ millions; net_usd_bn = value / 1,000. Vintage: FRED download of about 2026-03-15 (date approximate, per PROVENANCE.md).",
        "licence": "Public domain (BEA data); FRED terms of use apply to the download.",
        "primaryKey": ["year"],
        "fields": [
            field("year", "integer", "Year (position at year-end)", "year"),
            field("net_usd_bn", "number", "Net international investment position at year-end", "usd_bn"),
        ],
    },
    "gdp_annual": {
        "path": "gdp_annual.csv",
        "generated": True,
        "title": "US nominal GDP, annual",
        "description": "US gross domestic product at current prices, annual, from FRED series GDPA (BEA).",
        "sources": [{"publisher": "Bureau of Economic Analysis via FRED", "title": "Gross Domestic Product", "url": "https://fred.stlouisfed.org/graph/fredgraph.csv?id=GDPA", "series": "GDPA"}],
        "time": ("year", "int"),
        "vintage": "2026-03-15",
        "units": "US$ billions",
        "tag": "official",
        "derivation": "Copied from GDPA ($ billions). 2025 is BEA's estimate as of the download (about 2026-03-15); later estimates may revise it.",
        "licence": "Public domain (BEA data); FRED terms of use apply to the download.",
        "primaryKey": ["year"],
        "fields": [
            field("year", "integer", "Calendar year", "year"),
            field("gdp_usd_bn", "number", "Nominal GDP for the year", "usd_bn"),
        ],
    },
    "treasury_holdings": {
        "path": "treasury_holdings.csv",
        "generated": True,
        "title": "Major foreign holders of US Treasury securities, monthly",
        "description": "Foreign holdings of US Treasury securities at the end of each month by holder as TIC lists them "
        "(countries, 'All Other', 'Grand Total', and the foreign-official memo lines). TIC: the data come mainly from "
        "US custodians, so a country label is where securities are held in custody, not necessarily the owner.",
        "sources": [
            {"publisher": "US Treasury, TIC", "title": "Major Foreign Holders of Treasury Securities (history)", "url": "https://www.treasury.gov/resource-center/data-chart-center/tic/Documents/mfhhis01.txt", "series": "mfhhis01"},
            {"publisher": "US Treasury, TIC", "title": "SLT Table 5: Major Foreign Holders of Treasury Securities", "url": "https://ticdata.treasury.gov/resource-center/data-chart-center/tic/Documents/slt_table5.txt", "series": "SLT Table 5"},
        ],
        "time": ("month", "str"),
        "vintage": "2026-07-01",
        "units": "US$ billions",
        "tag": "official",
        "derivation": "Parsed from mfhhis01.txt (file dated 2026-05-18, '2025 revised May 18, 2026') and slt_table5.txt, both retrieved 2026-07-01. "
        "Where a month is in both tables, slt_table5 (newer) wins for the holders it lists, including Grand Total and the "
        "foreign-official lines; mfhhis01 rows are kept for holders slt_table5 does not list and for 'All Other' (each table's "
        "'All Other' is the residual of its own, different country list). Months after Dec 2025 come from slt_table5 only, whose "
        "'All Other' covers more countries (Germany, Netherlands, … are inside it). Where TIC shows a month twice at a "
        "series break, the new-series value is kept. Labels are normalised: quotes and footnote markers removed "
        "('United Kingdom 2/' -> 'United Kingdom'; before Mar 2016 it includes the Channel Islands and Isle of Man); "
        "memo lines are 'Foreign Official', 'Foreign Official Treasury Bills', 'Foreign Official T-Bonds & Notes'. "
        "'n.a.' cells (Luxembourg before June 2002, inside 'Belgium-Luxembourg') have no row.",
        "licence": US_GOV,
        "primaryKey": ["month", "holder"],
        "fields": [
            field("month", "string", "Month whose end the holdings refer to (YYYY-MM)", pattern=MONTH),
            field("holder", "string", "Holder as labelled by TIC (normalised; see holders.tic_label)"),
            field("usd_bn", "number", "Holdings of US Treasury bills, bonds and notes at the end of the month", "usd_bn"),
            field("table", "string", "TIC table the row comes from", enum=["mfhhis01", "slt_table5"]),
        ],
    },
    "holders": {
        "path": "holders.csv",
        "generated": False,
        "title": "Holders named in the TIC tables, with groupings and aliases",
        "description": "One row per holder label in treasury_holdings (countries and TIC's own groups; 'Grand Total' and the "
        "foreign-official lines are handled by the bot as aggregates and not listed). Flags say which holders form the EU "
        "(current 27 members), Europe (EU + UK + Norway + Switzerland, as in the fact sheet's Europe totals) and custody centres.",
        "sources": [
            {"publisher": "US Treasury, TIC", "title": "Major Foreign Holders of Treasury Securities", "url": "https://www.treasury.gov/resource-center/data-chart-center/tic/Documents/mfhhis01.txt", "series": "mfhhis01 / SLT Table 5 row labels"},
            {"publisher": "European Union", "title": "EU member countries", "url": "https://european-union.europa.eu/principles-countries-history/eu-countries_en", "series": "EU-27 membership (since Feb 2020)"},
        ],
        "time": None,
        "period": "labels used in TIC tables 2000-03 to 2026-04",
        "as_of": "2026-04",
        "vintage": "2026-07-01",
        "units": "none (classification)",
        "tag": "derived",
        "derivation": "Curated. eu_member is today's EU-27 (the UK is not a member, at any date). custodial_centre follows the fact sheet: Belgium (Euroclear), Luxembourg (Clearstream), UK, Cayman Islands, Ireland, plus TIC's Belgium-Luxembourg and Caribbean banking-centre groups; Switzerland is not flagged. Russia and Turkey (in TIC's regional 'Europe') are not flagged europe.",
        "licence": CURATED,
        "primaryKey": ["key"],
        "fields": [
            field("key", "string", "Stable key used in commands and claim checks", pattern=r"[a-z][a-z0-9_]*"),
            field("label", "string", "Name shown to users"),
            field("tic_label", "string", "Holder label exactly as in treasury_holdings.holder"),
            field("eu_member", "boolean", "True for the 27 current EU member states (and TIC's Belgium-Luxembourg, 2000-2002)"),
            field("europe", "boolean", "True for EU members, United Kingdom, Norway and Switzerland"),
            field("custodial_centre", "boolean", "True where TIC's figure mostly reflects custody (Euroclear, Clearstream, fund domiciles), not beneficial owners"),
            field("aliases", "string", "Other names users type, ';'-separated", nullable="no aliases beyond the key, label and TIC label"),
        ],
    },
    "shl_holdings": {
        "path": "shl_holdings_2025.csv",
        "generated": True,
        "title": "Foreign holdings of US securities by country and type, end-June 2025 (SHL survey)",
        "description": "Annual TIC survey of foreign portfolio holdings (Appendix tables A5 and A7), as of June 30, 2025. "
        "Empty cells are suppressed by TIC, so sums over countries are slight underestimates.",
        "sources": [
            {"publisher": "US Treasury / FRBNY / Federal Reserve Board (TIC SHL)", "title": "Foreign Portfolio Holdings of U.S. Securities as of June 30, 2025 — Appendix Table A5", "url": SHL_URL, "series": "shl_app05_2025 (Table A5)"},
            {"publisher": "US Treasury / FRBNY / Federal Reserve Board (TIC SHL)", "title": "Foreign Portfolio Holdings of U.S. Securities as of June 30, 2025 — Appendix Table A7", "url": SHL_URL, "series": "shl_app07_2025 (Table A7)"},
        ],
        "time": None,
        "period": "2025-06-30",
        "as_of": "2025-06-30",
        "vintage": "2026-07-01",
        "units": "US$ millions",
        "tag": "official",
        "derivation": "Parsed from shl_app05_2025.csv (A5) and shl_app07_2025.csv (A7, for treasury_usd_mn), appendix zip retrieved 2026-07-01 (report published April 2026). "
        "'*' and 'n.a.' become empty cells. eu_member marks the 27 EU member states. kind 'other' = international and "
        "regional organisations, country unknown, and the memo line 'of which: Holdings of foreign official institutions' "
        "(a part of Total). treasury_usd_mn is empty for countries A7 does not list.",
        "licence": US_GOV,
        "primaryKey": ["country"],
        "fields": [
            field("country", "string", "Country, region or total as labelled by TIC"),
            field("kind", "string", "country, region (regional subtotal), total (all foreign holders) or other (organisations, unknown, official memo)", enum=["country", "region", "total", "other"]),
            field("eu_member", "boolean", "True for the 27 EU member states"),
            field("total_usd_mn", "integer", "All US securities held (equities + long-term debt + short-term debt)", "usd_mn", nullable=SUPPRESSED),
            field("equities_usd_mn", "integer", "US equities (incl. fund shares)", "usd_mn", nullable=SUPPRESSED),
            field("lt_treasury_usd_mn", "integer", "Long-term US Treasury debt", "usd_mn", nullable=SUPPRESSED),
            field("lt_agency_usd_mn", "integer", "Long-term US agency debt", "usd_mn", nullable=SUPPRESSED),
            field("lt_corporate_usd_mn", "integer", "Long-term US corporate debt", "usd_mn", nullable=SUPPRESSED),
            field("st_debt_usd_mn", "integer", "Short-term US debt of all issuers (Treasury bills included)", "usd_mn", nullable=SUPPRESSED),
            field("treasury_usd_mn", "integer", "US Treasury securities, long and short term (Table A7 'Total')", "usd_mn", nullable=SUPPRESSED + ", or country not listed in Table A7"),
        ],
    },
    "europe_shl_history": {
        "path": "europe_shl_history.csv",
        "generated": False,
        "title": "European holdings of US securities over time (SHL survey, Exhibit 4)",
        "description": "Holdings by investors in Europe (TIC region 'Europe') at the end of June of each survey year.",
        "sources": [{"publisher": "US Treasury / FRBNY / Federal Reserve Board (TIC SHL)", "title": "Foreign Portfolio Holdings of U.S. Securities as of June 30, 2025, Exhibit 4 (Europe rows)", "url": SHL_URL, "series": "SHL 2025 report, Exhibit 4"}],
        "time": ("year", "int"),
        "vintage": "2026-07-01",
        "units": "US$ billions",
        "tag": "quoted",
        "derivation": "Hand-copied from Exhibit 4 of the report (shl2025r.pdf, published April 2026, copy retrieved 2026-07-01). Corporate debt includes short-term corporate debt, so 2025 (2,900) exceeds Table A5's long-term corporate figure for Europe (2,716).",
        "licence": US_GOV,
        "primaryKey": ["year"],
        "fields": [
            field("year", "integer", "Survey year (holdings at end-June)", "year"),
            field("treasury_usd_bn", "number", "US Treasury debt held by Europe", "usd_bn"),
            field("corporate_usd_bn", "number", "US corporate debt held by Europe", "usd_bn"),
            field("equities_usd_bn", "number", "US equities held by Europe", "usd_bn"),
            field("euro_area_treasury_usd_bn", "number", "US Treasury debt held by the euro area", "usd_bn"),
        ],
    },
    "gold_reserves": {
        "path": "gold_reserves_quarterly.csv",
        "generated": True,
        "title": "Official gold reserves, all reporting holders and the US, quarterly",
        "description": "Sums over the central banks and governments that reported each quarter to the IMF (as republished by the "
        "World Gold Council): gold reserves at market value and total reserves. Quarters with few reporters (see reporters) "
        "undercount; the IMF, the ECB and the BIS are not included.",
        "sources": [{"publisher": "World Gold Council (IMF International Financial Statistics)", "title": "Central bank gold reserves, quarterly (gold.org dashboard API)", "url": "https://fsapi.gold.org/api/cbd/v11", "series": "cbd v11 QTD_FULL: gold_reserves, total_reserves"}],
        "time": ("quarter_end", "date"),
        "vintage": "2026-07-01",
        "units": "US$ billions; reporters = count",
        "tag": "derived",
        "derivation": "Parsed from cbd_quarterly_2000_2026.json (request of 2026-07-01). gold_all = sum of 'Gold reserves (US$ Millions)' over holders with a figure / 1,000; total_reserves_all likewise for 'Total reserves'; gold_ex_us = gold_all - US. Holders marked 'AWAITED' are left out, so the latest quarter is incomplete.",
        "licence": "© World Gold Council; source data IMF IFS. Attribute 'World Gold Council, IMF IFS'.",
        "primaryKey": ["quarter_end"],
        "fields": [
            field("quarter_end", "date", "Last day of the quarter"),
            field("gold_all_usd_bn", "number", "Gold reserves of all reporting holders, US included, at market value", "usd_bn"),
            field("gold_us_usd_bn", "number", "US gold reserves at market value", "usd_bn"),
            field("gold_ex_us_usd_bn", "number", "Gold reserves of reporting holders other than the US", "usd_bn"),
            field("total_reserves_all_usd_bn", "number", "Total reserves (gold, FX, SDRs, IMF position) of all reporting holders", "usd_bn"),
            field("reporters", "integer", "Number of holders with a gold figure this quarter", "count"),
        ],
    },
    "cofer": {
        "path": "cofer_shares.csv",
        "generated": True,
        "title": "Currency composition of official FX reserves (IMF COFER), world",
        "description": "US dollar and euro shares of allocated foreign exchange reserves and the total, world aggregate. "
        "This vintage (published 2026-03-27) has only 2025 Q4 shares; later vintages revise them (see facts).",
        "sources": [{"publisher": "International Monetary Fund", "title": "Currency Composition of Official Foreign Exchange Reserves (COFER)", "url": "https://data.imf.org/en/datasets/IMF.STA:COFER", "series": "COFER G001 AFXRA CI_USD/CI_EUR SHRO_PT; CI_T NV_USD"}],
        "time": ("quarter", "str"),
        "units": "percent of allocated reserves; US$ billions",
        "tag": "official",
        "derivation": "Parsed from cofer_shares.xml, cofer_total_nv.xml and cofer_usd_nv.xml (SDMX 2.1). Total = NV_USD value in dollars / 1e9. Shares rounded to 4 decimals.",
        "licence": "IMF data; cite 'International Monetary Fund, Currency Composition of Official Foreign Exchange Reserves (COFER)'.",
        "primaryKey": ["quarter"],
        "fields": [
            field("quarter", "string", "Quarter (YYYYQn)", pattern=QUARTER),
            field("usd_share_pct", "number", "US dollar share of allocated FX reserves", "pct"),
            field("eur_share_pct", "number", "Euro share of allocated FX reserves", "pct"),
            field("total_fx_reserves_usd_bn", "number", "Allocated FX reserves, all currencies", "usd_bn"),
        ],
    },
    "facts": {
        "path": "facts.csv",
        "generated": False,
        "title": "Single sourced figures the bot quotes",
        "description": "One figure a row, each with its publisher, source, URL, vintage and tag. Keys end in the unit where it is usd_bn or pct.",
        "sources": [
            {"publisher": "Federal Reserve Board", "title": "Financial Accounts of the United States (Z.1)", "url": "https://www.federalreserve.gov/releases/z1/", "series": "L.210, L.133"},
            {"publisher": "Congressional Research Service", "title": "RS22331 Selected Statistics on Foreign Holdings of Federal Debt", "url": "https://www.everycrsreport.com/reports/RS22331.html", "series": "RS22331"},
            {"publisher": "US Treasury, TIC", "title": "TIC releases and SHL survey report", "url": TIC_URL, "series": "TIC monthly release; SHL 2025"},
            {"publisher": "Others named per row (Freddie Mac, CBO, ECB, WGC, IMF, news reports)", "title": "see the source and url columns", "url": "https://www.freddiemac.com/pmms", "series": "per row"},
        ],
        "time": None,
        "period": "various (see period column)",
        "as_of": "various (see period column)",
        "vintage": "2026-07-01",
        "units": "per row (unit column)",
        "tag": "quoted",
        "derivation": "Hand-copied from the fact sheet (shared/reference/data-sources.md and yield-model.md); each row carries its own tag (quoted, derived, secondary, claim). Vintage: first day of the month where only the month is known (noted per row).",
        "licence": CURATED,
        "primaryKey": ["key"],
        "rowUnits": {"name_column": "key", "unit_column": "unit"},
        "fields": [
            field("key", "string", "Stable key, ends in the unit where that is usd_bn or pct", pattern=r"[a-z][a-z0-9_]*"),
            field("value", "number", "The figure", "see unit column"),
            field("unit", "string", "Unit of value (usd_bn, eur_bn, pct, bp, months, tonnes, usd_per_oz)"),
            field("period", "string", "Date or period the figure refers to"),
            field("publisher", "string", "Who published the figure"),
            field("source", "string", "Document, table or quote the figure comes from"),
            field("url", "string", "Where it can be read", nullable="no stable URL for the page it was read in (news reprint or social post)"),
            field("vintage", "date", "Release or report date", nullable="publication date not stated in the source read"),
            field("tag", "string", "quoted, derived (arithmetic on quoted figures), secondary (news or blog copy), claim (unsourced)", enum=TAGS),
            field("note", "string", "Caveats", nullable="no caveat beyond the source"),
        ],
    },
    "yield_episodes": {
        "path": "yield_episodes.csv",
        "generated": True,
        "title": "Foreign sales of Treasuries on record and what the 10-year yield did (the model's back-test)",
        "description": "Each episode's fall in TIC holdings over its window, the 10-year yield's move over the same "
        "window and its largest rise inside it, the Fed's Treasury purchases, and marketable debt then. Not "
        "controlled experiments: other forces, monetary policy first, moved yields at the same time.",
        "sources": [
            {"publisher": "US Treasury, TIC", "title": "Major Foreign Holders of Treasury Securities", "url": TIC_URL, "series": "mfhhis01, SLT Table 5"},
            {"publisher": "Board of Governors via FRED", "title": "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity", "url": "https://fred.stlouisfed.org/series/DGS10", "series": "DGS10 (daily)"},
            {"publisher": "Board of Governors via FRED (H.4.1)", "title": "Assets: Securities Held Outright: U.S. Treasury Securities; Total Assets", "url": "https://fred.stlouisfed.org/series/TREAST", "series": "TREAST, WALCL (weekly, $mn)"},
            {"publisher": "US Treasury, Fiscal Data", "title": "Monthly Statement of the Public Debt, summary by security type", "url": "https://fiscaldata.treasury.gov/datasets/monthly-statement-public-debt/", "series": "MSPD Table I summary"},
        ],
        "time": ("window_end", "str"),
        "vintage": "2026-06-30",
        "units": "US$ billions, percent, basis points (in column names)",
        "tag": "derived",
        "derivation": "Computed by bot/pipeline/build.py (build_yield_episodes) from tic/mfhhis01.txt and slt_table5.txt, "
        "fred/DGS10.csv, fred/TREAST.csv, fred/WALCL.csv and the MSPD summary: sale = holdings at the first month-end "
        "minus holdings at the last; yields are the last daily observation on or before each month-end; the peak "
        "rise is the largest rise from any earlier day in the window (the start included) to a later one.",
        "licence": US_GOV,
        "primaryKey": ["episode"],
        "fields": [
            field("episode", "string", "Key", pattern=r"[a-z][a-z0-9_]*"),
            field("title", "string", "What happened"),
            field("holder", "string", "TIC row whose holdings fell"),
            field("window_start", "string", "First month-end of the window (holdings and yields measured from it)"),
            field("window_end", "string", "Last month-end of the window", pattern=MONTH),
            field("months", "integer", "Length of the window", "months"),
            field("holdings_start_usd_bn", "number", "Holdings at the first month-end", "usd_bn"),
            field("sale_usd_bn", "number", "Fall in holdings over the window (includes price changes)", "usd_bn"),
            field("marketable_debt_usd_bn", "number", "Marketable Treasury debt held by the public at the first month-end (MSPD)", "usd_bn"),
            field("sale_pct", "number", "The fall as a share of marketable debt then", "pct"),
            field("dgs10_start_pct", "number", "10-year yield at the first month-end", "pct"),
            field("dgs10_end_pct", "number", "10-year yield at the last month-end", "pct"),
            field("dgs10_change_bp", "integer", "10-year change over the window", "bp"),
            field("dgs10_peak_rise_bp", "integer", "Largest rise of the 10-year inside the window, trough to later peak", "bp"),
            field("dgs10_peak_date", "date", "Day of that peak"),
            field("fed_treasury_change_usd_bn", "number", "Change in the Fed's Treasury holdings over the window (H.4.1, TREAST)", "usd_bn",
                  nullable="TREAST in the raw files ends in December 2020"),
            field("fed_assets_change_usd_bn", "number", "Change in the Fed's total assets over the window (H.4.1, WALCL)", "usd_bn"),
            field("context", "string", "What else was moving yields"),
        ],
    },
    "cbo_debt_path": {
        "path": "cbo_debt_path.csv",
        "generated": False,
        "title": "Federal debt held by the public along CBO's baseline, by fiscal year",
        "description": "The debt stock the scenario model charges extra interest on: CBO's quoted points, the years "
        "between interpolated at constant growth and the year past CBO's horizon extended the same way (tag says which).",
        "sources": [
            {"publisher": "Congressional Budget Office", "title": "The Budget and Economic Outlook: 2025 to 2035", "url": "https://www.cbo.gov/topics/budget/budget-and-economic-outlook", "series": "baseline projections, debt held by the public"},
        ],
        "time": ("year", "int"),
        "vintage": "2025-01-17",
        "units": "US$ billions",
        "tag": "derived",
        "derivation": "Three points quoted from CBO via yield-model.md (FY2025, FY2026, FY2035); the others interpolated "
        "geometrically (row tag 'derived'). Not a CBO table: replace with CBO's year-by-year baseline when it is in the raw files.",
        "licence": US_GOV,
        "primaryKey": ["year"],
        "fields": [
            field("year", "integer", "Fiscal year (October to September)", "year"),
            field("debt_held_by_public_usd_bn", "number", "Debt held by the public at the end of the fiscal year", "usd_bn"),
            field("tag", "string", "quoted (a CBO figure) or derived (interpolated or extended)", enum=["quoted", "derived"]),
            field("source", "string", "Where the figure comes from, or how it was computed"),
        ],
    },
    "yield_calibration": {
        "path": "yield_calibration.csv",
        "generated": False,
        "title": "Calibration of the foreign-selling yield model (low / central / high), each row with its sample and conversion",
        "description": "Coefficients of the scenario model (metrics/shock.py): lasting and short-run price impact, the "
        "evidence's limits, the overshoot's decay, the Fed backstop, pass-through, debt structure. Every estimate "
        "from the literature states the sample it came from (period, maturity, market size then), the value as "
        "published and its conversion to today's market (yield-model.md §5 step 1); low/central/high are the "
        "converted values, the ones used. Single-valued parameters repeat the value.",
        "sources": [
            {"publisher": "Beltran, Kretchmer, Marquez & Thomas (Federal Reserve staff)", "title": "Foreign Holdings of U.S. Treasuries and U.S. Treasury Yields, JIMF 32(1), 2013", "url": "https://ssrn.com/abstract=2014172", "series": "SSRN 2014172"},
            {"publisher": "C. A. Martin", "title": "Foreign Treasury Purchases and the Yield Curve: Evidence from a Sign-Identified VAR", "url": "https://ssrn.com/abstract=2534430", "series": "SSRN 2534430"},
            {"publisher": "Bonis, Ihrig & Wei (Federal Reserve Board)", "title": "The Effect of the Federal Reserve's Securities Holdings on Longer-term Interest Rates, FEDS Notes 2017", "url": "https://www.federalreserve.gov/econres/notes/feds-notes/", "series": "FEDS Notes, April 2017"},
            {"publisher": "A. Vissing-Jorgensen", "title": "The Treasury Market in Spring 2020 and the Response of the Federal Reserve, JME 124 (2021)", "url": "https://doi.org/10.1016/j.jmoneco.2021.10.007", "series": "JME 124"},
            {"publisher": "US Treasury and FRED", "title": "MSPD summary; DGS10, MORTGAGE30US, BAA, TREAST; TIC; SHL 2025 Table A12", "url": TIC_URL, "series": "see yield_episodes"},
        ],
        "time": None,
        "period": "literature 1994-2026; market size May 2026",
        "as_of": "2026-05",
        "vintage": "2026-06-30",
        "units": "per row (unit column)",
        "tag": "derived",
        "derivation": "Compiled from yield-model.md (the literature) and the official files in data/raw (episodes, rates, MSPD, SHL); "
        "each row's conversion column shows the arithmetic. sr_half_life_months, lasting_fade_half_life_months, "
        "bills_run_off_months and fed_lasting_share's central value are model assumptions, said so in their rows.",
        "licence": CURATED,
        "primaryKey": ["parameter"],
        "rowUnits": {"name_column": "parameter", "unit_column": "unit"},
        "fields": [
            field("parameter", "string", "Parameter name", pattern=r"[a-z][a-z0-9_]*"),
            field("low", "number", "Low case (converted to today's market)", "see unit column"),
            field("central", "number", "Central case (converted)", "see unit column"),
            field("high", "number", "High case (converted)", "see unit column"),
            field("unit", "string", "Unit of low/central/high (bp_per_100bn, pct (of marketable debt), bp, months, years, ratio, usd_bn)"),
            field("sample", "string", "What the estimate was measured on: period, maturity, episode"),
            field("market_size_then_bn", "string", "Marketable debt held by the public when it was measured, $bn (MSPD)",
                  nullable="not a per-dollar estimate, so no rescaling applies"),
            field("as_published", "string", "The estimate in its source's own units", nullable="a model assumption: nothing was published"),
            field("conversion", "string", "How the published value became the one used (or 'none')"),
            field("source", "string", "Where the sample and values can be read", nullable="a model assumption with no source"),
            field("note", "string", "What the parameter does in the model and its caveats"),
        ],
    },
    "claims": {
        "path": "claims.csv",
        "generated": False,
        "title": "The thesis's claims and how each is checked",
        "description": "Each claim with the computation that checks it against official data (check), or why it cannot be "
        "checked (verdict_if_unchecked), and one sentence of evidence from the fact sheet. claimed_value is as stated "
        "(magnitudes: a 'gap' of 27.6 means a net position of -27.6).",
        "sources": [
            {"publisher": "US Treasury, TIC", "title": "Major Foreign Holders and SHL survey (evidence)", "url": TIC_URL, "series": "mfhhis01, SLT Table 5, SHL 2025"},
            {"publisher": "Bureau of Economic Analysis", "title": "U.S. International Investment Position (evidence)", "url": BEA_IIP_URL, "series": "IIP Q3 2025"},
            {"publisher": "Claim authors named per row (thesis, Deutsche Bank, Citi/Reuters, Crescat)", "title": "see claim_source", "url": "https://www.zerohedge.com/", "series": "per row"},
        ],
        "time": None,
        "period": "claims made 2025-2026",
        "as_of": "2026-01",
        "vintage": "2026-07-01",
        "units": "per row (claimed_unit column)",
        "tag": "secondary",
        "derivation": "Curated from the fact sheet. check keys: iip_*_usd_t, iip_net_pct_gdp, holder_change_decade:<key>:<up|down> (Dec 2015 -> Dec 2025, claimed direction), holder_change:<key>:<from>:<to>:<up|down>, eu_change_decade:<up|down>, shl_eu27:<treasury|corporate|equities>, europe_buying_share:<from>:<to> (end-month holdings), gold_vs_official_ust, europe_share_of_foreign_holdings.",
        "licence": CURATED,
        "primaryKey": ["id"],
        "fields": [
            field("id", "string", "Stable claim id", pattern=r"[a-z][a-z0-9_]*"),
            field("topic", "string", "Topic the claim belongs to", enum=["gap", "holdings", "europe", "buying", "refinancing", "shock", "gold"]),
            field("claim", "string", "The claim in plain words"),
            field("claimed_value", "number", "The number claimed, as stated", "see claimed_unit column", nullable="the claim is about a direction, not a number"),
            field("claimed_unit", "string", "Unit of claimed_value (usd_t, pct, pp, ratio)", nullable="no number claimed"),
            field("check", "string", "Key of the computation that verifies the claim against official data", nullable="nothing official can verify it (see verdict_if_unchecked)"),
            field("verdict_if_unchecked", "string", "Verdict when no check is possible", nullable="the claim has a check", enum=["no_primary_source"]),
            field("evidence", "string", "One sentence of evidence from the fact sheet"),
            field("claim_source", "string", "Who made the claim"),
        ],
    },
}

# ------------------------------------------------------------------------------------------
# Formatting
# ------------------------------------------------------------------------------------------


def _number(value: Any, decimals: int) -> str:
    """Fixed rounding, trailing zeros dropped, empty for missing: 1185.50 -> '1185.5'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{float(value):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _integer(value: Any) -> str:
    return "" if value is None or value is pd.NA else str(int(value))


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """The exact bytes every generated CSV is written with (UTF-8, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_bytes(csv_bytes(header, rows))


# ------------------------------------------------------------------------------------------
# Generated resources
# ------------------------------------------------------------------------------------------


def _read(raw_dir: Path, relative: str) -> str:
    return (raw_dir / relative).read_text(encoding="utf-8")


def build_iip_annual(raw_dir: Path) -> list[list[str]]:
    frame = parse_fred_csv(_read(raw_dir, RAW["niip"]), Path(RAW["niip"]).name)
    return [[str(d.year), _number(v / 1000, 3)] for d, v in zip(frame["date"], frame["value"])]


def build_gdp_annual(raw_dir: Path) -> list[list[str]]:
    frame = parse_fred_csv(_read(raw_dir, RAW["gdp"]), Path(RAW["gdp"]).name)
    return [[str(d.year), _number(v, 3)] for d, v in zip(frame["date"], frame["value"])]


def merge_holdings(history: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """mfhhis01 history + slt_table5 latest months (see the module docstring for the rule).

    Row order: month, then mfhhis01's order within the month, then any Table 5 holder mfhhis01
    does not show; months only in Table 5 keep its order.
    """
    newer = {
        (m, h): v for m, h, v in zip(latest["month"], latest["holder"], latest["usd_bn"]) if h != ALL_OTHER
    }
    latest_months = set(latest["month"])
    out: list[tuple[str, str, float, str]] = []
    for month, rows in history.groupby("month", sort=True):
        shown = set()
        for holder, value in zip(rows["holder"], rows["usd_bn"]):
            shown.add(holder)
            if (month, holder) in newer:
                out.append((month, holder, newer[(month, holder)], "slt_table5"))
            else:
                out.append((month, holder, value, "mfhhis01"))
        if month in latest_months:
            extra = latest[(latest["month"] == month) & ~latest["holder"].isin(shown) & (latest["holder"] != ALL_OTHER)]
            out += [(month, h, v, "slt_table5") for h, v in zip(extra["holder"], extra["usd_bn"])]
            values = {h: v for m, h, v, _ in out if m == month}
            parts = sum(v for h, v in values.items() if h != GRAND_TOTAL and h not in MEMO_LABELS)
            if abs(parts - values[GRAND_TOTAL]) > 0.05 * len(values):
                raise ValueError(
                    f"treasury_holdings {month}: merged holders add up to {parts:.1f} but Grand Total is "
                    f"{values[GRAND_TOTAL]:.1f}; slt_table5 revised figures mfhhis01 still shows — review the precedence rule"
                )
    history_months = set(history["month"])
    only_latest = latest[~latest["month"].isin(history_months)]
    for month, rows in only_latest.groupby("month", sort=True):
        out += [(month, h, v, "slt_table5") for h, v in zip(rows["holder"], rows["usd_bn"])]
    return pd.DataFrame.from_records(out, columns=["month", "holder", "usd_bn", "table"])


def build_treasury_holdings(raw_dir: Path) -> list[list[str]]:
    history = parse_mfhhis01(_read(raw_dir, RAW["mfhhis01"]), "mfhhis01.txt")
    latest = parse_slt_table5(_read(raw_dir, RAW["slt_table5"]), "slt_table5.txt")
    merged = merge_holdings(history, latest)
    return [[m, h, _number(v, 1), t] for m, h, v, t in merged[["month", "holder", "usd_bn", "table"]].itertuples(index=False)]


def build_shl_holdings(raw_dir: Path) -> list[list[str]]:
    a5 = parse_shl_a5(_read(raw_dir, RAW["shl_a5"]), "shl_app05_2025.csv")
    a7 = parse_shl_a7(_read(raw_dir, RAW["shl_a7"]), "shl_app07_2025.csv")
    treasury = dict(zip(a7["country"], a7["treasury_usd_mn"]))
    unknown = [c for c in a7["country"] if c not in set(a5["country"])]
    if unknown:
        raise ValueError(f"shl_app07_2025.csv lists {unknown} which Table A5 does not")
    missing_eu = [c for c in EU27 if c not in set(a5["country"])]
    if missing_eu:
        raise ValueError(f"shl_app05_2025.csv has no row for EU members {missing_eu}")
    columns = ["total_usd_mn", "equities_usd_mn", "lt_treasury_usd_mn", "lt_agency_usd_mn", "lt_corporate_usd_mn", "st_debt_usd_mn"]
    rows = []
    for record in a5.to_dict("records"):
        is_eu = record["kind"] == "country" and record["country"] in EU27
        rows.append(
            [record["country"], record["kind"], "true" if is_eu else "false"]
            + [_integer(record[c]) for c in columns]
            + [_integer(treasury.get(record["country"]))]
        )
    return rows


def build_gold_reserves(raw_dir: Path) -> list[list[str]]:
    totals = quarterly_totals(parse_wgc(_read(raw_dir, RAW["wgc"]), Path(RAW["wgc"]).name))
    return [
        [q.strftime("%Y-%m-%d"), _number(a, 3), _number(u, 3), _number(x, 3), _number(t, 3), _integer(n)]
        for q, a, u, x, t, n in totals.itertuples(index=False)
    ]


def _cofer(raw_dir: Path) -> tuple[pd.DataFrame, str]:
    frames = [parse_cofer(_read(raw_dir, p), Path(p).name) for p in RAW["cofer"]]
    observations = pd.concat(frames, ignore_index=True)
    dates = sorted(set(observations["published"]))
    if len(dates) != 1:
        raise ValueError(f"COFER files come from different releases: {dates}")
    return world_table(observations, "imf-cofer"), dates[0]


def build_cofer(raw_dir: Path) -> list[list[str]]:
    table, _ = _cofer(raw_dir)
    return [[q, _number(u, 4), _number(e, 4), _number(t, 3)] for q, u, e, t in table.itertuples(index=False)]


def _on_or_before(series: pd.Series, day: pd.Timestamp) -> tuple[pd.Timestamp, float]:
    earlier = series.loc[:day]
    if earlier.empty:
        raise ValueError(f"no observation on or before {day:%Y-%m-%d}")
    return earlier.index[-1], float(earlier.iloc[-1])


def _peak_rise(window: pd.Series) -> tuple[float, pd.Timestamp]:
    """The largest rise from any day to a later one (in the series' unit) and the later day."""
    running_min = window.cummin()
    rises = window - running_min
    return float(rises.max()), rises.idxmax()


def yield_episode_rows(holdings: pd.DataFrame, dgs10: pd.Series, treast: pd.Series, walcl: pd.Series,
                       marketable: pd.Series) -> list[list[str]]:
    """The episode table from tidy inputs: TIC ``holdings`` (month, holder, usd_bn), daily 10-year
    yields (percent), weekly Fed holdings ($mn) and month-end marketable debt ($mn), all indexed by date."""
    by_holder = holdings.pivot_table(index="month", columns="holder", values="usd_bn", aggfunc="first")
    rows = []
    for key, holder, title, start, end, context in EPISODES:
        series = by_holder[holder].dropna()
        if start is None or end is None:  # the largest 12-month fall on record
            fall = series.shift(12) - series
            end = str(fall.idxmax())
            start = str(pd.Period(end, "M") - 12)
        first, last = pd.Period(start, "M").to_timestamp("M"), pd.Period(end, "M").to_timestamp("M")
        sale = float(series[start] - series[end])
        d0_day, d0 = _on_or_before(dgs10, first)
        d1_day, d1 = _on_or_before(dgs10, last)
        rise, peak_day = _peak_rise(dgs10.loc[d0_day:d1_day])
        debt = float(marketable.loc[first]) / 1000
        fed = ""
        if last <= treast.index[-1]:
            fed = _number((_on_or_before(treast, last)[1] - _on_or_before(treast, first)[1]) / 1000, 1)
        assets = (_on_or_before(walcl, last)[1] - _on_or_before(walcl, first)[1]) / 1000
        months = (pd.Period(end, "M") - pd.Period(start, "M")).n
        rows.append([key, title, holder, start, end, str(months), _number(float(series[start]), 1), _number(sale, 1),
                     _number(debt, 1), _number(100 * sale / debt, 3), _number(d0, 2), _number(d1, 2),
                     str(round((d1 - d0) * 100)), str(round(rise * 100)), f"{peak_day:%Y-%m-%d}", fed,
                     _number(assets, 1), context])
    return rows


def _fred_series(raw_dir: Path, key: str) -> pd.Series:
    frame = parse_fred_csv(_read(raw_dir, RAW[key]), Path(RAW[key]).name)
    return frame.set_index(pd.to_datetime(frame["date"]))["value"]


def marketable_debt(raw_dir: Path) -> pd.DataFrame:
    """The MSPD summary's marketable debt held by the public, $mn, by month-end and class."""
    return parse_mspd_summary(_read(raw_dir, RAW["mspd"]), Path(RAW["mspd"]).name)


def build_yield_episodes(raw_dir: Path) -> list[list[str]]:
    history = parse_mfhhis01(_read(raw_dir, RAW["mfhhis01"]), "mfhhis01.txt")
    latest = parse_slt_table5(_read(raw_dir, RAW["slt_table5"]), "slt_table5.txt")
    mspd = marketable_debt(raw_dir)
    total = mspd[mspd.security_class == "Total Marketable"].set_index("date")["held_by_public_usd_mn"]
    return yield_episode_rows(merge_holdings(history, latest), _fred_series(raw_dir, "dgs10"),
                              _fred_series(raw_dir, "treast"), _fred_series(raw_dir, "walcl"), total)


BUILDERS: dict[str, Callable[[Path], list[list[str]]]] = {
    "iip_annual": build_iip_annual,
    "gdp_annual": build_gdp_annual,
    "treasury_holdings": build_treasury_holdings,
    "shl_holdings": build_shl_holdings,
    "gold_reserves": build_gold_reserves,
    "cofer": build_cofer,
    "yield_episodes": build_yield_episodes,
}

# ------------------------------------------------------------------------------------------
# Datapackage
# ------------------------------------------------------------------------------------------


def _time_span(path: Path, column: str, kind: str) -> tuple[str, str]:
    """(period, as_of) from a file's time column: 'first to last' and the last value."""
    with path.open(newline="", encoding="utf-8") as handle:
        values = [row[column] for row in csv.DictReader(handle) if row[column]]
    if not values:
        raise ValueError(f"{path.name}: no values in {column}")
    ordered = sorted(values, key=int) if kind == "int" else sorted(values)
    first, last = ordered[0], ordered[-1]
    return (first if first == last else f"{first} to {last}"), last


def describe_resource(name: str, meta: dict[str, Any], path: Path, vintage: str, period: str | None = None,
                      as_of: str | None = None) -> dict[str, Any]:
    """One datapackage.json resource entry for the file at ``path`` described by ``meta`` (an entry
    shaped like `RESOURCES`); ``period``/``as_of`` default to the file's time column (``meta['time']``)
    or the fixed values in ``meta``. Also used by `bot.pipeline.refresh` for refreshed and new resources."""
    if period is None or as_of is None:
        period, as_of = _time_span(path, *meta["time"]) if meta["time"] else (meta["period"], meta["as_of"])
    entry: dict[str, Any] = {
        "name": name,
        "path": meta["path"],
        "title": meta["title"],
        "description": meta["description"],
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "generated": meta["generated"],
        "sources": meta["sources"],
        "period": period,
        "as_of": as_of,
        "vintage": vintage,
        "units": meta["units"],
        "tag": meta["tag"],
        "derivation": meta["derivation"],
        "licence": meta["licence"],
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "schema": {"fields": meta["fields"], "primaryKey": meta["primaryKey"]},
    }
    if "rowUnits" in meta:
        entry["rowUnits"] = meta["rowUnits"]
    return entry


def describe(out_dir: Path, raw_dir: Path) -> dict[str, Any]:
    """The datapackage.json content for every resource in `RESOURCES`, hashing files in ``out_dir``."""
    resources = []
    for name, meta in RESOURCES.items():
        path = out_dir / meta["path"]
        if not path.is_file():
            hint = "" if meta["generated"] else " (hand-curated: copy it into the output folder first)"
            raise FileNotFoundError(f"{path} is missing{hint}")
        if meta["time"]:
            period, as_of = _time_span(path, *meta["time"])
        else:
            period, as_of = meta["period"], meta["as_of"]
        if name == "iip_quarterly":  # the newest release among the rows
            with path.open(newline="", encoding="utf-8") as handle:
                vintage = max(row["vintage"] for row in csv.DictReader(handle) if row["vintage"])
        elif name == "cofer":  # the IMF files' own PUBLICATION_DATE
            vintage = _cofer(raw_dir)[1]
        else:
            vintage = meta["vintage"]
        resources.append(describe_resource(name, meta, path, vintage, period, as_of))
    return {
        "name": "reset-bot-data",
        "title": "Reset Bot data: US external balance sheet, Treasury holders, reserves, claims",
        "description": "Tidy CSVs the bot serves, with units in column names. Generated files are rebuilt from the raw "
        "official files with `python -m bot.pipeline.build RAW_DIR data`; the others are hand-curated from the sourced "
        "fact sheet. See README.md.",
        "profile": "tabular-data-package",
        "resources": resources,
    }


def build(raw_dir: Path, out_dir: Path) -> None:
    """Write the generated CSVs and datapackage.json into ``out_dir``, then validate the folder."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, builder in BUILDERS.items():
        meta = RESOURCES[name]
        header = [f["name"] for f in meta["fields"]]
        _write_csv(out_dir / meta["path"], header, builder(raw_dir))
    package = describe(out_dir, raw_dir)
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "datapackage.json").write_bytes(text.encode("utf-8"))
    load_datasets(out_dir)  # refuse to leave a folder the bot would not load


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bot.pipeline.build RAW_DIR OUT_DIR", file=sys.stderr)
        return 2
    build(Path(args[0]), Path(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
