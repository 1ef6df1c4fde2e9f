# customer-mdm. `make demo` and `make test` work on a fresh clone with nothing installed by hand.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3.11
UV := $(PYTHON) -m uv
export UV_COMPILE_BYTECODE := 1
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup demo test test-fast lint lock i18n system-deps bench clean

## setup: create .venv and install the project with its locked dependencies (nothing else)
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	$(UV) venv -q --allow-existing $(VENV) --python $(PYTHON)
	$(UV) pip install -q --python $(BIN)/python -r requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@mkdir -p $(DAGSTER_HOME) && cp -n pipelines/dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true
	@touch $@

## demo: generate the demo data and run one complete nightly run on it
demo: setup
	$(BIN)/mdm demo

## test: lint, type-check and run the whole test suite
test: setup lint
	$(BIN)/pytest -n 2 --dist loadgroup

## test-fast: the suite without tests marked slow or browser
test-fast: setup
	$(BIN)/pytest -n 2 -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

## lock: re-resolve requirements.lock (commit it on its own, after the whole suite passes)
lock:
	$(UV) pip compile -q pyproject.toml --extra dev -o requirements.lock

## i18n: extract the steward app's strings, update the French catalogue and compile it (commit the
## .pot, .po and .mo; a test fails when a string lacks its French or the .mo lags behind the .po)
LOCALES := mdm/web/locale
i18n: setup
	$(BIN)/pybabel --quiet extract -F mdm/web/babel.cfg --no-location --sort-output --omit-header -o $(LOCALES)/messages.pot .
	test -f $(LOCALES)/fr/LC_MESSAGES/messages.po || $(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l fr
	$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete -i $(LOCALES)/messages.pot -d $(LOCALES) -l fr
	$(BIN)/pybabel compile -d $(LOCALES) -l fr --statistics

## system-deps: Debian packages the browser and PostgreSQL tests need (run as root, as CI does)
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null

## bench: the whole pipeline on 1,000,000 generated records, full then incremental (docs/benchmarks.md)
## (BENCH_ARGS="--records 100000" for a quicker run)
bench: setup
	$(BIN)/python benchmarks/bench_pipeline.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .dagster_home .pytest_cache .mypy_cache .ruff_cache
