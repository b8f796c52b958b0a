"""The Spark engine: the default engine's roles, run file and segments, in Spark ``local[2]``.

One SparkSession serves every test (Spark takes 15-30 s to start). Without pyspark or Java the
tests skip and say why; on CI (``CI=true``) they fail instead, since .ci/run installs both.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from scoring_data import awkward_customers, awkward_mixed, customers, mixed_customers, run_file
from spark_session import spark_session  # noqa: F401 - the fixture `spark`, the session every Spark test shares

import segmentation as sg
from segmentation import DataError
from segmentation.cli import main
from segmentation.fit import number_by_size, order_by_size
from segmentation.metrics import silhouette_scores
from segmentation.runfile import preparation_spec
from segmentation.scoring import apply_spec
from segmentation.sql import scoring_sql

pytestmark = [
    # The tests drive a real Spark session, which is slow to start.
    pytest.mark.slow,
    # PySpark 4.3 warns on import that pandas 3 is "not fully supported"; the engine makes no pandas
    # conversion in Spark (rows come back with collect(), which these tests exercise).
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def data() -> bytes:
    return customers(1_000)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("spark") / "customers.csv"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def segmented(spark, csv_path):
    from segmentation import spark as sgs

    prepared = sgs.prepare(sgs.read(spark, csv_path))
    segmentation = sgs.fit(prepared, 4)
    profile = sgs.describe(segmentation)
    return prepared, segmentation, profile, sgs.run_config(segmentation, profile=profile)


def spark_segments(frame, model, key: str = "CustomerID") -> dict[str, int]:
    from segmentation import spark as sgs

    rows = sgs.score(frame, model).select(key, "Segment").collect()
    return {r[0]: r[1] or 0 for r in rows}


def python_segments(data: bytes, model, key: str = "CustomerID") -> dict[str, int]:
    scored = sg.score(data, model)
    return dict(zip(scored.table.raw[key], scored.labels.tolist(), strict=True))


def test_roles_and_audit_match_the_default_engine(segmented, data):
    prepared, *_ = segmented
    python = sg.prepare(sg.load_table(data))
    columns = ["Column", "Kind", "Role", "Scale", "Missing"]
    pd.testing.assert_frame_equal(prepared.audit()[columns], python.audit()[columns])
    assert prepared.feature_names == python.feature_names
    assert prepared.n_rows == prepared.n_segmented == 1_000
    spark_spec, python_spec = prepared.spec["columns"], sg.runfile.preparation_spec(python)["columns"]
    for ours, theirs in zip(spark_spec, python_spec, strict=True):
        assert ours["column"] == theirs["column"] and ours["kind"] == theirs["kind"]
        if "categories" in ours:
            assert ours["categories"] == theirs["categories"] and ours["fill"] == theirs["fill"]
        elif ours["kind"] == "date":
            assert ours["latest"] == theirs["latest"]
        else:  # Spark's median is an approximate quantile: one of the middle values
            assert abs(ours["fill"] - theirs["fill"]) <= 1
    # The scaler follows scikit-learn's conventions (population standard deviation).
    np.testing.assert_allclose(
        prepared.spec["scaler"]["scale"], sg.runfile.preparation_spec(python)["scaler"]["scale"], rtol=0.02
    )


def test_spark_run_file_scores_identically_in_python_and_sql(segmented, spark, data, csv_path):
    from segmentation import spark as sgs

    prepared, segmentation, profile, config = segmented
    model = sg.read_run_file(json.loads(json.dumps(config)))  # the schema of the default engine's run file
    assert set(config) == set(run_file(data, k=2))
    assert model.k == 4 and segmentation.sizes == tuple(sorted(segmentation.sizes, reverse=True))
    assert sum(segmentation.sizes) == 1_000 and segmentation.inertia > 0
    assert 0 < segmentation.silhouette <= 1
    assert profile.names == tuple(config["segment_names"]) and len(set(profile.names)) == 4
    python_profile = sg.describe(sg.fit(sg.prepare(sg.load_table(data)), 4))
    assert list(profile.summary.columns) == list(python_profile.summary.columns)
    assert profile.summary["Customers"].tolist() == list(segmentation.sizes)
    assert set(profile.importance["Column"]) == set(python_profile.importance["Column"])
    table = sgs.read(spark, csv_path)
    ours, theirs = spark_segments(table.frame, config), python_segments(data, config)
    assert ours == theirs
    assert tuple(np.bincount(list(theirs.values()), minlength=5)[1:]) == segmentation.sizes


@pytest.mark.parametrize(("scaler", "outliers"), [("standard", "keep"), ("robust", "clip"), ("minmax", "clip")])
def test_python_run_file_scores_identically_in_spark(spark, tmp_path, data, scaler, outliers):
    from segmentation import spark as sgs

    model = run_file(data, k=5, scaler=scaler, outliers=outliers)
    new = awkward_customers(300)
    path = tmp_path / "new.csv"
    path.write_bytes(new)
    table = sgs.read(spark, path)
    ours, theirs = spark_segments(table.frame, model), python_segments(new, model)
    assert ours == theirs
    assert sum(1 for v in ours.values() if v == 0) == 2  # the rows with no value at all
    summary = sgs.score_summary(table.frame, model)
    python = sg.score(new, model)
    assert summary["sizes"] == list(python.sizes)
    assert summary["not_segmented"] == 2 and summary["rows"] == 300
    assert summary["notes"] == list(python.notes)


def test_parquet_with_typed_columns_and_the_printed_spark_sql(spark, tmp_path, data, csv_path):
    from segmentation import spark as sgs

    model = run_file(data, k=4, outliers="clip")
    typed = sgs.read(spark, csv_path).frame.selectExpr(
        "CustomerID",
        "Gender",
        "try_cast(Age AS DOUBLE) AS Age",
        "try_cast(`Annual Income (k$)` AS INT) AS `Annual Income (k$)`",
        "try_cast(`Spending Score (1-100)` AS DOUBLE) AS `Spending Score (1-100)`",
        "Region",
        "try_cast(`Visits per Month` AS BIGINT) AS `Visits per Month`",
        "try_cast(`Member Since` AS DATE) AS `Member Since`",
    )
    typed.write.parquet(str(tmp_path / "customers.parquet"))
    table = sgs.read(spark, tmp_path / "customers.parquet")
    assert table.format == "parquet"
    expected = python_segments(data, model)
    assert spark_segments(table.frame, model) == expected
    # The text `python -m segmentation sql --dialect spark` prints (SELECT * EXCEPT ...), run as it is.
    table.frame.createOrReplaceTempView("customers")
    rows = spark.sql(scoring_sql(model, "customers", dialect="spark")).select("CustomerID", "Segment").collect()
    assert {r[0]: r[1] or 0 for r in rows} == expected
    # A filter on Segment stays cheap (the query keeps Spark from copying its expressions into it).
    ones = sgs.score(table.frame, model).where("Segment = 1").count()
    assert ones == sum(1 for v in expected.values() if v == 1)


def test_sweep_measures_every_k(segmented):
    from segmentation import spark as sgs

    prepared, *_ = segmented
    result = sgs.sweep(prepared, k_min=2, k_max=3)
    assert result.k == (2, 3) and result.n_rows == 1_000
    assert result.inertia[0] > result.inertia[1] > 0
    assert all(s is not None and -1 <= s <= 1 for s in result.silhouette)
    assert all(v is not None and v > 0 for v in (*result.calinski_harabasz, *result.davies_bouldin))
    python = sg.sweep(sg.prepare(sg.load_table(customers(1_000))), k_min=2, k_max=3)
    # Spark's k-means|| lands on the same partitions of this data (up to its tolerance).
    np.testing.assert_allclose(result.inertia, python.inertia, rtol=0.05)
    np.testing.assert_allclose(result.calinski_harabasz, python.calinski_harabasz, rtol=0.05)


def test_cli_with_the_spark_engine(spark, csv_path, data, tmp_path):
    def run(*argv) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([str(a) for a in argv], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    run_json, labelled, summary = tmp_path / "run.json", tmp_path / "labelled.parquet", tmp_path / "summary.csv"
    code, out, err = run(
        "segment", csv_path, "--k", "3", "--engine", "spark", "--json",
        "--config", run_json, "--out", labelled, "--summary", summary,
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    keys = {"rows", "k", "features", "sizes", "inertia", "silhouette", "names", "not_segmented", "columns", "warnings"}
    assert set(payload) == keys and payload["rows"] == 1_000 and payload["k"] == 3
    assert payload["sizes"] == sorted(payload["sizes"], reverse=True) and sum(payload["sizes"]) == 1_000
    written = spark.read.parquet(str(labelled))
    assert written.count() == 1_000 and written.columns[-2:] == ["Segment", "Segment name"]
    assert {r[0]: r[1] for r in written.select("CustomerID", "Segment").collect()} == python_segments(
        data, json.loads(run_json.read_text())
    )
    assert pd.read_csv(summary, encoding="utf-8-sig")["Customers"].iloc[:-1].tolist() == payload["sizes"]

    # A run file of the default engine scores to the same JSON in both engines.
    run("segment", csv_path, "--k", "4", "--config", tmp_path / "py.json")
    spark_score = run("score", csv_path, "--model", tmp_path / "py.json", "--json", "--engine", "spark")
    python_score = run("score", csv_path, "--model", tmp_path / "py.json", "--json")
    assert spark_score[0] == 0 and json.loads(spark_score[1]) == json.loads(python_score[1])

    code, out, err = run("sweep", csv_path, "--k-min", "2", "--k-max", "2", "--engine", "spark", "--json")
    assert code == 0 and set(json.loads(out)) == set(json.loads(run("sweep", csv_path, "--k-max", "2", "--json")[1]))

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Name,Country\nAna,FR\nBo,FR\nCy,FR\nDi,FR\n")
    code, out, err = run("segment", bad, "--k", "2", "--engine", "spark")
    assert code == 2 and out == "" and err.startswith("error: None of the columns") and len(err.splitlines()) == 1
    code, _, err = run("score", tmp_path / "nowhere.csv", "--model", run_json, "--engine", "spark")
    assert code == 2 and err.startswith("error: There is no file")
    code, _, err = run("segment", csv_path, "--k", "3", "--engine", "spark", "--out", labelled)
    assert code == 2 and "already exists" in err


def test_missing_model_column_is_named(spark, segmented):
    from segmentation import spark as sgs

    *_, config = segmented
    frame = spark.createDataFrame([("30", "a"), ("40", "b")], ["Age", "Other"])
    with pytest.raises(DataError, match="no column 'Gender'"):
        sgs.score(frame, config)


def test_numbering_by_size_follows_the_default_engine():
    rng = np.random.default_rng(0)
    for _ in range(50):
        k = int(rng.integers(2, 8))
        centers = rng.integers(0, 3, size=(k, 3)).astype(float)
        labels = rng.integers(0, k, size=int(rng.integers(k, 40)))
        labels[:k] = np.arange(k)
        sizes = np.bincount(labels, minlength=k)
        np.testing.assert_array_equal(order_by_size(sizes, centers), number_by_size(labels, centers))


def test_the_core_imports_and_the_cli_explains_without_pyspark(tmp_path):
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import segmentation, segmentation.spark, segmentation.sql, segmentation.cli\n"
        "from segmentation.cli import main\n"
        f"sys.exit(main(['sweep', {str(ROOT / 'README.md')!r}, '--engine', 'spark']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: The Spark engine needs pyspark") and len(done.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Every engine the same: codes, log scales, codes stored as numbers, flags, outcomes, weights


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return mixed_customers(800)


@pytest.fixture(scope="module")
def mixed_path(tmp_path_factory, mixed):
    path = tmp_path_factory.mktemp("spark_mixed") / "mixed.csv"
    path.write_bytes(mixed)
    return path


@pytest.fixture(scope="module")
def mixed_segmented(spark, mixed_path):
    from segmentation import spark as sgs

    prepared = sgs.prepare(sgs.read(spark, mixed_path))
    segmentation = sgs.fit(prepared, 4)
    profile = sgs.describe(segmentation)
    return prepared, segmentation, sgs.run_config(segmentation, profile=profile), profile


def _entries(spec: dict) -> dict[str, dict]:
    return {e["column"]: e for e in spec["columns"]}


@pytest.mark.parametrize("weighting", ["balanced", "equal"])
def test_spark_prepares_codes_log_scales_number_codes_and_flags_as_python(spark, mixed_path, mixed, weighting):
    from segmentation import spark as sgs

    prepared = sgs.prepare(sgs.read(spark, mixed_path), weighting=weighting)
    python = sg.prepare(sg.load_table(mixed), weighting=weighting)
    columns = ["Column", "Kind", "Role", "Scale", "Missing"]
    pd.testing.assert_frame_equal(prepared.audit()[columns], python.audit()[columns])
    assert prepared.described == python.described == ("Churn",) and prepared.weighting == weighting
    assert prepared.feature_names == python.feature_names
    ours, theirs = _entries(prepared.spec), _entries(preparation_spec(python))
    assert list(ours) == list(theirs) == ["Age", "Days since contact", "Balance", "Senior", "Newsletter", "Region"]
    for column, entry in theirs.items():
        mine = ours[column]
        for key in ("kind", "features", "codes", "numbers", "categories", "encoded"):
            assert mine.get(key) == entry.get(key), (column, key)
        if entry["kind"] in {"flag", "category"}:
            assert mine["fill"] == entry["fill"], column
        else:  # approximate quantiles: one of the middle values
            assert mine["fill"] == pytest.approx(entry["fill"], rel=0.02), column
            assert mine["range"] == entry["range"], column
    assert "log_unit" not in ours["Age"]
    assert ours["Balance"]["log_unit"] == pytest.approx(theirs["Balance"]["log_unit"], rel=0.02)
    # The weights (folded into the scale): exactly the default engine's for 0/1 features, whose spread
    # they undo; numbers within the approximate quantiles' reach.
    scale, python_scale = (
        np.asarray(prepared.spec["scaler"]["scale"]),
        np.asarray(preparation_spec(python)["scaler"]["scale"]),
    )
    np.testing.assert_allclose(scale, python_scale, rtol=0.02)
    ones = [i for i, name in enumerate(python.feature_names) if ": " in name]
    rtol = 1e-12 if weighting == "balanced" else 1e-9
    np.testing.assert_allclose(scale[ones], python_scale[ones], rtol=rtol)
    np.testing.assert_allclose(
        prepared.spec["scaler"]["center"], preparation_spec(python)["scaler"]["center"], rtol=0.02, atol=1e-9
    )
    prepared.unpersist()


def test_spark_run_file_scores_every_row_as_python(spark, mixed_segmented, mixed, tmp_path):
    from segmentation import spark as sgs

    prepared, segmentation, config, profile = mixed_segmented
    assert config["options"]["weighting"] == "balanced" and config["version"] == 2
    assert {c["name"]: c["role"] for c in config["columns"]}["Churn"] == "describe"
    ours, theirs = spark_segments(prepared.table.frame, config), python_segments(mixed, config)
    assert ours == theirs and tuple(np.bincount(list(theirs.values()), minlength=5)[1:]) == segmentation.sizes
    # The profile as the default engine's: the outcome described, the code's holders, codes as written.
    python_profile = sg.describe(sg.fit(sg.prepare(sg.load_table(mixed)), 4))
    assert list(profile.summary.columns) == list(python_profile.summary.columns)
    assert {"Churn = Yes", "Days since contact (code) = -1", "Region = 10"} <= set(profile.summary.columns)
    assert set(profile.importance["Column"]) == set(python_profile.importance["Column"])
    assert profile.segmenting == python_profile.segmenting and profile.shares == python_profile.shares
    assert not any("Churn" in name for name in profile.names)
    # New customers with every corner case, and the default engine's run file, alike in both engines.
    new = awkward_mixed(mixed)
    path = tmp_path / "new.csv"
    path.write_bytes(new)
    frame = sgs.read(spark, path).frame
    for model in (config, run_file(mixed, k=5, weighting="equal")):
        assert spark_segments(frame, model) == python_segments(new, model)
        summary, python = sgs.score_summary(frame, model), sg.score(new, model)
        assert summary["sizes"] == list(python.sizes) and summary["notes"] == list(python.notes)


def test_a_flag_scores_alike_in_spark_as_text_boolean_or_numbers(spark, mixed_segmented, mixed, mixed_path):
    from segmentation import spark as sgs

    _, _, config, _ = mixed_segmented
    expected = python_segments(mixed, config)
    frame = sgs.read(spark, mixed_path).frame
    spellings = {
        "boolean": "try_cast({c} AS BOOLEAN)",
        "int": "CAST(try_cast({c} AS BOOLEAN) AS INT)",
        "double": "CAST(try_cast({c} AS BOOLEAN) AS DOUBLE)",
        "decimal(4,2)": "CAST(try_cast({c} AS BOOLEAN) AS DECIMAL(4, 2))",
        "string": "CASE WHEN try_cast({c} AS BOOLEAN) THEN 'Yes' WHEN NOT try_cast({c} AS BOOLEAN) THEN 'No' END",
    }
    for type_name, spelling in spellings.items():
        # Spark reads 'Yes' and '1' as TRUE: both flags respelled, every other column as it was.
        typed = frame.selectExpr(
            *[f"`{c}`" for c in frame.columns if c not in {"Senior", "Newsletter"}],
            *[spelling.format(c=c) + f" AS {c}" for c in ("Senior", "Newsletter")],
        )
        assert typed.schema["Newsletter"].dataType.simpleString() == type_name
        assert spark_segments(typed, config) == expected, type_name


def test_spark_silhouette_is_the_default_engines_definition(mixed_segmented, mixed):
    from sklearn.metrics import silhouette_score

    _, segmentation, config, _ = mixed_segmented
    python = sg.prepare(sg.load_table(mixed))
    # Every customer is in the sample (800 < SILHOUETTE_ROWS): its features and its segments, from
    # the run file, computed by the default engine.
    X = apply_spec(python.values, config["preparation"])
    labels = sg.score(mixed, config).labels
    assert segmentation.silhouette_rows == len(X) == 800
    expected = silhouette_scores(X, [labels])[0]
    assert segmentation.silhouette == pytest.approx(expected, rel=1e-9)
    assert segmentation.silhouette == pytest.approx(silhouette_score(X, labels), rel=1e-9)
    # Not ClusteringEvaluator's squared distances, which read higher.
    assert silhouette_score(X, labels, metric="sqeuclidean") > segmentation.silhouette + 0.05


def test_the_cli_passes_every_prep_option_to_spark(spark, mixed_path, tmp_path):
    def run(*argv) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([str(a) for a in argv], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    options = [
        "--weighting", "equal", "--transform", "none", "--describe", "Senior", "--ignore", "Age",
        "--categorical", "Days since contact", "--numeric", "Region", "--scaler", "robust", "--outliers", "clip",
    ]  # fmt: skip
    run_json = tmp_path / "run.json"
    code, out, err = run(
        "segment", mixed_path, "--k", "3", "--engine", "spark", "--json", "--config", run_json, *options
    )
    assert code == 0, err
    spark_columns = json.loads(out)["columns"]
    python_columns = json.loads(run("segment", mixed_path, "--k", "3", "--json", *options)[1])["columns"]
    kinds = {c["name"]: (c["kind"], c["role"], c["transform"]) for c in spark_columns}
    assert kinds == {c["name"]: (c["kind"], c["role"], c["transform"]) for c in python_columns}
    assert kinds["Senior"][1] == "describe" and kinds["Age"][1] == "ignore" and kinds["Balance"][2] == "none"
    assert kinds["Region"][0] == "number"  # as chosen (Days since contact has too many values to be a category)
    model = json.loads(run_json.read_text())
    assert {k: model["options"][k] for k in ("weighting", "transform", "scaler", "outliers")} == {
        "weighting": "equal", "transform": "none", "scaler": "robust", "outliers": "clip"
    }  # fmt: skip
    code, out, err = run("segment", mixed_path, "--k", "3", "--engine", "spark", "--outliers", "set-aside")
    assert code == 2 and out == "" and "--engine python only" in err and len(err.splitlines()) == 1
