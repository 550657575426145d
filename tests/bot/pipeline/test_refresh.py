"""`reset-bot data refresh` (`bot.pipeline.refresh`): the publishers' files (genuine copies,
through an injected transport — never the network) become a new data version only when they
parse and are plausible, a failed source holds back no other, and the bot keeps serving the last
good version whatever happens to a download."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest

import bot.pipeline.refresh as refresh_module
from bot.cli import main
from bot.pipeline.downloads import SOURCES
from bot.pipeline.refresh import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    DirectoryTransport,
    DownloadError,
    refresh_all,
    scheduled_refresh,
    status_lines,
)
from bot.pipeline.versions import BASELINE, PublishedVersions, load_version
from bot.serving.live_data import LiveData
from handlers.changes import what_changed
from tests.bot.pipeline.publishers import (
    FORMAT,
    FRED,
    NOW,
    RAW,
    TIC,
    TREASURY,
    Crash,
    Publishers,
    holdings,
    publisher_files,
    revise_table5,
    settings_for,
)

# ------------------------------------------------------------------------------ a full refresh


def test_a_refresh_publishes_a_version_whose_headline_figures_match_the_fact_sheet(tmp_path, march_baseline):
    settings = settings_for(tmp_path, march_baseline)
    publishers = Publishers()
    report = refresh_all(settings, publishers, NOW)

    outcomes = {r.source: r.outcome for r in report.results}
    assert outcomes == {"tic": "ok", "shl": "unchanged", "fred_niip": "unchanged", "fred_gdp": "unchanged",
                        "fred_rates": "ok", "fred_iip_quarterly": "ok", "cofer": "unchanged", "wgc": "unchanged",
                        "bea": "skipped"}
    assert "treasury_holdings: new 2026-04" in report.result("tic").detail
    assert "BEA_API_KEY not set" in report.result("bea").detail
    # Every official URL was asked for once, with the timeout.
    assert sorted(url for url, _ in publishers.requests) == sorted(publisher_files())
    assert {timeout for _, timeout in publishers.requests} == {DEFAULT_TIMEOUT}

    versions = PublishedVersions.for_state_dir(settings.state_dir)
    assert report.published is not None and versions.pointer() == report.published
    assert report.published.version.startswith("20260701T060000Z-")
    version = load_version(versions.folder(report.published.version))
    tic = holdings(version)
    assert tic[("2025-12", "Grand Total")] == 9267.2  # mfhhis01 / Table 5, Dec 2025
    assert tic[("2026-04", "Grand Total")] == 9352.6  # slt_table5, Apr 2026
    assert tic[("2025-12", "Japan")] == 1185.5 and tic[("2026-04", "China, Mainland")] == 651.1
    assert version.frame("iip_annual").set_index("year").loc[2024, "net_usd_bn"] == -26_539.47
    assert version.frame("gdp_annual").set_index("year").loc[2025, "gdp_usd_bn"] == 30_767.088
    shl = version.frame("shl_holdings").set_index("country")
    assert shl.loc["Total", "total_usd_mn"] == 35_348_680 and shl.loc["Total", "treasury_usd_mn"] == 9_076_079
    cofer = version.frame("cofer").set_index("quarter").loc["2025Q4"]
    assert round(cofer["usd_share_pct"], 2) == 56.77 and round(cofer["total_fx_reserves_usd_bn"], 1) == 13_136.8
    iip = version.frame("iip_quarterly_fred").set_index("quarter").loc["2025Q3"]
    assert (iip["assets_usd_bn"], iip["liabilities_usd_bn"], iip["net_usd_bn"]) == (41_270, 68_890, -27_610)
    rates = version.frame("market_rates")
    assert set(rates["series"]) == {"DGS10", "MORTGAGE30US"}
    assert str(rates["date"].max().date()) == "2026-06-26"
    # FRED's two holiday markers ('.' and an empty cell) are no observation, never a 0% yield.
    dgs10 = rates[rates["series"] == "DGS10"].set_index("date")["value_pct"]
    assert "2026-05-25" not in dgs10.index.strftime("%Y-%m-%d") and "2026-06-19" not in dgs10.index.strftime("%Y-%m-%d")

    folder = versions.folder(report.published.version)
    package = {r["name"]: r for r in json.loads((folder / "datapackage.json").read_text())["resources"]}
    th = package["treasury_holdings"]
    assert (th["as_of"], th["vintage"], th["retrieved"]) == ("2026-04", "2026-07-01", "2026-07-01T06:00:00Z")
    assert "2025 revised May 18, 2026" in th["derivation"] and "retrieved 2026-07-01T06:00:00Z" in th["derivation"]
    assert package["cofer"]["vintage"] == "2026-03-27" and "retrieved" not in package["cofer"]  # unchanged: as shipped
    assert package["market_rates"]["schema"]["fields"][2] == {
        "name": "value_pct", "type": "number", "unit": "pct",
        "description": "Yield (DGS10) or average contract rate (MORTGAGE30US), percent per year"}
    assert package["iip_quarterly_fred"]["as_of"] == "2025Q3"
    for name, entry in package.items():
        assert entry["sha256"] == hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest(), name

    # What changed is stored with the version, for /reset sources.
    assert any(line.startswith("TIC: new month Apr 2026 — foreign holdings of Treasuries $9,352.6bn")
               for line in report.changes)
    info = json.loads((versions.folder(report.published.version) / "version.json").read_text())
    assert info["previous"]["id"] == BASELINE and info["changes"] == list(report.changes)


def test_refreshing_the_shipped_data_from_the_same_files_changes_nothing_it_had(tmp_path):
    """The baseline was built from these very files: every source it has is 'unchanged'."""
    report = refresh_all(settings_for(tmp_path), Publishers(), NOW,
                         sources=["tic", "shl", "fred_niip", "fred_gdp", "cofer", "wgc"])
    assert {r.outcome for r in report.results} == {"unchanged"}
    assert report.published is None
    assert PublishedVersions.for_state_dir(tmp_path / "state").pointer() is None
    assert "No new version published; still serving shipped baseline." in report.lines()


def test_the_default_transport_identifies_itself():
    assert USER_AGENT == "reset-bot/0.1 (+README)"
    assert DEFAULT_TIMEOUT == 60


# ------------------------------------------------------------------------------ refused downloads


def test_a_truncated_file_is_refused_with_file_and_line_and_nothing_is_published(tmp_path):
    history = (RAW / "tic/mfhhis01.txt").read_bytes()
    half = history[: history.rindex(b"\n", 0, len(history) // 2) + 1]  # the transfer stopped after a line
    settings = settings_for(tmp_path)
    report = refresh_all(settings, Publishers(**{TREASURY + "mfhhis01.txt": half}), NOW, sources=["tic"])
    result = report.result("tic")
    assert result.outcome == "failed"
    lines = len(half.splitlines())
    assert result.detail.startswith(f"mfhhis01.txt line {lines}: the ") and result.detail.endswith(
        " block is incomplete (file cut short?)")
    assert report.published is None and PublishedVersions.for_state_dir(settings.state_dir).pointer() is None
    status = json.loads((settings.state_dir / "data/status.json").read_text())
    assert status["sources"]["tic"]["last_failure"] == {"at": "2026-07-01T06:00:00Z", "error": result.detail}
    assert "last_success" not in status["sources"]["tic"]


def test_a_failed_source_does_not_hold_back_the_others(tmp_path):
    report = refresh_all(settings_for(tmp_path), Publishers(**{FRED + "MORTGAGE30US": DownloadError(
        FRED + "MORTGAGE30US", "timed out after 60s")}), NOW, sources=["fred_rates", "fred_iip_quarterly"])
    assert report.result("fred_rates").outcome == "failed"
    assert report.result("fred_rates").detail == f"{FRED}MORTGAGE30US: timed out after 60s"
    assert report.result("fred_iip_quarterly").outcome == "ok"
    version = load_version(PublishedVersions.for_state_dir(tmp_path / "state").folder(report.published.version))
    assert "iip_quarterly_fred" in version.frames and "market_rates" not in version.frames


def test_a_revision_is_published_and_flagged_not_silently_accepted(tmp_path):
    settings = settings_for(tmp_path)
    revised = revise_table5((RAW / "tic/slt_table5.txt").read_text(), 6, "Japan", 7.3)  # column 6 = 2025-11
    report = refresh_all(settings, Publishers(**{TIC + "slt_table5.txt": revised.encode()}), NOW, sources=["tic"])

    result = report.result("tic")
    assert result.outcome == "ok" and result.detail == "treasury_holdings: revised (no new period)"
    assert {(r.period, r.item, r.old, r.new) for r in result.revisions} == {
        ("2025-11", "Japan", 1202.7, 1210.0), ("2025-11", "Grand Total", 9349.6, 9356.9)}
    assert "tic: 2 revised figure(s), recorded (not errors):" in report.lines()
    assert "    treasury_holdings 2025-11 Japan $1,202.7bn → $1,210.0bn" in report.lines()
    # Recorded in the status and with the version, and named in what changed.
    status = json.loads((settings.state_dir / "data/status.json").read_text())["sources"]["tic"]
    assert status["revisions"]["count"] == 2 and status["last_success"]["outcome"] == "ok"
    folder = PublishedVersions.for_state_dir(settings.state_dir).folder(report.published.version)
    recorded = json.loads((folder / "version.json").read_text())["revisions"]
    assert "treasury_holdings 2025-11 Japan $1,202.7bn → $1,210.0bn" in recorded
    assert ("Revised history: TIC Treasury holdings, 2 figures (largest: 2025-11 Japan $1,202.7bn → $1,210.0bn)."
            in report.changes)
    assert holdings(load_version(folder))[("2025-11", "Japan")] == 1210.0


# ------------------------------------------------------------------------------ interrupted and concurrent refreshes


def test_a_crash_while_the_new_folder_is_being_written_leaves_it_ignored_and_then_removed(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    real = refresh_module.describe_resource
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise Crash()
        return real(*args, **kwargs)
    monkeypatch.setattr(refresh_module, "describe_resource", crash_on_second)
    with pytest.raises(Crash):
        refresh_all(settings, Publishers(), NOW, sources=["fred_rates", "fred_iip_quarterly"])
    monkeypatch.undo()

    staging = [p for p in (settings.state_dir / "data/versions").iterdir()]
    assert len(staging) == 1 and staging[0].name.startswith(".staging-")
    assert (staging[0] / "market_rates.csv").is_file()  # half written
    assert versions.published() == [] and versions.pointer() is None
    assert LiveData.from_settings(settings).current().datasets.provenance["data.label"] == BASELINE

    report = refresh_all(settings, Publishers(), NOW + timedelta(hours=1), sources=["fred_rates"])
    assert "Removed 1 unfinished folder(s) left by an interrupted refresh." in report.lines()
    assert not staging[0].exists()
    assert report.published is not None


def test_another_refresh_in_progress_is_not_disturbed(tmp_path):
    settings = settings_for(tmp_path)
    publishers = Publishers()
    with PublishedVersions.for_state_dir(settings.state_dir).lock() as held:
        assert held
        report = refresh_all(settings, publishers, NOW)
    assert {r.outcome for r in report.results} == {"skipped"}
    assert "another refresh is running" in report.results[0].detail
    assert publishers.requests == []


def test_a_new_folder_that_does_not_validate_as_a_whole_is_not_published(tmp_path, monkeypatch):
    """Each CSV passed its own checks, but the assembled datapackage.json is wrong: nothing is
    published, the sources that contributed are reported failed, and no folder is left behind."""
    real = refresh_module.describe_resource

    def wrong_unit(*args, **kwargs):
        entry = real(*args, **kwargs)
        entry["schema"]["fields"][-1]["unit"] = "usd_mn"  # contradicts the column name value_pct
        return entry
    monkeypatch.setattr(refresh_module, "describe_resource", wrong_unit)
    settings = settings_for(tmp_path)
    report = refresh_all(settings, Publishers(), NOW, sources=["fred_rates"])
    assert report.result("fred_rates").outcome == "failed"
    assert report.result("fred_rates").detail.startswith("new data folder refused: ")
    assert "value_pct: unit 'usd_mn'" in report.result("fred_rates").detail
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    assert report.published is None and versions.pointer() is None
    assert list(versions.versions.iterdir()) == []


# ------------------------------------------------------------------------------ what changed


def test_what_changed_between_two_versions(tmp_path, march_baseline):
    settings = settings_for(tmp_path, march_baseline)
    old = load_version(march_baseline)
    first = refresh_all(settings, Publishers(), NOW)
    middle = load_version(PublishedVersions.for_state_dir(settings.state_dir).folder(first.published.version))

    changes = what_changed(old, middle)
    assert [m.month for m in changes.tic_months] == ["2026-04"]
    assert changes.tic_months[0].total_usd_bn == 9352.6 and changes.tic_months[0].change_usd_bn == 3.9
    assert changes.iip_quarter is None  # FRED's latest quarter (2025Q3) is the one the baseline had
    assert {r.series: round(r.change_bp) for r in changes.rates} == {"DGS10": 2, "MORTGAGE30US": -4}
    assert changes.revisions == ()
    assert set(changes.new_resources) == {"US 10-year Treasury yield and 30-year mortgage rate",
                                          "US international investment position, quarterly (current vintage, via FRED)"}

    # A week later: a new IIP quarter on FRED, Table 5 revised, rates moved.
    rows = {"IIPUSASSQ": "2025-10-01,42010000", "IIPUSLIAQ": "2025-10-01,69930000",
            "IIPUSNETIQ": "2025-10-01,-27920000"}
    later_files = {FRED + s: ((FORMAT / f"fred/{s.lower()}.csv").read_text() + row + "\n").encode()
                   for s, row in rows.items()}
    table5 = (RAW / "tic/slt_table5.txt").read_text()
    later_files[TIC + "slt_table5.txt"] = revise_table5(table5, 6, "Japan", 7.3).encode()
    second = refresh_all(settings, Publishers(**later_files), NOW + timedelta(days=7))
    new = load_version(PublishedVersions.for_state_dir(settings.state_dir).folder(second.published.version))

    changes = what_changed(middle, new)
    assert changes.tic_months == ()
    assert changes.iip_quarter is not None and changes.iip_quarter.quarter == "2025Q4"
    assert {(r.resource, r.period, r.item) for r in changes.revisions} == {
        ("treasury_holdings", "2025-11", "Japan"), ("treasury_holdings", "2025-11", "Grand Total")}
    assert changes.summary_lines() == [
        "IIP: new quarter 2025Q4 — net position −$27.92T (assets $42.01T, liabilities $69.93T).",
        "10-year Treasury yield 4.49% on 2026-06-26, +2 bp on the week (4.47% on 2026-06-18).",
        "30-year mortgage rate 6.40% on 2026-06-25, −4 bp on the week (6.44% on 2026-06-18).",
        "Revised history: TIC Treasury holdings, 2 figures (largest: 2025-11 Japan $1,202.7bn → $1,210.0bn).",
    ]
    assert second.changes == tuple(changes.summary_lines())


def test_the_daily_job_refreshes_and_puts_the_new_version_in_service(tmp_path):
    settings = settings_for(tmp_path)
    served = LiveData.from_settings(settings)
    report = scheduled_refresh(settings, served, Publishers(), NOW)
    assert report.published is not None
    assert served.current().datasets.provenance["data.label"] == report.published.version
    assert "market_rates" in served.current().datasets.frames


# ------------------------------------------------------------------------------ the CLI


def test_data_refresh_and_status_from_the_command_line(tmp_path, monkeypatch, capsys, march_baseline):
    monkeypatch.setenv("RESET_BOT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RESET_BOT_DATA_DIR", str(march_baseline))
    monkeypatch.delenv("BEA_API_KEY", raising=False)

    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert f"Serving the shipped baseline ({march_baseline}); no refreshed version published." in out
    assert "tic                 2026-07-01  2026-03     never" in out

    assert main(["data", "refresh", "--fixtures", str(RAW), "--fixtures", str(FORMAT)]) == 0
    out = capsys.readouterr().out
    assert "(no network)" in out
    assert "tic                 ok         treasury_holdings: new 2026-04" in out
    assert "cofer               unchanged  cofer" in out
    assert "bea                 skipped    BEA_API_KEY not set" in out
    assert "Published data version " in out and "(previous: shipped baseline)." in out
    assert "  • TIC: new month Apr 2026 — foreign holdings of Treasuries $9,352.6bn" in out

    assert main(["data", "refresh", "--source", "tic", "--fixtures", str(tmp_path / "empty")]) == 2
    assert "--fixtures: no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    # The source fails, and the bot is still serving.
    assert main(["data", "refresh", "--source", "tic", "--fixtures", str(tmp_path / "empty")]) == 0
    out = capsys.readouterr().out
    assert f"tic  failed     {TREASURY}mfhhis01.txt: HTTP 404" in out
    assert "No new version published; still serving 2026" in out

    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Serving data version 2026") and ", published " in out[0]
    assert out[1].split() == ["source", "vintage", "as", "of", "last", "success", "last", "failure"]
    tic = next(line for line in out if line.startswith("tic "))
    assert "2026-04" in tic and "(ok)" in tic and "HTTP 404" in tic
    rates = next(line for line in out if line.startswith("fred_rates "))
    assert "2026-06-26" in rates and "never" in rates  # no failure yet
    assert any(line.startswith("bea ") for line in out)


def test_an_unknown_source_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RESET_BOT_STATE_DIR", str(tmp_path))
    assert main(["data", "refresh", "--source", "bloomberg"]) == 2
    err = capsys.readouterr().err
    assert "unknown source(s) ['bloomberg']" in err and "tic, shl" in err


def test_the_offline_transport_serves_only_registry_urls_from_the_folders(tmp_path):
    transport = DirectoryTransport([RAW, FORMAT], NOW)
    assert transport(TIC + "slt_table5.txt", 1) == (RAW / "tic/slt_table5.txt").read_bytes()
    with zipfile.ZipFile(io.BytesIO(transport(TREASURY + "shl_appendix_2025.zip", 1))) as archive:
        assert "shl_app05_2025.csv" in archive.namelist()
    with pytest.raises(DownloadError, match="no fixture for this URL"):
        transport("https://example.org/", 1)


def test_status_lines_read_without_a_state_dir(tmp_path):
    lines = status_lines(settings_for(tmp_path), NOW)
    assert lines[0].startswith("Serving the shipped baseline")
    assert not (tmp_path / "state").exists()  # reading the status creates nothing
    assert len(lines) == 2 + len(SOURCES)
