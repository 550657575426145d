# The two commands of the README: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@touch $@

run: $(STAMP)
	@$(BIN)/reset-bot

# Lint and types first (seconds), then the suite in 4 processes: its tests wait on sockets,
# subprocesses and schedulers far more than they compute, so 4 share 2 cores well.
test: lint
	$(BIN)/python -m pytest -n 4 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check bot handlers metrics tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider -s

clean:
	rm -rf $(VENV) build *.egg-info
