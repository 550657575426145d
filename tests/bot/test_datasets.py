"""Loading data/: the shipped files load typed and fast; any broken copy raises DataError."""

import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from bot.datasets import DataError, default_data_dir, load_datasets
from handlers.datasets import Datasets

DATA = Path(__file__).resolve().parents[2] / "data"


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


# ------------------------------------------------------------------------------ shipped data


def test_shipped_data_loads_with_every_contract_resource(shipped):
    assert set(shipped.frames) == {
        "iip_quarterly", "iip_annual", "gdp_annual", "treasury_holdings", "holders", "shl_holdings",
        "europe_shl_history", "gold_reserves", "cofer", "facts", "yield_calibration", "claims",
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


def test_loads_fast_enough_for_every_start():
    best = min(_timed_load() for _ in range(3))
    assert best < 0.3, f"load_datasets took {best * 1000:.0f} ms"


def _timed_load() -> float:
    start = time.perf_counter()
    load_datasets(DATA)
    return time.perf_counter() - start


def test_default_data_dir_is_the_installed_data_folder():
    folder = default_data_dir()
    assert (folder / "datapackage.json").is_file()
    assert load_datasets(folder).version == load_datasets(DATA).version


def test_version_changes_when_any_file_changes(copy, shipped):
    assert load_datasets(copy).version == shipped.version
    edit_line(copy / "facts.csv", 2, "Marketable Treasury securities outstanding.", "Marketable Treasuries outstanding.")
    assert load_datasets(copy).version != shipped.version


# ------------------------------------------------------------------------------ broken copies


def test_missing_column(copy):
    edit_line(copy / "treasury_holdings.csv", 1, "month,holder,usd_bn,table", "month,holder,usd_bn")
    lines = (copy / "treasury_holdings.csv").read_text().split("\n")
    (copy / "treasury_holdings.csv").write_text("\n".join([lines[0]] + [ln.rsplit(",", 1)[0] for ln in lines[1:] if ln]) + "\n")
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
