"""SQL dialects: names and text literals quoted and escaped per dialect, read back exactly."""

from __future__ import annotations

import pytest
from scoring_data import customers, run_file

from segmentation import DataError
from segmentation.sql import scoring_sql
from segmentation.sql_dialects import quote_identifier, quote_table, string_literal


def test_quoting_per_dialect():
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_identifier("a`b", dialect="spark") == "`a``b`"
    assert quote_identifier("a`b\\c", dialect="bigquery") == "`a\\`b\\\\c`"
    assert quote_table("crm.Customers 2024", dialect="postgres") == 'crm."Customers 2024"'
    assert quote_table("proj.ds.tbl", dialect="bigquery") == "proj.ds.tbl"
    assert string_literal("O'Brien") == "'O''Brien'"
    assert string_literal("a\\b", dialect="snowflake") == "'a\\\\b'"
    assert string_literal("it's", dialect="spark") == "CAST(X'69742773' AS STRING)"
    assert string_literal("tab\there", dialect="duckdb") == "('tab' || chr(9) || 'here')"
    assert string_literal("back\\slash", dialect="postgres") == "('back' || chr(92) || 'slash')"
    with pytest.raises(DataError, match="NUL"):
        string_literal("a\x00b")
    with pytest.raises(DataError, match="dialect"):
        scoring_sql(run_file(customers(100), k=2), "t", dialect="oracle")


def test_duckdb_reads_back_every_literal_exactly():
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    values = ["O'Brien", "a\\b", "tab\there", "\u00a0nbsp\u00a0", "Zoë 東京", "'; DROP TABLE x; --", "new\nline"]
    for value in values:
        assert con.execute(f"SELECT {string_literal(value)}").fetchone()[0] == value
        name = quote_identifier(value)
        assert con.execute(f"SELECT 1 AS {name}").description[0][0] == value
