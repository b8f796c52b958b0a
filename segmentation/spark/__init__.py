"""Segment customers with Apache Spark: the same preparation, segments and run file, for tables of any size.

For tens or hundreds of millions of customers in a data lake. A data engineer calls it from their own
``SparkSession`` (this package never starts a cluster; ``pyspark`` is imported inside the functions,
so ``import segmentation`` works without it)::

    from segmentation import spark as sgs
    table = sgs.read(spark, "s3a://lake/customers/")     # CSV or Parquet
    prepared = sgs.prepare(table, weighting="balanced")  # kinds, roles, codes, log scales, weights
    segments = sgs.fit(prepared, 5)                      # pyspark.ml KMeans, numbered by size
    config = sgs.run_config(segments)                    # the run file (JSON), as the app writes it
    sgs.write(sgs.score(table.frame, config), "s3a://lake/segments.parquet")

A transaction log is rolled up to one row per customer first, with the default engine's definitions::

    log = sgs.read(spark, "s3a://lake/orders/")
    rolled = sgs.roll_up(log, customer="Customer ID", date="Order Date", amount="Sales", order="Order No")
    prepared = sgs.prepare(rolled.table)                 # one row per customer

One stage per module, as in :mod:`segmentation`: ``read`` (CSV and Parquet in), ``prepare`` (kinds,
roles, codes, log scales, scaling and weights), ``kmeans`` (``sweep`` and ``fit``), ``describe`` (profiles and ``run_config``),
``score`` (``score``, ``score_summary``, ``write``), ``rollup`` (``roll_up``, ``log_columns``); ``frames`` holds the Spark plumbing they share.
"""

from .describe import describe, run_config
from .kmeans import KMEANS_MAX_ITER, KMEANS_TOL, SparkSegmentation, fit, sweep
from .prepare import SAMPLE_ROWS, SparkPrepared, prepare
from .read import SNIFF_BYTES, SparkTable, read
from .rollup import HEAD_ROWS, MAX_DISTINCT, SparkRollup, log_columns, roll_up
from .score import score, score_summary, write

__all__ = [
    "HEAD_ROWS",
    "KMEANS_MAX_ITER",
    "KMEANS_TOL",
    "MAX_DISTINCT",
    "SAMPLE_ROWS",
    "SNIFF_BYTES",
    "SparkPrepared",
    "SparkRollup",
    "SparkSegmentation",
    "SparkTable",
    "describe",
    "fit",
    "log_columns",
    "prepare",
    "read",
    "roll_up",
    "run_config",
    "score",
    "score_summary",
    "sweep",
    "write",
]
