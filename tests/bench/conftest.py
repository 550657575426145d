"""Benchmarks: collected only when this folder is named on the command line (`make bench`).

`make test` runs plain `pytest` (testpaths `tests` and `metrics`, with --doctest-modules), which
walks into this folder too; the hook below ignores everything here unless the run was aimed at
it, so the normal suite neither runs nor imports a benchmark. The files are called `bench_*.py`
and are collected as test modules only when targeted:

    .venv/bin/python -m pytest tests/bench -p no:cacheprovider -s       # = make bench
    .venv/bin/python -m pytest tests/bench/bench_4_process.py -s        # one section

Every section adds rows to one table, printed at the end of the run with the machine it ran on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent


def _targeted(config: pytest.Config) -> bool:
    root = Path(config.invocation_params.dir)
    for arg in config.args:
        path = (root / arg.split("::", 1)[0]).resolve()
        if path == BENCH_DIR or BENCH_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name == "conftest.py":
        return None
    return None if _targeted(config) else True


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_") and _targeted(parent.config)
            and not parent.session.isinitpath(file_path)):  # a file named on the command line is collected anyway
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    from tests.bench.harness import RESULTS, machine

    if not _targeted(config) or not RESULTS.rows:
        return
    text = "\n".join([machine(), "", RESULTS.table(), *(f"\n{n}" for n in RESULTS.notes)])
    terminalreporter.write_sep("=", "Reset Bot benchmarks")
    terminalreporter.write_line(text)
    out = os.environ.get("BENCH_RESULTS")
    if out:
        Path(out).write_text(text + "\n")


# ---- shared processes ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def slack_standin():
    """FakeSlack in its own process with the general channel and 1,000 more for the fan-out."""
    from tests.bench.harness import SlackStandIn

    standin = SlackStandIn(channels=1000)
    yield standin
    standin.stop()
