"""Chart renderers: `render(key, datasets) -> PNG bytes`, one per topic.

Keys are the ones `ChartRef.key` carries: ``gap``, ``holdings``, ``holdings:<holder>``,
``europe``, ``buying``, ``refinancing``, ``gold`` and ``shock:<scenario>`` (`handlers.topics.shock.scenario_text`).
Each renderer recomputes its numbers through the same functions the text reply uses, so the
picture can never disagree with the words. `bot.serving.chart_cache.ChartCache` calls this at most once per
key and data version.
"""

from __future__ import annotations

from types import ModuleType

from handlers.datasets import Datasets


class UnknownChart(KeyError):
    pass


def load() -> ModuleType:
    """The renderers' module, imported on first use rather than with this package: importing
    matplotlib was about a third of `reset-bot serve`'s start-up (BENCHMARKS.md, section 5).
    `bot.runtime` calls this on a background thread as the server starts."""
    from handlers.charts import topics

    return topics


def render(key: str, datasets: Datasets) -> bytes:
    name, _, args = key.partition(":")
    renderer = load().RENDERERS.get(name)
    if renderer is None:
        raise UnknownChart(f"no chart called {name!r}")
    png: bytes = renderer(datasets, *(args.split(":") if args else ()))
    return png
