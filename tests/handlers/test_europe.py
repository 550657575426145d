"""`handlers.europe`: what EU-27 residents hold of US securities, by type, summed from the TIC annual survey."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from handlers.datasets import Datasets
from handlers.europe import TYPES, eu_holdings

NA = pd.NA


def survey(rows: list[tuple]) -> Datasets:
    """A hand-built SHL table: (country, kind, eu_member, total, treasury, corporate, equities, agency) in $mn."""
    columns = ["country", "kind", "eu_member", "total_usd_mn", "treasury_usd_mn", "lt_corporate_usd_mn",
               "equities_usd_mn", "lt_agency_usd_mn"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns[3:]:
        frame[column] = frame[column].astype("Int64")
    return Datasets(version="test", frames={"shl_holdings": frame}, sources={})


SMALL = survey([
    ("France", "country", True, 3000, 1000, 500, 1200, 300),
    ("Germany", "country", True, 2000, 400, NA, 1500, 100),
    ("United Kingdom", "country", False, 5000, 2000, 1000, NA, 50),
    ("Total Europe", "region", False, 11000, 3500, 1600, 2800, 450),
    ("Total", "total", False, 40000, 9000, 5000, 20000, 1000),
])


class TestTheSums:
    def test_only_eu_member_countries_are_summed_in_billions(self):
        eu = eu_holdings(SMALL)
        assert eu.members == 2
        assert eu.total_usd_bn == pytest.approx(5.0)
        assert eu.by_type_usd_bn["treasury_usd_mn"] == pytest.approx(1.4)
        assert eu.by_type_usd_bn["equities_usd_mn"] == pytest.approx(2.7)

    def test_a_suppressed_cell_is_left_out_of_the_sum_and_counted(self):
        eu = eu_holdings(SMALL)
        assert eu.by_type_usd_bn["lt_corporate_usd_mn"] == pytest.approx(0.5)
        assert eu.suppressed_cells == 1

    def test_a_region_row_is_never_counted_as_a_member_even_if_flagged(self):
        flagged = survey([
            ("France", "country", True, 3000, 1000, 500, 1200, 300),
            ("Euro area countries", "region", True, 9999, 9999, 9999, 9999, 9999),
            ("Total Europe", "region", False, 11000, 3500, 1600, 2800, 450),
            ("United Kingdom", "country", False, 5000, 2000, 1000, 100, 50),
            ("Total", "total", False, 40000, 9000, 5000, 20000, 1000),
        ])
        assert eu_holdings(flagged).members == 1
        assert eu_holdings(flagged).total_usd_bn == pytest.approx(3.0)

    def test_europe_and_all_foreign_come_from_their_total_rows(self):
        eu = eu_holdings(SMALL)
        assert eu.europe_usd_bn == pytest.approx(11.0)
        assert eu.all_foreign_usd_bn == pytest.approx(40.0)

    def test_the_uk_is_shown_by_type_without_its_suppressed_cells(self):
        uk = eu_holdings(SMALL).uk_usd_bn
        assert uk == pytest.approx({"treasury_usd_mn": 2.0, "lt_corporate_usd_mn": 1.0, "lt_agency_usd_mn": 0.05})

    def test_every_shown_type_has_a_label(self):
        assert set(eu_holdings(SMALL).by_type_usd_bn) == set(TYPES)
        assert all(label for label in TYPES.values())


class TestTheShippedSurvey:
    def test_all_27_members_are_in_the_survey(self, datasets):
        assert eu_holdings(datasets).members == 27

    def test_the_eu_is_part_of_europe_and_europe_part_of_all_foreign_holdings(self, datasets):
        eu = eu_holdings(datasets)
        assert 0 < eu.total_usd_bn < eu.europe_usd_bn < eu.all_foreign_usd_bn

    def test_the_types_shown_add_up_to_no_more_than_the_total(self, datasets):
        eu = eu_holdings(datasets)
        assert sum(eu.by_type_usd_bn.values()) <= eu.total_usd_bn
        assert all(value > 0 and math.isfinite(value) for value in eu.by_type_usd_bn.values())

    def test_eu_residents_hold_trillions_of_treasuries(self, datasets):
        assert 1500 < eu_holdings(datasets).by_type_usd_bn["treasury_usd_mn"] < 3000

    def test_the_uk_is_outside_the_eu_sum_but_shown_beside_it(self, datasets):
        eu = eu_holdings(datasets)
        assert set(eu.uk_usd_bn) == set(TYPES)
        shl = datasets.frame("shl_holdings").set_index("country")
        assert not bool(shl.loc["United Kingdom", "eu_member"])

    def test_the_survey_cited_is_the_june_2025_shl(self, datasets):
        source = datasets.source("shl_holdings")
        assert source.as_of == "2025-06-30"
        assert "SHL" in source.publisher
