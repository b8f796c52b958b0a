"""Score customers where they already live: a run file as one SQL ``SELECT``.

A segmentation chosen in the app on a sample must reach every customer in the warehouse with the
same result as :func:`segmentation.score`. :func:`scoring_sql` turns a run file into one ``SELECT``
that returns every column of a table plus ``Segment`` and ``Segment name``, computed in SQL from the
fitted preparation and the nearest centre, step by step as :func:`segmentation.scoring.apply_spec`
does (see :func:`scoring_sql`). Dialects: DuckDB, PostgreSQL, BigQuery, Snowflake and Spark SQL,
each spelled by :mod:`segmentation.sql_dialects`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .columns import NO_SPELLINGS, YES_SPELLINGS
from .errors import DataError
from .log_dates import day_number, day_text
from .runfile import RunModel, read_run_file
from .scoring import flag_meanings
from .sql_dialects import Dialect, quote_table, text_missing
from .sql_rollup import rollup_columns, rollup_ctes, rollup_header

__all__ = [
    "NOT_SEGMENTED",
    "assignment_sql",
    "features_sql",
    "scoring_sql",
    "timestamp_sql",
    "values_sql",
]

#: The segment name of rows that have no value in any model column (as in the labelled CSV).
NOT_SEGMENTED = "Not segmented (no values)"

_MICROS_PER_SECOND = 1_000_000
_SECONDS_PER_DAY = 86_400
_SPELLINGS = {True: YES_SPELLINGS, False: NO_SPELLINGS}


def scoring_sql(
    model: RunModel | dict[str, Any],
    table: str,
    *,
    dialect: str = "duckdb",
    columns: Sequence[str] | None = None,
    segment_column: str = "Segment",
    name_column: str = "Segment name",
    distance_column: str | None = None,
    as_of: str | None = None,
) -> str:
    """One ``SELECT`` putting every row of ``table`` into the segments of a run file.

    When the run file was made from a transaction log (:attr:`segmentation.RunModel.transactions`),
    ``table`` holds order lines: the query rolls them up to one row per customer with the
    definitions of :func:`segmentation.roll_up` (see :mod:`segmentation.sql_rollup`), then scores
    the customers, and opens with a comment saying the as-of date used.

    Parameters
    ----------
    model : RunModel or dict
        A run file (validated with :func:`segmentation.read_run_file` when a dict is given).
    table : str
        The table (or view) to score, e.g. ``"customers"`` or ``"analytics.crm.customers"``. Each
        dot-separated part that is not a plain name (letters, digits, ``_``) is quoted.
    dialect : {"duckdb", "postgres", "bigquery", "snowflake", "spark"}, default "duckdb"
    columns : sequence of str, optional
        The table's columns, when known: they are listed by name in the result. Otherwise the query
        returns ``*`` without its helper columns (PostgreSQL: a ``LATERAL`` subquery).
    segment_column, name_column : str
        Names of the added columns.
    distance_column : str, optional
        Also return each row's distance to its segment's centre (scaled units) under this name.
    as_of : str, optional
        For a log: the day the days are counted to (any layout a log's dates take); by default the
        run file's as-of date.

    Returns
    -------
    str
        The query. For a log: one row per customer, the customer ID (trimmed text) and the
        derived columns of :data:`segmentation.transactions.DERIVED_COLUMNS`, then the segment. ``Segment`` is an integer from 1 to K, ``NULL`` when the row has no value in any
        model column; ``Segment name`` is the run file's name of the segment.

    Raises
    ------
    DataError
        If the run file is not valid or a value cannot be written in SQL (a NUL character).

    Notes
    -----
    The query mirrors :func:`segmentation.scoring.apply_spec` step by step (imputation constants,
    clipping, days before the latest date, one-hot categories, scaling), with SQL's notion of a
    missing value:

    * number: the value cast to a double; ``NULL``, text that does not cast and non-finite values are
      missing (the Python loader's lenient reading of ``$12`` or ``1,234`` is not repeated in SQL);
    * date: ``DATE``/``TIMESTAMP`` columns as they are, text parsed with the run file's date format;
      then days before the fitted latest date, computed from microseconds exactly as pandas does;
    * number with codes: a code (``-1`` for "never") counts as missing and is a 0/1 feature of its
      own; with a ``log_unit`` the number is ``LN(1 + max(x, 0) / unit)`` before clipping and filling;
    * category: the text with surrounding white space removed; the cells the file loader reads as
      missing (``''``, ``NA``, ``n/a``, ``null``, ...) are missing too; values never seen in the fit
      encode as all zeros; codes stored as numbers (``"numbers": true``) compare as numbers;
    * yes/no column whose values read as yes and no: by meaning, so a ``BOOLEAN``, ``1``/``0``,
      ``1.0``/``1.00`` and text (``Yes``, ``TRUE``, ``y`` ...) are one answer; a value the fit never
      saw counts as missing;
    * clip, fill, then ``(x - center) / scale`` per feature, with every constant computed in Python
      beforehand so SQL performs the same floating-point operations as NumPy;
    * the nearest centre by squared Euclidean distance, ties to the lowest segment number (NumPy's
      ``argmin``); rows with no value in any model column get a ``NULL`` Segment.

    DuckDB and Spark SQL are tested for real (``tests/test_sql.py``, ``tests/test_spark.py``); the
    PostgreSQL (16 or later), BigQuery and Snowflake texts are tested by inspection only.

    Examples
    --------
    >>> import segmentation as sg
    >>> table = sg.load_table(b"Spend,Visits\\n1,2\\n2,1\\n50,40\\n52,41\\n")
    >>> sql = scoring_sql(sg.run_config(sg.fit(sg.prepare(table), 2)), "customers")
    >>> sql.splitlines()[-1]
    'FROM "_seg4cad419c_nearest"'
    """
    if not isinstance(model, RunModel):
        model = read_run_file(model)
    if model.transactions is None and as_of is not None:
        raise DataError(
            "An as-of date counts the days of a transaction log, but these segments were made from a customer file "
            "(one row per customer). Drop the as-of date."
        )
    day = None if model.transactions is None else day_text(day_number(as_of or model.transactions["as_of"]))
    query = assignment_sql(
        model.spec,
        model.centers,
        table,
        dialect=dialect,
        names=model.names,
        columns=columns,
        segment_column=segment_column,
        name_column=name_column,
        distance_column=distance_column,
        transactions=model.transactions,
        as_of=day,
    )
    if model.transactions is None:
        return query
    header = rollup_header(model.transactions, table, as_of=day, given=as_of is not None, file_name=model.file_name)
    return header + query


def assignment_sql(
    spec: dict[str, Any],
    centers: np.ndarray,
    table: str,
    *,
    dialect: str = "duckdb",
    names: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    segment_column: str = "Segment",
    name_column: str | None = "Segment name",
    distance_column: str | None = None,
    transactions: dict[str, Any] | None = None,
    as_of: str | None = None,
) -> str:
    """:func:`scoring_sql` from a preparation spec and centres (segment 1 first) directly.

    The Spark engine uses it for centres that are not in a run file yet (during the search).
    ``name_column=None`` leaves the names out. With ``transactions`` (a run file's block),
    ``table`` holds order lines, rolled up to customers as of ``as_of`` (``yyyy-mm-dd``) first.
    """
    d = replace(Dialect.named(dialect), helpers=helper_prefix(spec))
    before = []
    source = quote_table(table, dialect=d.name)
    if transactions is not None:
        before = rollup_ctes(transactions, table, d, as_of=as_of or transactions["as_of"])
        source = d.identifier(before[-1][0])
        columns = rollup_columns(transactions)  # listed by name: the customers, never "*" of the log
    centers = np.asarray(centers, dtype=np.float64)
    features = _feature_expressions(spec, d)
    if centers.ndim != 2 or centers.shape[1] != len(features):
        raise ValueError(f"centers must have shape (k, {len(features)}), not {centers.shape}")
    k = centers.shape[0]
    names = list(names) if names is not None else [f"Segment {i}" for i in range(1, k + 1)]

    distances = []
    for j, center in enumerate(centers, start=1):
        terms = []
        for (feature, _), value in zip(features, center, strict=True):
            delta = f"({d.identifier(feature)} - {d.number(value)})"
            terms.append(f"{delta} * {delta}")
        distances.append((f"{d.helpers}d{j}", "\n      + ".join(terms)))
    nearest = d.least([d.identifier(name) for name, _ in distances])
    if k == 1:
        segment = "1"
    else:
        whens = " ".join(f"WHEN {d.identifier(name)} THEN {j}" for j, (name, _) in enumerate(distances, start=1))
        segment = f"CASE {nearest} {whens} END"
    present = d.identifier(f"{d.helpers}present")
    if d.name == "spark":
        # Always true, but not deterministic to Spark's optimizer, which therefore evaluates a
        # later filter on Segment here instead of copying every expression above into it (the
        # copies multiply with K, grow past what Spark compiles, and take minutes).
        present = f"{present} AND spark_partition_id() >= 0"
    outputs = [(f"{d.helpers}segment", f"CASE WHEN {present} THEN {segment} END")]
    if distance_column is not None:
        outputs.append((f"{d.helpers}distance", f"CASE WHEN {present} THEN SQRT({nearest}) END"))

    lateral = d.name == "postgres" and columns is None
    ctes = [*before, *_value_and_feature_ctes(spec, d, None if lateral else source, features)]
    ctes.append(
        (f"{d.helpers}distances", f"SELECT f.*, {_select_list(distances, d)}\n  FROM {_ref(d, 'features')} AS f")
    )
    ctes.append((f"{d.helpers}nearest", f"SELECT s.*, {_select_list(outputs, d)}\n  FROM {_ref(d, 'distances')} AS s"))

    added = [f"{_ref(d, 'segment')} AS {d.identifier(segment_column)}"]
    if name_column is not None:
        cases = " ".join(f"WHEN {j} THEN {d.string(str(name))}" for j, name in enumerate(names, start=1))
        label = f"CASE {_ref(d, 'segment')} {cases} ELSE {d.string(NOT_SEGMENTED)} END"
        added.append(f"{label} AS {d.identifier(name_column)}")
    if distance_column is not None:
        added.append(f"{_ref(d, 'distance')} AS {d.identifier(distance_column)}")

    if lateral:
        # PostgreSQL cannot select "* except the helper columns": score each row in a LATERAL
        # subquery that reads the outer row's cells, and add only its results to t.*.
        inner = _with(ctes, d, final=f"SELECT {', '.join(added)}\nFROM {_ref(d, 'nearest')}")
        body = "\n".join("    " + line for line in inner.splitlines())
        return f"SELECT t.*, s.*\nFROM {quote_table(table, dialect=d.name)} AS t\nCROSS JOIN LATERAL (\n{body}\n) AS s"
    if columns is not None:
        _check_free(columns, d)
        kept = ", ".join(d.identifier(c) for c in columns)
    else:
        kept = d.all_but(_helper_columns(spec, k, d, distance=distance_column is not None))
    return _with(ctes, d, final=f"SELECT {kept},\n       {', '.join(added)}\nFROM {_ref(d, 'nearest')}")


def features_sql(spec: dict[str, Any], table: str, *, dialect: str = "duckdb") -> tuple[str, list[str]]:
    """A ``SELECT`` of every row's scaled features, for engines that cluster in SQL (Spark).

    Returns
    -------
    sql : str
        One row per row of ``table``: the feature columns and a boolean ``_segmentation_present``
        (false when the row has no value in any model column).
    feature_columns : list of str
        Names of the feature columns, in the order of the spec's features.
    """
    d = replace(Dialect.named(dialect), helpers=helper_prefix(spec))
    features = _feature_expressions(spec, d)
    ctes = _value_and_feature_ctes(spec, d, quote_table(table, dialect=d.name), features)
    listed = ", ".join(d.identifier(name) for name, _ in features)
    final = f"SELECT {listed}, {_ref(d, 'present')}\nFROM {_ref(d, 'features')}"
    return _with(ctes, d, final=final), [name for name, _ in features]


def values_sql(
    spec: dict[str, Any], table: str, *, dialect: str = "duckdb", keep: Sequence[str] = ()
) -> tuple[str, list[str]]:
    """A ``SELECT`` of every row's model columns in original units, as the scoring query reads them.

    Numbers as doubles, dates as days before the spec's latest date, categories as trimmed text;
    ``NULL`` when missing. Engines compute the preparation's statistics (medians, percentiles,
    category counts) and the segment profiles on it.

    Parameters
    ----------
    spec : dict
        A preparation spec; only its columns, kinds, date formats and latest dates are used.
    table : str
    dialect : str
    keep : sequence of str
        Columns of ``table`` to return as they are, first.

    Returns
    -------
    sql : str
        The keep columns, one column per spec column and ``_segmentation_present``.
    value_columns : list of str
        Names of the value columns, in spec order.
    """
    d = replace(Dialect.named(dialect), helpers=helper_prefix(spec))
    _check_free(keep, d)
    ctes = _value_and_feature_ctes(spec, d, quote_table(table, dialect=d.name), [])
    items = []
    for i, entry in enumerate(spec["columns"]):
        value = _ref(d, f"v{i}")
        if entry["kind"] == "date":
            expression = _days(value, d)
        elif entry["kind"] == "number":
            expression = value  # a double, NULL when missing
        elif _numeric_categories(entry):
            # A code that is not a number (NaN) is missing here, as it is to prepare (unreadable).
            expression = f"CASE WHEN {value} - {value} = 0 THEN {value} END"
        else:
            expression = f"CASE WHEN {text_missing(value, d)} THEN NULL ELSE {value} END"
        items.append((f"{d.helpers}v{i}", expression))
    kept = "".join(f"{d.identifier(c)}, " for c in keep)
    final = f"SELECT {kept}{_select_list(items, d)},\n    {_ref(d, 'present')}\nFROM {_ref(d, 'features')}"
    return _with(ctes, d, final=final), [name for name, _ in items]


def helper_prefix(spec: dict[str, Any]) -> str:
    """How the query's helper columns begin for this run file: ``_seg`` and a hash of its columns.

    The query adds its own columns beside every column of the table (``t.*``); a table holding a
    column of the same name would be read in its place, silently. The prefix depends on the run
    file's column names only (the same in every step of the Spark engine), so no real table's
    column takes it by chance, and it never starts a model column's name.

    Examples
    --------
    >>> helper_prefix({"columns": [{"column": "Age"}]})
    '_seg39b7370f_'
    """
    names = "\x00".join(entry["column"] for entry in spec["columns"])
    prefix = f"_seg{hashlib.sha256(names.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}_"
    while any(entry["column"].startswith(prefix) for entry in spec["columns"]):
        prefix += "_"
    return prefix


def present_column(spec: dict[str, Any]) -> str:
    """The helper column of :func:`values_sql` and :func:`features_sql` that says a row has a value."""
    return helper_prefix(spec) + "present"


def timestamp_sql(column: str, date_format: str = "", *, dialect: str = "duckdb") -> str:
    """An expression reading ``column`` as a timestamp without time zone, as the scoring query does.

    ``DATE``/``TIMESTAMP`` columns are taken as they are; text is parsed with ``date_format``
    (strftime codes ``%Y %m %d %y %H %M %S``), ``NULL`` when it does not match.
    """
    d = Dialect.named(dialect)
    return d.timestamp(d.identifier(column), date_format)


# --------------------------------------------------------------------------------------------------
# The query


def _feature_expressions(spec: dict[str, Any], d: Dialect) -> list[tuple[str, str]]:
    """(helper column, SQL expression over the values CTE) for every feature, in spec order."""
    center = np.asarray(spec["scaler"]["center"], dtype=np.float64)
    scale = np.asarray(spec["scaler"]["scale"], dtype=np.float64)
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(spec["columns"]):
        value = d.identifier(f"{d.helpers}v{i}")
        if entry["kind"] in {"number", "date"}:
            j = len(out)
            c, s = center[j], scale[j]
            # NumPy's own operations on the constants, so SQL sees the very same doubles.
            fill = (np.float64(entry["fill"]) - c) / s
            codes = [np.float64(code) for code in entry.get("codes", [])]
            x = _days(value, d) if entry["kind"] == "date" else value
            if codes:  # a code counts as missing here, and is a 0/1 feature of its own below
                x = f"(CASE WHEN {x} IN ({', '.join(d.number(code) for code in codes)}) THEN NULL ELSE {x} END)"
            if entry.get("log_unit") is not None:
                # CASE, not GREATEST: some engines' GREATEST skips a NULL and would turn missing into 0.
                x = f"LN({d.number(1.0)} + CASE WHEN {x} < {d.number(0.0)} THEN {d.number(0.0)} ELSE {x} END / {d.number(entry['log_unit'])})"
            cases = [f"WHEN {x} IS NULL THEN {d.number(fill)}"]
            if entry.get("clip") is not None:
                lo, hi = (np.float64(b) for b in entry["clip"])
                cases.append(f"WHEN {x} < {d.number(lo)} THEN {d.number((lo - c) / s)}")
                cases.append(f"WHEN {x} > {d.number(hi)} THEN {d.number((hi - c) / s)}")
            expression = f"CASE {' '.join(cases)} ELSE ({x} - {d.number(c)}) / {d.number(s)} END"
            out.append((f"{d.helpers}f{j}", expression))
            for code in codes:
                j = len(out)
                c, s = center[j], scale[j]
                one, zero = d.number((np.float64(1.0) - c) / s), d.number((np.float64(0.0) - c) / s)
                out.append((f"{d.helpers}f{j}", f"CASE WHEN {value} = {d.number(code)} THEN {one} ELSE {zero} END"))
        elif _numeric_categories(entry):
            # Codes stored as numbers: compared as numbers, so 1, 1.0 and 1.00 are one code.
            for category in entry["encoded"]:
                j = len(out)
                c, s = center[j], scale[j]
                one, zero = d.number((np.float64(1.0) - c) / s), d.number((np.float64(0.0) - c) / s)
                filled = one if entry["fill"] == category else zero
                missing = f"{value} IS NULL"
                if entry["kind"] == "flag":  # an unseen value counts as missing, as in segmentation.score
                    listed = ", ".join(d.number(float(c)) for c in entry["categories"])
                    missing = f"({missing} OR {value} NOT IN ({listed}))"
                known = d.number(float(category))
                expression = f"CASE WHEN {missing} THEN {filled} WHEN {value} = {known} THEN {one} ELSE {zero} END"
                out.append((f"{d.helpers}f{j}", expression))
        else:
            missing = text_missing(value, d)
            if entry["kind"] == "flag":
                # A value the fit never saw counts as missing, as in segmentation.score: left as it is,
                # it would encode as 0, the first known value.
                missing = f"({missing} OR {value} NOT IN ({', '.join(d.string(c) for c in entry['categories'])}))"
            for category in entry["encoded"]:
                j = len(out)
                c, s = center[j], scale[j]
                one, zero = d.number((np.float64(1.0) - c) / s), d.number((np.float64(0.0) - c) / s)
                # A missing cell takes the fill value, whose encoding is known here already.
                filled = one if entry["fill"] == category else zero
                expression = (
                    f"CASE WHEN {missing} THEN {filled} WHEN {value} = {d.string(category)} THEN {one} ELSE {zero} END"
                )
                out.append((f"{d.helpers}f{j}", expression))
    return out


def _value_expression(entry: dict[str, Any], column: str, d: Dialect) -> str:
    """The model column's value in original units: a double (NULL when missing), or trimmed text.

    A yes/no column whose values read as yes and no takes its value by meaning (``TRUE``, ``yes``,
    ``1``, a BOOLEAN), as :func:`segmentation.score` does.
    """
    if entry["kind"] == "number" or _numeric_categories(entry):
        number = d.try_double(column)
        # x - x is 0 for finite doubles only (NaN and infinities give NaN), in every dialect.
        finite = f"{number} - {number} = 0"
        if entry["kind"] == "number":
            return f"CASE WHEN {finite} THEN {number} END"
        # Codes stored as numbers: a cell holding something else is a value the fit never saw (NaN,
        # equal to no code), not a missing one, as in segmentation.score.
        text = d.trimmed_text(column)
        return f"CASE WHEN {text_missing(text, d)} THEN NULL WHEN {finite} THEN {number} ELSE {d.not_a_number()} END"
    if entry["kind"] == "date":
        latest = pd.Timestamp(entry["latest"])
        timestamp = d.timestamp(column, entry.get("date_format") or "")
        return f"CAST({d.micros_before(latest, timestamp)} AS {d.double})"
    text = d.trimmed_text(column)  # missing markers are told apart in the features (_text_missing)
    meanings = flag_meanings(entry)
    if not meanings:
        return text
    # 1, 1.0 and 1.00 (a DECIMAL) are yes, as segmentation.score reads them. Cast from the text:
    # BigQuery cannot cast a BOOL to FLOAT64, and a BOOL reads by its spelling below.
    number = d.try_double(text)
    cases = [
        f"WHEN {number} = {d.number(float(meaning))} THEN {d.string(category)}"
        for meaning, category in sorted(meanings.items())
    ]
    for meaning, category in sorted(meanings.items()):
        spellings = ", ".join(d.string(v) for v in sorted(_SPELLINGS[meaning] - {category.lower()}))
        cases.append(
            f"WHEN LOWER({text}) IN ({spellings}) AND {text} <> {d.string(category)} THEN {d.string(category)}"
        )
    return f"CASE {' '.join(cases)} ELSE {text} END"


def _numeric_categories(entry: dict[str, Any]) -> bool:
    """A category (or a yes/no column that is not yes and no) whose values are numbers in the file."""
    return bool(entry.get("numbers")) and entry["kind"] in {"category", "flag"} and not flag_meanings(entry)


def _days(micros: str, d: Dialect) -> str:
    """Days from microseconds as pandas' ``total_seconds() / 86400`` computes them.

    pandas divides the whole seconds and the remaining microseconds separately
    (``floor_s + residual / 1e6``); with ``|micros| < 2**53`` every step here is exact but the same
    two roundings, so the result is bit-for-bit pandas'.
    """
    million = d.number(_MICROS_PER_SECOND)
    seconds = f"FLOOR({micros} / {million})"
    return f"(({seconds} + ({micros} - {seconds} * {million}) / {million}) / {d.number(_SECONDS_PER_DAY)})"


def _value_and_feature_ctes(
    spec: dict[str, Any], d: Dialect, source: str | None, features: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The values and features CTEs over ``source`` (a quoted table); ``None`` reads the cells of an
    outer row ``t`` (LATERAL)."""
    values = []
    for i, entry in enumerate(spec["columns"]):
        column = f"t.{d.identifier(entry['column'])}"
        values.append((f"{d.helpers}v{i}", _value_expression(entry, column, d)))
    present = " OR ".join(
        _present(d.identifier(name), entry, d) for (name, _), entry in zip(values, spec["columns"], strict=True)
    )
    feature_list = [*features, (f"{d.helpers}present", f"({present})")]
    everything = "" if source is None else "t.*, "
    origin = "" if source is None else f"\n  FROM {source} AS t"
    return [
        (f"{d.helpers}values", f"SELECT {everything}{_select_list(values, d)}{origin}"),
        (f"{d.helpers}features", f"SELECT v.*, {_select_list(feature_list, d)}\n  FROM {_ref(d, 'values')} AS v"),
    ]


def _present(value: str, entry: dict[str, Any], d: Dialect) -> str:
    """True when the model column has a value (an unseen yes/no value counts as missing)."""
    if _numeric_categories(entry):
        if entry["kind"] == "flag":
            return f"{value} IN ({', '.join(d.number(float(c)) for c in entry['categories'])})"
        return f"{value} IS NOT NULL"
    if entry["kind"] == "flag":
        known = ", ".join(d.string(c) for c in entry["categories"])
        return f"(NOT {text_missing(value, d)} AND {value} IN ({known}))"
    if entry["kind"] == "category":
        return f"NOT {text_missing(value, d)}"
    return f"{value} IS NOT NULL"


def _helper_columns(spec: dict[str, Any], k: int, d: Dialect, *, distance: bool) -> list[str]:
    """The helper columns the query adds to ``*``, to leave them out of the result."""
    n_features = sum(
        1 + len(e.get("codes", [])) if e["kind"] in {"number", "date"} else len(e["encoded"]) for e in spec["columns"]
    )
    names = [f"v{i}" for i in range(len(spec["columns"]))] + [f"f{j}" for j in range(n_features)]
    names += ["present", *(f"d{j}" for j in range(1, k + 1)), "segment"] + (["distance"] if distance else [])
    return [d.helpers + name for name in names]


def _ref(d: Dialect, name: str) -> str:
    return d.identifier(d.helpers + name)


def _select_list(items: list[tuple[str, str]], d: Dialect) -> str:
    return ",\n    ".join(f"{expression} AS {d.identifier(name)}" for name, expression in items)


def _with(ctes: list[tuple[str, str]], d: Dialect, *, final: str) -> str:
    blocks = ",\n".join(f"{d.identifier(name)} AS (\n  {body}\n)" for name, body in ctes)
    return f"WITH\n{blocks}\n{final}"


def _check_free(columns: Sequence[str], d: Dialect) -> None:
    clash = [c for c in columns if str(c).startswith(d.helpers)]
    if clash:
        raise DataError(
            f"The table has a column '{clash[0]}', a name the scoring query uses for its own work. Rename it first."
        )
