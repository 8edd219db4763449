"""Development tools, never imported by the runtime: the synthetic generator, the fault
injector and the DuckDB-against-Spark engine comparison (`make test-spark`). The runtime
(`pipelines/*.py`, `dagster_project/`) may reach them only from inside a CLI command."""
