"""SQL scoring: DuckDB runs the query for real and labels every row as segmentation.score does.

The PostgreSQL text is parsed by PostgreSQL's own parser (pglast) and, in its LATERAL form, run by
DuckDB; the BigQuery, Snowflake and Spark texts are parsed by sqlglot. Spark SQL runs for real in
tests/test_spark.py.
"""

from __future__ import annotations

import copy
import io
import json
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from scoring_data import awkward_customers, awkward_mixed, customers, mixed_customers, run_file

import segmentation as sg
from segmentation import DataError
from segmentation.cli import main
from segmentation.sql import NOT_SEGMENTED, scoring_sql
from segmentation.sql_dialects import DIALECTS, WHITESPACE, quote_identifier

duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def data() -> bytes:
    return customers(600)


@pytest.fixture(scope="module")
def awkward() -> bytes:
    return awkward_customers(300)


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return mixed_customers(800)


def duckdb_labels(data: bytes, model: dict, *, dialect: str = "duckdb", prepare_sql=None, **options) -> pd.DataFrame:
    """Score the file's cells (as text, as the loader read them) in DuckDB; one row per file row, in order."""
    cells = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    cells.insert(0, "_row", np.arange(len(cells)))
    con = duckdb.connect()
    con.register("cells", cells)
    con.execute("CREATE TABLE customers AS SELECT * FROM cells")
    if prepare_sql:
        con.execute(prepare_sql)
    query = scoring_sql(model, "customers", dialect=dialect, **options)
    return con.execute(f"SELECT * FROM ({query}) AS scored ORDER BY _row").df()


def segments(frame: pd.DataFrame, column: str = "Segment") -> np.ndarray:
    return frame[column].fillna(0).astype(np.int64).to_numpy()


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", "none"])
@pytest.mark.parametrize("outliers", ["keep", "clip"])
def test_duckdb_labels_equal_python_labels(data, awkward, scaler, outliers):
    model = run_file(data, scaler=scaler, outliers=outliers)
    for new in (data, awkward):
        python = sg.score(new, model)
        out = duckdb_labels(new, model)
        np.testing.assert_array_equal(segments(out), python.labels)
        assert len(out) == python.table.n_rows


def test_missing_unseen_and_empty_rows(data, awkward):
    model = run_file(data, k=5)
    python = sg.score(awkward, model)
    out = duckdb_labels(awkward, model)
    labels = segments(out)
    np.testing.assert_array_equal(labels, python.labels)
    # The two rows without any value: no segment, the same name as in the labelled CSV.
    assert out["Segment"].isna().sum() == 2 == (python.labels == 0).sum()
    assert set(out.loc[out["Segment"].isna(), "Segment name"]) == {NOT_SEGMENTED}
    names = np.array(["", *model["segment_names"]], dtype=object)
    assert (out.loc[labels > 0, "Segment name"].to_numpy() == names[labels[labels > 0]]).all()
    # Every input column comes back untouched, in order, and nothing else but the two segment columns.
    cells = pd.read_csv(io.BytesIO(awkward), dtype=str, keep_default_na=False)
    assert list(out.columns) == ["_row", *cells.columns, "Segment", "Segment name"]
    pd.testing.assert_frame_equal(out[cells.columns].fillna(""), cells, check_dtype=False)


def test_typed_columns_and_fractional_dates():
    rng = np.random.default_rng(3)
    n = 400
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700 * 86_400, n), unit="s")
    frame = pd.DataFrame(
        {
            "Spend": rng.gamma(2.0, 50.0, n).round(2),
            "Visits": rng.poisson(4, n),
            "Last order": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "Joined": (stamps - pd.to_timedelta(rng.integers(0, 900, n), unit="D")).strftime("%d/%m/%Y"),
        }
    )
    frame.loc[::37, "Spend"] = np.nan
    frame.loc[::41, "Last order"] = None
    data = frame.to_csv(index=False).encode()
    model = run_file(data, k=3, outliers="clip")
    formats = {e["column"]: e.get("date_format") for e in model["preparation"]["columns"]}
    assert formats == {"Spend": None, "Visits": None, "Last order": "%Y-%m-%d %H:%M:%S", "Joined": "%d/%m/%Y"}
    python = sg.score(data, model).labels
    # As text in the file's formats...
    np.testing.assert_array_equal(segments(duckdb_labels(data, model)), python)
    # ...and as typed DOUBLE, TIMESTAMP and DATE columns, as a warehouse holds them.
    con = duckdb.connect()
    con.register("cells", frame.assign(_row=np.arange(n)))
    con.execute(
        """CREATE TABLE customers AS SELECT _row, CAST(Spend AS DOUBLE) AS Spend, CAST(Visits AS BIGINT) AS Visits,
           CAST("Last order" AS TIMESTAMP) AS "Last order", CAST(strptime(Joined, '%d/%m/%Y') AS DATE) AS Joined
           FROM cells"""
    )
    out = con.execute(f"SELECT * FROM ({scoring_sql(model, 'customers')}) ORDER BY _row").df()
    np.testing.assert_array_equal(segments(out), python)


