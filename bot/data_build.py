"""Build ``data/``: parse the publishers' raw files into the generated CSVs and describe every
CSV (generated and hand-curated) in ``data/datapackage.json``.

    python -m bot.data_build RAW_DIR OUT_DIR     # e.g. tests/fixtures/raw data

The curated metadata (titles, sources, units, field descriptions) lives in `RESOURCES` below, so
regenerating is one command. The output is deterministic: the same raw files give the same bytes
(no timestamps), which a test checks. Hand-curated CSVs must already be in ``OUT_DIR``; they are
hashed and described, never rewritten. The whole folder is validated with
`bot.datasets.load_datasets` at the end, so a build cannot leave files the bot would refuse.

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
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from bot.datasets import load_datasets
from bot.sources import (
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
from bot.sources.tic import ALL_OTHER, GRAND_TOTAL, MEMO_LABELS

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
}

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
    "yield_calibration": {
        "path": "yield_calibration.csv",
        "generated": False,
        "title": "Calibration of the foreign-selling yield model (low / central / high)",
        "description": "Parameters of the proposed model in yield-model.md §5: price impact per $100bn, pass-through, debt structure. "
        "Single-valued parameters repeat the value in low, central and high.",
        "sources": [
            {"publisher": "Beltran, Kretchmer, Marquez & Thomas (Federal Reserve staff)", "title": "Foreign Holdings of U.S. Treasuries and U.S. Treasury Yields, JIMF 32(1), 2013", "url": "https://ssrn.com/abstract=2014172", "series": "SSRN 2014172"},
            {"publisher": "C. A. Martin", "title": "Foreign Treasury Purchases and the Yield Curve: Evidence from a Sign-Identified VAR", "url": "https://ssrn.com/abstract=2534430", "series": "SSRN 2534430"},
            {"publisher": "Congressional Budget Office", "title": "How Changes in Economic Conditions Might Affect the Federal Budget: 2025 to 2035", "url": "https://www.cbo.gov/publication/61249", "series": "publication 61249"},
        ],
        "time": None,
        "period": "literature 1994-2026; market size Dec 2025",
        "as_of": "2025-12",
        "vintage": "2026-05-21",
        "units": "per row (unit column)",
        "tag": "derived",
        "derivation": "Hand-copied from yield-model.md §5 (research notes; newest source 2026-05-21). Conversions to bp per $100bn are the notes' own; sr_half_life_months is a model assumption with no source.",
        "licence": CURATED,
        "primaryKey": ["parameter"],
        "rowUnits": {"name_column": "parameter", "unit_column": "unit"},
        "fields": [
            field("parameter", "string", "Parameter name", pattern=r"[a-z][a-z0-9_]*"),
            field("low", "number", "Low case", "see unit column"),
            field("central", "number", "Central case", "see unit column"),
            field("high", "number", "High case", "see unit column"),
            field("unit", "string", "Unit of low/central/high (bp_per_100bn, usd_bn, pct, pp, months, years, ratio)"),
            field("source", "string", "Studies or data behind the values"),
            field("note", "string", "What the parameter does in the model and caveats"),
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


BUILDERS: dict[str, Callable[[Path], list[list[str]]]] = {
    "iip_annual": build_iip_annual,
    "gdp_annual": build_gdp_annual,
    "treasury_holdings": build_treasury_holdings,
    "shl_holdings": build_shl_holdings,
    "gold_reserves": build_gold_reserves,
    "cofer": build_cofer,
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
    or the fixed values in ``meta``. Also used by `bot.refresh` for refreshed and new resources."""
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
        "official files with `python -m bot.data_build RAW_DIR data`; the others are hand-curated from the sourced "
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
        print("usage: python -m bot.data_build RAW_DIR OUT_DIR", file=sys.stderr)
        return 2
    build(Path(args[0]), Path(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
