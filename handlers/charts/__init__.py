"""Chart renderers: `render(key, datasets) -> PNG bytes`, one per topic.

Keys are the ones `ChartRef.key` carries: ``gap``, ``holdings``, ``holdings:<holder>``,
``europe``, ``buying``, ``refinancing``, ``gold`` and ``shock:<holder>:<percent>:<mode>``.
Each renderer recomputes its numbers through the same functions the text reply uses, so the
picture can never disagree with the words. `bot.charts.ChartCache` calls this at most once per
key and data version.
"""

from __future__ import annotations

from handlers.charts import topics
from handlers.datasets import Datasets


class UnknownChart(KeyError):
    pass


def render(key: str, datasets: Datasets) -> bytes:
    name, _, args = key.partition(":")
    renderer = topics.RENDERERS.get(name)
    if renderer is None:
        raise UnknownChart(f"no chart called {name!r}")
    return renderer(datasets, *(args.split(":") if args else ()))
