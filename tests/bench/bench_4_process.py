"""Sections 5 and 6 on the real command: `reset-bot serve` as a subprocess.

5. Cold start: from spawning `reset-bot serve` (fresh state dir: SQLite schema created, datasets
   loaded, auth.test called) to its port accepting connections and to GET /healthz answering 200.
   Baselines, started alternately with it: the bare Bolt + waitress app, and `python -c "import
   slack_bolt"`.
6. Memory: VmRSS of the serve process after start and after every 250 of 2,000 answered
   commands (bursts of 50; a new shock scenario in each burst keeps the renderer busy, so a
   leaked figure or buffer would show). "Flat" is judged after the first 500 commands, by which
   time every chart of the mix is cached and the interpreter's pools are warm: RSS at 2,000 may
   not exceed RSS at 500 by more than 10 MB. Baseline: the bare app's RSS after start and after
   2,000 acknowledgements.
"""

from __future__ import annotations

import statistics
import subprocess
import time

from tests.bench.harness import COMMANDS, PYTHON, RESET_BOT, RESULTS, SlackApp, answered, ask
from tests.bench.slackproc import fanout_channel

STARTS = 5
MEMORY_COMMANDS = 2000
BURST = 50
FLAT_SHARE = 0.05  # growth allowed from 500 to 2,000 commands, as a share of the RSS at 500 (was < 10 MB of ≈ 180)
WARM = 500
SAMPLE_EVERY = 250


def test_cold_start(slack_standin):
    serve, bare, imports, listening = [], [], [], []
    for _ in range(STARTS):
        app = SlackApp([RESET_BOT, "serve"], slack_standin, "serve-cold")
        try:
            app.wait_healthy()
            serve.append(app.healthy_after)
            listening.append(app.listening_after)
        finally:
            app.stop()
        base = SlackApp([PYTHON, "-m", "tests.bench.bareproc"], slack_standin, "bare-cold")
        try:
            bare.append(base.wait_healthy().healthy_after)
        finally:
            base.stop()
        t0 = time.perf_counter()
        subprocess.run([PYTHON, "-c", "import slack_bolt"], check=True)
        imports.append(time.perf_counter() - t0)
    median, bare_median = statistics.median(serve), statistics.median(bare)
    RESULTS.add("5 start", f"`reset-bot serve` → port listening (median of {STARTS})",
                f"{statistics.median(listening):.2f} s", baseline=f"bare Bolt+waitress {bare_median:.2f} s")
    RESULTS.add("5 start", f"`reset-bot serve` → /healthz 200 (median of {STARTS}; max {max(serve):.2f} s)",
                f"{median:.2f} s", baseline=f"bare Bolt+waitress {bare_median:.2f} s", ratio=median / bare_median)
    RESULTS.add("5 start", "`python -c \"import slack_bolt\"` (second baseline)",
                f"{statistics.median(imports):.2f} s")


def test_memory(slack_standin):
    slack = slack_standin
    slack.reset()
    app = SlackApp([RESET_BOT, "serve"], slack, "serve-memory").wait_healthy()
    bare = SlackApp([PYTHON, "-m", "tests.bench.bareproc"], slack, "bare-memory").wait_healthy()
    try:
        time.sleep(1.0)  # let the first sync and the background chart import finish
        rss = {0: app.rss_mb()}
        bare_rss = {0: bare.rss_mb()}
        channels = [fanout_channel(i) for i in range(BURST)]
        for b in range(MEMORY_COMMANDS // BURST):
            texts = [COMMANDS[(b + i) % len(COMMANDS)] for i in range(BURST)]
            texts[0] = f"shock china {b + 1}%"  # a new chart each burst: renders keep happening
            answered(app, slack, texts, channels=channels)
            ask(bare, slack, texts)
            done = (b + 1) * BURST
            if done % SAMPLE_EVERY == 0:
                rss[done] = app.rss_mb()
                bare_rss[done] = bare.rss_mb()
                slack.reset()
    finally:
        app.stop()
        bare.stop()
    peak, last = max(rss.values()), rss[MEMORY_COMMANDS]
    shown = " → ".join(f"{v:.0f}" for n, v in rss.items() if n % 500 == 0)
    RESULTS.add("6 memory", "RSS after start", f"{rss[0]:.0f} MB", baseline=f"bare Bolt {bare_rss[0]:.0f} MB",
                ratio=rss[0] / bare_rss[0])
    RESULTS.add("6 memory", f"RSS after {MEMORY_COMMANDS:,} answered commands ({shown} MB every 500; peak {peak:.0f})",
                f"{last:.0f} MB", baseline=f"bare Bolt {bare_rss[MEMORY_COMMANDS]:.0f} MB",
                ratio=last / bare_rss[MEMORY_COMMANDS])
    growth, bare_growth = last - rss[WARM], bare_rss[MEMORY_COMMANDS] - bare_rss[WARM]
    RESULTS.add("6 memory", f"RSS growth from command {WARM:,} to {MEMORY_COMMANDS:,} "
                f"({(MEMORY_COMMANDS - WARM) // BURST} new charts drawn)",
                f"{growth:+.1f} MB",
                baseline=f"RSS at command {WARM:,} {rss[WARM]:.0f} MB (bare Bolt {bare_growth:+.1f} MB)",
                ratio=f"{growth / rss[WARM]:+.1%}", target=f"flat: ≤ {FLAT_SHARE:.0%}",
                ok=growth / rss[WARM] <= FLAT_SHARE)
    assert growth / rss[WARM] <= FLAT_SHARE, f"{growth:+.1f} MB from command {WARM} on"
