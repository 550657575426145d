"""The datasets in service, swapped atomically when a new version is published.

Handlers get an immutable snapshot (datasets plus the holder registry built from them), so a
reply is computed from one consistent version even if a refresh lands meanwhile.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from bot.datasets import default_data_dir, load_datasets
from bot.settings import Settings
from handlers.datasets import Datasets
from handlers.holders import HolderRegistry, registry_for


@dataclass(frozen=True)
class Snapshot:
    datasets: Datasets
    holders: HolderRegistry


class DataStore:
    def __init__(self, datasets: Datasets) -> None:
        self._lock = threading.Lock()
        self._snapshot = self._snap(datasets)

    @staticmethod
    def _snap(datasets: Datasets) -> Snapshot:
        return Snapshot(datasets, registry_for(datasets))

    @classmethod
    def from_dir(cls, data_dir: Path) -> "DataStore":
        return cls(load_datasets(data_dir))

    @classmethod
    def from_settings(cls, settings: Settings) -> "DataStore":
        return cls.from_dir(settings.data_dir or default_data_dir())

    def current(self) -> Snapshot:
        return self._snapshot  # a single attribute read is atomic; no lock needed to read

    def publish(self, datasets: Datasets) -> None:
        snapshot = self._snap(datasets)
        with self._lock:
            self._snapshot = snapshot
