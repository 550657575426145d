"""The sources `bot.pipeline.downloads` lists: each downloads its official URLs and builds its
resources on its own, a changed layout or a wrong file is refused naming the file and line, and
a source that needs a key it does not have (or is not implemented) is skipped with its reason."""

from __future__ import annotations

import pytest

from bot.pipeline.downloads import SOURCES
from bot.pipeline.refresh import (
    refresh_all,
)
from tests.bot.pipeline.publishers import (
    FORMAT,
    FRED,
    IMF,
    NOW,
    RAW,
    TIC,
    TREASURY,
    Publishers,
    settings_for,
    shl_zip,
)


@pytest.mark.parametrize("source", [name for name in SOURCES if name != "bea"])
def test_each_source_refreshes_on_its_own(tmp_path, source):
    publishers = Publishers()
    report = refresh_all(settings_for(tmp_path), publishers, NOW, sources=[source])
    assert [r.source for r in report.results] == [source]
    assert report.results[0].outcome in ("ok", "unchanged"), report.results[0].detail
    assert {url for url, _ in publishers.requests} == {d.url_for(NOW) for d in SOURCES[source].downloads}


@pytest.mark.parametrize("url, body, says", [
    # Table 5 gains a column in one row: values no longer line up with their months.
    (TIC + "slt_table5.txt",
     (RAW / "tic/slt_table5.txt").read_text().replace("Japan\t1209.9", "Japan\t1209.9\t1209.9", 1).encode(),
     "slt_table5.txt line 7: expected 13 numeric columns, got 14"),
    # FRED serves another series at the URL (or renamed the header).
    (FRED + "MORTGAGE30US", (FORMAT / "fred/dgs10.csv").read_bytes(),
     "mortgage30us.csv line 1: expected the header 'observation_date,MORTGAGE30US'"),
    # An HTML error page instead of the CSV.
    (FRED + "DGS10", b"<html><body>Service Unavailable</body></html>",
     "dgs10.csv line 1: expected the header 'observation_date,DGS10'"),
    # The IMF answers with something that is not SDMX data.
    (IMF + "*.AFXRA.*.SHRO_PT.Q", b"<?xml version='1.0'?><error>rate limited</error>",
     "cofer_shares.xml: expected an SDMX StructureSpecificData message, got <error>"),
    # A zip cut short in transfer.
    (TREASURY + "shl_appendix_2025.zip", shl_zip()[:5000], "shl_appendix_2025.zip: not a zip archive"),
])
def test_a_layout_change_or_wrong_file_is_refused_with_a_clear_reason(tmp_path, url, body, says):
    source = next(name for name, spec in SOURCES.items() if url in {d.url_for(NOW) for d in spec.downloads})
    report = refresh_all(settings_for(tmp_path), Publishers(**{url: body}), NOW, sources=[source])
    assert report.result(source).outcome == "failed"
    assert says in report.result(source).detail
    assert report.published is None


def test_the_bea_api_is_skipped_with_its_reason_with_or_without_a_key(tmp_path):
    without = refresh_all(settings_for(tmp_path), Publishers(), NOW, sources=["bea"], env={})
    assert without.result("bea").outcome == "skipped"
    assert without.result("bea").detail.startswith("BEA_API_KEY not set; ")
    with_key = refresh_all(settings_for(tmp_path), Publishers(), NOW, sources=["bea"], env={"BEA_API_KEY": "k-123"})
    assert with_key.result("bea").outcome == "skipped"
    assert "not implemented" in with_key.result("bea").detail and "k-123" not in with_key.result("bea").detail