def test_names_values_and_columns_that_look_like_sql():
    rng = np.random.default_rng(5)
    n = 300
    evil_column = 'Spend"; DROP TABLE customers; --'
    frame = pd.DataFrame(
        {
            evil_column: rng.normal(100, 30, n).round(1),
            "Ville d'été `x` \\ y": rng.choice(["Paris", "O'Brien\\", "a'; DROP TABLE customers; --", "Zoë"], n),
        }
    )
    data = frame.to_csv(index=False).encode()
    segmentation = sg.fit(sg.prepare(sg.load_table(data)), 3)
    names = ['It\'s "big"', "back\\slash\nnewline", "'); DROP TABLE customers; --"]
    model = json.loads(sg.run_config_json(segmentation, names=names))
    out = duckdb_labels(data, model)
    np.testing.assert_array_equal(segments(out), sg.score(data, model).labels)
    assert set(out["Segment name"]) <= set(names)
    assert list(out.columns[:3]) == ["_row", evil_column, "Ville d'été `x` \\ y"]
    for dialect in DIALECTS:
        _single_statement(scoring_sql(model, "customers", dialect=dialect), dialect)


def test_postgres_text_parses_and_runs_in_its_lateral_form(data, awkward):
    pglast = pytest.importorskip("pglast")
    model = _without_dates(run_file(data, k=4, outliers="clip"))
    query = scoring_sql(model, "crm.customers", dialect="postgres")
    assert "CROSS JOIN LATERAL" in query and "pg_input_is_valid" in query
    (statement,) = pglast.parse_sql(query)
    assert statement.stmt is not None
    # DuckDB reads PostgreSQL's syntax; a macro stands in for pg_input_is_valid (PostgreSQL 16+).
    macro = """CREATE SCHEMA crm; CREATE TABLE crm.customers AS SELECT * FROM customers;
        CREATE MACRO pg_input_is_valid(s, t) AS (CASE WHEN t = 'float8' THEN TRY_CAST(s AS DOUBLE) IS NOT NULL
        ELSE TRY_CAST(s AS TIMESTAMP) IS NOT NULL END)"""
    cells = pd.read_csv(io.BytesIO(awkward), dtype=str, keep_default_na=False)
    con = duckdb.connect()
    con.register("cells", cells.assign(_row=np.arange(len(cells))))
    con.execute("CREATE TABLE customers AS SELECT * FROM cells")
    con.execute(macro)
    out = con.execute(f"SELECT * FROM ({query}) AS scored ORDER BY _row").df()
    np.testing.assert_array_equal(segments(out), sg.score(awkward, model).labels)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_writes_one_statement(data, dialect):
    model = run_file(data, k=5, outliers="clip")
    query = scoring_sql(model, "analytics.crm.customers", dialect=dialect)
    _single_statement(query, dialect)
    # Every model column is read, quoted the dialect's way; numbers are exact doubles, read from text.
    for column in model["options"]["features"]:
        assert quote_identifier(column, dialect=dialect) in query
    center = float(model["preparation"]["scaler"]["center"][1])
    assert f"'{center!r}'" in query


def test_unsupported_date_format_is_a_clear_error(data):
    model = run_file(data, k=2)
    for entry in model["preparation"]["columns"]:
        if entry["kind"] == "date":
            entry["date_format"] = "%B %d, %Y"
    with pytest.raises(DataError, match="date format"):
        scoring_sql(model, "customers", dialect="spark")


