"""The datasets in service, swapped atomically when a new version is published.

Handlers get an immutable snapshot (datasets plus the holder registry built from them), so a
reply is computed from one consistent version even if a refresh lands meanwhile.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from bot.pipeline.load import default_data_dir, load_datasets
from bot.settings import Settings
from handlers.datasets import Datasets
from handlers.holders import HolderRegistry, registry_for

if TYPE_CHECKING:
    from bot.pipeline.versions import PublishedVersions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    datasets: Datasets
    holders: HolderRegistry


class LiveData:
    """The datasets in service (not the SQL `Store`, nor the version folders on disk).

    Built with ``versions`` (the `bot.pipeline.versions.PublishedVersions` a refresh publishes into),
    the ``baseline`` folder and the ID of the version ``serving`` (None = the baseline), it can follow
    new versions (`reload_if_changed`) and find old ones (`datasets_for`); built from datasets
    alone (tests, benchmarks), it serves them until `publish` replaces them.
    """

    _reload_lock: ClassVar[threading.Lock] = threading.Lock()  # one reload at a time (rare; shared is fine)

    def __init__(self, datasets: Datasets, *, versions: PublishedVersions | None = None,
                 baseline: Path | None = None, serving: str | None = None) -> None:
        self._lock = threading.Lock()
        self._snapshot = self._snap(datasets)
        self._versions = versions
        self._baseline = baseline
        self._serving = serving  # the published version ID in service; None = the baseline

    @staticmethod
    def _snap(datasets: Datasets) -> Snapshot:
        return Snapshot(datasets, registry_for(datasets))

    @classmethod
    def from_dir(cls, data_dir: Path) -> LiveData:
        return cls(load_datasets(data_dir))

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveData:
        """The version published in ``STATE_DIR/data`` if there is one and it loads, else the
        shipped baseline (``settings.data_dir`` or the installed data); the log says which."""
        from bot.pipeline.versions import PublishedVersions, load_serving

        versions = PublishedVersions.for_state_dir(settings.state_dir)
        baseline = settings.data_dir or default_data_dir()
        datasets, serving = load_serving(versions, baseline)
        return cls(datasets, versions=versions, baseline=baseline, serving=serving)

    def current(self) -> Snapshot:
        return self._snapshot  # a single attribute read is atomic; no lock needed to read

    def publish(self, datasets: Datasets) -> None:
        snapshot = self._snap(datasets)
        with self._lock:
            self._snapshot = snapshot

    # ---- refreshed versions (bot.pipeline.refresh, bot.pipeline.versions) -------------------------------------
    def reload_if_changed(self) -> bool:
        """Serve the version ``STATE_DIR/data/current`` points at, if it is not the one in service.

        Called after each scheduled refresh and periodically (another replica may have published).
        A version that does not load is logged and skipped; the data in service stay. Returns True
        if a new version was published to handlers.
        """
        if self._versions is None:
            return False
        from bot.pipeline.load import DataError
        from bot.pipeline.versions import load_version

        with self._reload_lock:
            pointer = self._versions.pointer()
            if pointer is None or pointer.version == self._serving:
                return False
            try:
                datasets = load_version(self._versions.folder(pointer.version))
            except (DataError, OSError, ValueError) as error:
                logger.error("not switching to data version %s: %s", pointer.version, error)
                return False
            self.publish(datasets)
            self._serving = pointer.version
            logger.info("now serving data version %s (published %s)", pointer.version, pointer.published)
            return True

    def changes_since(self, data_version: str | None) -> list[str]:
        """What changed between the data a channel last received (its ``Datasets.version``) and the
        data in service, as summary lines; [] if that version is unknown or nothing changed.
        This is the ``changes`` callable `bot.briefings.fanout.Fanout` takes."""
        from handlers.changes import what_changed

        current = self.current().datasets
        if not data_version or data_version == current.version:
            return []
        old = self.datasets_for(data_version)
        if old is None:
            return []
        return what_changed(old, current).summary_lines()

    def datasets_for(self, data_version: str) -> Datasets | None:
        """The datasets with content hash ``data_version``: in service, a kept version, or the baseline."""
        from bot.pipeline.load import DataError
        from bot.pipeline.versions import load_version

        current = self.current().datasets
        if data_version == current.version:
            return current
        folders: list[Path | None] = [self._versions.find(data_version)] if self._versions is not None else []
        folders.append(self._baseline)
        for folder in folders:
            if folder is None:
                continue
            try:
                datasets = load_version(folder)
            except (DataError, OSError, ValueError):
                continue
            if datasets.version == data_version:
                return datasets
        return None

    def data_info(self, now: datetime | None = None) -> dict[str, object]:
        """For replies and health checks: which data are in service and how old they are."""
        from handlers.datasets import META_LABEL, META_PUBLISHED, META_RETRIEVED

        datasets = self.current().datasets
        meta = datasets.provenance
        return {
            "data_version": datasets.version,
            "data_label": meta.get(META_LABEL, ""),
            "data_published": meta.get(META_PUBLISHED, ""),
            "data_retrieved": meta.get(META_RETRIEVED, ""),
            "data_age_seconds": self._age_seconds(datasets, now),
        }

    def age(self, now: datetime | None = None) -> timedelta | None:
        """Time since the data in service were retrieved from the publishers (None if unknown)."""
        seconds = self._age_seconds(self.current().datasets, now)
        return None if seconds is None else timedelta(seconds=seconds)

    @staticmethod
    def _age_seconds(datasets: Datasets, now: datetime | None) -> int | None:
        from bot.pipeline.versions import parse_time
        from handlers.datasets import META_RETRIEVED

        retrieved = parse_time(datasets.provenance.get(META_RETRIEVED, ""))
        if retrieved is None:
            return None
        now = now or datetime.now(timezone.utc)
        return max(0, int((now - retrieved).total_seconds()))
