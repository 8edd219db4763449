import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def pytest_sessionstart(session):
    """`dbt parse` once, before the xdist workers start: the Dagster definitions read the
    manifest, and two workers parsing into the same target/ at once could read half a file."""
    if not hasattr(session.config, "workerinput"):
        from pipelines.dbt_runner import ensure_manifest

        ensure_manifest()
