# The two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
Q := $(if $(V),,@)
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

DEMO_LANDING := data/landing
DEMO_WAREHOUSE := warehouse/continuity.duckdb
# five financial years (the generator's default, so every area carries a recent trend) at
# 0.12 of England per year: about the rows three years at 0.2 gave, so the demo stays near a minute
DEMO_SCALE ?= 0.12

.PHONY: demo test test-spark test-spark-cluster lint install install-spark clean-demo ui docs bench bench-c20 bench-cluster

# Installing also prepares the dbt manifest the Dagster definitions read (they do no work on
# import; the CLI, the tests and `dagster dev` prepare it again when the dbt sources change).
install: $(STAMP)
	@$(PY) -c "from dagster_project.dbt_project import ensure_manifest; ensure_manifest()"

# A second call is instant: the venv is synced again only when pyproject.toml or uv.lock
# changes. Versions come from uv.lock (`uv lock` after changing pyproject.toml); the Spark
# extra is installed only by `make install-spark` and the Spark checks. One line on the screen (make V=1 shows the
# commands).
UV_SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --quiet --frozen --inexact --compile-bytecode --extra dev
SPARK_STAMP := $(VENV)/.spark-stamp
$(STAMP): pyproject.toml uv.lock
	@echo "Installing into $(VENV) (once, or when pyproject.toml or uv.lock changes)"
	$(Q)test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(Q)$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(Q)$(UV_SYNC)
	$(Q)touch $(STAMP)

install-spark: $(SPARK_STAMP)
$(SPARK_STAMP): $(STAMP)
	$(Q)$(UV_SYNC) --extra spark
	$(Q)touch $(SPARK_STAMP)

demo: $(STAMP)
	@grep -qs '"files"' $(DEMO_LANDING)/SYNTHETIC.json || $(VENV)/bin/continuity generate --out $(DEMO_LANDING) --scale $(DEMO_SCALE)
	$(VENV)/bin/continuity run --landing $(DEMO_LANDING) --warehouse $(DEMO_WAREHOUSE) $(DEMO_ARGS)

test: lint
	$(PY) -m pytest

# The same dbt project on Spark (docs/scale-out.md): generate a small synthetic landing (or
# use SPARK_LANDING=<folder>), build it on DuckDB, build every model and run every test on
# Spark (dbt-spark session mode, needs Java 17), then compare every mart row by row.
SPARK_WORK ?= data/spark-check
SPARK_SCALE ?= 0.01
SPARK_LANDING ?= $(SPARK_WORK)/landing
test-spark: $(SPARK_STAMP)
	@command -v java >/dev/null || { echo "make test-spark needs Java 17 (apt install openjdk-17-jre-headless)"; exit 1; }
	rm -rf $(SPARK_WORK)/duckdb $(SPARK_WORK)/spark
	@test -f $(SPARK_LANDING)/SYNTHETIC.json -o "$(SPARK_LANDING)" != "$(SPARK_WORK)/landing" || $(VENV)/bin/continuity generate --out $(SPARK_LANDING) --scale $(SPARK_SCALE)
	$(VENV)/bin/continuity spark-check --landing $(SPARK_LANDING) --work $(SPARK_WORK)

# The whole run on a real Spark cluster (docs/scale-out.md): a standalone master, one worker
# and the Thrift server started from the installed pyspark package (1.5 GB for executors, 1 GB
# driver, 512 MB each daemon), the job run with `--dbt-target spark_thrift` (the loader writes
# the raw lake, dbt builds on the cluster) beside the same job on DuckDB, every mart and
# publication table compared; every cluster process is stopped, also when the check fails.
CLUSTER_WORK ?= data/spark-cluster-check
CLUSTER_LANDING ?= $(CLUSTER_WORK)/landing
test-spark-cluster: $(SPARK_STAMP)
	@command -v java >/dev/null || { echo "make test-spark-cluster needs Java 17 (apt install openjdk-17-jre-headless)"; exit 1; }
	rm -rf $(CLUSTER_WORK)/duckdb $(CLUSTER_WORK)/spark_thrift $(CLUSTER_WORK)/cluster
	@test -f $(CLUSTER_LANDING)/SYNTHETIC.json -o "$(CLUSTER_LANDING)" != "$(CLUSTER_WORK)/landing" || $(VENV)/bin/continuity generate --out $(CLUSTER_LANDING) --scale $(SPARK_SCALE)
	$(VENV)/bin/continuity spark-check --cluster --landing $(CLUSTER_LANDING) --work $(CLUSTER_WORK)

# SQL with sqlfluff's dbt templater (.sqlfluff: the house style's rules); dbt compiles
# against a scratch warehouse under target/ (.sqlfluff's dbt vars), never the user's.
lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines dagster_project tests benchmarks
	$(VENV)/bin/ruff format --check pipelines dagster_project tests benchmarks
	@mkdir -p target && $(VENV)/bin/sqlfluff lint models --processes 2 --nocolor; status=$$?; \
		rm -f target/lint.duckdb target/lint.duckdb.wal; exit $$status

clean-demo:
	rm -rf $(DEMO_LANDING) warehouse

# The Dagster UI on http://127.0.0.1:3000 with a persistent instance under .dagster_home
# (telemetry off, the DuckDB pool limited to 1, one run at a time). UI_PORT reaches the code
# location too, so alerts link to this UI (pipelines/settings.py).
UI_PORT ?= 3000
export UI_PORT
ui: $(STAMP)
	mkdir -p .dagster_home && cp dagster_home/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p $(UI_PORT)

# The dbt docs site as one offline HTML file (built against the demo warehouse).
docs: $(STAMP)
	@test -f $(DEMO_WAREHOUSE) || $(MAKE) demo
	CONTINUITY_WAREHOUSE=$(CURDIR)/$(DEMO_WAREHOUSE) $(VENV)/bin/continuity-dbt docs generate --static --profiles-dir . --quiet
	@echo "dbt docs: $(CURDIR)/target/static_index.html"

# Benchmarks (benchmarks/run.py): scales 1, 10 and 30 (several hours, tens of GB of disk),
# every target of docs/benchmarks.md computed and appended there, newest last. A quick look:
# BENCH_ARGS="--scales 0.05 --repeats 1 --out /tmp/bench.md"; --resume reuses finished scales.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) benchmarks/run.py $(BENCH_ARGS)

# One scale-1 run on the local Spark cluster over Thrift beside DuckDB (benchmarks/spark_cluster.py,
# the landing `make bench` generates), appended to docs/benchmarks.md: the cluster path's overhead.
bench-cluster: $(SPARK_STAMP)
	$(PY) benchmarks/spark_cluster.py $(BENCH_CLUSTER_ARGS)

# The C20 chain's speed target: the C20 models rebuilt on the scale-10 warehouse `make bench` left behind.
bench-c20: $(STAMP)
	$(PY) benchmarks/c20_chain.py
