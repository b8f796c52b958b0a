"""Scoring: put new customers into the segments of a run file, with NumPy and no scikit-learn state.

:func:`apply_spec` turns new customers into features with a run file's fitted preparation (tests
check it gives the very matrix the segments were fitted on), and :func:`score` reads a new file the
way the fit read it, assigns each row its nearest segment and says what the user should know
(unseen values, unreadable cells, numbers that look like another unit). The SQL and Spark engines
mirror it and word their notes with :func:`unseen_note` and :func:`units_note`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cells import lenient_numbers, number_text
from .columns import truth
from .errors import DataError
from .load import Table, load_table
from .nearest import assign
from .runfile import RunModel, read_run_file
from .score_log import file_kind_hint, roll_up_new_log
from .transactions import COUNTED_COLUMNS, Rollup
from .wording import clipped, number, quoted

__all__ = ["Scored", "apply_spec", "flag_meanings", "score", "units_note", "unseen_note"]


def apply_spec(values: pd.DataFrame, spec: dict[str, Any]) -> np.ndarray:
    """Turn new customers into features with a preparation spec.

    Parameters
    ----------
    values : DataFrame
        One column per spec column, in original units: numbers as floats (NaN for missing), dates
        as datetimes, categories and flags as text (missing allowed), as
        :attr:`segmentation.Prepared.values` holds them. A number's codes may be in it or already
        missing, with a 0/1 column per code named like its feature. Category values never seen in
        the fit encode as all zeros.
    spec : dict
        From :func:`segmentation.runfile.preparation_spec` (or a run file's ``"preparation"``).

    Returns
    -------
    ndarray of shape (n_rows, n_features)
    """
    blocks = []
    for entry in spec["columns"]:
        series = values[entry["column"]]
        if entry["kind"] in {"number", "date"}:
            flags = []
            if entry["kind"] == "date":
                latest = pd.Timestamp(entry["latest"])
                x = ((latest - pd.to_datetime(series)).dt.total_seconds() / 86_400.0).to_numpy(dtype=np.float64)
            else:
                x = series.to_numpy(dtype=np.float64, na_value=np.nan)
                codes = entry.get("codes", [])
                names = (entry.get("features") or [entry["column"]])[1:] + [None] * len(codes)
                for code, feature in zip(codes, names, strict=False):
                    held = x == code
                    if feature is not None and feature in values.columns:
                        held |= values[feature].to_numpy(dtype=np.float64, na_value=0.0) == 1.0
                    flags.append(held.astype(np.float64))
                    x = np.where(held, np.nan, x)
                if entry.get("log_unit") is not None:
                    x = np.log(1.0 + np.maximum(x, 0.0) / entry["log_unit"])
            if entry.get("clip") is not None:
                x = np.clip(x, entry["clip"][0], entry["clip"][1])
            x = np.where(np.isnan(x), entry["fill"], x)
            blocks.append(np.column_stack([x, *flags]))
        else:
            text = series.astype(object).where(series.notna(), entry["fill"]).astype(str).to_numpy()
            blocks.append(np.column_stack([(text == value).astype(np.float64) for value in entry["encoded"]]))
    encoded = np.hstack(blocks) if blocks else np.empty((len(values), 0))
    scaler = spec["scaler"]
    # One formula for every scaler (min-max included), so the SQL and Spark engines can mirror it.
    center = np.asarray(scaler["center"], dtype=np.float64)
    scale = np.asarray(scaler["scale"], dtype=np.float64)
    return (encoded - center) / scale


@dataclass(frozen=True)
class Scored:
    """New customers put into the segments of a run file.

    Attributes
    ----------
    table : Table
        The new customers, every row: the new file as read, or a new log's roll-up (one row per
        customer: the customer ID and the derived columns).
    labels : ndarray of int
        Segment of each row of ``table``, ``1..k``; ``0`` when the row has no value in any model column.
    distance : ndarray of float
        Distance to the segment's centre in the scaled space (NaN when not segmented).
    names : tuple of str
        Segment names, segment 1 first.
    notes : tuple of str
        What the user should know: for a log how it was rolled up (the as-of date used first after
        its size), then unseen category values, unreadable cells, rows not segmented.
    rollup : Rollup or None
        When the run file was made from a log: the new log's roll-up (``rollup.table`` is ``table``).
    log : Table or None
        When the run file was made from a log: the new log as loaded, one row per order line.
    """

    table: Table
    labels: np.ndarray
    distance: np.ndarray
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    rollup: Rollup | None = None
    log: Table | None = None

    @property
    def sizes(self) -> tuple[int, ...]:
        """Customers per segment, segment 1 first."""
        return tuple(int(c) for c in np.bincount(self.labels, minlength=len(self.names) + 1)[1:])


def score(
    data: Table | pd.DataFrame | bytes | str | Path,
    model: RunModel | dict[str, Any],
    *,
    as_of: str | Date | datetime | pd.Timestamp | None = None,
) -> Scored:
    """Put new customers into the segments of a run file, with the same preparation.

    When the run file was made from a transaction log (:attr:`RunModel.transactions`), the new
    data is a log too: it is rolled up with the run file's columns
    (:func:`segmentation.score_log.roll_up_new_log`), then its customers are scored as the rows of
    a customer file are.

    Parameters
    ----------
    data : Table, DataFrame, bytes, str or Path
        The new customers (or the new log): a loaded table, a DataFrame, or a file's bytes or path.
    model : RunModel or dict
        A run file (validated with :func:`read_run_file` when a dict is given).
    as_of : str or date, optional
        For a log: the day the days are counted to (``"2024-06-30"``); by default the new log's
        last date, never the run file's. The notes say which day was used.

    Returns
    -------
    Scored

    Raises
    ------
    DataError
        If a model column (or a column of the run file's log) is missing from the new file, a
        number/date column now holds text, or an as-of date is given for a customer file's segments.

    Examples
    --------
    >>> import segmentation as sg
    >>> table = sg.load_table(b"Spend,Visits\\n1,2\\n2,1\\n50,40\\n52,41\\n")
    >>> segmentation = sg.fit(sg.prepare(table), 2)
    >>> model = sg.run_config(segmentation)
    >>> score(b"Visits,Spend\\n39,51\\n1,1\\n", model).labels.tolist()
    [2, 1]
    """
    if not isinstance(model, RunModel):
        model = read_run_file(model)
    if isinstance(data, Table):
        table = data
    elif isinstance(data, pd.DataFrame):
        table = Table.from_frame(data)
    else:
        table = load_table(data, min_rows=1)  # one new customer can be scored
    if model.transactions is None:
        if as_of is not None:
            raise DataError(
                "An as-of date counts the days of a transaction log, but these segments were made from a customer "
                "file (one row per customer). Drop the as-of date."
            )
        return _score_customers(table, model)
    rollup, notes = roll_up_new_log(
        table, model.transactions, model_columns=model.columns, as_of=as_of, spec=model.spec
    )
    scored = _score_customers(rollup.table, model)
    return Scored(
        table=rollup.table,
        labels=scored.labels,
        distance=scored.distance,
        names=scored.names,
        notes=(*notes, *scored.notes),
        rollup=rollup,
        log=table,
    )


def _score_customers(table: Table, model: RunModel) -> Scored:
    """Each row of a customer table put into the nearest segment."""
    missing = [c for c in model.columns if c not in table.columns]
    if missing:
        raise DataError(
            f"The new file has no column {quoted(missing)}, which the segments were made from. "
            f"Its columns are: {quoted(table.columns)}. Rename the columns to match, or make new segments."
            + file_kind_hint(table)
        )
    values, notes = _model_values(table, model)
    present = values.notna().any(axis=1).to_numpy()
    labels = np.zeros(table.n_rows, dtype=np.int64)
    distance = np.full(table.n_rows, np.nan)
    if present.any():
        X = apply_spec(values.loc[present], model.spec)
        nearest, squared = assign(X, model.centers)
        labels[present] = nearest + 1
        distance[present] = np.sqrt(squared)
    if (~present).any():
        notes.append(
            f"{int((~present).sum()):,} row(s) have no value in any of the model's columns; "
            "they stay in the download with an empty Segment."
        )
    return Scored(table=table, labels=labels, distance=distance, names=model.names, notes=tuple(notes))


def _model_values(table: Table, model: RunModel) -> tuple[pd.DataFrame, list[str]]:
    """The new file's model columns in original units, read the way the fit read them, and the notes."""
    values, notes = {}, []
    for entry in model.spec["columns"]:
        column, kind = entry["column"], entry["kind"]
        series = table.frame[column]
        if kind == "number":
            if pd.api.types.is_numeric_dtype(series):
                numbers = series.astype("float64")
                bad = pd.Series(False, index=series.index)
            else:
                numbers, _, bad = lenient_numbers(series, decimal=table.decimal)
            present = int(series.notna().sum())
            if present and bad.sum() > 0.5 * present:
                example = series[bad].iloc[0]
                raise DataError(
                    f"Column '{column}' held numbers when the segments were made, but in this file it "
                    f"holds text (e.g. '{example}' in row {int(np.flatnonzero(bad.to_numpy())[0]) + 1:,}). "
                    "Check that it is the same column."
                )
            if bad.any():
                notes.append(
                    f"Column '{column}' has {int(bad.sum()):,} cell(s) that are not numbers; treated as missing."
                )
            numbers = numbers.where(np.isfinite(numbers))
            amounts = numbers.mask(numbers.isin(entry.get("codes", [])))  # "-1 = never" is no amount
            # A log's days and order counts are rolled up by the run file's own definitions: their unit
            # cannot differ, and a far median means a shorter history, which the roll-up's notes say.
            counted = model.transactions is not None and column in COUNTED_COLUMNS
            if amounts.notna().any() and not counted:
                note = units_note(entry, float(amounts.median()))
                if note:
                    notes.append(note)
            values[column] = numbers  # codes included: apply_spec turns them into their flags
        elif kind == "date":
            text = series.astype("str") if not pd.api.types.is_numeric_dtype(series) else series.astype(str)
            dates = pd.to_datetime(text, format=entry.get("date_format") or None, errors="coerce")
            bad = series.notna() & dates.isna()
            if series.notna().sum() and bad.sum() > 0.5 * series.notna().sum():
                raise DataError(
                    f"Column '{column}' held dates when the segments were made, but most of its values "
                    f"here are not dates in the same format (e.g. '{series[bad].iloc[0]}')."
                )
            values[column] = dates
        else:
            text = _category_text(table, column, entry)
            unseen = text.notna() & ~text.isin(entry["categories"])
            if unseen.any():
                counts = text[unseen].value_counts()
                examples = list(zip(counts.index[:4], counts.iloc[:4].tolist(), strict=True))
                notes.append(unseen_note(entry, examples, total=int(unseen.sum()), distinct=len(counts)))
                if kind == "flag":
                    # A yes/no column is one 0/1 feature, so an unseen value would encode as 0, the
                    # first known value, and silently count as it: it counts as missing instead.
                    text = text.where(~unseen)
            # In a category, an unseen value encodes as a 0 for every known value (what scikit-learn's
            # OneHotEncoder(handle_unknown="ignore") does): distinct from all of them, so it stays.
            values[column] = text
    return pd.DataFrame(values, index=table.raw.index), notes


def _category_text(table: Table, column: str, entry: dict[str, Any]) -> pd.Series:
    """A category or flag column of a new file as the text the fit compared: numbers written alike,
    and a yes/no flag's values matched by meaning (``TRUE``, ``yes``, ``1`` are one answer)."""
    series = table.frame[column]
    if entry.get("numbers"):
        numbers = series if pd.api.types.is_numeric_dtype(series) else lenient_numbers(series, decimal=table.decimal)[0]
        text = numbers.map(number_text, na_action="ignore").astype("str")
        # A value that is not a number stays as written (and is then unseen).
        text = text.where(numbers.notna(), series.astype("str").where(series.notna()))
    elif pd.api.types.is_numeric_dtype(series):
        text = table.raw[column].str.strip().where(series.notna())
    else:
        text = series.astype("str").where(series.notna())
    meaning = flag_meanings(entry)
    if meaning:
        truths = text.map(truth, na_action="ignore")
        # 1.00 and 0.0 (a warehouse's DECIMAL or DOUBLE) are yes and no too, as the SQL reads them.
        as_number = pd.to_numeric(text, errors="coerce").map({1.0: True, 0.0: False})
        truths = truths.where(truths.notna(), as_number)
        known = truths.notna() & ~text.isin(entry["categories"])
        text = text.mask(known, truths.map(meaning))
    return text


def flag_meanings(entry: dict[str, Any]) -> dict[bool, str]:
    """For a flag whose two values read as yes and no, which value is yes and which is no; else {}.

    Examples
    --------
    >>> flag_meanings({"kind": "flag", "categories": ["No", "Yes"]})
    {False: 'No', True: 'Yes'}
    >>> flag_meanings({"kind": "flag", "categories": ["Female", "Male"]})
    {}
    """
    if entry["kind"] not in {"flag", "yes/no"}:
        return {}
    meanings = {truth(value): value for value in entry["categories"]}
    return meanings if set(meanings) == {False, True} else {}


def unseen_note(entry: dict[str, Any], examples: list[tuple[str, int]], *, total: int, distinct: int) -> str:
    """The note for values of a yes/no or category column that were not seen in the fit.

    Shared by the engines, so they word it alike.

    Parameters
    ----------
    entry : dict
        The column's entry in the preparation spec.
    examples : list of (value, count)
        The most frequent unseen values with their number of rows, most frequent first.
    total : int
        Cells holding an unseen value.
    distinct : int
        Different unseen values.

    Returns
    -------
    str

    Examples
    --------
    >>> entry = {"column": "Gender", "kind": "flag", "fill": "Female", "categories": ["Female", "Male"]}
    >>> note = unseen_note(entry, [("unknown", 3)], total=3, distinct=1)
    >>> "'unknown' (3 rows)" in note, note.endswith("filled with 'Female', as empty cells are.")
    (True, True)
    """
    listed = ", ".join(f"'{clipped(value, 40)}' ({n:,} row{'s' if n > 1 else ''})" for value, n in examples)
    if distinct > len(examples):
        listed += f" and {distinct - len(examples):,} other value(s)"
    head = (
        f"Column '{entry['column']}' has {total:,} cell(s) with values not seen when the segments were made: {listed}; "
    )
    if entry["kind"] in {"flag", "yes/no"}:
        return head + f"they count as missing and are filled with '{entry['fill']}', as empty cells are."
    categories = entry["categories"]
    known = quoted(clipped(c, 40) for c in categories[:6]) + (", ..." if len(categories) > 6 else "")
    return (
        head + f"those customers count as having none of the known values ({known}), rather than the most common one."
    )


def units_note(entry: dict[str, Any], median: float) -> str | None:
    """A warning when a number column's median in a new file is far from the data the segments were made from.

    Far means more than 10 times the median the segments were made from, or less than a tenth of
    it, or beyond its lowest..highest values (``entry["range"]``, when the run file has it) by more
    than their distance: the usual sign of another unit, such as dollars where the segments were
    made on thousands of dollars.

    Parameters
    ----------
    entry : dict
        The column's entry in the preparation spec (``"fill"`` is the median it was fitted with, on
        the log scale when it has a ``"log_unit"``).
    median : float
        The column's median in the new file, without its codes.

    Returns
    -------
    str or None
        The note, or None when the numbers look like the ones the segments were made from.

    Examples
    --------
    >>> entry = {"column": "Income (k$)", "fill": 60.0, "range": [15.0, 140.0]}
    >>> units_note(entry, 61.0) is None, units_note(entry, 61_500.0)[:40]
    (True, "Column 'Income (k$)' has a median of 61,")
    """
    typical = float(entry["fill"])
    if entry.get("log_unit") is not None:
        # Back to the column's own units: the log scale keeps the order of values, so the median too.
        typical = float(entry["log_unit"]) * float(np.expm1(typical))
    seen = entry.get("range")
    far = typical != 0 and not abs(typical) / 10 <= abs(median) <= 10 * abs(typical)
    # Beyond the range by more than its own width: older customers than any seen are no reason.
    span = 0.0 if seen is None else seen[1] - seen[0]
    outside = seen is not None and not seen[0] - span <= median <= seen[1] + span
    if not (far or outside):
        return None
    then = f"median {number(typical)}" + (f", from {number(seen[0])} to {number(seen[1])}" if seen else "")
    return (
        f"Column '{entry['column']}' has a median of {number(median)} in this file, far from the numbers the "
        f"segments were made from ({then}). Check that it is in the same unit (e.g. dollars, not thousands of "
        "dollars): its customers were put into segments as if it were, which may be wrong."
    )
