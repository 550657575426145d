"""Fixtures of the `bot.serving` tests: no test may reach the network, and the data folder as
shipped a month earlier (see `tests.bot.pipeline.publishers`)."""

from tests.bot.pipeline.publishers import march_baseline, no_network

__all__ = ["march_baseline", "no_network"]
