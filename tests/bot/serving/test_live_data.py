"""The datasets in service (`bot.serving.live_data.LiveData`): the previous version serves until a
good one is published and reloaded, a version damaged on disk is passed over, and a channel is
told what changed since the version it last received."""

from __future__ import annotations

from datetime import timedelta

from bot.pipeline.refresh import (
    DownloadError,
    refresh_all,
)
from bot.pipeline.versions import BASELINE, PublishedVersions
from bot.serving.live_data import LiveData
from tests.bot.pipeline.publishers import (
    FRED,
    NOW,
    Publishers,
    settings_for,
)


def test_the_bot_serves_the_previous_version_until_a_good_one_is_published(tmp_path):
    settings = settings_for(tmp_path)
    served = LiveData.from_settings(settings)
    baseline = served.current()
    assert baseline.datasets.provenance["data.label"] == BASELINE
    assert served.data_info(NOW)["data_retrieved"] == "2026-07-01"  # the shipped files' retrieval

    broken = refresh_all(settings, Publishers(**{FRED + "DGS10": DownloadError(FRED + "DGS10", "HTTP 503")}), NOW,
                         sources=["fred_rates"])
    assert broken.result("fred_rates").outcome == "failed"
    assert served.reload_if_changed() is False and served.current() is baseline

    good = refresh_all(settings, Publishers(), NOW, sources=["fred_rates"])
    assert served.current() is baseline  # nothing changes until the process reloads
    assert served.reload_if_changed() is True
    current = served.current()
    assert "market_rates" in current.datasets.frames
    assert current.datasets.provenance["data.label"] == good.published.version
    info = served.data_info(NOW + timedelta(hours=3))
    assert info["data_label"] == good.published.version and info["data_age_seconds"] == 3 * 3600
    assert served.age(NOW + timedelta(hours=3)) == timedelta(hours=3)

    worse = refresh_all(settings, Publishers(**{FRED + "MORTGAGE30US": b"garbage"}), NOW + timedelta(days=1),
                        sources=["fred_rates"])
    assert worse.result("fred_rates").outcome == "failed"
    assert served.reload_if_changed() is False and served.current() is current
    # A restarted process serves the published version, not the baseline.
    assert LiveData.from_settings(settings).current().datasets.version == current.datasets.version


def test_a_published_version_damaged_on_disk_is_passed_over_for_the_last_one_that_loads(tmp_path):
    settings = settings_for(tmp_path)
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    first = refresh_all(settings, Publishers(), NOW, sources=["fred_iip_quarterly"])
    second = refresh_all(settings, Publishers(), NOW + timedelta(days=1), sources=["fred_rates"])
    damaged = versions.folder(second.published.version) / "market_rates.csv"
    damaged.write_text("date,series,value_pct\n2026-06-26,DGS10,abc\n")

    served = LiveData.from_settings(settings)  # does not crash: serves the newest version that loads
    assert served.current().datasets.provenance["data.label"] == first.published.version
    assert served.reload_if_changed() is False  # the damaged version is never put in service
    # The next refresh builds on the version actually served, and repairs the damage.
    again = refresh_all(settings, Publishers(), NOW + timedelta(days=2), sources=["fred_rates"])
    assert again.previous == first.published.version and again.published is not None
    assert served.reload_if_changed() is True and "market_rates" in served.current().datasets.frames

    # With no loadable version at all, the shipped baseline serves.
    for version in versions.published():
        (versions.folder(version) / "datapackage.json").write_text("{")
    assert LiveData.from_settings(settings).current().datasets.provenance["data.label"] == BASELINE


def test_changes_since_the_version_a_channel_last_received(tmp_path, march_baseline):
    settings = settings_for(tmp_path, march_baseline)
    served = LiveData.from_settings(settings)
    sent = served.current().datasets.version  # what a briefing recorded
    refresh_all(settings, Publishers(), NOW)
    assert served.reload_if_changed()
    lines = served.changes_since(sent)
    assert lines[0] == ("TIC: new month Apr 2026 — foreign holdings of Treasuries $9,352.6bn, +$3.9bn on the month "
                        "(Canada −$42.3bn, Japan +$18.3bn, Cayman Islands +$12.2bn).")
    assert served.changes_since(served.current().datasets.version) == []
    assert served.changes_since(None) == []
    assert served.changes_since("0123456789ab") == []  # unknown (pruned) version: nothing to say
