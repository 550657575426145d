"""data/datapackage.json describes every file completely, matches the contract, and the
generated CSVs are exactly what the builder makes from the raw fixtures."""

import csv
import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.build import build, merge_holdings
from bot.pipeline.catalog import CATALOG, catalog

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
RAW = ROOT / "tests" / "fixtures" / "raw"
PACKAGE = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
BY_NAME = {r["name"]: r for r in PACKAGE["resources"]}
NUMERIC = {"number", "integer"}
TAGS = {"official", "quoted", "derived", "secondary"}
#: Columns added beyond docs/CONTRACTS.md (reported to the lead): SHL Table A7's Treasury total,
#: needed for the EU "$2T of Treasuries" check (LT + ST Treasury; A5 has only all short-term debt).
EXTRA_COLUMNS = {"shl_holdings": ["treasury_usd_mn"]}


def contract() -> dict[str, tuple[str, list[str]]]:
    """resource -> (file, columns) from the shipped-datasets table in docs/CONTRACTS.md.

    The later table of resources that only refreshed versions have is not part of the baseline.
    """
    out = {}
    text = (ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    for line in text.split("## Resources that only refreshed versions have")[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].endswith(".csv"):
            continue
        depth, parts, current = 0, [], ""
        for char in cells[2]:
            depth += char == "("
            depth -= char == ")"
            if char == "," and depth == 0:
                parts.append(current)
                current = ""
            else:
                current += char
        parts.append(current)
        out[cells[0]] = (cells[1], [p.split()[0] for p in parts if p.strip()])
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_csv_is_described_and_every_resource_exists():
    described = {r["path"] for r in PACKAGE["resources"]}
    on_disk = {p.name for p in DATA.iterdir() if p.is_file()} - {"datapackage.json", CATALOG, "README.md"}
    assert on_disk == described
    assert len(described) == len(PACKAGE["resources"])


def test_hashes_match_the_files():
    for resource in PACKAGE["resources"]:
        digest = hashlib.sha256((DATA / resource["path"]).read_bytes()).hexdigest()
        assert digest == resource["sha256"], f"{resource['path']} changed; re-run python -m bot.pipeline.build"


def test_resources_match_the_contract():
    expected = contract()
    assert set(expected) == set(BY_NAME)
    for name, (file, columns) in expected.items():
        resource = BY_NAME[name]
        assert resource["path"] == file
        fields = [f["name"] for f in resource["schema"]["fields"]]
        assert fields == columns + EXTRA_COLUMNS.get(name, []), name
        assert next(csv.reader((DATA / file).open(encoding="utf-8"))) == fields


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_resource_metadata_is_complete(name):
    resource = BY_NAME[name]
    for key in ("title", "description", "period", "as_of", "units", "derivation", "licence"):
        assert isinstance(resource[key], str) and resource[key].strip(), key
    assert resource["tag"] in TAGS
    date.fromisoformat(resource["vintage"])
    assert resource["sources"]
    for source in resource["sources"]:
        assert source["publisher"] and source["title"] and source["series"]
        assert re.match(r"https://[\w.-]+\.\w+", source["url"]), source["url"]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_field_is_described(name):
    for field in BY_NAME[name]["schema"]["fields"]:
        assert field["type"] in {"string", "number", "integer", "boolean", "date"}
        assert field["description"].strip(), field["name"]
        if field["type"] in NUMERIC:
            assert field["unit"].strip(), f"{name}.{field['name']} is numeric but has no unit"
        if "nullable" in field:
            assert field["nullable"].strip(), f"{name}.{field['name']}: give the reason cells may be empty"


def test_rebuilding_from_the_raw_fixtures_reproduces_the_shipped_files(tmp_path):
    for meta in catalog().shipped().values():
        if not meta["generated"]:
            shutil.copy(DATA / meta["path"], tmp_path / meta["path"])
    build(RAW, tmp_path)
    generated = catalog().generated()
    assert len(generated) == 7  # yield_episodes since issue 11
    for path in [*generated, "datapackage.json"]:
        assert (tmp_path / path).read_bytes() == (DATA / path).read_bytes(), path


def test_build_refuses_when_a_curated_file_is_absent(tmp_path):
    with pytest.raises(FileNotFoundError, match="hand-curated"):
        build(RAW, tmp_path)


# ------------------------------------------------------------------------------ curated content


def test_holders_cover_the_tic_labels():
    holders = rows(DATA / "holders.csv")
    labels = {h["tic_label"] for h in holders}
    in_table = {r["holder"] for r in rows(DATA / "treasury_holdings.csv")}
    aggregates = {"Grand Total", "Foreign Official", "Foreign Official Treasury Bills",
                  "Foreign Official T-Bonds & Notes"}
    assert labels == in_table - aggregates
    by_key = {h["key"]: h for h in holders}
    assert by_key["china"]["tic_label"] == "China, Mainland"
    assert "mainland china" in by_key["china"]["aliases"].split(";")
    assert {"britain", "great britain", "gb", "united kingdom"} <= set(by_key["uk"]["aliases"].split(";"))
    assert not {"eu", "europe", "foreign", "total"} & set(by_key)  # the bot's own aggregates


def test_holder_groupings():
    holders = {h["key"]: h for h in rows(DATA / "holders.csv")}
    eu = {k for k, h in holders.items() if h["eu_member"] == "true"}
    europe = {k for k, h in holders.items() if h["europe"] == "true"}
    custody = {k for k, h in holders.items() if h["custodial_centre"] == "true"}
    assert {"germany", "france", "belgium", "luxembourg", "ireland", "netherlands", "spain", "italy"} <= eu
    assert "uk" not in eu and "switzerland" not in eu and "norway" not in eu
    assert europe == eu | {"uk", "norway", "switzerland"}
    assert {"belgium", "luxembourg", "uk", "cayman_islands", "ireland"} <= custody and "switzerland" not in custody


def test_iip_quarterly_latest_quarter():
    latest = [r for r in rows(DATA / "iip_quarterly.csv") if r["period"] == "2025Q3"]
    assert len(latest) == 1
    row = latest[0]
    assert (row["assets_usd_bn"], row["liabilities_usd_bn"], row["net_usd_bn"]) == ("41270", "68890", "-27610")
    for r in rows(DATA / "iip_quarterly.csv"):
        gap = float(r["assets_usd_bn"]) - float(r["liabilities_usd_bn"]) - float(r["net_usd_bn"])
        assert abs(gap) <= 15, r  # $T figures rounded to 0.01


REQUIRED_FACTS = {
    "marketable_treasuries_usd_bn": 29571.6,
    "treasury_bills_usd_bn": 6396.6,
    "debt_held_by_public_usd_bn": 30100,
    "avg_maturity_months": 72,
    "refi_2026_claim_usd_bn": 8000,
    "apollo_maturing_12m_share_pct": 33,
    "apollo_bills_share_pct": 22,
    "ten_year_yield_pct": 4.61,
    "mortgage_30y_pct": 6.36,
    "mortgage_spread_hist_pct": 1.7,
    "cbo_interest_per_10bp_2035_usd_bn": 54,
    "cbo_interest_per_10bp_10y_usd_bn": 351,
    "tic_2025_net_treasury_purchases_usd_bn": 442.7,
    "citi_europe_share_apr_nov_2025_pct": 80,
    "foreign_share_of_treasuries_pct": 33.5,
    "ecb_gold_share_reserves_pct": 20,
    "wgc_cb_purchases_2025_tonnes": 863,
    "us_gold_tonnes": 8133.46,
    "saravelos_europe_usd_bn": 8000,
}


def test_required_facts():
    facts = {r["key"]: r for r in rows(DATA / "facts.csv")}
    for key, value in REQUIRED_FACTS.items():
        assert float(facts[key]["value"]) == value, key
    assert facts["refi_2026_claim_usd_bn"]["tag"] == "claim"
    assert facts["ten_year_yield_pct"]["tag"] == "quoted"  # FRED now
    assert facts["avg_maturity_months"]["tag"] == "secondary"
    for row in facts.values():
        assert row["source"] and row["publisher"] and row["period"], row["key"]


def test_yield_calibration():
    """The v2 calibration (issue 11): converted to today's market, each row saying where it comes from."""
    params = {r["parameter"]: r for r in rows(DATA / "yield_calibration.csv")}
    triple = lambda p: tuple(float(params[p][c]) for c in ("low", "central", "high"))  # noqa: E731
    assert triple("e_lr_bp_per_100bn") == (1, 2.5, 7)
    assert triple("e_sr_bp_per_100bn") == (3, 6, 12.5)
    assert triple("sr_max_monthly_sale_pct") == (1.637,) * 3
    assert triple("mortgage_pass_through") == (0.8, 1, 1.4) and triple("ig_pass_through") == (0.7, 1, 1.15)
    assert triple("wam_years") == (6, 6, 6) and triple("bills_share") == (0.219,) * 3
    assert triple("article_bp_per_100bn") == (25, 25, 25)
    assert triple("calibration_market_usd_bn") == (30894.5,) * 3
    assert "mortgage_stress_spread_pp" not in params  # folded into the high pass-through (2022-23)
    assert "assumption" in params["sr_half_life_months"]["note"].lower()
    for row in params.values():
        low, central, high = (float(row[c]) for c in ("low", "central", "high"))
        assert low <= central <= high and row["sample"] and row["conversion"] and row["note"], row["parameter"]
    for name in ("e_lr_bp_per_100bn", "e_sr_bp_per_100bn"):  # literature estimates: sample, size then, conversion
        row = params[name]
        assert row["market_size_then_bn"] and row["as_published"] and "30,894.5" in row["conversion"], name


def test_the_calibration_market_is_the_newest_mspd_month():
    from bot.pipeline.build import marketable_debt

    mspd = marketable_debt(ROOT / "tests" / "fixtures" / "raw")
    total = mspd[mspd.security_class == "Total Marketable"].sort_values("date").iloc[-1]
    bills = mspd[(mspd.security_class == "Bills") & (mspd.date == total.date)].iloc[0]
    params = {r["parameter"]: r for r in rows(DATA / "yield_calibration.csv")}
    assert float(params["calibration_market_usd_bn"]["central"]) == round(total.held_by_public_usd_mn / 1000, 1)
    share = bills.held_by_public_usd_mn / total.held_by_public_usd_mn
    assert float(params["bills_share"]["central"]) == round(share, 3)


CHECK = re.compile(
    r"iip_(liabilities|assets|net)_usd_t|iip_net_pct_gdp|"
    r"holder_change:[a-z_]+:\d{4}-\d{2}:\d{4}-\d{2}:(up|down)|"
    r"shl_eu27:(equities|treasury|corporate)|"
    r"europe_buying_share:\d{4}-\d{2}:\d{4}-\d{2}|gold_vs_official_ust|europe_share_of_foreign_holdings|"
    r"holders_change:[a-z_]+(,[a-z_]+)+:\d{4}-\d{2}:\d{4}-\d{2}:(up|down)|"
    r"only_buyer:[a-z_]+:\d{4}-\d{2}:\d{4}-\d{2}:\d+|primary_financier:[a-z]+:\d{4}-\d{2}:\d{4}-\d{2}|"
    r"steady_decline:official:\d{4}:\d{4}"
)


def test_claims_are_either_checked_or_explained():
    claims = rows(DATA / "claims.csv")
    holder_keys = {h["key"] for h in rows(DATA / "holders.csv")} | {"eu", "foreign"}  # + the aggregates
    for claim in claims:
        assert bool(claim["check"]) != bool(claim["verdict_if_unchecked"]), claim["id"]
        assert claim["evidence"] and claim["claim_source"] and claim["claim"], claim["id"]
        if claim["check"]:
            assert CHECK.fullmatch(claim["check"]), claim["check"]
            if claim["check"].startswith("holder_change"):
                assert claim["check"].split(":")[1] in holder_keys
    by_id = {c["id"]: c for c in claims}
    assert by_id["refi_wall_2026"]["verdict_if_unchecked"] == "no_primary_source"
    assert by_id["eu_sell_20pct"]["verdict_if_unchecked"] == "no_primary_source"
    checks = {c["check"] for c in claims}
    assert {
        "iip_liabilities_usd_t", "iip_assets_usd_t", "iip_net_usd_t", "iip_net_pct_gdp",
        "holder_change:china:2015-12:2025-12:down", "holder_change:saudi_arabia:2015-12:2025-12:down",
        "holder_change:eu:2015-12:2025-12:up",
        "shl_eu27:equities", "shl_eu27:treasury", "shl_eu27:corporate",
        "europe_buying_share:2025-03:2025-11", "europe_buying_share:2024-12:2025-12",
        "gold_vs_official_ust", "europe_share_of_foreign_holdings",
    } <= checks  # fmt: skip


# ------------------------------------------------------------------------------ holdings precedence


def test_newer_table5_wins_for_the_holders_it_lists():
    table = {(r["month"], r["holder"]): r for r in rows(DATA / "treasury_holdings.csv")}
    assert table[("2025-12", "Japan")]["table"] == "slt_table5"
    assert table[("2025-12", "Grand Total")]["table"] == "slt_table5"
    assert table[("2025-12", "Germany")]["table"] == "mfhhis01"  # not listed in Table 5
    december, april = table[("2025-12", "All Other")], table[("2026-04", "All Other")]
    assert (december["usd_bn"], december["table"]) == ("710.8", "mfhhis01")
    assert (april["usd_bn"], april["table"]) == ("1854.2", "slt_table5")
    assert table[("2025-03", "Japan")]["table"] == "mfhhis01"  # before Table 5's window
    for month in ("2025-06", "2025-12", "2026-04"):
        parts = [float(r["usd_bn"]) for (m, h), r in table.items()
                 if m == month and h != "Grand Total" and not h.startswith("Foreign Official")]
        assert abs(sum(parts) - float(table[(month, "Grand Total")]["usd_bn"])) < 1.5, month


def test_a_revision_that_breaks_the_totals_stops_the_build():
    history = pd.DataFrame(
        {"month": ["2025-12"] * 4, "holder": ["Japan", "Germany", "All Other", "Grand Total"],
         "usd_bn": [10.0, 2.0, 3.0, 15.0]}
    )
    latest = pd.DataFrame(
        {"month": ["2025-12"] * 3 + ["2026-01"] * 3, "holder": ["Japan", "All Other", "Grand Total"] * 2,
         "usd_bn": [10.0, 5.0, 15.0, 11.0, 5.0, 16.0]}
    )  # fmt: skip
    merged = merge_holdings(history, latest)
    assert list(merged.itertuples(index=False, name=None)) == [
        ("2025-12", "Japan", 10.0, "slt_table5"),
        ("2025-12", "Germany", 2.0, "mfhhis01"),
        ("2025-12", "All Other", 3.0, "mfhhis01"),
        ("2025-12", "Grand Total", 15.0, "slt_table5"),
        ("2026-01", "Japan", 11.0, "slt_table5"),
        ("2026-01", "All Other", 5.0, "slt_table5"),
        ("2026-01", "Grand Total", 16.0, "slt_table5"),
    ]
    latest.loc[0, "usd_bn"] = 12.0  # Table 5 revised Japan; mfhhis01's residual no longer fits
    with pytest.raises(ValueError, match="2025-12: merged holders add up to 17.0 but Grand Total is 15.0"):
        merge_holdings(history, latest)