def test_cli_prints_the_query_and_refuses_bad_run_files(data, tmp_path):
    model = run_file(data, k=3)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["sql", "--model", str(path), "--table", "customers"], stdout=out, stderr=err) == 0
    assert err.getvalue() == ""
    cells = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    con = duckdb.connect()
    con.register("customers", cells)
    scored = con.execute(out.getvalue()).df()
    np.testing.assert_array_equal(segments(scored), sg.score(data, model).labels)

    path.write_text('{"format": "something else"}', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["sql", "--model", str(path), "--table", "customers"], stdout=out, stderr=err) == 2
    assert out.getvalue() == "" and err.getvalue().startswith("error: ") and len(err.getvalue().splitlines()) == 1
    out, err = io.StringIO(), io.StringIO()
    assert main(["sql", "--model", str(path), "--table", "t", "--dialect", "oracle"], stdout=out, stderr=err) == 2


def _single_statement(query: str, dialect: str) -> None:
    """The query is exactly one statement in ``dialect``: nothing in the model file could break out."""
    if dialect == "postgres":
        pglast = pytest.importorskip("pglast")
        assert len(pglast.parse_sql(query)) == 1
        return
    sqlglot = pytest.importorskip("sqlglot")
    statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    assert len(statements) == 1, dialect


def _without_dates(model: dict) -> dict:
    """The run file with its date features removed (PostgreSQL's to_timestamp has no DuckDB twin)."""
    spec = model["preparation"]
    spec["columns"] = [c for c in spec["columns"] if c["kind"] != "date"]
    keep = [i for i, name in enumerate(model["feature_names"]) if "(days before latest)" not in name]
    spec["scaler"]["center"] = [spec["scaler"]["center"][i] for i in keep]
    spec["scaler"]["scale"] = [spec["scaler"]["scale"][i] for i in keep]
    model["centers"] = [[row[i] for i in keep] for row in model["centers"]]
    model["feature_names"] = [model["feature_names"][i] for i in keep]
    model["options"]["features"] = [c["column"] for c in spec["columns"]]
    return model


def test_unseen_yes_no_values_score_as_missing_in_sql():
    raw = pd.read_csv(io.BytesIO(customers(600)), dtype=str, keep_default_na=False)
    raw["Gender"] = np.where(np.arange(len(raw)) % 10 < 7, "Male", "Female")
    data = raw.to_csv(index=False).encode()
    model = json.loads(sg.run_config_json(sg.fit(sg.prepare(sg.load_table(data)), 5)))
    assert model["preparation"]["columns"][0]["fill"] == "Male"
    new = awkward_customers(300)
    frame = pd.read_csv(io.BytesIO(new), dtype=str, keep_default_na=False)
    frame.loc[100:140, "Gender"] = "Other"
    frame.loc[150, [c for c in frame.columns if c != "CustomerID"]] = ""
    frame.loc[150, "Gender"] = "Other"
    new = frame.to_csv(index=False).encode()
    python = sg.score(new, model)
    np.testing.assert_array_equal(segments(duckdb_labels(new, model)), python.labels)
    assert python.labels[150] == 0


@pytest.mark.parametrize("weighting", ["balanced", "equal"])
def test_codes_log_scales_number_codes_and_flags_score_alike(mixed, weighting):
    model = run_file(mixed, k=5, weighting=weighting)
    entries = {e["column"]: e for e in model["preparation"]["columns"]}
    # The run file holds every case this test is about.
    assert entries["Days since contact"]["codes"] == [-1.0]
    assert entries["Balance"]["log_unit"] > 0
    region = entries["Region"]
    assert region["kind"] == "category" and region["numbers"] and region["categories"][:3] == ["1", "10", "11"]
    assert entries["Senior"]["kind"] == "flag" and entries["Senior"]["numbers"]
    assert entries["Newsletter"]["categories"] == ["No", "Yes"] and "Churn" not in entries
    senior = model["feature_names"].index("Senior: 1")
    weight = 1 / model["preparation"]["scaler"]["scale"][senior]
    # Balanced: the flag's two values are sqrt(2) apart; equal: standardised like a number.
    assert np.isclose(weight, np.sqrt(2)) if weighting == "balanced" else not np.isclose(weight, np.sqrt(2))
    new = awkward_mixed(mixed)
    for data in (mixed, new):
        python = sg.score(data, model)
        out = duckdb_labels(data, model, distance_column="Distance")
        np.testing.assert_array_equal(segments(out), python.labels)
        # The same point in space, not only the same nearest centre (a code 'x' is unseen, not missing).
        np.testing.assert_allclose(out["Distance"].to_numpy(dtype=float), python.distance, rtol=1e-9, atol=1e-12)
    assert (python.labels == 0).sum() == 1  # the customer whose only value is "never contacted" is segmented


