"""Section 3: each chart's render time, in this process, against an empty chart of the same size.

The render *count* (once per chart and data version, across 1,000 requests) is measured over
HTTP in bench_1_slack.py; this file times the renderer itself and checks that repeated renders
do not grow the process (figures and PNG buffers are released).
"""

from __future__ import annotations

import gc
import os
import statistics
import time

from tests.bench.harness import RESULTS, ms, rss_mb

CHARTS = ("gap", "holdings", "holdings:china", "europe", "buying", "refinancing", "gold", "shock:eu 20%",
          "shock:china 10% pause")
REPEATS = 3
LEAK_RENDERS = 20


def empty_chart() -> bytes:
    """The floor: a styled 1200×675 figure with one line, drawn and PNG-encoded."""
    from handlers.charts.style import new_figure, to_png

    fig, ax = new_figure("Baseline", "an empty chart of the same size and style")
    ax.plot([0, 1], [0, 1])
    return to_png(fig)


def test_render_times():
    from bot.pipeline.load import default_data_dir, load_datasets
    from handlers.charts import render

    datasets = load_datasets(default_data_dir())
    empty_chart()  # first draw loads fonts: not part of any chart's time
    baseline = statistics.median(_time(empty_chart) for _ in range(REPEATS))
    for key in CHARTS:
        times = [_time(lambda key=key: render(key, datasets)) for _ in range(REPEATS)]
        median = statistics.median(times)
        RESULTS.add("3 charts", f"render {key} (median of {REPEATS}; PNG {len(render(key, datasets)) // 1024} KB)",
                    ms(median), baseline=f"empty chart {ms(baseline)}", ratio=median / baseline)

    # Leak check: the same chart drawn again and again must not grow the process.
    for _ in range(3):
        render("holdings", datasets)
    gc.collect()  # whatever earlier sections left behind must not be freed in the middle of this
    before = rss_mb(os.getpid())
    for _ in range(LEAK_RENDERS):
        render("holdings", datasets)
    gc.collect()
    growth = rss_mb(os.getpid()) - before
    # A leak grows with every render; judged against the process's own size (no absolute megabytes).
    share = growth / before
    RESULTS.add("3 charts", f"RSS growth over {LEAK_RENDERS} more renders of one chart", f"{growth:+.1f} MB",
                baseline=f"RSS before {before:.0f} MB", ratio=f"{share:+.1%}", target="≤ 5 % (no figure leak)",
                ok=share <= 0.05)
    assert share <= 0.05, f"{growth:+.1f} MB over {LEAK_RENDERS} renders"


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_load_time_against_reading_the_files():
    """Every start loads and validates every data file (types, units, hashes, identities). Its cost
    against the floor — pandas reading the same CSVs with no checks — moved here from a timed test
    in the suite, where a busy machine made it fail."""
    import json

    import pandas as pd

    from bot.pipeline.load import default_data_dir, load_datasets

    folder = default_data_dir()
    paths = [folder / r["path"] for r in json.loads((folder / "datapackage.json").read_text())["resources"]]

    def timed(work) -> float:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    load = min(timed(lambda: load_datasets(folder)) for _ in range(5))
    floor = min(timed(lambda: [pd.read_csv(p) for p in paths]) for _ in range(5))
    RESULTS.add("3 charts", f"load and validate all {len(paths)} data files (best of 5)", ms(load),
                baseline=f"pandas read_csv alone {ms(floor)}", ratio=load / floor, target="≤ 10× the reads",
                ok=load <= 10 * floor)
    assert load <= 10 * floor  # 7× when measured: hashing, typed reads and the checks
