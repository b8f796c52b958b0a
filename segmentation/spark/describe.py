"""Profile Spark segments and write their run file, as the default engine does.

Every figure of :class:`~segmentation.Profile` (sizes, means, approximate medians, shares of
category values, the index against all customers, how strongly each column separates the
segments) comes from Spark aggregates over every row; the run file has the schema of
:func:`segmentation.run_config`, so it scores identically in every engine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..cells import number_text
from ..describe import (
    OTHER_VALUE,
    Profile,
    anova_from_sums,
    category_strength,
    code_column,
    importance_table,
    segment_names,
    share_name,
)
from ..runfile import read_run_file, run_document
from ..sql import values_sql
from ..wording import free_name
from .frames import TempView, col
from .kmeans import SparkSegmentation
from .prepare import SparkPrepared
from .score import score

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import DataFrame

__all__ = ["describe", "run_config"]


def describe(segmentation: SparkSegmentation, *, names: Sequence[str] | None = None) -> Profile:
    """Profile each segment in original units and name it, as :func:`segmentation.describe` does.

    Computed with Spark aggregates on every row: sizes, means and (approximate) medians of the
    number columns, shares of category values, the index against all customers, and how strongly
    each column separates the segments.
    """
    prepared = segmentation.prepared
    frame = prepared.table.frame
    spec = _profile_spec(prepared)
    config = run_config(segmentation, names=[f"Segment {i}" for i in range(1, segmentation.k + 1)])
    label = free_name("Segment", frame.columns)
    scored = score(frame, config, segment_column=label, name_column=None)
    with TempView(scored) as view:
        query, value_columns = values_sql(spec, view, dialect="spark", keep=[label])
        read = frame.sparkSession.sql(query).where(col(label).isNotNull())
        values, numbers, categories = _profiled(read, label, spec, value_columns)
        values = values.persist()
    used = set(prepared.columns) | {code_column(e["column"]) for e in prepared.spec["columns"] if e.get("codes")}
    try:
        profile = _profile(values, label, numbers, categories, segmentation.k, used=used)
    finally:
        values.unpersist()
    auto = segment_names(profile)
    chosen = tuple(names) if names is not None else auto
    if len(chosen) != segmentation.k:
        raise ValueError(f"names must have {segmentation.k} entries, not {len(chosen)}")
    summary = profile.summary.copy()
    summary.insert(0, "Name", list(chosen))
    return replace(profile, names=chosen, summary=summary)


def run_config(
    segmentation: SparkSegmentation,
    *,
    profile: Profile | None = None,
    names: Sequence[str] | None = None,
    transactions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run file (JSON-ready dict) in exactly the schema of :func:`segmentation.run_config`.

    Validated by :func:`segmentation.read_run_file`; it scores identically in every engine. Give
    ``transactions`` (:meth:`segmentation.spark.SparkRollup.definitions`) when the customers were
    rolled up from a log.
    """
    prepared = segmentation.prepared
    config = run_document(
        segmentation,
        table=prepared.table,
        rows=prepared.n_rows,
        preparation=json.loads(json.dumps(prepared.spec)),
        profile=profile,
        names=names,
        engine="spark",
        transactions=transactions,
    )
    read_run_file(config)  # the same validation every engine applies when reading it back
    return config


def _profile_spec(prepared: SparkPrepared) -> dict[str, Any]:
    """Every column the default engine profiles, in file order: those segmented on and those described."""
    entries = {e["column"]: e for e in (*prepared.spec["columns"], *prepared.described_spec["columns"])}
    return {"columns": [entries[r.column] for r in prepared.reports if r.column in entries]}


