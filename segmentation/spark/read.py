"""Read customer tables into Spark: CSV or Parquet, from a local path or any URI Spark can read.

A local CSV's separator, encoding, decimal mark and header names are sniffed by the Python loader
(:func:`segmentation.load_table`) from the file's head; a remote URI takes ``sep`` and ``encoding``
as given. Spark then reads plain values: numbers written with currency symbols or thousands
separators, and quoted values spanning lines, are not read as the default engine reads them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..errors import DataError
from ..load import load_table

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import SparkSession

__all__ = ["SNIFF_BYTES", "SparkTable", "local_path", "read"]

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
