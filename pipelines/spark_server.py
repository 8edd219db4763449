"""The Spark Thrift server the `spark_thrift` dbt target talks to, with the person-key function.

Submitted to a Spark cluster's master as a PySpark application (`spark-submit --master
spark://host:7077 pipelines/spark_server.py`; `pipelines/dev/spark_cluster.py` does it for
`make test-spark-cluster`): it starts a Hive-enabled session (the metastore and warehouse its
Spark configuration names), registers the pseudonymous person key as the SQL function
`continuity_person_key` (the same Python HMAC function as every engine's,
pipelines/pseudonymise.py, with the key of CONTINUITY_PSEUDO_KEY or of CONTINUITY_WAREHOUSE's
key file), and serves that session over Thrift (`HiveThriftServer2`). The session must be
shared by every connection (`spark.sql.hive.thriftServer.singleSession=true`): a function
registered in the driver's session is not visible in per-connection sessions.

The key never appears in SQL, in the metastore or in a log: it travels to the executors
inside the function, as in session mode.
"""

from __future__ import annotations

import signal
import sys
import threading


def serve() -> None:
    from pyspark.sql import SparkSession

    from pipelines.settings import Settings
    from pipelines.spark import register_person_key

    spark = SparkSession.builder.appName("continuity-thrift").enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    if spark.conf.get("spark.sql.hive.thriftServer.singleSession", "false") != "true":
        sys.exit("spark.sql.hive.thriftServer.singleSession must be true: the person-key function lives in one session")
    register_person_key(spark, Settings.from_env())
    jvm = spark.sparkContext._jvm
    jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(spark._jsparkSession.sqlContext())
    print("continuity Thrift server started", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    spark.stop()


if __name__ == "__main__":
    serve()
