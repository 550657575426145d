"""`handlers.datasets`: the loaded data as one immutable value, each frame with the `Source` to cite."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from pydantic import ValidationError

from handlers.datasets import (
    BASELINE_LABEL,
    META_CHANGES,
    META_LABEL,
    META_PUBLISHED,
    META_RETRIEVED,
    META_RETRIEVED_PREFIX,
    Datasets,
    Source,
)


def make_source(**overrides: str) -> Source:
    values = {
        "name": "treasury_holdings",
        "title": "Major foreign holders of Treasury securities",
        "publisher": "US Treasury, TIC",
        "series": "mfhhis01 / SLT Table 5",
        "url": "https://ticdata.treasury.gov/",
        "period": "2000-01 to 2026-04",
        "as_of": "2026-04",
        "vintage": "2026-05-18",
        "units": "usd_bn",
        "tag": "official",
    }
    return Source(**(values | overrides))


def small_datasets(**overrides) -> Datasets:
    values = {
        "version": "v1",
        "frames": {"tiny": pd.DataFrame({"usd_bn": [1.0, 2.0]})},
        "sources": {"tiny": make_source(name="tiny")},
    }
    return Datasets(**(values | overrides))


class TestSource:
    def test_a_citation_names_publisher_series_as_of_and_vintage(self):
        assert make_source().cite() == "US Treasury, TIC mfhhis01 / SLT Table 5, as of 2026-04 (vintage 2026-05-18)"

    def test_a_source_cannot_be_changed_once_made(self):
        source = make_source()
        with pytest.raises(ValidationError):
            source.as_of = "2027-01"

    def test_equal_sources_are_interchangeable_as_keys(self):
        assert make_source() == make_source()
        assert len({make_source(), make_source(), make_source(vintage="2026-06-18")}) == 2

    def test_every_field_is_required(self):
        with pytest.raises(ValidationError):
            Source(name="x", title="y")


class TestDatasets:
    def test_frames_and_sources_are_looked_up_by_name(self):
        data = small_datasets()
        assert data.frame("tiny")["usd_bn"].tolist() == [1.0, 2.0]
        assert data.source("tiny").name == "tiny"

    def test_an_unknown_name_is_a_key_error(self):
        data = small_datasets()
        with pytest.raises(KeyError):
            data.frame("missing")
        with pytest.raises(KeyError):
            data.source("missing")

    def test_no_field_can_be_reassigned(self):
        data = small_datasets()
        with pytest.raises(dataclasses.FrozenInstanceError):
            data.version = "v2"

    def test_frames_are_a_read_only_mapping(self):
        data = small_datasets()
        with pytest.raises(TypeError):
            data.frames["other"] = pd.DataFrame()
        with pytest.raises(TypeError):
            del data.frames["tiny"]

    def test_sources_are_a_read_only_mapping(self):
        data = small_datasets()
        with pytest.raises(TypeError):
            data.sources["other"] = make_source(name="other")

    def test_changing_the_dicts_it_was_built_from_does_not_change_it(self):
        frames = {"tiny": pd.DataFrame({"usd_bn": [1.0]})}
        sources = {"tiny": make_source(name="tiny")}
        data = small_datasets(frames=frames, sources=sources)
        frames["late"] = pd.DataFrame()
        sources["late"] = make_source(name="late")
        assert list(data.frames) == ["tiny"] and list(data.sources) == ["tiny"]

    def test_a_replaced_copy_is_read_only_too(self):
        data = dataclasses.replace(small_datasets(), version="v2")
        assert data.version == "v2"
        with pytest.raises(TypeError):
            data.frames["other"] = pd.DataFrame()

    def test_hand_built_datasets_have_no_provenance(self):
        assert dict(small_datasets().provenance) == {}

    def test_provenance_is_a_read_only_mapping(self):
        data = small_datasets(provenance={META_LABEL: BASELINE_LABEL})
        with pytest.raises(TypeError):
            data.provenance[META_LABEL] = "tampered"


class TestProvenanceKeys:
    def test_the_keys_are_distinct_and_namespaced(self):
        keys = [META_LABEL, META_PUBLISHED, META_RETRIEVED, META_CHANGES]
        assert len(set(keys)) == len(keys)
        assert all(key.startswith("data.") for key in keys)

    def test_per_resource_retrieval_keys_cannot_collide_with_the_version_keys(self):
        assert not META_RETRIEVED_PREFIX.startswith("data.")
        assert (META_RETRIEVED_PREFIX + "treasury_holdings") == "retrieved.treasury_holdings"


class TestShippedData:
    def test_every_frame_has_a_source_of_the_same_name(self, datasets):
        assert set(datasets.frames) == set(datasets.sources)
        assert all(name == source.name for name, source in datasets.sources.items())

    def test_every_source_is_tagged_as_the_data_readme_describes(self, datasets):
        assert {s.tag for s in datasets.sources.values()} <= {"official", "quoted", "derived", "secondary"}

    def test_every_vintage_is_an_iso_date(self, datasets):
        for source in datasets.sources.values():
            assert pd.Timestamp(source.vintage).strftime("%Y-%m-%d") == source.vintage

    def test_the_loaded_data_is_read_only_too(self, datasets):
        with pytest.raises(TypeError):
            datasets.frames["treasury_holdings"] = pd.DataFrame()
