"""The catalog: data/catalog.json is the one hand-written description of every dataset, and each
datapackage.json entry is that description plus only what is measured from the file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bot.pipeline.catalog import catalog, describe_resource, header_of, schema_of, time_span
from bot.pipeline.load import default_data_dir

DATA = default_data_dir()
MEASURED = {"sha256", "period", "as_of", "vintage"}


def test_every_shipped_file_is_described_and_nothing_else():
    shipped = catalog().shipped()
    package = json.loads((DATA / "datapackage.json").read_text())
    assert [r["name"] for r in package["resources"]] == list(shipped)
    assert all((DATA / meta["path"]).exists() for meta in shipped.values())


def test_a_datapackage_entry_is_the_catalog_plus_what_is_measured():
    package = {r["name"]: r for r in json.loads((DATA / "datapackage.json").read_text())["resources"]}
    for name, meta in catalog().shipped().items():
        entry = package[name]
        curated = {k for k in entry if k not in MEASURED and k not in {"format", "mediatype", "encoding", "schema"}}
        assert {k: entry[k] for k in curated} == {k: meta[k] for k in curated}, name
        assert entry["schema"] == schema_of(meta)["schema"]
        assert entry["sha256"] == hashlib.sha256((DATA / meta["path"]).read_bytes()).hexdigest()


def test_refresh_only_resources_are_not_shipped_but_described():
    everything, shipped = catalog().resources, catalog().shipped()
    refreshed_only = set(everything) - set(shipped)
    assert refreshed_only and all(everything[name].get("refreshedOnly") for name in refreshed_only)


def test_the_generated_files_are_the_builds_and_the_others_hand_curated():
    generated = catalog().generated()
    assert "treasury_holdings.csv" in generated and "facts.csv" not in generated


def test_a_refreshed_description_fills_in_when_and_from_what():
    templates = {n: m.get("refreshed", {}).get("derivation", "") for n, m in catalog().resources.items()}
    name = next(n for n, template in templates.items() if "{retrieved}" in template)
    meta = catalog().refreshed_meta(name, retrieved="2026-07-01T06:00:00Z", note="files of 2026-06-30")
    assert "2026-07-01T06:00:00Z" in meta["derivation"] and "{retrieved}" not in meta["derivation"]


def test_the_period_and_as_of_come_from_the_time_column(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("month,usd_bn\n2025-03,1\n2024-12,2\n2025-01,3\n")
    assert time_span(path, "month", "string") == ("2024-12 to 2025-03", "2025-03")
    path.write_text("year,usd_bn\n9,1\n10,2\n")
    assert time_span(path, "year", "int") == ("9 to 10", "10")  # years compare as numbers
    path.write_text("month,usd_bn\n")
    with pytest.raises(ValueError, match="no values in month"):
        time_span(path, "month", "string")


def test_an_entry_is_a_copy_the_catalog_keeps_its_own(tmp_path: Path):
    name, meta = next(iter(catalog().shipped().items()))
    entry = describe_resource(name, meta, DATA / meta["path"], vintage="2026-01-01")
    entry["sources"].append({"title": "tampered"})
    assert {"title": "tampered"} not in catalog().meta(name)["sources"]
    assert header_of(meta) == [f["name"] for f in entry["schema"]["fields"]]
