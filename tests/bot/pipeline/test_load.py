"""Loading data/: the shipped files load typed and fast; any broken copy raises DataError."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.load import DataError, default_data_dir, load_datasets
from handlers.datasets import Datasets

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="module")
def shipped() -> Datasets:
    return load_datasets(DATA)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit_line(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_package(folder: Path, resource: str, edit) -> None:
    path = folder / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    edit(next(r for r in package["resources"] if r["name"] == resource))
    path.write_text(json.dumps(package), encoding="utf-8")


def record_hash(folder: Path, resource: str) -> None:
    """Re-record ``resource``'s sha256 in the copy's datapackage.json, as a rebuild would: what is
    left to catch the damage is then the content checks, not the hash."""

    def edit(entry):
        entry["sha256"] = hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()

    edit_package(folder, resource, edit)


def refused(folder: Path) -> DataError:
    with pytest.raises(DataError) as error:
        load_datasets(folder)
    return error.value


# ------------------------------------------------------------------------------ shipped data


def test_shipped_data_loads_with_every_contract_resource(shipped):
    assert set(shipped.frames) == {
        "iip_quarterly", "iip_annual", "gdp_annual", "treasury_holdings", "holders", "shl_holdings",
        "europe_shl_history", "gold_reserves", "cofer", "facts", "yield_episodes", "yield_calibration",
        "cbo_debt_path", "claims",
    }  # fmt: skip
    assert set(shipped.sources) == set(shipped.frames)
    assert len(shipped.version) == 12 and int(shipped.version, 16) >= 0


def test_frames_are_typed(shipped):
    holdings = shipped.frame("treasury_holdings")
    assert holdings["usd_bn"].dtype == "float64"
    assert holdings.dtypes["month"] == "str"
    assert shipped.frame("holders")["eu_member"].dtype == bool
    assert str(shipped.frame("shl_holdings")["equities_usd_mn"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(shipped.frame("gold_reserves")["quarter_end"])
    assert shipped.frame("gold_reserves")["reporters"].dtype == "int64"
    assert shipped.frame("iip_annual")["year"].dtype == "int64"


def test_suppressed_cells_stay_missing(shipped):
    shl = shipped.frame("shl_holdings").set_index("country")
    assert pd.isna(shl.loc["Afghanistan", "total_usd_mn"])
    assert shl.loc["Afghanistan", "lt_agency_usd_mn"] == 0


def test_headline_figures(shipped):
    holdings = shipped.frame("treasury_holdings").set_index(["month", "holder"])["usd_bn"]
    assert holdings[("2026-04", "Grand Total")] == 9352.6
    assert holdings[("2025-12", "Japan")] == 1185.5
    q3 = shipped.frame("iip_quarterly").set_index("period").loc["2025Q3"]
    assert (q3["assets_usd_bn"], q3["liabilities_usd_bn"], q3["net_usd_bn"]) == (41_270, 68_890, -27_610)
    assert shipped.frame("iip_annual").set_index("year").loc[2024, "net_usd_bn"] == -26_539.47


def test_sources_come_from_the_datapackage(shipped):
    source = shipped.source("treasury_holdings")
    assert source.publisher == "US Treasury, TIC"
    assert source.as_of == "2026-04" and source.vintage == "2026-07-01" and source.tag == "official"
    assert "as of 2026-04 (vintage 2026-07-01)" in source.cite()
    assert shipped.source("cofer").vintage == "2026-03-27"


def test_default_data_dir_is_the_installed_data_folder():
    folder = default_data_dir()
    assert (folder / "datapackage.json").is_file()
    assert load_datasets(folder).version == load_datasets(DATA).version


def test_version_changes_when_any_file_changes(copy, shipped):
    assert load_datasets(copy).version == shipped.version
    edit_line(copy / "facts.csv", 2, "Marketable Treasury securities outstanding.",
              "Marketable Treasuries outstanding.")
    record_hash(copy, "facts")  # an edit made properly: the hash is re-recorded (as the build does)
    assert load_datasets(copy).version != shipped.version


# ------------------------------------------------------------------------------ broken copies


def test_missing_column(copy):
    edit_line(copy / "treasury_holdings.csv", 1, "month,holder,usd_bn,table", "month,holder,usd_bn")
    lines = (copy / "treasury_holdings.csv").read_text().split("\n")
    kept = [ln.rsplit(",", 1)[0] for ln in lines[1:] if ln]
    (copy / "treasury_holdings.csv").write_text("\n".join([lines[0]] + kept) + "\n")
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert (error.value.file, error.value.row) == ("data/treasury_holdings.csv", 1)
    assert error.value.reason == "missing column 'table'"


def test_undescribed_column(copy):
    path = copy / "gdp_annual.csv"
    path.write_text("\n".join(line + (",x" if line else "") for line in path.read_text().split("\n")))
    with pytest.raises(DataError, match="column 'x' is not described"):
        load_datasets(copy)


def test_non_number(copy):
    path = copy / "treasury_holdings.csv"
    lines = path.read_text().split("\n")
    month, holder, _, table = lines[16].split(",")
    lines[16] = ",".join([month, holder, "abc", table])
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert str(error.value) == "data/treasury_holdings.csv row 17: column usd_bn: 'abc' is not a number"


def test_empty_value_where_none_is_allowed(copy):
    edit_line(copy / "gdp_annual.csv", 3, ",92.16", ",")
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert str(error.value) == "data/gdp_annual.csv row 3: column gdp_usd_bn: empty value (not allowed)"


def test_unit_mismatch_in_the_schema(copy):
    def edit(resource):
        next(f for f in resource["schema"]["fields"] if f["name"] == "usd_bn")["unit"] = "usd_mn"

    edit_package(copy, "treasury_holdings", edit)
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert error.value.file == "data/treasury_holdings.csv" and error.value.row is None
    assert "unit 'usd_mn'" in error.value.reason and "expected 'usd_bn'" in error.value.reason


def test_unit_mismatch_in_a_fact_row(copy):
    edit_line(copy / "facts.csv", 2, "29571.6,usd_bn,", "29571.6,usd_mn,")
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert (error.value.file, error.value.row) == ("data/facts.csv", 2)
    assert "marketable_treasuries_usd_bn" in error.value.reason


def test_missing_file(copy):
    (copy / "cofer_shares.csv").unlink()
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert str(error.value) == "data/cofer_shares.csv: file is missing"


def test_missing_datapackage(copy):
    (copy / "datapackage.json").unlink()
    with pytest.raises(DataError, match="data/datapackage.json: file is missing"):
        load_datasets(copy)


def test_boolean_must_be_true_or_false(copy):
    edit_line(copy / "holders.csv", 2, "japan,Japan,Japan,false,", "japan,Japan,Japan,no,")
    with pytest.raises(DataError) as error:
        load_datasets(copy)
    assert str(error.value) == "data/holders.csv row 2: column eu_member: 'no' is not true/false"


def test_date_must_exist(copy):
    edit_line(copy / "gold_reserves_quarterly.csv", 2, "2000-12-31", "2000-12-32")
    with pytest.raises(DataError, match="row 2: column quarter_end: '2000-12-32' is not a valid date"):
        load_datasets(copy)


def test_pattern_and_enum(copy):
    edit_line(copy / "treasury_holdings.csv", 5, "2000-03", "2000-3")
    with pytest.raises(DataError, match="row 5: column month: '2000-3' does not match"):
        load_datasets(copy)


def test_duplicate_key(copy):
    path = copy / "holders.csv"
    lines = path.read_text().split("\n")
    path.write_text("\n".join(lines[:3] + [lines[2]] + lines[3:]))
    with pytest.raises(DataError, match="row 4: duplicate key"):
        load_datasets(copy)


def test_integer_column_refuses_decimals(copy):
    edit_line(copy / "shl_holdings_2025.csv", 3, "Albania,country,false,1288,", "Albania,country,false,1288.5,")
    with pytest.raises(DataError, match="row 3: column total_usd_mn: '1288.5' is not an integer"):
        load_datasets(copy)


# ------------------------------------------------------------------------------ corrupt data (issue 10 item 10)
# A file must be the one datapackage.json describes: the bytes it hashed, at least one data row,
# and the newest (and oldest) period it states. Each test damages a copy the way a real accident
# would, and the load must refuse with the file named instead of starting on the damage.


def drop_newest_rows(path: Path, count: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-count]) + "\n", encoding="utf-8")


def test_the_shipped_data_record_a_matching_sha256_for_every_file(shipped):
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert resource["sha256"] == hashlib.sha256((DATA / resource["path"]).read_bytes()).hexdigest()
    assert load_datasets(DATA).version == shipped.version


def test_a_treasury_holdings_file_missing_its_newest_200_rows_is_refused(copy):
    drop_newest_rows(copy / "treasury_holdings.csv", 200)  # its newest month becomes 2025-10
    error = refused(copy)
    assert error.file == "data/treasury_holdings.csv"
    assert "2025-10" in error.reason and "as_of 2026-04" in error.reason


def test_a_truncated_file_whose_hash_was_re_recorded_is_still_refused_by_its_as_of(copy):
    path = copy / "treasury_holdings.csv"
    drop_newest_rows(path, 200)
    record_hash(copy, "treasury_holdings")
    error = refused(copy)
    assert error.file == "data/treasury_holdings.csv"
    lines = path.read_text().splitlines()
    assert error.row == 1 + next(i for i, line in enumerate(lines) if line.startswith("2025-10,"))  # its first row
    assert error.reason.startswith("newest period in the data (column month) is 2025-10 but datapackage.json says "
                                   "as_of 2026-04")


def test_a_header_only_iip_quarterly_is_refused(copy):
    path = copy / "iip_quarterly.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    error = refused(copy)
    assert error.file == "data/iip_quarterly.csv"
    record_hash(copy, "iip_quarterly")  # even with a matching hash, an empty table is refused
    error = refused(copy)
    assert (error.file, error.row) == ("data/iip_quarterly.csv", None)
    assert "no data rows" in error.reason


def test_a_value_times_ten_is_refused_by_the_hash_when_the_file_was_edited_without_a_rebuild(copy):
    edit_line(copy / "iip_quarterly.csv", 18, "41270,68890,-27610", "41270,688900,-27610")
    error = refused(copy)
    assert error.file == "data/iip_quarterly.csv"


def test_a_value_times_ten_is_refused_by_the_iip_identity_even_with_a_matching_hash(copy):
    edit_line(copy / "iip_quarterly.csv", 18, "41270,68890,-27610", "41270,688900,-27610")
    record_hash(copy, "iip_quarterly")
    error = refused(copy)
    assert (error.file, error.row) == ("data/iip_quarterly.csv", 18)
    assert "assets_usd_bn - liabilities_usd_bn" in error.reason and "net_usd_bn" in error.reason


def test_the_iip_identity_allows_the_rounding_of_the_releases(copy):
    # 2025Q3: 41,270 - 68,890 = -27,620 against a released net of -27,610 (each figure rounded to $0.01T).
    q3 = load_datasets(copy).frame("iip_quarterly").set_index("period").loc["2025Q3"]
    assert q3["assets_usd_bn"] - q3["liabilities_usd_bn"] - q3["net_usd_bn"] == -10


def test_a_file_changed_without_rebuilding_is_refused_by_its_sha256(copy):
    edit_line(copy / "facts.csv", 2, "Marketable Treasury securities outstanding.",
              "Marketable Treasuries outstanding.")
    error = refused(copy)
    assert (error.file, error.row) == ("data/facts.csv", None)
    actual = hashlib.sha256((copy / "facts.csv").read_bytes()).hexdigest()
    recorded = next(r["sha256"] for r in json.loads((copy / "datapackage.json").read_text())["resources"]
                    if r["name"] == "facts")
    assert error.reason.startswith(f"sha256 is {actual[:8]}… but datapackage.json records {recorded[:8]}…: the file "
                                   "was changed or truncated")
    assert "reset-bot data build" in error.reason


def test_a_resource_without_a_recorded_sha256_is_refused(copy):
    edit_package(copy, "cofer", lambda entry: entry.pop("sha256"))
    error = refused(copy)
    assert (error.file, error.row) == ("data/cofer_shares.csv", None)
    assert "records no sha256" in error.reason


def test_a_stated_as_of_the_data_do_not_reach_is_refused(copy):
    edit_package(copy, "iip_quarterly", lambda entry: entry.update(as_of="2025Q4"))
    error = refused(copy)
    assert (error.file, error.row) == ("data/iip_quarterly.csv", 18)
    assert error.reason.startswith("newest period in the data (column period) is 2025Q3 but datapackage.json says "
                                   "as_of 2025Q4")


def test_a_stated_period_is_checked_at_both_ends(copy):
    edit_package(copy, "gold_reserves", lambda entry: entry.update(period="1999-12-31 to 2026-03-31"))
    error = refused(copy)
    assert (error.file, error.row) == ("data/gold_reserves_quarterly.csv", 2)
    assert "oldest period in the data (column quarter_end) is 2000-12-31" in error.reason
    assert "period 1999-12-31 to 2026-03-31" in error.reason
    edit_package(copy, "gold_reserves", lambda entry: entry.update(period="2000-12-31 to 2026-06-30"))
    assert "newest period in the data (column quarter_end) is 2026-03-31" in refused(copy).reason


def test_a_year_column_is_checked_as_a_number(copy):
    edit_package(copy, "gdp_annual", lambda entry: entry.update(as_of="2026"))
    error = refused(copy)
    assert error.file == "data/gdp_annual.csv"
    assert "(column year) is 2025 but datapackage.json says as_of 2026" in error.reason


def test_the_time_column_found_from_the_schema_is_the_one_the_build_states_as_of_from():
    from bot.pipeline.catalog import catalog
    from bot.pipeline.load import time_column

    for name, meta in catalog().resources.items():  # shipped and refresh-only
        expected = meta["time"]["column"] if meta.get("time") else None
        found = time_column({"schema": {"fields": meta["fields"]}, "as_of": meta.get("as_of", "2025")})
        assert (found or None) == expected, name


def test_a_corrupt_data_folder_stops_the_cli_with_one_line_and_exit_status_2(copy, tmp_path):
    path = copy / "iip_quarterly.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(RESET_BOT_DATA_DIR=str(copy), RESET_BOT_STATE_DIR=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "gap"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reset-bot: data/iip_quarterly.csv: ")
    assert "Traceback" not in result.stderr


def test_a_damaged_published_version_is_refused_with_advice_for_published_versions(copy):
    from bot.pipeline.load import VERSION_INFO
    from bot.pipeline.versions import VERSION_INFO as WRITTEN_BY_VERSIONS

    assert VERSION_INFO == WRITTEN_BY_VERSIONS
    (copy / VERSION_INFO).write_text(json.dumps({"id": "20260701T000000Z"}), encoding="utf-8")
    drop_newest_rows(copy / "claims.csv", 1)  # no time column: only the hash can tell
    error = refused(copy)
    assert (error.file, error.row) == ("data/claims.csv", None)
    assert "sha256 is" in error.reason and "`reset-bot data refresh` publishes a new one" in error.reason
