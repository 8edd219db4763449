"""A tiny code location for the crash test (tests/e2e/test_crash_recovery.py): one asset in the
warehouse pool with the full_refresh job's retry tag. Its first run writes its process id and
waits to be killed; the retry finds that file and succeeds."""

import os
import time
from pathlib import Path

import dagster as dg

from dagster_project.automation import full_refresh_job
from pipelines.settings import WAREHOUSE_POOL


@dg.asset(pool=WAREHOUSE_POOL)
def killed_once(context: dg.AssetExecutionContext) -> None:
    work = Path(os.environ["CRASH_TEST_DIR"])
    if not (work / "worker.pid").exists():
        (work / "worker.pid").write_text(str(os.getpid()))
        time.sleep(300)  # the test kills this process here
    (work / "done").write_text(context.run_id)


crash_job = dg.define_asset_job(
    "killed_once_job", selection=[killed_once], executor_def=dg.in_process_executor, tags=full_refresh_job.tags
)
defs = dg.Definitions(assets=[killed_once], jobs=[crash_job])
