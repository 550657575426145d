"""Chart renderers: `render(key, datasets) -> PNG bytes`, one per topic, each drawn from one table.

Keys are the ones `ChartRef.key` carries: ``gap``, ``holdings``, ``holdings:<holder>``,
``europe``, ``buying``, ``refinancing``, ``gold`` and ``shock:<scenario>`` (`handlers.topics.shock.scenario_text`).
Each chart's numbers are computed once, as a `handlers.charts.data.ChartData` (through the same
functions the text reply uses, so the picture never disagrees with the words); the drawer in
`handlers.charts.topics` and the CSV writer (`handlers.csvdata`) both read that one value.
`bot.serving.chart_cache.ChartCache` calls `render` at most once per key and data version.
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
    """The PNG of chart ``key``; `UnknownChart` for a name no chart has."""
    png: bytes = load().render(key, datasets)
    return png