def _profiled(
    read: DataFrame, label: str, spec: dict[str, Any], value_columns: list[str]
) -> tuple[DataFrame, list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The values as the default engine profiles them, and which are numbers and which categories.

    Numbers without their codes; beside each number with codes, who holds which code (``"pdays
    (code)"``: ``-1`` or ``"other value"``); codes stored as numbers written as
    :func:`segmentation.cells.number_text`.

    Returns
    -------
    values : DataFrame
        The segment label and the profiled value columns.
    numbers : list of (name, value column, source column)
    categories : list of (name, value column)
    """
    from pyspark.sql import functions as F

    selected = [col(label)]
    numbers, categories = [], []
    for i, (entry, column) in enumerate(zip(spec["columns"], value_columns, strict=True)):
        value = col(column)
        if entry["kind"] == "date":
            numbers.append((f"{entry['column']} (days before latest)", column, entry["column"]))
        elif entry["kind"] == "number":
            codes = entry.get("codes", [])
            if codes:
                held = F.lit(OTHER_VALUE)
                for code in reversed(codes):
                    held = F.when(value == F.lit(float(code)), F.lit(number_text(code))).otherwise(held)
                selected.append(held.alias(f"_segmentation_code{i}"))
                categories.append((code_column(entry["column"]), f"_segmentation_code{i}"))
                value = F.when(value.isin(*codes), F.lit(None).cast("double")).otherwise(value)
            numbers.append((entry["column"], column, entry["column"]))
        else:
            categories.append((entry["column"], column))
        selected.append(value.alias(column))
    # A code's holders are profiled where the default engine lists them: among the categories, in file order.
    return read.select(*selected), numbers, categories


def _profile(
    values: DataFrame,
    label: str,
    numbers: list[tuple[str, str, str]],
    categories: list[tuple[str, str]],
    k: int,
    *,
    used: set[str],
) -> Profile:
    """The default engine's :class:`~segmentation.Profile`, from aggregates over the labelled values."""
    segment_index = pd.Index(range(1, k + 1), name="Segment")
    overall_row, by_segment = _number_aggregates(values, label, [c for _, c, _ in numbers])
    counts = np.array([by_segment[s]["n"] if s in by_segment else 0 for s in segment_index], dtype=np.float64)
    per_segment = {
        key: pd.DataFrame(
            {name: [_get(by_segment, s, f"{key}{i}") for s in segment_index] for i, (name, _, _) in enumerate(numbers)},
            index=segment_index,
        )
        for key in ("mean", "median")
    }
    crosstabs = {column: _crosstab(values, label, value_column) for column, value_column in categories}
    shares, overall_shares, share_of = _shares(crosstabs, segment_index)
    summary = pd.DataFrame(
        {"Customers": counts.astype(np.int64), "Share of customers": counts / counts.sum()}, index=segment_index
    )
    summary = pd.concat([summary, per_segment["mean"], shares], axis=1)
    summary.index.name = "Segment"

    names = [name for name, _, _ in numbers]
    number_overall = pd.Series([overall_row[f"mean{i}"] for i in range(len(numbers))], index=names, dtype=np.float64)
    number_spread = pd.Series([overall_row[f"std{i}"] for i in range(len(numbers))], index=names, dtype=np.float64)
    overall = pd.concat([number_overall, overall_shares])
    spread = pd.concat([number_spread, np.sqrt(overall_shares * (1 - overall_shares))])
    with np.errstate(divide="ignore", invalid="ignore"):
        index = 100 * summary[overall.index] / overall
    # An index (100 = average) only means something for quantities that cannot be negative.
    signed = [
        name
        for i, name in enumerate(names)
        if (overall_row[f"min{i}"] is not None and overall_row[f"min{i}"] < 0) or not number_overall[name] > 0
    ]
    index[signed] = np.nan
    importance = _importance(values, numbers, overall_row, by_segment, counts, crosstabs, used=used)
    return Profile((), summary, per_segment["median"], index, overall, spread, importance, share_of, frozenset(used))


def _number_aggregates(values: DataFrame, label: str, columns: list[str]) -> tuple[Any, dict[int, Any]]:
    """All customers' and each segment's count, mean, spread, range and median of the number columns."""
    from pyspark.sql import functions as F

    overall = values.agg(
        F.count(F.lit(1)).alias("n"),
        *[F.avg(col(c)).alias(f"mean{i}") for i, c in enumerate(columns)],
        *[F.stddev_pop(col(c)).alias(f"std{i}") for i, c in enumerate(columns)],
        *[F.min(col(c)).alias(f"min{i}") for i, c in enumerate(columns)],
        *[F.max(col(c)).alias(f"max{i}") for i, c in enumerate(columns)],
        *[F.percentile_approx(col(c), 0.5).alias(f"median{i}") for i, c in enumerate(columns)],
    ).first()
    # The importance test fills missing values with the overall median, as the default engine does.
    fills = [overall[f"median{i}"] for i in range(len(columns))]
    rows = (
        values.groupBy(label)
        .agg(
            F.count(F.lit(1)).alias("n"),
            *[F.avg(col(c)).alias(f"mean{i}") for i, c in enumerate(columns)],
            *[F.percentile_approx(col(c), 0.5).alias(f"median{i}") for i, c in enumerate(columns)],
            *[
                F.sum(F.coalesce(col(c), F.lit(fills[i]))).alias(f"sum{i}")
                for i, c in enumerate(columns)
                if fills[i] is not None
            ],
        )
        .collect()
    )
    return overall, {int(r[label]): r for r in rows}


def _crosstab(values: DataFrame, label: str, column: str) -> pd.DataFrame:
    """Customers per segment (rows) and category value (columns, sorted); missing values left out."""
    rows = values.where(col(column).isNotNull()).groupBy(label, column).count().collect()
    table = pd.DataFrame([(int(r[label]), _text(r[column]), int(r["count"])) for r in rows], columns=["s", "v", "n"])
    crosstab = table.pivot_table(index="s", columns="v", values="n", aggfunc="sum", fill_value=0)
    return crosstab.reindex(columns=sorted(crosstab.columns))


def _text(value: Any) -> str:
    """A category value as the default engine profiles it: codes stored as numbers as number_text."""
    return number_text(value) if isinstance(value, float) else str(value)


def _shares(
    crosstabs: dict[str, pd.DataFrame], segment_index: pd.Index
) -> tuple[pd.DataFrame, pd.Series, dict[str, tuple[str, str]]]:
    """Each category value's share per segment (columns ``"Region = North"``), over all customers,
    and which column and value each share counts."""
    frames, overall, share_of = [], {}, {}
    for column, crosstab in crosstabs.items():
        shares = crosstab.div(crosstab.sum(axis=1), axis=0).reindex(segment_index)
        shares.columns = [share_name(column, v) for v in crosstab.columns]
        frames.append(shares)
        share_of.update({share_name(column, v): (column, v) for v in crosstab.columns})
        totals = crosstab.sum(axis=0)
        overall.update({share_name(column, v): n / totals.sum() for v, n in totals.items()})
    frame = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=segment_index)
    return frame, pd.Series(overall, dtype=np.float64), share_of


def _importance(
    values: DataFrame,
    numbers: list[tuple[str, str, str]],
    overall_row: Any,
    by_segment: dict[int, Any],
    counts: np.ndarray,
    crosstabs: dict[str, pd.DataFrame],
    *,
    used: set[str],
) -> pd.DataFrame:
    """How strongly each column separates the segments: ANOVA F (eta) for numbers, chi² (Cramér's V)."""
    from pyspark.sql import functions as F

    present = [s for s in range(1, len(counts) + 1) if counts[s - 1] > 0]
    groups, sizes, n_total = len(present), counts[np.asarray(present, dtype=np.int64) - 1], counts.sum()
    grand = {
        i: sum(_get(by_segment, s, f"sum{i}") for s in present) / n_total
        for i in range(len(numbers))
        if overall_row[f"median{i}"] is not None
    }
    squares = None
    if grand:
        squares = values.agg(
            *[
                F.sum(F.pow(F.coalesce(col(numbers[i][1]), F.lit(overall_row[f"median{i}"])) - F.lit(g), 2)).alias(
                    f"sq{i}"
                )
                for i, g in grand.items()
            ]
        ).first()
    rows = []
    for i, (name, _, source) in enumerate(numbers):
        if i not in grand or groups < 2 or overall_row[f"min{i}"] == overall_row[f"max{i}"]:
            continue
        means = np.array([_get(by_segment, s, f"sum{i}") for s in present]) / sizes
        between = float((sizes * (means - grand[i]) ** 2).sum())
        total = float(squares[f"sq{i}"])
        if total <= 0 or total - between <= 0:
            continue
        rows.append((name, source in used, "ANOVA F", *anova_from_sums(sizes, means, grand[i], total)))
    for column, crosstab in crosstabs.items():
        if groups < 2 or crosstab.shape[1] < 2:
            continue
        rows.append((column, column in used, "chi-squared", *category_strength(crosstab)))
    return importance_table(rows)


def _get(rows: dict[int, Any], segment: int, key: str) -> float:
    row = rows.get(segment)
    value = None if row is None else row[key]
    return np.nan if value is None else float(value)
