"""Charts are drawn once per (chart, data version), however many requests ask at once."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bot.serving.chart_cache import ChartCache
from handlers.reply import ChartRef

GAP = ChartRef(key="gap", title="t", alt_text="a", filename="f.png")


class CountingRenderer:
    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, key, datasets):
        time.sleep(0.05)  # slow enough that concurrent requests overlap
        with self.lock:
            self.calls.append((key, datasets.version))
        return f"{key}@{datasets.version}".encode()


def test_concurrent_requests_share_one_render(datasets):
    renderer = CountingRenderer()
    cache = ChartCache(renderer)
    with ThreadPoolExecutor(max_workers=20) as pool:
        images = list(pool.map(lambda _: cache.png(GAP, datasets), range(1000)))
    assert set(images) == {f"gap@{datasets.version}".encode()}
    assert renderer.calls == [("gap", datasets.version)]
    assert cache.renders == 1


def test_a_new_data_version_renders_again(datasets):
    renderer = CountingRenderer()
    cache = ChartCache(renderer)
    cache.png(GAP, datasets)
    newer = dataclasses.replace(datasets, version="newer")
    assert cache.png(GAP, newer) == b"gap@newer"
    assert cache.renders == 2


def test_the_cache_is_bounded(datasets):
    cache = ChartCache(CountingRenderer(), max_entries=3)
    for n in range(5):
        cache.png(ChartRef(key=f"shock:eu {n}%", title="t", alt_text="a", filename="f.png"), datasets)
    assert cache.size == 3
