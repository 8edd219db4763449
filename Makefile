# The two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

DEMO_LANDING := data/landing
DEMO_WAREHOUSE := warehouse/continuity.duckdb
DEMO_SCALE ?= 0.2

.PHONY: demo test lint install clean-demo ui docs bench

install: $(STAMP)

# A second call is instant: the venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -e '.[dev]'
	touch $(STAMP)

# Generate the synthetic sample once, then run the whole pipeline on it.
demo: $(STAMP)
	@test -f $(DEMO_LANDING)/SYNTHETIC.json || $(VENV)/bin/continuity generate --out $(DEMO_LANDING) --scale $(DEMO_SCALE)
	$(VENV)/bin/continuity run --landing $(DEMO_LANDING) --warehouse $(DEMO_WAREHOUSE)

test: lint
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines dagster_project tests benchmarks
	$(VENV)/bin/ruff format --check pipelines dagster_project tests benchmarks

clean-demo:
	rm -rf $(DEMO_LANDING) warehouse

# The Dagster UI on http://127.0.0.1:3000 with a persistent instance under .dagster_home
# (telemetry off, the DuckDB pool limited to 1, one run at a time).
UI_PORT ?= 3000
ui: $(STAMP)
	mkdir -p .dagster_home && cp dagster_home/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p $(UI_PORT)

# The dbt docs site as one offline HTML file (built against the demo warehouse).
docs: $(STAMP)
	@test -f $(DEMO_WAREHOUSE) || $(MAKE) demo
	CONTINUITY_WAREHOUSE=$(CURDIR)/$(DEMO_WAREHOUSE) CONTINUITY_DEV_KEY_OK=1 $(VENV)/bin/dbt docs generate --static --profiles-dir . --quiet
	@echo "dbt docs: $(CURDIR)/target/static_index.html"

# Benchmarks (benchmarks/run.py): scale 1 and 10, appended to docs/benchmarks.md.
# BENCH_ARGS="--with-30" adds scale 30; BENCH_ARGS="--scales 1 --repeats 1" for a quick look.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) benchmarks/run.py $(BENCH_ARGS)
