"""The command line's Spark engine (``--engine spark``): its session, and reading a file as customers on it.

A transaction log is rolled up as with the default engine (:func:`segmentation.spark.roll_up`, the
same definitions); it is recognised on its first rows (:data:`segmentation.spark.HEAD_ROWS`) by the
default engine's rule, so ``--customer`` and ``--date`` make sure of it on a log whose start is
unusual. ``--out-transactions`` runs with the default engine only (refused before Spark starts).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import replace
from pathlib import Path

from .cli_parser import separator
from .cli_transactions import log_options
from .customers import customer_options
from .errors import DataError
from .wording import one_line

__all__ = ["engine", "log_json", "prepared", "session"]


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
    """The file of ``args`` read by the Spark engine, rolled up when it is a log, and prepared with ``options``.

    Returns
    -------
    prepared : SparkPrepared
    rollup : SparkRollup or None
        The roll-up, when the file was taken as a log.
    """
    spark = engine()
    table = spark.read(spark_session, args.file, sep=separator(args.sep), encoding=args.encoding)
    columns = spark.log_columns(table, **log_options(args).options())
    if columns is None:
        return spark.prepare(table, **options), None
    rollup = spark.roll_up(table, **columns.options(), as_of=args.as_of)
    rollup = replace(rollup, columns=columns)  # with the reasons each column was found
    chosen, notes = customer_options(
        rollup.table.columns[1:], missing=rollup.missing, n_customers=rollup.n_customers, **options
    )
    result = spark.prepare(rollup.table, **chosen)
    return replace(result, notes=(*result.notes, *notes)), rollup


def log_json(rollup) -> dict:
    """``{"transactions": {...}}`` as the default engine's JSON has it, or ``{}`` for a customer file."""
    return {} if rollup is None else {"transactions": rollup.definitions()}


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
