"""A real, small Spark standalone cluster on this machine, from the installed pyspark package:
a master and one worker (separate JVMs started by `bin/spark-class`, bounded memory) and the
Thrift server (pipelines/spark_server.py) submitted to that master. A development tool for
`make test-spark-cluster` and the benchmarks: `with local_cluster(folder) as cluster:` gives
the Thrift host and port, and stops every process it started when the block ends, whether it
ends normally, by an exception or by SIGTERM/SIGINT.

Each process is started in its own process group (the worker's executors and their Python
workers, the server's driver JVM and Python are children in the same groups), so stopping
kills exactly those groups: SIGTERM, then SIGKILL after a grace period, then a check that
no process of them is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

MASTER_MEMORY = "512m"  # the master and worker daemons' own heaps
WORKER_MEMORY = "1536m"  # what the worker offers its executors
EXECUTOR_MEMORY = "1g"
DRIVER_MEMORY = "1g"  # the Thrift server's driver
CORES = 2
# The check's statements are many and small (docs/scale-out.md, "The cluster check's cost"):
# every JVM compiles with C1 only and collects with the serial collector, since C2's compiler
# threads and G1's background threads cost more CPU than they returned; the driver ignores
# System.gc(), which the Hive metastore (DataNucleus) calls whenever it finalises a
# persistence-manager factory (a full collection each time, dozens a minute), and has room
# for the code C1 compiles.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
DRIVER_JVM_OPTIONS = "-XX:+DisableExplicitGC -XX:ReservedCodeCacheSize=128m"
SMALL_STATEMENTS_CONF = {
    "spark.executor.extraJavaOptions": JVM_OPTIONS,
    # tables of a few thousand rows: interpreting a plan costs less than compiling it
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
STARTUP_SECONDS = 180


class ClusterError(RuntimeError):
    """A cluster process did not start: the message names it and ends with its log."""


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class LocalCluster:
    folder: Path
    env: dict[str, str] = field(default_factory=dict)  # the children's environment
    # tuned for many small statements (the check); False keeps the JVM's and Spark's defaults,
    # for a benchmark at volume (benchmarks/spark_cluster.py)
    small: bool = True
    master_port: int = 0
    thrift_port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def metastore(self) -> Path:
        return self.folder / "metastore_db"

    @property
    def warehouse_dir(self) -> Path:
        return self.folder / "spark-warehouse"

    def _start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - the child holds it
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder, start_new_session=True
        )
        log.close()
        self.processes[name] = process
        return process

    def _wait_for(self, name: str, port: int, marker: str | None = None) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        log = self.folder / f"{name}.log"
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                break
            if (port and _listening(port)) or (marker and marker in log.read_text(errors="replace")):
                return
            time.sleep(0.5)
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ClusterError(f"the Spark {name} did not start (log {log}):\n{tail}")

    def start(self) -> LocalCluster:
        self.folder = self.folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        home = spark_home()
        base = {
            **self.env,
            "SPARK_HOME": str(home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOCAL_DIRS": str(self.folder / "local"),
            "SPARK_WORKER_DIR": str(self.folder / "worker"),
            "SPARK_DAEMON_MEMORY": MASTER_MEMORY,
            "SPARK_NO_DAEMONIZE": "1",
            "PYSPARK_PYTHON": sys.executable,
        }
        if self.small:
            base["SPARK_DAEMON_JAVA_OPTS"] = JVM_OPTIONS  # the master and the worker
        spark_class = str(home / "bin" / "spark-class")
        self.master_port, master_ui = free_port(), free_port()
        self._start(
            "master",
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
            + ["--port", str(self.master_port), "--webui-port", str(master_ui)],
            base,
        )
        self._wait_for("master", self.master_port)
        worker_ui = free_port()
        self._start(
            "worker",
            [spark_class, "org.apache.spark.deploy.worker.Worker", self.master_url, "--host", "127.0.0.1"]
            + ["--cores", str(CORES), "--memory", WORKER_MEMORY, "--webui-port", str(worker_ui)],
            base,
        )
        self._wait_for("worker", 0, "Successfully registered with master")
        self.thrift_port = free_port()
        conf = {
            "spark.sql.hive.thriftServer.singleSession": "true",
            "spark.hadoop.hive.server2.thrift.port": str(self.thrift_port),
            "spark.hadoop.hive.server2.thrift.bind.host": "127.0.0.1",
            "spark.sql.warehouse.dir": str(self.warehouse_dir),
            "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={self.metastore};create=true",
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.folder}",
            "spark.executor.memory": EXECUTOR_MEMORY,
            "spark.cores.max": str(CORES),
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.session.timeZone": "UTC",
            "spark.pyspark.python": sys.executable,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        }
        if self.small:
            conf |= SMALL_STATEMENTS_CONF
            conf["spark.driver.extraJavaOptions"] += f" {JVM_OPTIONS} {DRIVER_JVM_OPTIONS}"
        command = [str(home / "bin" / "spark-submit"), "--master", self.master_url, "--driver-memory", DRIVER_MEMORY]
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        import pipelines.spark_server

        command.append(pipelines.spark_server.__file__)
        self._start("thrift", command, base)
        self._wait_for("thrift", self.thrift_port)
        return self

    def stop(self, grace: float = 20.0) -> list[str]:
        """Stop every process group started, newest first; the names of any left alive."""
        for process in reversed(list(self.processes.values())):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            while _group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.5)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        return [name for name, p in self.processes.items() if _group_alive(p.pid)]


@contextlib.contextmanager
def local_cluster(folder: Path, env: dict[str, str] | None = None, small: bool = True):
    """A started LocalCluster, stopped when the block ends (also on an exception or a
    SIGTERM, which is turned into an exception here); `small`: tuned for many small
    statements (LocalCluster.small)."""
    from pipelines.settings import child_environment

    cluster = LocalCluster(Path(folder), env=dict(child_environment() if env is None else env), small=small)

    def terminated(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        cluster.start()
        yield cluster
    finally:
        left = cluster.stop()
        signal.signal(signal.SIGTERM, previous)
        if left:
            print(f"Spark processes still alive after stopping: {', '.join(left)}", file=sys.stderr)
        else:
            print("Spark cluster stopped: no process of it is left.", flush=True)


def leftover_processes(cluster: LocalCluster) -> list[str]:
    """`ps` lines of processes in the process groups the cluster started (its JVMs, executors
    and Python workers): none once it is stopped."""
    groups = {str(p.pid) for p in cluster.processes.values()}
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,args="], capture_output=True, text=True, check=False).stdout
    return [line.strip()[:160] for line in out.splitlines() if line.split()[1:2] and line.split()[1] in groups]


def lake_without_duckdb(warehouse: Path, lake: Path) -> list[str]:
    """Problems with the cluster run's raw layer: every raw row must be in the lake, none in
    the DuckDB warehouse (its raw tables empty, the lake's files holding what loaded_files says)."""
    import duckdb
    import pyarrow.parquet as pq

    from pipelines.contract import EXTRACTS

    problems = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loaded = dict(con.execute("select extract, sum(rows_loaded) from raw.loaded_files group by extract").fetchall())
        for extract in EXTRACTS:
            in_duckdb = con.execute(f"select count(*) from raw.{extract.name}").fetchall()[0][0]
            files = sorted((lake / "raw" / extract.name).glob("extract_date=*/*.parquet"))
            in_lake = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            if in_duckdb:
                problems.append(f"raw.{extract.name} holds {in_duckdb} rows in DuckDB")
            if in_lake != (loaded.get(extract.name) or 0):
                problems.append(
                    f"the lake holds {in_lake} {extract.name} rows, loaded_files says {loaded.get(extract.name)}"
                )
    finally:
        con.close()
    return problems


def cluster_check(landing: str, work: Path) -> int:
    """`make test-spark-cluster`: the full_refresh job with dbt on DuckDB and, beside it, on
    the local Spark cluster over Thrift (`--dbt-target spark_thrift`, the raw rows in the
    lake), then every mart, every publication table (open and partner) and every table of the
    open tier's marts.duckdb compared. The cluster is stopped before the comparison. 0 when
    all agree, the lake holds the raw rows and no cluster process is left; else 1."""
    from pipelines.dbt_runner import ensure_manifest
    from pipelines.dev.spark_check import (
        SparkCheckError,
        check_environment,
        compare_warehouses,
        report_comparison,
        start_run,
        wait_for_runs,
    )

    started = time.monotonic()
    ensure_manifest()  # once, before two processes would both parse into target/
    env = check_environment()
    cluster_dir = (work / "cluster").resolve()
    runs, warehouses, cluster = {}, {}, None
    warehouses["duckdb"], runs["duckdb"] = start_run(landing, work, "duckdb", env)
    try:
        with local_cluster(cluster_dir, env) as cluster:
            print(
                f"Spark cluster up after {time.monotonic() - started:.0f} s: master {cluster.master_url}, "
                f"Thrift 127.0.0.1:{cluster.thrift_port}",
                flush=True,
            )
            on_cluster = {
                **env,
                "CONTINUITY_SPARK_HOST": "127.0.0.1",
                "CONTINUITY_SPARK_PORT": str(cluster.thrift_port),
                # the Thrift server runs statements side by side; on a small landing each one
                # mostly waits on Spark's per-statement overhead, so four at once
                "CONTINUITY_SPARK_THREADS": env.get("CONTINUITY_SPARK_THREADS", "4"),
            }
            warehouses["spark_thrift"], runs["spark_thrift"] = start_run(landing, work, "spark_thrift", on_cluster)
            wait_for_runs(runs, work, started)
    finally:
        for process, log in runs.values():  # a failed start: no run outlives the check
            if process.poll() is None:
                process.terminate()
                process.wait()
            log.close()
    left = leftover_processes(cluster) if cluster is not None else []
    print(f"Processes of the cluster's {len(cluster.processes) if cluster else 0} process groups left: {len(left)}")
    for line in left:
        print(f"  left running: {line}")
    thrift = warehouses["spark_thrift"]
    lake = [] if not left else ["processes left"]
    lake += lake_without_duckdb(thrift, thrift.parent / "lake")
    for problem in lake:
        print(f"  lake: {problem}")
    print("Every mart and publication table, DuckDB build against the cluster's:", flush=True)
    results = compare_warehouses(warehouses["duckdb"], thrift, ("marts", "publication", "partner"))
    results.update(
        {
            f"open tier {name}": value
            for name, value in compare_warehouses(
                warehouses["duckdb"].parent / "published" / "marts.duckdb",
                thrift.parent / "published" / "marts.duckdb",
                ("main",),
            ).items()
        }
    )
    failed = report_comparison(results)
    print(f"make test-spark-cluster: {time.monotonic() - started:.0f} s in all")
    if not results:
        raise SparkCheckError("nothing was compared")
    return 1 if failed or lake or left else 0
