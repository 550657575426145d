"""`handlers.holders`: every way a user may name a holder, the two aggregates, and EU membership from holders.csv."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from handlers.holders import EU, FOREIGN, Holder, HolderRegistry, normalise, registry_for

HOLDERS_CSV = Path(__file__).resolve().parents[2] / "data" / "holders.csv"


@pytest.fixture(scope="module")
def csv() -> pd.DataFrame:
    return pd.read_csv(HOLDERS_CSV, keep_default_na=False)


class TestNormalise:
    @pytest.mark.parametrize("typed, normal", [
        ("U.K.", "uk"), ("Korea,  South", "korea south"), ("  Saudi   Arabia ", "saudi arabia"),
        ("People's Republic of China", "peoples republic of china"), ("EU-27", "eu 27"),
    ])
    def test_case_punctuation_and_spacing_do_not_matter(self, typed, normal):
        assert normalise(typed) == normal


class TestResolve:
    @pytest.mark.parametrize("typed, key", [
        ("japan", "japan"), ("Japan", "japan"), ("nippon", "japan"),
        ("China, Mainland", "china"), ("PRC", "china"),
        ("U.K.", "uk"), ("Britain", "uk"), ("united kingdom", "uk"),
        ("Korea, South", "south_korea"), ("korea", "south_korea"),
        ("euroclear", "belgium"), ("the netherlands", "netherlands"), ("saudi_arabia", "saudi_arabia"),
    ])
    def test_a_country_is_found_by_key_label_tic_row_or_alias(self, holders, typed, key):
        assert holders.resolve(typed).key == key

    @pytest.mark.parametrize("typed", ["eu", "EU", "europe", "Europe", "European Union", "EU27", "eu 27", "eurozone"])
    def test_europe_and_other_spellings_mean_the_eu_aggregate(self, holders, typed):
        assert holders.resolve(typed).key == EU

    @pytest.mark.parametrize("typed", ["foreign", "all", "world", "everyone", "total", "foreigners"])
    def test_all_foreign_holders_have_everyday_names(self, holders, typed):
        assert holders.resolve(typed).key == FOREIGN

    @pytest.mark.parametrize("typed", ["atlantis", "", "   ", "nan", "chin"])
    def test_an_unknown_name_resolves_to_nothing(self, holders, typed):
        assert holders.resolve(typed) is None

    def test_get_by_an_unknown_key_is_a_key_error(self, holders):
        with pytest.raises(KeyError):
            holders.get("atlantis")


class TestAggregates:
    def test_the_eu_sums_exactly_the_tic_rows_holders_csv_marks_as_members(self, holders, csv):
        members = csv.loc[csv["eu_member"], "tic_label"]
        assert holders.get(EU).tic_labels == tuple(members)
        assert "Germany" in members.values and "United Kingdom" not in members.values

    def test_foreign_is_tics_grand_total(self, holders):
        assert holders.get(FOREIGN).tic_labels == ("Grand Total",)

    def test_both_are_aggregates_and_no_country_is(self, holders):
        aggregates = {key for key in holders.keys() if holders.get(key).aggregate}
        assert aggregates == {EU, FOREIGN}

    def test_their_titles_start_a_sentence(self, holders):
        assert holders.get(EU).label == "the EU" and holders.get(EU).title == "The EU"
        assert holders.get(FOREIGN).title == "All foreign holders"


class TestCountries:
    def test_every_row_of_holders_csv_is_a_holder_with_its_label_and_tic_row(self, holders, csv):
        for row in csv.itertuples(index=False):
            holder = holders.get(row.key)
            assert (holder.label, holder.tic_labels) == (row.label, (row.tic_label,))

    def test_custody_centres_are_marked_as_in_holders_csv(self, holders, csv):
        marked = {key for key in holders.keys() if holders.get(key).custodial_centre}
        assert marked == set(csv.loc[csv["custodial_centre"], "key"])
        assert {"uk", "belgium", "luxembourg", "cayman_islands"} <= marked

    def test_keys_list_every_country_and_both_aggregates(self, holders, csv):
        assert holders.keys() == sorted([*csv["key"], EU, FOREIGN])

    def test_names_are_every_accepted_spelling_normalised_and_sorted(self, holders):
        names = holders.names()
        assert names == sorted(names)
        assert {"europe", "uk", "korea south", "nippon"} <= set(names)
        assert all(name == normalise(name) for name in names)
        assert all(holders.resolve(name) is not None for name in names)

    def test_a_holder_cannot_be_changed_once_made(self, holders):
        with pytest.raises(ValidationError):
            holders.get("japan").label = "Nippon"


class TestBuiltFromAnyFrame:
    FRAME = pd.read_csv(io.StringIO(
        "key,label,tic_label,eu_member,custodial_centre,aliases\n"
        "ruritania,Ruritania,Ruritania,true,false,rur;the kingdom\n"
        "freedonia,Freedonia,Freedonia,false,true,\n"
    ), keep_default_na=False)

    def test_members_and_aliases_come_from_the_frame(self):
        registry = HolderRegistry.from_frame(self.FRAME)
        assert registry.resolve("the kingdom").key == "ruritania"
        assert registry.get(EU).tic_labels == ("Ruritania",)
        assert registry.get("freedonia").custodial_centre

    def test_a_holder_is_a_plain_value(self):
        holder = Holder(key="x", label="x-land", tic_labels=("X",))
        assert not holder.aggregate and not holder.custodial_centre and holder.title == "X-land"


class TestRegistryFor:
    def test_the_registry_is_built_once_per_data_version(self, datasets):
        assert registry_for(datasets) is registry_for(dataclasses.replace(datasets))

    def test_another_data_version_gets_its_own_registry(self, datasets):
        other = dataclasses.replace(datasets, version="other-version",
                                    frames={**datasets.frames, "holders": TestBuiltFromAnyFrame.FRAME})
        assert registry_for(other).resolve("ruritania").key == "ruritania"
        assert registry_for(datasets).resolve("ruritania") is None


def test_accented_names_are_found_as_people_type_them(holders):
    from handlers.holders import normalise

    assert normalise("Türkiye") == "turkiye" and normalise("España") == "espana"
