"""Published versions on disk (`bot.pipeline.versions.PublishedVersions`): a version becomes the
one in service only when the pointer is switched, the last atomic step, and pruning never removes
the version in service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.pipeline.refresh import (
    refresh_all,
)
from bot.pipeline.versions import PublishedVersions
from bot.serving.live_data import LiveData
from tests.bot.pipeline.publishers import (
    FORMAT,
    FRED,
    NOW,
    Crash,
    Publishers,
    settings_for,
)


def test_a_crash_between_writing_the_version_and_switching_the_pointer_keeps_the_old_version(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    good = refresh_all(settings, Publishers(), NOW, sources=["fred_iip_quarterly"])
    served = LiveData.from_settings(settings)
    before = served.current()

    def crash(self, pointer):
        raise Crash()
    monkeypatch.setattr(PublishedVersions, "point_at", crash)
    with pytest.raises(Crash):
        refresh_all(settings, Publishers(), NOW + timedelta(days=1), sources=["fred_rates"])
    monkeypatch.undo()

    # The new folder was written completely, but the pointer still names the old version.
    assert len(versions.published()) == 2
    assert versions.pointer() == good.published
    assert served.reload_if_changed() is False and served.current() is before
    assert "market_rates" not in LiveData.from_settings(settings).current().datasets.frames
    # The next refresh publishes normally.
    again = refresh_all(settings, Publishers(), NOW + timedelta(days=2), sources=["fred_rates"])
    assert again.published is not None and versions.pointer() == again.published
    assert served.reload_if_changed() is True
    assert "market_rates" in served.current().datasets.frames


def test_old_versions_are_pruned_but_never_the_one_in_service(tmp_path):
    settings = settings_for(tmp_path)
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    for day in range(4):
        dgs10 = (FORMAT / "fred/dgs10.csv").read_text().replace("2026-06-26,4.49", f"2026-06-26,4.{49 + day}")
        report = refresh_all(settings, Publishers(**{FRED + "DGS10": dgs10.encode()}), NOW + timedelta(days=day),
                             sources=["fred_rates"], keep=2)
        assert report.published is not None
    assert len(versions.published()) == 3  # the one in service + 2 kept
    assert versions.pointer().version == versions.published()[-1]
