"""How each SQL dialect spells what the scoring query needs: names, literals, casts and dates.

Dialects: DuckDB, PostgreSQL, BigQuery, Snowflake and Spark SQL. Nothing from a run file is pasted
into SQL as it is: identifiers are quoted and escaped per dialect, text is escaped (or hex-encoded)
per dialect, numbers are written from validated floats, and date formats are translated from the
strftime codes the file loader reads. :mod:`segmentation.sql` builds the query with these.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from .cells import MISSING_MARKERS
from .errors import DataError
from .options import DIALECTS

__all__ = ["DIALECTS", "WHITESPACE", "Dialect", "quote_identifier", "quote_table", "string_literal", "text_missing"]


# Every character Python's str.strip() removes, so SQL trims text exactly as the file loader does
# (written out: finding them among all of Unicode took a fifth of a second at every start).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE_DIRECTIVES = {"Y", "m", "d", "y", "H", "M", "S"}


@dataclass(frozen=True)
class Dialect:
    """How one SQL dialect spells the few constructs the scoring query needs."""

    name: str
    double: str
    text: str
    #: How the query's own helper columns begin (see :func:`segmentation.sql.helper_prefix`).
    helpers: str = "_segmentation_"

    @classmethod
    def named(cls, name: str) -> Dialect:
        """The dialect called ``name``, one of :data:`DIALECTS`."""
        if name not in _DIALECT_TYPES:
            raise DataError(f"Unknown SQL dialect '{name}'; choose one of {', '.join(DIALECTS)}.")
        double, text = _DIALECT_TYPES[name]
        return cls(name=name, double=double, text=text)

    def identifier(self, name: str) -> str:
        _refuse_nul(name, "A column or table name")
        if self.name == "spark":
            return "`" + name.replace("`", "``") + "`"
        if self.name == "bigquery":
            # BigQuery's quoted identifiers take the escape sequences of its string literals.
            return "`" + _backslash_escaped(name, quote="`") + "`"
        return '"' + name.replace('"', '""') + '"'

    def string(self, value: str) -> str:
        _refuse_nul(value, "A value")
        plain = value.isprintable()
        if self.name in {"duckdb", "postgres"}:
            # Neither has escapes that read the same under every setting (PostgreSQL's
            # standard_conforming_strings, DuckDB has none): spell such characters with chr().
            special = value if self.name == "duckdb" else value.replace("\\", "\x00")
            if special.isprintable():
                return "'" + value.replace("'", "''") + "'"
            pieces = _printable_runs(value, keep_backslash=self.name == "duckdb")
            return "(" + " || ".join(p if isinstance(p, str) else f"chr({p})" for p in pieces) + ")"
        if self.name == "spark":
            if plain and "'" not in value and "\\" not in value:
                return "'" + value + "'"
            # Spark's escaping depends on spark.sql.parser.escapedStringLiterals; UTF-8 bytes in
            # hex read the same under every setting.
            return f"CAST(X'{value.encode('utf-8').hex().upper()}' AS STRING)"
        return "'" + _backslash_escaped(value, quote="'") + "'"  # bigquery, snowflake

    def number(self, value: float) -> str:
        value = float(value)
        if not math.isfinite(value):
            raise DataError(
                "This run file gives a value too large to compute with in SQL. Make the segments again in the app."
            )
        # A string cast is read with correct rounding by every engine; a bare 0.1 is a DECIMAL in
        # some dialects and would be rounded twice.
        return f"CAST('{value!r}' AS {self.double})"

    def not_a_number(self) -> str:
        """NaN as a double: equal to no number, and not NULL."""
        return f"CAST('NaN' AS {self.double})"

    def try_double(self, column: str) -> str:
        if self.name == "duckdb":
            return f"TRY_CAST({column} AS DOUBLE)"
        if self.name == "spark":
            return f"try_cast({column} AS DOUBLE)"
        if self.name == "bigquery":
            return f"SAFE_CAST({column} AS FLOAT64)"
        if self.name == "snowflake":
            # Snowflake's TRY_ functions accept text only.
            return f"TRY_TO_DOUBLE(TO_VARCHAR({column}))"
        text = f"CAST({column} AS TEXT)"
        return f"CASE WHEN pg_input_is_valid({text}, 'float8') THEN CAST({text} AS DOUBLE PRECISION) END"

    def trimmed_text(self, column: str) -> str:
        chars = self.string(WHITESPACE)
        text = f"CAST({column} AS {self.text})"
        if self.name in {"spark", "postgres"}:
            return f"TRIM(BOTH {chars} FROM {text})"
        return f"TRIM({text}, {chars})"

    def timestamp(self, column: str, date_format: str) -> str:
        """A TIMESTAMP without time zone from a DATE/TIMESTAMP column, or from text in ``date_format``."""
        text = self.trimmed_text(column)
        if self.name == "duckdb":
            typed = f"TRY_CAST({column} AS TIMESTAMP)"
            if not date_format:
                return f"TRY_CAST({text} AS TIMESTAMP)"
            parsed = f"try_strptime({text}, {self.string(date_format)})"
            return f"CASE WHEN typeof({column}) = 'DATE' OR typeof({column}) LIKE 'TIMESTAMP%' THEN {typed} ELSE {parsed} END"
        if self.name == "spark":
            typed = f"try_cast({column} AS TIMESTAMP_NTZ)"
            if not date_format:
                return f"try_cast({text} AS TIMESTAMP_NTZ)"
            parsed = f"CAST(try_to_timestamp({text}, {self.string(_java_format(date_format))}) AS TIMESTAMP_NTZ)"
            if "%y" in date_format:
                # Java reads a two-digit year as 2000-2099, Python as 1969-2068.
                parsed = f"CASE WHEN year({parsed}) >= 2069 THEN {parsed} - INTERVAL '100' YEAR ELSE {parsed} END"
            return (
                f"CASE WHEN typeof({column}) IN ('date', 'timestamp', 'timestamp_ntz') THEN {typed} ELSE {parsed} END"
            )
        if self.name == "bigquery":
            typed = f"SAFE_CAST({column} AS DATETIME)"
            if not date_format:
                return typed
            return f"COALESCE(SAFE.PARSE_DATETIME({self.string(date_format)}, {text}), {typed})"
        if self.name == "snowflake":
            typed = f"TRY_TO_TIMESTAMP_NTZ(TO_VARCHAR({column}))"
            if not date_format:
                return typed
            return f"COALESCE(TRY_TO_TIMESTAMP_NTZ({text}, {self.string(_oracle_format(date_format))}), {typed})"
        # PostgreSQL has no TRY_ functions: validate the text before converting it.
        text = f"CAST({column} AS TEXT)"
        typed = f"CASE WHEN pg_input_is_valid({text}, 'timestamp') THEN CAST({text} AS TIMESTAMP) END"
        if not date_format:
            return typed
        pattern = self.string(_date_regex(date_format))
        fmt = self.string(_oracle_format(date_format))
        parsed = f"CASE WHEN {self.trimmed_text(column)} ~ {pattern} THEN CAST(to_timestamp({self.trimmed_text(column)}, {fmt}) AS TIMESTAMP) END"
        return f"COALESCE({parsed}, {typed})"

    def micros_before(self, latest: pd.Timestamp, timestamp: str) -> str:
        """Microseconds from ``timestamp`` to ``latest`` as an exact integer expression."""
        literal = latest.strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.name == "duckdb":
            return f"({_epoch_micros(latest)} - epoch_us({timestamp}))"
        if self.name == "spark":
            return f"timestampdiff(MICROSECOND, {timestamp}, TIMESTAMP_NTZ '{literal}')"
        if self.name == "bigquery":
            return f"DATETIME_DIFF(DATETIME '{literal}', {timestamp}, MICROSECOND)"
        if self.name == "snowflake":
            return f"TIMESTAMPDIFF(MICROSECOND, {timestamp}, TO_TIMESTAMP_NTZ('{literal}'))"
        return f"CAST(EXTRACT(EPOCH FROM (TIMESTAMP '{literal}' - {timestamp})) * 1000000 AS BIGINT)"

    @property
    def integer(self) -> str:
        """The 64-bit integer type."""
        return "INT64" if self.name == "bigquery" else "BIGINT"

    def days_between(self, start: str, end: str) -> str:
        """Whole days from the DATE ``start`` to the DATE ``end`` (negative when ``start`` is later)."""
        if self.name == "duckdb":
            return f"date_diff('day', {start}, {end})"
        if self.name == "bigquery":
            return f"DATE_DIFF({end}, {start}, DAY)"
        if self.name == "snowflake":
            return f"DATEDIFF(day, {start}, {end})"
        if self.name == "spark":
            return f"datediff({end}, {start})"
        return f"({end} - {start})"  # postgres: a date minus a date is an integer of days

    def least(self, values: list[str]) -> str:
        return values[0] if len(values) == 1 else f"LEAST({', '.join(values)})"

    def all_but(self, helpers: list[str]) -> str:
        listed = ", ".join(self.identifier(h) for h in helpers)
        if self.name in {"duckdb", "snowflake"}:
            return f"* EXCLUDE ({listed})"
        return f"* EXCEPT ({listed})"  # spark, bigquery


_DIALECT_TYPES = {
    "duckdb": ("DOUBLE", "VARCHAR"),
    "postgres": ("DOUBLE PRECISION", "TEXT"),
    "bigquery": ("FLOAT64", "STRING"),
    "snowflake": ("DOUBLE", "VARCHAR"),
    "spark": ("DOUBLE", "STRING"),
}


def text_missing(value: str, d: Dialect) -> str:
    """True when a trimmed text cell is missing: NULL, or a marker the file loader reads as missing."""
    markers = ", ".join(d.string(m) for m in sorted(MISSING_MARKERS))
    return f"({value} IS NULL OR LOWER({value}) IN ({markers}))"


def quote_identifier(name: str, *, dialect: str = "duckdb") -> str:
    """Quote one column or table name for ``dialect``, escaping embedded quote characters.

    Examples
    --------
    >>> quote_identifier('a"b'), quote_identifier("a`b", dialect="spark")
    ('"a""b"', '`a``b`')
    """
    return Dialect.named(dialect).identifier(name)


def quote_table(name: str, *, dialect: str = "duckdb") -> str:
    """Quote a possibly qualified table name: plain parts stay as typed, others are quoted.

    Plain parts (``analytics.customers``) keep the warehouse's own case rules (Snowflake upper-cases
    them, PostgreSQL lower-cases them); any other part is quoted exactly.

    Examples
    --------
    >>> quote_table("crm.Customers 2024")
    'crm."Customers 2024"'
    """
    d = Dialect.named(dialect)
    if not name or not name.strip():
        raise DataError("Give the name of the table to score.")
    parts = name.split(".")
    return ".".join(part if _PLAIN_NAME.match(part) else d.identifier(part) for part in parts)


def string_literal(value: str, *, dialect: str = "duckdb") -> str:
    """A text value as a literal of ``dialect`` that reads back exactly ``value``.

    Examples
    --------
    >>> string_literal("O'Brien"), string_literal("a\\\\b", dialect="bigquery")
    ("'O''Brien'", "'a\\\\\\\\b'")
    """
    return Dialect.named(dialect).string(value)


# --------------------------------------------------------------------------------------------------
# Text and dates: escaping, timestamps and date formats


def _epoch_micros(latest: pd.Timestamp) -> int:
    return int((latest - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1))


def _refuse_nul(value: str, what: str) -> None:
    if "\x00" in value:
        raise DataError(f"{what} in this run file holds a NUL character, which SQL cannot hold. Rename it first.")


def _printable_runs(value: str, *, keep_backslash: bool) -> list[str | int]:
    """``value`` as quoted literals of its printable runs and code points of the other characters."""
    pieces: list[str | int] = []
    run = ""
    for ch in value:
        if ch.isprintable() and (keep_backslash or ch != "\\"):
            run += ch
            continue
        if run:
            pieces.append("'" + run.replace("'", "''") + "'")
            run = ""
        pieces.append(ord(ch))
    if run:
        pieces.append("'" + run.replace("'", "''") + "'")
    return pieces


def _backslash_escaped(value: str, *, quote: str) -> str:
    """Backslash escapes, with every invisible character as a \\u escape (BigQuery, Snowflake)."""
    out = []
    for ch in value:
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def _format_tokens(date_format: str) -> list[tuple[str, str]]:
    """Split a strftime format into ("directive", "Y") and ("text", "-") tokens."""
    tokens, i = [], 0
    while i < len(date_format):
        ch = date_format[i]
        if ch == "%":
            if i + 1 >= len(date_format):
                raise _format_error(date_format)
            code = date_format[i + 1]
            if code == "%":
                tokens.append(("text", "%"))
            elif code in _DATE_DIRECTIVES:
                tokens.append(("directive", code))
            else:
                raise _format_error(date_format)
            i += 2
        else:
            tokens.append(("text", ch))
            i += 1
    return tokens


def _format_error(date_format: str) -> DataError:
    return DataError(
        f"The run file's date format '{date_format}' cannot be written in SQL (only %Y %m %d %y %H %M %S are)."
    )


def _java_format(date_format: str) -> str:
    """strftime to Spark's datetime pattern; single letters parse one or two digits like strptime."""
    tokens = _format_tokens(date_format)
    wide = {"Y": "yyyy", "m": "MM", "d": "dd", "y": "yy", "H": "HH", "M": "mm", "S": "ss"}
    narrow = {"Y": "yyyy", "m": "M", "d": "d", "y": "yy", "H": "H", "M": "m", "S": "s"}
    out = []
    for i, (kind, value) in enumerate(tokens):
        if kind == "text":
            out.append(value if not value.isalpha() else f"'{value}'")
            continue
        # Adjacent numbers (%Y%m%d) need fixed widths to be told apart.
        adjacent = any(0 <= j < len(tokens) and tokens[j][0] == "directive" for j in (i - 1, i + 1))
        out.append((wide if adjacent else narrow)[value])
    return "".join(out).replace("''", "")


def _oracle_format(date_format: str) -> str:
    """strftime to the PostgreSQL / Snowflake template (YYYY-MM-DD HH24:MI:SS)."""
    codes = {"Y": "YYYY", "m": "MM", "d": "DD", "y": "YY", "H": "HH24", "M": "MI", "S": "SS"}
    return "".join(
        codes[v] if k == "directive" else (f'"{v}"' if v.isalpha() else v) for k, v in _format_tokens(date_format)
    )


def _date_regex(date_format: str) -> str:
    """A regular expression for text in ``date_format`` (PostgreSQL converts only what matches)."""
    digits = {
        "Y": r"\d{4}",
        "y": r"\d{2}",
        "m": r"\d{1,2}",
        "d": r"\d{1,2}",
        "H": r"\d{1,2}",
        "M": r"\d{1,2}",
        "S": r"\d{1,2}",
    }
    return "^" + "".join(digits[v] if k == "directive" else re.escape(v) for k, v in _format_tokens(date_format)) + "$"
