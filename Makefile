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
# five financial years (the generator's default, so every area carries a recent trend) at
# 0.12 of England per year: about the rows three years at 0.2 gave, so the demo stays near a minute
DEMO_SCALE ?= 0.12

.PHONY: demo test test-spark lint install clean-demo ui docs bench bench-c20

# Installing also prepares the dbt manifest the Dagster definitions read (they do no work on
# import; the CLI, the tests and `dagster dev` prepare it again when the dbt sources change).
install: $(STAMP)
	@$(PY) -c "from dagster_project.dbt_project import ensure_manifest; ensure_manifest()"

# A second call is instant: the venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -e '.[dev,spark]'
	touch $(STAMP)

# Generate the synthetic sample once, then run the whole pipeline on it.
demo: $(STAMP)
	@grep -qs '"files"' $(DEMO_LANDING)/SYNTHETIC.json || $(VENV)/bin/continuity generate --out $(DEMO_LANDING) --scale $(DEMO_SCALE)
	$(VENV)/bin/continuity run --landing $(DEMO_LANDING) --warehouse $(DEMO_WAREHOUSE)

test: lint
	$(PY) -m pytest

# The same dbt project on Spark (docs/scale-out.md): generate a small synthetic landing (or
# use SPARK_LANDING=<folder>), build it on DuckDB, build every model and run every test on
# Spark (dbt-spark session mode, needs Java 17), then compare every mart row by row.
SPARK_WORK ?= data/spark-check
SPARK_SCALE ?= 0.01
SPARK_LANDING ?= $(SPARK_WORK)/landing
test-spark: $(STAMP)
	@command -v java >/dev/null || { echo "make test-spark needs Java 17 (apt install openjdk-17-jre-headless)"; exit 1; }
	rm -rf $(SPARK_WORK)/duckdb $(SPARK_WORK)/spark
	@test -f $(SPARK_LANDING)/SYNTHETIC.json -o "$(SPARK_LANDING)" != "$(SPARK_WORK)/landing" || $(VENV)/bin/continuity generate --out $(SPARK_LANDING) --scale $(SPARK_SCALE)
	$(VENV)/bin/continuity spark-check --landing $(SPARK_LANDING) --work $(SPARK_WORK)

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

# Issue 6's target: the C20 chain rebuilt on the scale-10 warehouse `make bench` left behind.
bench-c20: $(STAMP)
	$(PY) benchmarks/c20_chain.py
