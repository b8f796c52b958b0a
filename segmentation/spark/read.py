"""Read customer tables into Spark: CSV or Parquet, from a local path or any URI Spark can read.

A local CSV's separator, encoding, decimal mark and header names are sniffed by the Python loader
(:func:`segmentation.load_table`) from the file's head; a remote URI takes ``sep`` and ``encoding``
as given. Columns aligned with runs of spaces (as the CDNOW log) are split the way the loader splits
them. Spark then reads plain values: numbers written with currency symbols or thousands
separators, and quoted values spanning lines, are not read as the default engine reads them.
:func:`python_table` brings rows back as a :class:`segmentation.Table`, for the rules that decide on
a sample or the first rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd

from ..errors import DataError
from ..load import Table, load_table
from ..read_text import SPACES
from .frames import col

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SNIFF_BYTES", "SparkTable", "local_path", "python_table", "read"]

#: Bytes of a local CSV read by the Python loader to sniff its dialect and header.
SNIFF_BYTES = 1_000_000


@dataclass(frozen=True)
class SparkTable:
    """A customer table in Spark, with what is known of the file it came from.

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Every row; CSV columns as text, Parquet columns as typed.
    name : str
        The file name (or ``"data"``), for messages and the run file.
    format : str
        ``"csv"``, ``"parquet"`` or ``"spark"`` (a DataFrame handed in).
    delimiter, encoding, decimal : str
        As sniffed (CSV only).
    file_hash : str
        SHA-256 of a local file's bytes (as the default engine records it); empty otherwise.
    notes : tuple of str
        Remarks about the reading.
    """

    frame: Any
    name: str = "data"
    format: str = "spark"
    delimiter: str = ""
    encoding: str = ""
    decimal: str = "."
    file_hash: str = ""
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """The column names, as :attr:`segmentation.Table.columns` gives them."""
        return list(self.frame.columns)


def read(
    spark: SparkSession,
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
) -> SparkTable:
    """Read a CSV or Parquet table with Spark (a local path or any URI Spark can read).

    Parameters
    ----------
    spark : SparkSession
    path : str or Path
        A file or a folder. Names ending in ``.parquet`` (or folders of Parquet files) are read as
        Parquet, anything else as CSV with a header line.
    sep, encoding : str, optional
        For CSV: sniffed from a local file's head when not given; ``","`` and UTF-8 otherwise.

    Returns
    -------
    SparkTable

    Raises
    ------
    DataError
        If there is nothing at ``path`` or a CSV cannot be read the way Spark reads it.
    """
    from pyspark.errors import AnalysisException

    location = str(path)
    local = local_path(location)
    if local is not None and not local.exists():
        raise DataError(f"There is no file at '{location}'. Check the path and try again.")
    name = (local.name if local is not None else location.rstrip("/").rsplit("/", 1)[-1]) or "data"
    if name.lower().endswith((".xlsx", ".xls")):
        raise DataError(f"'{name}' is an Excel workbook; the Spark engine reads CSV or Parquet. Save it as CSV first.")
    try:
        if _is_parquet(location, local):
            frame = spark.read.parquet(location)
            return SparkTable(frame=frame, name=name, format="parquet", file_hash=_file_hash(local))
        head = _sniff(local, sep=sep, encoding=encoding, name=name) if local is not None else None
        delimiter = head.delimiter if head is not None else (sep or ",")
        text_encoding = head.encoding if head is not None else (encoding or "utf-8")
        if head is not None and head.decimal == ",":
            raise DataError(
                f"'{name}' writes decimals with a comma (like 12,5). The Spark engine reads numbers "
                "with a decimal point only: export the file with decimal points, or use the default engine."
            )
        if delimiter == SPACES:
            frame = _space_aligned(spark, location, columns=head.columns, encoding=text_encoding)
        else:
            frame = (
                spark.read.option("header", True)
                .option("sep", delimiter)
                .option("encoding", _java_encoding(text_encoding))
                .option("quote", '"')
                .option("escape", '"')  # CSV's doubled quotes, as Excel and Python write them
                .option("inferSchema", False)
                .option("mode", "PERMISSIVE")
                .csv(location)
            )
    except AnalysisException as error:
        raise DataError(f"Spark could not read '{location}': {_first_line(error)}") from None
    if head is not None and len(head.columns) == len(frame.columns):
        # The loader's header names: stripped, blanks named, duplicates numbered, as in the app.
        frame = frame.toDF(*head.columns)
    return SparkTable(
        frame=frame,
        name=name,
        format="csv",
        delimiter=delimiter,
        encoding=text_encoding,
        decimal=".",
        file_hash=_file_hash(local),
        notes=head.notes if head is not None else (),
    )


def local_path(location: str) -> Path | None:
    """The local file or folder a location names, or None for a URI that Spark reads remotely.

    Examples
    --------
    >>> local_path("file:///tmp/customers.csv").as_posix()
    '/tmp/customers.csv'
    >>> local_path("s3a://lake/customers/") is None
    True
    """
    parsed = urlparse(location)
    if parsed.scheme in {"", "file"} or (len(parsed.scheme) == 1 and location[1:2] == ":"):  # C:\ on Windows
        return Path(parsed.path if parsed.scheme == "file" else location)
    return None


def python_table(frame: DataFrame, *, name: str) -> Table:
    """Rows of a Spark DataFrame (a sample, or the first rows) as the Python loader reads them.

    The cells go through :func:`segmentation.load_table` as text, so the rules of the default engine
    (kinds, roles, transaction log columns) decide on exactly what they would see in a file.

    Raises
    ------
    DataError
        If a value holds a line break Spark did not read as one row.
    """
    columns = frame.columns
    # Cells as text (what the loader reads), under neutral names so any header survives the round trip.
    text = frame.select([col(c).cast("string").alias(f"c{i}") for i, c in enumerate(columns)])
    rows = [list(row) for row in text.collect()]
    cells = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(columns))], dtype=object)
    table = load_table(cells.to_csv(index=False).encode("utf-8"), name=name, sep=",", encoding="utf-8", min_rows=0)
    if table.n_rows != len(rows):
        raise DataError(f"'{name}' could not be sampled: some rows hold line breaks Spark did not read as one row.")
    return replace(
        table, raw=table.raw.set_axis(columns, axis=1), frame=table.frame.set_axis(columns, axis=1), notes=()
    )


def _space_aligned(spark: SparkSession, location: str, *, columns: list[str], encoding: str) -> DataFrame:
    """A file whose columns are aligned with runs of spaces, split as the loader splits it (header line dropped)."""
    from pyspark.sql import functions as F

    lines = spark.read.option("encoding", _java_encoding(encoding)).text(location)
    spaced = F.trim(F.regexp_replace("value", r"\s+", " "))  # a line ending in \r too
    # Each file of a folder starts with the header line; blank lines are no rows, as for the loader.
    kept = lines.select(spaced.alias("line")).where((F.col("line") != F.lit(" ".join(columns))) & (F.col("line") != ""))
    fields = F.split("line", " ")
    return kept.select([F.try_element_at(fields, F.lit(i + 1)).alias(c) for i, c in enumerate(columns)])


def _is_parquet(location: str, local: Path | None) -> bool:
    if location.lower().rstrip("/").endswith(".parquet"):
        return True
    if local is not None and local.is_dir():
        return any(p.suffix == ".parquet" for p in local.iterdir())
    return False


@dataclass(frozen=True)
class _Head:
    delimiter: str
    encoding: str
    decimal: str
    columns: list[str]
    notes: tuple[str, ...]


def _sniff(path: Path, *, sep: str | None, encoding: str | None, name: str) -> _Head | None:
    """The Python loader's reading of a local CSV's first lines: dialect and cleaned header."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
        if not files:
            raise DataError(f"The folder '{path}' has no data files.")
        path = files[0]
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES + 1)
    if len(head) > SNIFF_BYTES:
        head = head[: head.rfind(b"\n", 0, SNIFF_BYTES) + 1] or head[:SNIFF_BYTES]
    table = load_table(head, name=name, sep=sep, encoding=encoding)
    return _Head(table.delimiter, table.encoding, table.decimal, table.columns, table.notes)


def _java_encoding(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "latin-1": "ISO-8859-1", "cp1252": "windows-1252"}.get(
        encoding, encoding
    )


def _file_hash(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
