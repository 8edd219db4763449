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

.PHONY: demo test lint install clean-demo

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

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines dagster_project tests benchmarks

clean-demo:
	rm -rf $(DEMO_LANDING) warehouse
