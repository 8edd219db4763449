"""Stopping the local Spark cluster of `make test-spark-cluster` (pipelines/dev/spark_cluster.py)
leaves no process behind: checked on a stand-in process group (a shell and its child), as the
cluster's JVMs and their executors are started. The cluster itself runs in `make test-spark-cluster`."""

from pipelines.dev.spark_cluster import LocalCluster, leftover_processes
from pipelines.settings import child_environment


def test_stopping_kills_every_process_of_every_group_started(tmp_path):
    cluster = LocalCluster(tmp_path)
    # a parent and the child it starts, like the worker and its executor JVM
    cluster._start("worker", ["bash", "-c", "sleep 300 & sleep 300; wait"], child_environment())
    cluster._start("thrift", ["sleep", "300"], child_environment())
    import time

    deadline = time.monotonic() + 10
    while len(leftover_processes(cluster)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(leftover_processes(cluster)) == 4  # bash, its two sleeps, and the other sleep
    assert cluster.stop(grace=5) == []
    assert leftover_processes(cluster) == []
