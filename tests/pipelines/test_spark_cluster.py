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


def _started_commands(tmp_path, monkeypatch, small: bool) -> dict[str, tuple[list[str], dict[str, str]]]:
    """What start() would launch, each process's command and environment, without a JVM."""
    started = {}
    monkeypatch.setattr(LocalCluster, "_start", lambda self, name, command, env: started.update({name: (command, env)}))
    monkeypatch.setattr(LocalCluster, "_wait_for", lambda self, *a, **k: None)
    monkeypatch.setattr("pipelines.dev.spark_cluster.spark_home", lambda: tmp_path)
    LocalCluster(tmp_path, small=small).start()
    return started


def test_the_checks_cluster_is_tuned_for_small_statements_and_a_benchmarks_is_not(tmp_path, monkeypatch):
    small = _started_commands(tmp_path, monkeypatch, small=True)
    assert set(small) == {"master", "worker", "thrift"}
    thrift = " ".join(small["thrift"][0])
    # the metastore's System.gc() calls ignored in the driver, C1 and the serial collector everywhere
    assert "-XX:+DisableExplicitGC" in thrift and "-XX:ReservedCodeCacheSize=128m" in thrift
    assert "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" in thrift
    assert "spark.sql.codegen.wholeStage=false" in thrift
    assert small["master"][1]["SPARK_DAEMON_JAVA_OPTS"] == "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    at_volume = _started_commands(tmp_path, monkeypatch, small=False)
    thrift = " ".join(at_volume["thrift"][0])
    assert "-XX" not in thrift and "codegen" not in thrift
    assert "SPARK_DAEMON_JAVA_OPTS" not in at_volume["worker"][1]
