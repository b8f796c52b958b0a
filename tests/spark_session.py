"""The one SparkSession the Spark tests share, in ``local[2]`` (Spark takes 15-30 s to start).

Import the fixture into a test module (``from spark_session import spark_session``); tests ask for
``spark``. Without pyspark or Java the tests skip and say why; on CI (``CI=true``) they fail
instead, since .ci/run installs both.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

__all__ = ["spark_session"]


def _missing_requirement() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -r requirements-spark.txt)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session", name="spark")
def spark_session():
    reason = _missing_requirement()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The Spark tests must run on CI: {reason}")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("segmentation-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        # On a few hundred rows compiling Spark's generated code costs more than running it: evaluate
        # expressions directly (the benchmark runs the compiled path on 10 million rows).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
