"""Read a customer file (CSV or Excel) into a table, whatever its dialect.

Marketers' exports come from many tools: ``;``-separated files with decimal commas from a German
Excel, tab-separated reports, UTF-8 files with a byte-order mark, cp1252 files with accents, workbooks
with several sheets. :func:`load_table` sniffs all of this and returns a :class:`Table` that keeps two
views of the same rows:

* ``raw``: every cell exactly as written in the file (text), so the labelled download gives the user
  their own values back, untouched;
* ``frame``: the typed view the analysis uses: numbers as floats (decimal comma understood), text
  stripped, the usual missing markers (``NA``, ``N/A``, ``?``, ``-``, ``null``...) as missing.

No row is ever dropped. Anything that cannot be a customer table raises :class:`DataError` with a
message the user can act on.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = [
    "MAX_COLUMNS",
    "MISSING_MARKERS",
    "Table",
    "file_hash",
    "load",
    "load_table",
    "parse_numbers",
]

#: Cell values read as "missing" (compared case-insensitively, after stripping spaces).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "?", "-", "--", "null", "none", "nil", "missing"})

#: A header wider than this is almost always a wrong separator or a broken export, and parsing a
#: million-column line would exhaust memory long before it told the user anything useful.
MAX_COLUMNS = 2_000

#: Minimum number of customer rows for anything to be segmented.
MIN_ROWS = 2

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_BYTES = 256 * 1024
_SNIFF_LINES = 200

# "1234.5", "-1,234.5", "1e5"; and the decimal-comma forms "1234,5", "1.234,5".
_DOT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?(\d+,\d+|\d+|,\d+)([eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_COMMA_DECIMAL_HINT = re.compile(r"^[+-]?\d+,\d+$|^[+-]?\d{1,3}(\.\d{3})+,\d+$")
_DOT_DECIMAL_HINT = re.compile(r"^[+-]?\d+\.\d+$|^[+-]?\d{1,3}(,\d{3})+\.\d+$")
_AMBIGUOUS_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # "2.000": two thousand, or two?

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)


@dataclass(frozen=True)
class Table:
    """A customer file as read, in two aligned views.

    Attributes
    ----------
    raw : DataFrame
        Every cell as written in the file (``str``; a short row's missing fields are ``""``). Row
        ``i`` of ``raw`` is row ``i`` of ``frame``; the index is ``0..n-1``.
    frame : DataFrame
        The typed view: numeric columns as ``float64`` (missing as NaN), other columns as ``str``
        with surrounding spaces removed and missing markers as missing.
    name : str
        The file name (or ``"data"``), used in messages and download names.
    file_hash : str
        SHA-256 of the file's bytes: the identity of the data in caches and run files.
    n_bytes : int
        Size of the file in bytes.
    format : str
        ``"csv"`` or ``"xlsx"``.
    delimiter, encoding, decimal : str
        What was sniffed (or given); for Excel files ``delimiter`` and ``encoding`` are ``""``.
    notes : tuple of str
        Plain-language remarks about the reading: renamed headers, a sheet chosen, a header row
        repeated inside the data, and so on.
    header_repeats : tuple of int
        Positions (0-based) of rows that repeat the header line; they are kept but carry no values.
    """

    raw: pd.DataFrame
    frame: pd.DataFrame
    name: str = "data"
    file_hash: str = ""
    n_bytes: int = 0
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    notes: tuple[str, ...] = ()
    header_repeats: tuple[int, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of customer rows (the header not counted)."""
        return len(self.raw)

    @property
    def columns(self) -> list[str]:
        """Column names, after cleaning (stripped, blanks named, duplicates made unique)."""
        return list(self.raw.columns)

    def describe_format(self) -> str:
        """One line saying how the file was read, e.g. ``"CSV, semicolon-separated, UTF-8"``."""
        if self.format == "xlsx":
            return "Excel workbook"
        parts = ["CSV", f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"]
        parts.append(_ENCODING_NAMES.get(self.encoding, self.encoding))
        if self.decimal == ",":
            parts.append("decimal comma")
        return ", ".join(parts)


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def file_hash(data: bytes) -> str:
    """Return the SHA-256 hex digest of ``data``, the identity of a file in caches and run files."""
    return hashlib.sha256(data).hexdigest()


def load(source: bytes | str | Path, **options) -> pd.DataFrame:
    """Read a customer CSV or Excel file into a typed DataFrame.

    A shortcut for ``load_table(source, **options).frame``; see :func:`load_table`.

    Examples
    --------
    >>> load(b"Age;Income\\n31;1.234,5\\n45;2.000\\n")["Income"].tolist()
    [1234.5, 2000.0]
    """
    return load_table(source, **options).frame


def load_table(
    source: bytes | str | Path,
    *,
    name: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Read a customer file, sniffing its format, and return both raw and typed views.

    Parameters
    ----------
    source : bytes, str or Path
        The file's content, or a path to it.
    name : str, optional
        File name for messages; defaults to the path's name or ``"data"``.
    sep : str, optional
        Field separator. Sniffed among ``,`` ``;`` tab and ``|`` when not given.
    encoding : str, optional
        Text encoding. Sniffed when not given: a byte-order mark (UTF-8 or UTF-16), then UTF-8,
        then Windows-1252, then Latin-1.
    sheet : str, optional
        For Excel workbooks, the sheet to read; defaults to the first sheet that holds data.
    max_bytes : int, optional
        Refuse files larger than this, with a message saying the limit.

    Returns
    -------
    Table

    Raises
    ------
    DataError
        If the file is empty, binary, has merge-conflict markers, rows with more fields than the
        header, more than :data:`MAX_COLUMNS` columns, or fewer than two customer rows.

    Examples
    --------
    >>> table = load_table(b"CustomerID,Gender,Age\\n1,Male,19\\n2,Female,21\\n")
    >>> table.n_rows, table.columns
    (2, ['CustomerID', 'Gender', 'Age'])
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DataError(f"There is no file at '{path}'. Check the path and try again.") from None
        except IsADirectoryError:
            raise DataError(f"'{path}' is a folder, not a file. Give the path of the CSV file.") from None
        name = name or path.name
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    name = name or "data"

    if max_bytes is not None and len(data) > max_bytes:
        raise DataError(
            f"'{name}' is {_megabytes(len(data))}, over the {_megabytes(max_bytes)} limit. "
            "Upload a smaller export (fewer rows or only the columns you need)."
        )
    if not data.strip():
        raise DataError(f"'{name}' is empty. Export the customer table again and upload the new file.")

    digest = file_hash(data)
    if data[:4] == b"PK\x03\x04":
        raw, notes = _read_excel(data, name=name, sheet=sheet)
        fmt, delimiter, enc, decimal = "xlsx", "", "", "."
    else:
        _refuse_binary_magic(data, name)
        text, enc = _decode(data, name=name, encoding=encoding)
        _refuse_binary_text(text, name)
        _refuse_merge_conflict(text, name)
        delimiter = sep if sep is not None else _sniff_delimiter(text)
        raw, notes = _read_csv_text(text, delimiter=delimiter, name=name)
        fmt = "csv"
        decimal = _sniff_decimal(raw, delimiter)

    raw, more_notes, header_repeats = _clean_header_and_rows(raw, name=name)
    notes = notes + more_notes
    frame = _typed(raw, decimal=decimal, blank_rows=header_repeats)
    return Table(
        raw=raw,
        frame=frame,
        name=name,
        file_hash=digest,
        n_bytes=len(data),
        format=fmt,
        delimiter=delimiter,
        encoding=enc,
        decimal=decimal,
        notes=tuple(notes),
        header_repeats=tuple(header_repeats),
    )


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> pd.Series:
    """Parse text as numbers in the file's convention; cells that are not plain numbers become NaN.

    Parameters
    ----------
    values : Series of str
        Stripped cell values (missing allowed).
    decimal : {".", ","}
        The decimal mark. With ``","``, ``"1.234,5"`` reads as 1234.5; with ``"."``, ``"1,234.5"``
        reads as 1234.5.

    Returns
    -------
    Series of float64
    """
    text = values.astype("str")
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    return out


# --------------------------------------------------------------------------------------------------
# Bytes to text


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def _refuse_binary_magic(data: bytes, name: str) -> None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            hint = (
                "Open it in Excel and save it as .xlsx or CSV."
                if "xls" in what
                else "Upload the customer table as a CSV or .xlsx file."
            )
            raise DataError(f"'{name}' is {what}, not a customer table. {hint}")


def _decode(data: bytes, *, name: str, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DataError(f"'{encoding}' is not a text encoding Python knows (try utf-8 or cp1252).") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as error:
            raise DataError(
                f"'{name}' is not valid {encoding} text (byte {error.start:,} cannot be read). "
                "Leave the encoding empty to detect it automatically."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if _looks_like_utf16_without_bom(data):
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return data.decode(codec, errors="replace"), "utf-16"
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _looks_like_utf16_without_bom(data: bytes) -> bool:
    head = data[:4096]
    if len(head) < 4:
        return False
    even_nuls = head[0::2].count(0) / len(head[0::2])
    odd_nuls = head[1::2].count(0) / len(head[1::2])
    # ASCII text in UTF-16 has a NUL in every other byte, and almost none in the other half.
    return max(even_nuls, odd_nuls) > 0.8 and min(even_nuls, odd_nuls) < 0.1


def _refuse_binary_text(text: str, name: str) -> None:
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
    if "\x00" in sample or controls > max(8, len(sample) // 100):
        raise DataError(
            f"'{name}' does not look like a text file (it holds binary data). "
            "Upload the customer table as a CSV or .xlsx file."
        )


_CONFLICT = re.compile(r"^(<{7} |={7}$|>{7} |<{7}$|>{7}$)", re.MULTILINE)


def _refuse_merge_conflict(text: str, name: str) -> None:
    markers = [m.start() for m in _CONFLICT.finditer(text)]
    if len(markers) < 2:
        return
    lines = [text.count("\n", 0, start) + 1 for start in markers[:3]]
    raise DataError(
        f"'{name}' contains unresolved git merge-conflict markers (lines "
        f"{', '.join(f'{n:,}' for n in lines)}). Resolve the conflict so the file holds one "
        "version of the data, then upload it again."
    )


# --------------------------------------------------------------------------------------------------
# Text to cells


def _sniff_delimiter(text: str) -> str:
    """Pick the separator that splits the first lines into the most consistent number of fields."""
    sample = text[:_SNIFF_BYTES]
    lines = sample.splitlines()[:_SNIFF_LINES]
    if len(sample) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample is usually incomplete
    best, best_score = ",", (-1.0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:  # e.g. a NUL byte or a stray carriage return: not this separator's fault
            continue
        if not counts:
            continue
        header = counts[0]
        if header < 2:
            continue
        agreeing = sum(1 for c in counts if c == header) / len(counts)
        score = (round(agreeing, 2), header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv_text(text: str, *, delimiter: str, name: str) -> tuple[pd.DataFrame, list[str]]:
    first_line = next(iter(text.splitlines()), "")
    width = first_line.count(delimiter) + 1  # an upper bound: quoted separators count too
    if width > MAX_COLUMNS:
        try:
            width = len(next(csv.reader([first_line], delimiter=delimiter), []))
        except csv.Error:
            pass
    if width > MAX_COLUMNS:
        raise DataError(
            f"The first line of '{name}' has {width:,} fields; a customer table has at most "
            f"{MAX_COLUMNS:,} columns. Check that the file is a table with one customer per line."
        )
    options = dict(
        sep=delimiter,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=True,
        quotechar='"',
    )
    buffer = io.StringIO(text)
    try:
        # pyarrow's reader is several times faster on big files; it refuses some layouts (ragged
        # rows, quoted newlines in some versions) for which the C reader gives exact line numbers.
        raw = pd.read_csv(buffer, engine="pyarrow", **options) if len(text) > 5_000_000 else None
    except Exception:  # noqa: BLE001 - any refusal by pyarrow falls back to the C reader below
        raw = None
    if raw is None:
        buffer.seek(0)
        try:
            raw = pd.read_csv(buffer, engine="c", **options)
        except pd.errors.ParserError as error:
            raise DataError(_ragged_message(text, delimiter=delimiter, name=name, error=error)) from None
        except (ValueError, MemoryError) as error:
            raise DataError(f"'{name}' could not be read as a table ({error}).") from None
    raw = raw.fillna("")  # fields missing at the end of a short row
    return raw, []


def _ragged_message(text: str, *, delimiter: str, name: str, error: Exception) -> str:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    bad: list[tuple[int, int]] = []
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header = len(row)
                continue
            if len(row) > header:
                bad.append((reader.line_num, len(row)))
                if len(bad) >= 3:
                    break
    except csv.Error:
        pass  # the message below falls back to the parser's own words
    if header is None or not bad:
        return f"'{name}' could not be read as a table: {error}"
    where = ", ".join(f"line {line:,} has {n}" for line, n in bad)
    sep = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    return (
        f"Some rows of '{name}' have more fields than its header ({header}): {where}. "
        f"A {sep} inside a value is probably not quoted; fix those lines, or quote such values, "
        "and upload again."
    )


def _read_excel(data: bytes, *, name: str, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a zip that is not a workbook
        raise DataError(
            f"'{name}' is a ZIP archive, not a CSV or Excel workbook. Unzip it and upload the CSV inside."
        ) from None
    notes = []
    if sheet is not None:
        if sheet not in sheets:
            raise DataError(f"The workbook has no sheet called '{sheet}'. Its sheets are: {', '.join(sheets)}.")
        chosen = sheet
    else:
        with_data = [s for s, f in sheets.items() if f.dropna(how="all").shape[0] > 0]
        if not with_data:
            raise DataError(f"Every sheet of '{name}' is empty. Put the customer table in the first sheet.")
        chosen = with_data[0]
        if len(sheets) > 1:
            notes.append(
                f"The workbook has {len(sheets)} sheets ({', '.join(map(str, sheets))}); "
                f"the customers were read from '{chosen}', the first one with data."
            )
    frame = sheets[chosen].dropna(how="all").dropna(axis=1, how="all")
    raw = frame.map(_excel_cell_text).astype(str).reset_index(drop=True)
    raw.columns = range(raw.shape[1])
    return raw, notes


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    return str(value)


# --------------------------------------------------------------------------------------------------
# Header and types


def _clean_header_and_rows(raw: pd.DataFrame, *, name: str) -> tuple[pd.DataFrame, list[str], list[int]]:
    if raw.shape[0] == 0:
        raise DataError(f"'{name}' is empty. Export the customer table again and upload the new file.")
    first = [str(v).strip() for v in raw.iloc[0]]
    notes: list[str] = []
    headerless = any(first) and all(_DOT_NUMBER.match(v) or _COMMA_NUMBER.match(v) for v in first if v)
    if headerless:
        header = [f"Column {i + 1}" for i in range(len(first))]
        body = raw
        notes.append(
            "The first line holds numbers, not column names, so it was kept as a customer row and "
            f"the columns were named {_short_list(header, limit=2)}."
        )
    else:
        header = _unique_header(first, notes)
        body = raw.iloc[1:]
    body = body.reset_index(drop=True)
    body.columns = header
    if body.shape[0] == 0:
        raise DataError(
            f"'{name}' has column names ({_short_list(header)}) but no customer rows. "
            "Export the table again with its data."
        )
    if body.shape[0] < MIN_ROWS:
        raise DataError(
            f"'{name}' has only {body.shape[0]} customer row; segmentation needs at least "
            f"{MIN_ROWS} (and usually hundreds). Upload the full customer table."
        )
    repeats = [] if headerless else _header_repeats(body, first)
    if repeats:
        rows = ", ".join(f"{r + 1:,}" for r in repeats[:5])
        notes.append(
            f"{len(repeats)} row(s) repeat the header line (row {rows}); they are kept in the "
            "download but have no values to segment."
        )
    return body, notes, repeats


def _unique_header(names: list[str], notes: list[str]) -> list[str]:
    header: list[str] = []
    blanks = []
    for i, value in enumerate(names):
        if not value:
            value = f"Column {i + 1}"
            blanks.append(value)
        header.append(value)
    if blanks:
        notes.append(f"{len(blanks)} column(s) had no name and were called {_short_list(blanks)}.")
    seen: dict[str, int] = {}
    unique = []
    for value in header:
        if value in seen:
            seen[value] += 1
            new = f"{value} ({seen[value]})"
            while new in header or new in unique:
                seen[value] += 1
                new = f"{value} ({seen[value]})"
            notes.append(f"Two columns are called '{value}'; the later one is now '{new}'.")
            unique.append(new)
        else:
            seen[value] = 1
            unique.append(value)
    return unique


def _header_repeats(body: pd.DataFrame, header: list[str]) -> list[int]:
    if body.shape[1] == 0 or not any(header):
        return []
    first_col = body.iloc[:, 0].str.strip()
    candidates = np.flatnonzero((first_col == header[0]).to_numpy())
    repeats = []
    for row in candidates:
        values = [str(v).strip() for v in body.iloc[row]]
        if values == header:
            repeats.append(int(row))
    return repeats


def _sniff_decimal(raw: pd.DataFrame, delimiter: str) -> str:
    sample = raw.iloc[1:2001]
    comma = dot = 0
    for column in sample.columns:
        values = sample[column].str.strip()
        ambiguous = values.str.match(r"^[+-]?\d{1,3}(,\d{3})+$")  # "1,234": a thousand, or one?
        comma += int((values.str.match(_COMMA_DECIMAL_HINT.pattern) & ~ambiguous).sum())
        unambiguous = values.str.match(_DOT_DECIMAL_HINT.pattern) & ~values.str.match(_AMBIGUOUS_THOUSANDS.pattern)
        dot += int(unambiguous.sum())
    # Decimal commas in a comma-separated file must be quoted: rare, so it needs clear evidence.
    if delimiter == ",":
        return "," if comma > 3 * dot and comma >= 3 else "."
    return "," if comma > dot else "."


def _typed(raw: pd.DataFrame, *, decimal: str, blank_rows: list[int]) -> pd.DataFrame:
    columns = {}
    for column in raw.columns:
        text = raw[column].str.strip()
        missing = text.str.lower().isin(MISSING_MARKERS)
        if blank_rows:
            missing.iloc[blank_rows] = True
        text = text.mask(missing)
        present = text.dropna()
        number_pattern = (_COMMA_NUMBER, _COMMA_THOUSANDS) if decimal == "," else (_DOT_NUMBER, _DOT_THOUSANDS)
        if len(present) and _all_match(present, number_pattern):
            columns[column] = parse_numbers(text, decimal=decimal)
        else:
            columns[column] = text
    return pd.DataFrame(columns, index=raw.index)


def _all_match(values: pd.Series, patterns: tuple[re.Pattern, ...]) -> bool:
    ok = values.str.match(patterns[0].pattern)
    for pattern in patterns[1:]:
        ok = ok | values.str.match(pattern.pattern)
    return bool(ok.all())


def _short_list(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
