"""What changed between two data versions, and `/reset sources` saying which version is in
service, how old it is, and when each dataset was retrieved."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from handlers.changes import find_revisions, what_changed
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
from handlers.queries import SourcesQuery
from handlers.topics.sources import answer_sources

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)


def source(name: str, title: str) -> Source:
    return Source(name=name, title=title, publisher="FRED", series=name, url="https://fred.stlouisfed.org/",
                  period="p", as_of="a", vintage="2026-07-01", units="u", tag="official")


def ds(version: str, **frames: pd.DataFrame) -> Datasets:
    return Datasets(version=version, frames=frames, sources={n: source(n, f"title of {n}") for n in frames})


def tic(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["month", "holder", "usd_bn"])


def rates(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "series", "value_pct"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


# ------------------------------------------------------------------------------ what_changed


def test_a_new_tic_month_is_named_with_its_total_change_and_largest_movers(datasets):
    frame = datasets.frame("treasury_holdings")
    without_april = frame[frame["month"] != "2026-04"]
    old = dataclasses.replace(datasets, version="old", frames={**datasets.frames, "treasury_holdings": without_april})
    changes = what_changed(old, datasets)
    assert [(m.month, m.total_usd_bn, m.change_usd_bn) for m in changes.tic_months] == [("2026-04", 9352.6, 3.9)]
    assert changes.tic_months[0].movers == (("Canada", -42.3), ("Japan", 18.3), ("Cayman Islands", 12.2))
    assert changes.summary_lines() == [
        "TIC: new month Apr 2026 — foreign holdings of Treasuries $9,352.6bn, +$3.9bn on the month "
        "(Canada −$42.3bn, Japan +$18.3bn, Cayman Islands +$12.2bn)."]
    assert changes.revisions == () and changes.rates == ()  # the shipped data have no market_rates


def test_revisions_beyond_the_tolerance_are_listed_and_rounding_noise_is_not():
    old = ds("a", treasury_holdings=tic([("2025-11", "Grand Total", 9359.3), ("2025-12", "Grand Total", 9271.0),
                                         ("2025-12", "United Kingdom", 866.0), ("2025-10", "Grand Total", 9232.9)]))
    new = ds("b", treasury_holdings=tic([("2025-11", "Grand Total", 9349.6), ("2025-12", "Grand Total", 9271.1),
                                         ("2025-12", "United Kingdom", 863.1), ("2025-10", "Grand Total", 9232.9)]))
    changes = what_changed(old, new)
    assert [(r.period, r.item, r.old, r.new) for r in changes.revisions] == [
        ("2025-11", "Grand Total", 9359.3, 9349.6), ("2025-12", "United Kingdom", 866.0, 863.1)]  # 0.1 of 9,271: noise
    assert changes.summary_lines() == [
        "Revised history: TIC Treasury holdings, 2 figures (largest: 2025-11 Grand Total $9,359.3bn → $9,349.6bn)."]


def test_find_revisions_reports_every_change_when_asked_with_no_tolerance():
    old = tic([("2025-12", "Grand Total", 9271.0)])
    new = tic([("2025-12", "Grand Total", 9271.1), ("2026-01", "Grand Total", 9289.4)])
    assert [(r.old, r.new) for r in find_revisions("treasury_holdings", old, new, rel_tol=0)] == [(9271.0, 9271.1)]


def test_the_yield_and_the_mortgage_rate_week_over_week():
    frame = rates([("2026-06-18", "DGS10", 4.47), ("2026-06-19", "DGS10", 4.40), ("2026-06-22", "DGS10", 4.45),
                   ("2026-06-26", "DGS10", 4.49), ("2026-06-18", "MORTGAGE30US", 6.44),
                   ("2026-06-25", "MORTGAGE30US", 6.40)])
    changes = what_changed(ds("a"), ds("b", market_rates=frame))
    assert [(r.series, r.week_ago_date, round(r.change_bp)) for r in changes.rates] == [
        ("DGS10", "2026-06-19", 9), ("MORTGAGE30US", "2026-06-18", -4)]
    assert changes.summary_lines()[:2] == [
        "10-year Treasury yield 4.49% on 2026-06-26, +9 bp on the week (4.40% on 2026-06-19).",
        "30-year mortgage rate 6.40% on 2026-06-25, −4 bp on the week (6.44% on 2026-06-18).",
    ]
    assert changes.new_resources == ("title of market_rates",)


def test_a_new_iip_quarter_from_the_release_table_when_fred_is_not_there():
    columns = ["period", "vintage", "assets_usd_bn", "liabilities_usd_bn", "net_usd_bn", "tag", "note"]
    old = pd.DataFrame([("2025Q3", pd.Timestamp("2026-02-03"), 41270, 68890, -27610, "secondary", "")], columns=columns)
    new = pd.concat([old, pd.DataFrame([("2025Q4", pd.Timestamp("2026-03-31"), 42010, 69930, -27920, "quoted", "")],
                                       columns=columns)], ignore_index=True)
    changes = what_changed(ds("a", iip_quarterly=old), ds("b", iip_quarterly=new))
    assert changes.iip_quarter is not None and changes.iip_quarter.resource == "iip_quarterly"
    assert changes.summary_lines() == ["IIP: new quarter 2025Q4 — net position −$27.92T (assets $42.01T, liabilities "
                                       "$69.93T)."]


def test_nothing_to_say_when_nothing_changed(datasets):
    changes = what_changed(datasets, datasets)
    assert not changes.has_new_data and changes.revisions == () and changes.summary_lines() == []


def test_new_periods_of_other_series_are_listed():
    columns = ["quarter", "usd_share_pct", "eur_share_pct", "total_fx_reserves_usd_bn"]
    old = pd.DataFrame([("2025Q4", 56.7702, 20.2496, 13136.846)], columns=columns)
    new = pd.DataFrame([("2025Q4", 56.7702, 20.2496, 13136.846), ("2026Q1", 57.13, 20.03, 13500.0)], columns=columns)
    assert what_changed(ds("a", cofer=old), ds("b", cofer=new)).summary_lines() == ["New data: COFER reserve shares "
                                                                                    "2026Q1."]


# ------------------------------------------------------------------------------ /reset sources


def text_of(reply) -> str:
    return json.dumps(reply.blocks, ensure_ascii=False)


def test_sources_names_the_version_in_service_its_age_and_each_retrieval(datasets):
    refreshed = dataclasses.replace(datasets, provenance={
        META_LABEL: "20260701T060000Z-abcdef123456", META_PUBLISHED: "2026-07-01T06:00:00Z",
        META_RETRIEVED: "2026-07-01T06:00:00Z", META_RETRIEVED_PREFIX + "treasury_holdings": "2026-07-01T06:00:00Z",
        META_CHANGES: "TIC: new month Apr 2026 — foreign holdings of Treasuries $9,352.6bn.\nRevised history: x.",
    })
    reply = answer_sources(SourcesQuery(), refreshed, now=NOW)
    body = text_of(reply)
    assert ("Data in service:* version 20260701T060000Z-abcdef123456, published 2026-07-01 06:00 UTC; newest download "
            "2026-07-01 06:00 UTC, 3 hours old.") in body
    holdings = datasets.source("treasury_holdings")
    assert f"*{holdings.title}*" in body and "vintage 2026-07-01, retrieved 2026-07-01 06:00 UTC" in body
    assert "vintage 2026-03-27, as shipped" in body  # cofer: not refreshed in this version
    assert "*What changed in this version*\\n• TIC: new month Apr 2026" in body
    assert "What changed in this version:\n- TIC: new month Apr 2026" in reply.text


def test_sources_says_when_the_shipped_data_are_in_service(datasets):
    shipped = dataclasses.replace(datasets, provenance={META_LABEL: BASELINE_LABEL, META_PUBLISHED: "",
                                                   META_RETRIEVED: "2026-07-01"})
    body = text_of(answer_sources(SourcesQuery(), shipped, now=datetime(2026, 7, 11, tzinfo=timezone.utc)))
    assert ("the data shipped with the bot (files retrieved 2026-07-01, 10 days old); no refresh from the publishers "
            "has been published yet.") in body


@pytest.mark.parametrize("meta", [{}, {META_LABEL: "v1", META_RETRIEVED: "not a time"}])
def test_sources_without_retrieval_records_still_lists_every_vintage(datasets, meta):
    reply = answer_sources(SourcesQuery(), dataclasses.replace(datasets, provenance=meta), now=NOW)
    for s in datasets.sources.values():
        assert s.title in text_of(reply) and f"vintage {s.vintage}" in text_of(reply)