def test_a_flag_scores_alike_as_text_boolean_or_numbers(mixed, tmp_path):
    model = run_file(mixed, k=5)
    expected = sg.score(mixed, model).labels
    path = tmp_path / "customers.csv"
    path.write_bytes(mixed)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE auto AS SELECT row_number() OVER () - 1 AS _row, * FROM read_csv('{path}')")
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE auto)").fetchall())
    # DuckDB types the Yes/No column BOOLEAN: cast to 'true'/'false', every row once became "missing".
    assert types["Newsletter"] == "BOOLEAN" and types["Senior"] == "BIGINT" and types["Region"] == "BIGINT"
    pg_macro = """CREATE MACRO pg_input_is_valid(s, t) AS (CASE WHEN t = 'float8' THEN TRY_CAST(s AS DOUBLE)
        IS NOT NULL ELSE TRY_CAST(s AS TIMESTAMP) IS NOT NULL END)"""
    con.execute(pg_macro)
    spellings = {
        "BOOLEAN": "CAST({c} AS BOOLEAN)",
        "INTEGER 0/1": "CAST(CAST({c} AS BOOLEAN) AS INTEGER)",
        "VARCHAR Yes/No": "CASE WHEN CAST({c} AS BOOLEAN) THEN 'Yes' WHEN NOT CAST({c} AS BOOLEAN) THEN 'No' END",
        "DOUBLE 0.0/1.0": "CAST(CAST({c} AS BOOLEAN) AS DOUBLE)",
        "DECIMAL 0.00/1.00": "CAST(CAST({c} AS BOOLEAN) AS DECIMAL(4, 2))",
        "VARCHAR TRUE/false": "CASE WHEN CAST({c} AS BOOLEAN) THEN ' TRUE' WHEN NOT CAST({c} AS BOOLEAN) THEN 'false' END",
    }
    for name, spelling in {"as read_csv types it": None, **spellings}.items():
        table = "auto"
        if spelling is not None:
            table = "typed"
            flags = ", ".join(spelling.format(c=c) + f" AS {c}" for c in ("Senior", "Newsletter"))
            con.execute(f"CREATE OR REPLACE TABLE typed AS SELECT * REPLACE ({flags}) FROM auto")
        for dialect in ("duckdb", "postgres"):  # PostgreSQL's LATERAL text, run by DuckDB
            query = scoring_sql(model, table, dialect=dialect)
            out = con.execute(f"SELECT * FROM ({query}) AS scored ORDER BY _row").df()
            np.testing.assert_array_equal(segments(out), expected, err_msg=f"{name} ({dialect})")
    for dialect in DIALECTS:
        _single_statement(scoring_sql(model, "customers", dialect=dialect), dialect)


def test_version_1_run_files_still_score():
    old = json.loads((ROOT / "tests" / "data" / "run_v1_sample.json").read_text(encoding="utf-8"))
    assert old["run_file"]["version"] == 1
    assert "yes/no" in {e["kind"] for e in old["run_file"]["preparation"]["columns"]}
    data = customers(600)
    labels = segments(duckdb_labels(data, copy.deepcopy(old["run_file"])))
    np.testing.assert_array_equal(labels, old["labels"])
    for dialect in DIALECTS:
        _single_statement(scoring_sql(copy.deepcopy(old["run_file"]), "customers", dialect=dialect), dialect)


@pytest.mark.parametrize("column", ["_segmentation_v0", "_segmentation_present", "_segmentation_f0"])
def test_a_table_column_named_like_a_helper_changes_nothing(column):
    # The query's helper columns sit beside every column of the table (t.*): their names must not be
    # ones a table can hold by accident (issue 17: 209 of 300 rows moved).
    original = customers(300)
    frame = pd.read_csv(io.BytesIO(original), dtype=str, keep_default_na=False)
    frame[column] = "999"
    data = frame.to_csv(index=False).encode()
    model = run_file(original, k=3)
    scored = duckdb_labels(data, model)
    np.testing.assert_array_equal(segments(scored), sg.score(data, model).labels)
    assert (scored[column] == "999").all()  # the table's own column comes back as it was


def test_sql_trims_the_characters_python_strips():
    """The written-out list is every character str.strip() removes, no more, no less."""
    assert WHITESPACE == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
