"""Chart images, rendered once per (chart, data version) and shared by every request.

Rendering is the slow part of a reply (tens of milliseconds per chart), so the cache also makes
concurrent requests for the same chart wait for one render instead of rendering it twice.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from collections.abc import Callable

from handlers.datasets import Datasets
from handlers.reply import ChartRef

Renderer = Callable[[str, Datasets], bytes]

# Matplotlib is not thread-safe (shared font cache, rcParams); renders are rare once cached, so
# one process-wide lock costs nothing and removes a class of heisenbugs.
_RENDER_LOCK = threading.Lock()


def _heap_trimmer() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS, Windows)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


# A render allocates and frees megabytes (the 1200×675 RGBA canvas, paths, glyphs) in whichever
# reply thread asked for it. glibc keeps much of that freed memory in the thread's malloc arena
# instead of returning it, so a server drawing many different charts (shock scenarios) grew by
# ~0.4 MB per new chart long after the figures were gone (BENCHMARKS.md, section 6). Trimming
# after each render — rare, since charts are cached; it costs well under a millisecond — keeps
# the resident size flat. Not a Python leak: tracemalloc sees nothing retained.
_trim_heap = _heap_trimmer()


class ChartCache:
    """Bounded LRU of PNG bytes keyed by (data version, chart key)."""

    def __init__(self, render: Renderer, max_entries: int = 256) -> None:
        self._render = render
        self._max = max_entries
        self._images: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.renders = 0  # how many times a chart was actually drawn (benchmarks and tests read it)

    @property
    def size(self) -> int:
        """Images held now (at most ``max_entries``). Not ``__len__``: an empty cache must stay
        truthy for the ``charts or ChartCache(…)`` defaults that inject one."""
        with self._guard:
            return len(self._images)

    def has(self, chart: ChartRef, datasets: Datasets) -> bool:
        """Is this chart drawn already (so a reply with it is cheap)?"""
        with self._guard:
            return (datasets.version, chart.key) in self._images

    def png(self, chart: ChartRef, datasets: Datasets) -> bytes:
        key = (datasets.version, chart.key)
        with self._guard:
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # single flight: one render per key even under concurrent requests
            with self._guard:
                if key in self._images:
                    return self._images[key]
            with _RENDER_LOCK:
                image = self._render(chart.key, datasets)
                if _trim_heap is not None:
                    _trim_heap(0)
            with self._guard:
                self.renders += 1
                self._images[key] = image
                while len(self._images) > self._max:
                    old, _ = self._images.popitem(last=False)
                    self._locks.pop(old, None)
                self._locks.pop(key, None)
            return image
