"""The command line's Spark engine (``--engine spark``): its session, and the segment command on it."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from .cli_parser import separator
from .errors import DataError
from .wording import one_line

__all__ = ["engine", "prepared", "session"]


def engine():
    """:mod:`segmentation.spark`, or a DataError saying how to install it."""
    import warnings

    # PySpark 4.3 warns that pandas 3 is "not fully supported"; the engine converts nothing with pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark  # noqa: F401 - only to tell a missing install apart
    except ImportError:
        raise DataError(
            "The Spark engine needs pyspark and Java: pip install -r requirements-spark.txt "
            "(and a Java runtime, e.g. apt-get install openjdk-17-jre-headless)."
        ) from None
    from . import spark

    return spark


def prepared(args: argparse.Namespace, spark_session, options: dict):
    """The file of ``args`` read and prepared by the Spark engine, with the command's prep ``options``."""
    spark = engine()
    table = spark.read(spark_session, args.file, sep=separator(args.sep), encoding=args.encoding)
    return spark.prepare(table, **options)


@contextlib.contextmanager
def session(args: argparse.Namespace):
    """The active SparkSession (e.g. under spark-submit or in tests), or a new one stopped at the end."""
    # Said before Spark takes its half minute to start.
    location = str(getattr(args, "file", ""))
    if location and "://" not in location and not Path(location).exists():
        raise DataError(f"There is no file at '{location}'. Check the path and try again.")
    out = getattr(args, "out", None)
    if out is not None and "://" not in str(out) and Path(out).exists():
        raise DataError(f"'{out}' already exists; choose a new path for the results (Spark writes a folder).")
    engine()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = SparkSession.builder.appName("segmentation").config("spark.ui.showConsoleProgress", "false")
    if args.spark_master:
        builder = builder.master(args.spark_master)
    try:
        with java_output_silenced():
            session = builder.getOrCreate()
    except Exception as error:  # noqa: BLE001 - pyspark raises a generic error when Java cannot start
        raise DataError(f"Spark could not start ({one_line(error, 200)}). Is Java installed?") from None
    try:
        yield session
    finally:
        session.stop()


@contextlib.contextmanager
def java_output_silenced():
    """Start the Spark JVM with its stdout and stderr on /dev/null.

    The CLI's stdout carries the JSON and its stderr only ``error:`` lines; Spark's JVM prints start-up
    notices and log lines to both. The JVM inherits the file descriptors open when it starts, so
    they point to /dev/null for just that moment (Spark's own errors still reach Python as exceptions).
    """

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
