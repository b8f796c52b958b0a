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
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .errors import DataError
from .wording import clipped

__all__ = [
    "DEFAULT_DATE_ORDER",
    "MAX_COLUMNS",
    "MISSING_MARKERS",
    "Table",
    "day_month_order",
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

#: How dates such as ``03/04/2024`` are read when no date in their column has a day above 12: day
#: first, as written everywhere but North America; a file with a date like ``12/31/2023`` in the
#: column is read month first instead (see :func:`day_month_order`), and a guess is said in a note.
DEFAULT_DATE_ORDER = "day"

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_BYTES = 256 * 1024
_SNIFF_LINES = 200

# "1234.5", "-1,234.5", "1e5"; and the decimal-comma forms "1234,5", "1.234,5".
_DOT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?(\d+,\d+|\d+|,\d+)([eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
# What tells the decimal mark, for each mark: a number with decimals ("12,5", "1.234,5"); one group
# of three digits after a first group not starting with 0 ("1.500": one and a half, or fifteen
# hundred?), which tells nothing; several such groups ("1.234.567"), only ever thousands.
_DECIMAL_HINT = {
    ",": re.compile(r"^[+-]?\d+,\d+$|^[+-]?\d{1,3}(\.\d{3})+,\d+$"),
    ".": re.compile(r"^[+-]?\d+\.\d+$|^[+-]?\d{1,3}(,\d{3})+\.\d+$"),
}
_ONE_GROUP = {mark: re.compile(rf"^[+-]?[1-9]\d{{0,2}}\{mark}\d{{3}}$") for mark in ",."}
_MANY_GROUPS = {mark: re.compile(rf"^[+-]?[1-9]\d{{0,2}}(\{mark}\d{{3}}){{2,}}$") for mark in ",."}
# A currency sign or a percent sign around a number ("1.500 €", "€ 12,50", "12,5 %") says nothing
# about its marks, but hides the number from the patterns above.
_AROUND_NUMBER = r"^[$€£¥₹]\s*|\s*[$€£¥₹%]$"
#: Rows read to sniff the decimal mark (the whole file only when they hold no evidence).
_SNIFF_ROWS = 2_000

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook, or a password-protected one"),
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
    min_rows: int = MIN_ROWS,
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
    min_rows : int, default :data:`MIN_ROWS`
        Refuse files with fewer customer rows. Segmenting needs two; scoring new customers
        against saved segments works for one (``min_rows=1``).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        If the file is empty, binary (an image, an archive, NUL bytes), a web page or JSON, has
        merge-conflict markers, an unclosed quote, every line wrapped in quotes, rows with more
        fields than the header, more than :data:`MAX_COLUMNS` columns, or fewer than ``min_rows``
        customer rows.

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
        n_bytes = len(data)
    else:
        _refuse_binary_magic(data, name)
        decode_notes: list[str] = []
        text, enc = _decode(data, name=name, encoding=encoding, notes=decode_notes)
        decoded = text
        text = _without_eof_mark(text)
        _refuse_binary_text(text, name)
        _refuse_merge_conflict(text, name)
        _refuse_other_formats(text, name)
        text, hinted, sep_notes = _excel_sep_line(text)
        delimiter = sep if sep is not None else hinted or _sniff_delimiter(text)
        source = data if text is decoded and _same_as_text(data, enc) else None
        if source is not None:
            text = decoded = None  # a big ASCII file: its bytes are its text, parsed as they are
        raw, notes = _read_csv_text(text, delimiter=delimiter, name=name, source=source)
        notes = decode_notes + sep_notes + notes
        if raw.shape[1] == 1:
            text = text if text is not None else source.decode("ascii")
            _refuse_single_column_of_lines(raw, text, delimiter=delimiter, name=name)
        # A big file's bytes and text are each as large as the file: let them go before typing.
        n_bytes = len(data)
        del data, decoded, text, source
        fmt = "csv"

    raw, more_notes, header_repeats = _clean_header_and_rows(raw, name=name, min_rows=min_rows)
    notes = notes + more_notes
    if fmt == "csv":
        decimal = _sniff_decimal(raw, delimiter, notes=notes)
    frame = _typed(raw, decimal=decimal, blank_rows=header_repeats)
    notes += _date_order_notes(frame)
    totals = _totals_row(raw, frame)
    if totals is not None:
        # A spreadsheet's "Total" line would become a one-customer segment of its own.
        frame = frame.mask(np.broadcast_to((frame.index == totals)[:, None], frame.shape))
        label = next(v.strip() for v in raw.iloc[totals] if v.strip())
        notes.append(
            f"Row {totals + 1:,} ('{label}') looks like a totals row (it holds the sum of the rows above); "
            "it is kept in the download but not segmented."
        )
    return Table(
        raw=raw,
        frame=frame,
        name=name,
        file_hash=digest,
        n_bytes=n_bytes,
        format=fmt,
        delimiter=delimiter,
        encoding=enc,
        decimal=decimal,
        notes=tuple(notes),
        header_repeats=tuple(header_repeats),
    )


def day_month_order(values: pd.Series) -> str:
    """Which part comes first in a column of dates like ``03/04/2024``, as far as its values tell.

    A first part above 12 can only be a day (``31/01/2024``), a second part above 12 only a day
    after the month (``01/31/2024``). Every value is looked at, not a sample: one such date among a
    million decides the whole column.

    Parameters
    ----------
    values : Series of str
        Dates written with ``/`` or ``-`` between day, month and year (missing allowed).

    Returns
    -------
    str
        ``"day"`` or ``"month"``; ``"mixed"`` when some dates are written each way; ``""`` when
        none tells (read them as :data:`DEFAULT_DATE_ORDER`).

    Examples
    --------
    >>> import pandas as pd
    >>> day_month_order(pd.Series(["03/04/2024", "12/31/2023"])), day_month_order(pd.Series(["03/04/2024"]))
    ('month', '')
    """
    text = values.dropna().astype("str").str.strip()
    day_first = bool(text.str.match(r"^(1[3-9]|[23]\d)[/-]\d{1,2}[/-]").any())
    month_first = bool(text.str.match(r"^\d{1,2}[/-](1[3-9]|[23]\d)[/-]").any())
    if day_first and month_first:
        return "mixed"
    return "day" if day_first else "month" if month_first else ""


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
    return _to_numbers(text)


#: A plain decimal number, ASCII digits only: Arrow parses these as ``pd.to_numeric`` does (both
#: round correctly), 20x faster; anything else goes to ``pd.to_numeric``.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
#: A superset of what ``pd.to_numeric`` reads besides plain numbers: spaces around, infinities.
#: It reads nothing else (no ``_``, no Unicode digits or spaces, no hex): the rest is NaN anyway.
_MAYBE_NUMBER = r"^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+|(?i:inf|infinity))([eE][+-]?\d+)?[ \t\n\v\f\r]*$"


def _to_numbers(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce").astype("float64")``, the plain numbers parsed by Arrow."""
    cells = _arrow_text(text)
    if cells is None:
        return pd.to_numeric(text, errors="coerce").astype("float64")
    plain = pc.fill_null(pc.match_substring_regex(cells, _PLAIN_NUMBER), False)
    numbers = pc.cast(pc.if_else(plain, cells, pa.scalar(None, cells.type)), pa.float64())
    out = numbers.to_numpy(zero_copy_only=False)
    if not out.flags.writeable:
        out = out.copy()
    # Only what pd.to_numeric might read goes to it: a text column is then skipped in one regex pass.
    maybe = pc.fill_null(pc.match_substring_regex(cells, _MAYBE_NUMBER), False)
    others = text.notna().to_numpy() & ~plain.to_numpy(zero_copy_only=False) & maybe.to_numpy(zero_copy_only=False)
    if others.any():
        out[others] = pd.to_numeric(text[others], errors="coerce").astype("float64").to_numpy()
    zero = out == 0
    if np.signbit(out[zero]).any() or (zero & others).any():
        # pandas reads "-0" as 0 or -0.0 depending on the rest of the column: let it decide.
        return pd.to_numeric(text, errors="coerce").astype("float64")
    return pd.Series(out, index=text.index, name=text.name)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow strings behind a ``str`` column, or None for other storage (then the slow path)."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    return values.array.__arrow_array__()  # the Arrow protocol: the chunks themselves, no copy


# --------------------------------------------------------------------------------------------------
# Bytes to text


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def _refuse_binary_magic(data: bytes, name: str) -> None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            hint = (
                "Open it in Excel, remove any password, and save it as .xlsx or CSV."
                if "xls" in what
                else "Upload the customer table as a CSV or .xlsx file."
            )
            raise DataError(f"'{name}' is {what}, not a customer table. {hint}")


def _decode(data: bytes, *, name: str, encoding: str | None, notes: list[str] | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with; ``notes`` receives any byte that did not fit.

    No byte is dropped or replaced without a note: a UTF-8 file (with or without a byte-order mark)
    holding a few Windows-1252 bytes keeps them as the Windows characters they almost always are, and
    the note names their lines.
    """
    notes = [] if notes is None else notes
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
                "Leave the encoding unset (no --encoding) to detect it automatically."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
        # The mark says UTF-8, but a row pasted from a Windows program can still hold its bytes.
        # With any real UTF-8 character next to them, those bytes are the exception (kept as the
        # Windows characters they are, not lost to "\ufffd"); with none, the mark is wrong.
        if _UTF8_MULTIBYTE.search(body):
            return _utf8_with_stray_bytes(body, name=name, notes=notes), "utf-8-sig"
        text, codec = _decode_8bit(body, name=name, notes=notes)
        notes.append(
            f"'{name}' starts with a UTF-8 byte-order mark, but its text is not UTF-8; it was read as "
            f"{_ENCODING_NAMES.get(codec, codec)}."
        )
        return text, codec
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data, "utf-16", name=name, notes=notes), "utf-16"
    if _looks_like_utf16_without_bom(data):
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return _decode_utf16(data, codec, name=name, notes=notes), "utf-16"
    return _decode_8bit(data, name=name, notes=notes)


def _decode_8bit(data: bytes, *, name: str, notes: list[str]) -> tuple[str, str]:
    """UTF-8, or UTF-8 with a few stray Windows bytes, or Windows-1252, or Latin-1 (which reads any byte)."""
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            if codec == "utf-8" and _mostly_utf8(data):
                # A UTF-8 file with a few stray Windows bytes (a row pasted from elsewhere): reading
                # it all as cp1252 would garble every accent in the file to fix a few cells.
                return _utf8_with_stray_bytes(data, name=name, notes=notes), "utf-8"
            continue
    return data.decode("latin-1"), "latin-1"


_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")  # a byte that is not UTF-8, as "surrogateescape" keeps it


def _utf8_with_stray_bytes(data: bytes, *, name: str, notes: list[str]) -> str:
    """UTF-8 text whose invalid bytes are read as Windows-1252 characters, and a note naming their lines."""
    escaped = data.decode("utf-8", errors="surrogateescape")
    positions = [match.start() for match in _ESCAPED_BYTE.finditer(escaped)]
    text = _ESCAPED_BYTE.sub(lambda match: _as_cp1252(ord(match.group()) - 0xDC00), escaped)
    lines = _line_numbers(text, positions)
    example = _word_at(text, positions[0])
    notes.append(
        f"'{name}' is UTF-8 text except for {len(positions):,} byte(s) on line(s) {_number_list(lines)}, "
        f"probably pasted from a Windows program; they were read as Windows-1252 characters (e.g. "
        f"'{example}' on line {lines[0]:,}). Check those values."
    )
    return text


def _decode_utf16(data: bytes, codec: str, *, name: str, notes: list[str]) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    # A half character (a file cut short, an odd byte count) cannot be read in any encoding: it is
    # shown as "\ufffd", and said.
    text = data.decode(codec, errors="replace")
    positions = [match.start() for match in re.finditer("\ufffd", text)]
    lines = _line_numbers(text, positions)
    notes.append(
        f"{len(positions):,} character(s) of '{name}' could not be read as UTF-16 (line(s) "
        f"{_number_list(lines)}, probably a file cut short); they show as '\ufffd'. Export the table again "
        "if those values matter."
    )
    return text


def _as_cp1252(byte: int) -> str:
    # Five bytes are undefined in cp1252; Latin-1 reads every byte.
    return _CP1252.get(byte, chr(byte))


_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0x100) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    """The distinct line numbers (1-based) of sorted character positions in ``text``."""
    lines, line, start = [], 1, 0
    for position in positions:
        line += text.count("\n", start, position)
        start = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _number_list(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(f"{n:,}" for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit:,} more" if len(numbers) > limit else "")


def _word_at(text: str, position: int) -> str:
    """The word around ``position`` (letters and digits), to quote a cell without its neighbours."""
    start, end = position, position + 1
    while start > 0 and text[start - 1].isalnum() and position - start < 30:
        start -= 1
    while end < len(text) and text[end].isalnum() and end - position < 30:
        end += 1
    return text[start:end]


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(data: bytes) -> bool:
    """Whether the non-ASCII bytes are mostly valid UTF-8 characters (more of them than stray bytes)."""
    sequences = _UTF8_MULTIBYTE.findall(data)
    non_ascii = len(data) - len(data.decode("ascii", errors="ignore"))
    stray = non_ascii - sum(map(len, sequences))
    return len(sequences) > stray


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
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\x00") or ch == "\ufffd")
    if controls > max(8, len(sample) // 100) or sample.count("\x00") > len(sample) // 4:
        raise DataError(
            f"'{name}' does not look like a text file (it holds binary data). "
            "Upload the customer table as a CSV or .xlsx file."
        )
    nul = text.find("\x00")
    if nul >= 0:
        # Text with a few zero bytes: an export cut short or a disk error, not a different format.
        line = text.count("\n", 0, nul) + 1
        raise DataError(
            f"'{name}' contains NUL characters (invisible zero bytes, first on line {line:,}), which a "
            "CSV file cannot hold; they usually come from a broken export. Export the table again, "
            "or remove them in a text editor, and upload the new file."
        )


_CONFLICT = re.compile(r"^(<{7} |={7}$|>{7} |<{7}$|>{7}$)", re.MULTILINE)


def _refuse_merge_conflict(text: str, name: str) -> None:
    if "<<<<<<<" not in text and "=======" not in text and ">>>>>>>" not in text:
        return  # plain substring scans take 0.1 s on 200 MB; the line-anchored regex takes seconds
    markers = [m.start() for m in _CONFLICT.finditer(text)]
    if len(markers) < 2:
        return
    lines = [text.count("\n", 0, start) + 1 for start in markers[:3]]
    raise DataError(
        f"'{name}' contains unresolved git merge-conflict markers (lines "
        f"{', '.join(f'{n:,}' for n in lines)}). Resolve the conflict so the file holds one "
        "version of the data, then upload it again."
    )


def _without_eof_mark(text: str) -> str:
    """Drop the Ctrl-Z that old DOS tools write at the end of a file: it marks the end, not a row."""
    end = text.rstrip("\r\n")
    return end[:-1] if end.endswith("\x1a") else text


_JSON_START = re.compile(r'^\s*(\[\s*)?\{\s*"')


def _refuse_other_formats(text: str, name: str) -> None:
    """Refuse text files that are not tables: web pages (a failed download), XML and JSON exports."""
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or (head.startswith("<") and "<html" in head):
        raise DataError(
            f"'{name}' is a web page (HTML), not a customer table. If it came from a download link, "
            "the download probably failed (for example because you were logged out): download the export "
            "again. If it was saved from Excel as a web page, save it as CSV or .xlsx instead."
        )
    if head.startswith("<?xml"):
        raise DataError(
            f"'{name}' is an XML file, not a customer table. If it is an Excel XML workbook, open it in "
            "Excel and save it as .xlsx or CSV."
        )
    if _JSON_START.match(head):
        raise DataError(
            f"'{name}' holds JSON data, not a table. Export the customers as CSV or Excel instead (most "
            "tools offer both next to JSON)."
        )


_SEP_LINE = re.compile(r'^"?sep=([^\r\n"])"?[ \t]*(\r\n|\n|\r)')


def _excel_sep_line(text: str) -> tuple[str, str | None, list[str]]:
    """Drop Excel's ``sep=;`` first line, returning the text, the separator it names, and a note."""
    match = _SEP_LINE.match(text)
    if match is None:
        return text, None, []
    note = (
        f"The first line '{match.group(0).strip()}' tells Excel the separator; it was used and is not "
        "part of the table."
    )
    return text[match.end() :], match.group(1), [note]


def _refuse_single_column_of_lines(raw: pd.DataFrame, text: str, *, delimiter: str, name: str) -> None:
    """Refuse a file read as one column whose cells are whole lines (quoted lines, or a wrong separator)."""
    if raw.shape[1] != 1 or raw.shape[0] < 2:
        return
    cells = raw.iloc[:, 0]
    for candidate in _DELIMITERS:
        counts = cells.str.count(re.escape(candidate))
        if counts.iloc[0] == 0 or (counts == counts.iloc[0]).mean() < 0.8:
            continue
        example = clipped(cells.iloc[1], 60)
        if candidate == delimiter or text.lstrip().startswith('"'):
            raise DataError(
                f"Every line of '{name}' is wrapped in quotes, so each line reads as a single value "
                f"(e.g. '{example}') instead of {counts.iloc[0] + 1} columns. Remove the quotes at the start "
                "and end of each line (or export the table again without them) and upload again."
            )
        found = _DELIMITER_NAMES[candidate]
        raise DataError(
            f"'{name}' was read as one column, but its lines hold {found}s (e.g. '{example}'): the file is "
            f"probably {found}-separated. If its first line is 'sep=' with another separator, remove that "
            f"line and upload again (on the command line, leave out --sep or give {found})."
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


def _read_csv_text(
    text: str | None, *, delimiter: str, name: str, source: bytes | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Split the text into cells, every one kept as written (``str``); short rows padded with "".

    ``source``, when given, is ``text`` encoded as UTF-8 (the file's own bytes): a big file is then
    parsed from them without a copy. ``text`` may then be None if ``source`` is ASCII, so that a
    big file is not held twice; it is decoded again only if Arrow cannot read it.
    """
    body = text if text is not None else source  # ASCII bytes stand for the text
    text_like = isinstance(body, str)
    line_end = (_LINE_END if text_like else _LINE_END_BYTES).search(body)
    first_line = body if line_end is None else body[: line_end.start()]  # as text.splitlines()[0]
    if not text_like:
        first_line = first_line.decode("ascii")
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
    cr, lf = ("\r", "\n") if text_like else (b"\r", b"\n")
    if cr in body and cr + lf not in body:
        # Say which one ends a line. In a file of \n lines, a stray \r inside a value (a note typed
        # on an old Mac) is not a line break, or that row would be cut in two. In an old Mac file of
        # \r lines, the reader's own guess drops the empty first field of a row after a blank line.
        options["lineterminator"] = "\n" if body.count(lf) > body.count(cr) else "\r"
    raw = None
    if len(body) > _ARROW_CHARS and "lineterminator" not in options:
        raw = _read_with_arrow(text.encode("utf-8") if source is None else source, delimiter=delimiter)
    if raw is None:
        if text is None:
            text = source.decode("ascii")
        try:
            raw = pd.read_csv(io.StringIO(text), engine="c", **options)
        except pd.errors.ParserError as error:
            raise DataError(_ragged_message(text, delimiter=delimiter, name=name, error=error)) from None
        except (ValueError, MemoryError) as error:
            raise DataError(f"'{name}' could not be read as a table ({error}).") from None
        raw = raw.fillna("")  # fields missing at the end of a short row
    return raw, []


def _same_as_text(data: bytes, encoding: str) -> bool:
    """Whether the decoded text is the bytes themselves (ASCII in an ASCII-compatible encoding)."""
    return encoding in ("utf-8", "cp1252", "latin-1", "ascii") and len(data) > _ARROW_CHARS and data.isascii()


#: Above this many characters, Arrow's multi-threaded reader parses the file (5-10x faster).
_ARROW_CHARS = 5_000_000
#: Bytes per block of Arrow's reader: 8 MB blocks parsed 1.6-2.7x faster than its 1 MB default.
_ARROW_BLOCK = 8 << 20
#: What ``str.splitlines`` splits on.
_LINE_END = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_END_BYTES = re.compile(b"[\n\r\v\f\x1c\x1d\x1e]")  # the ASCII ones


def _read_with_arrow(source: bytes, *, delimiter: str) -> pd.DataFrame | None:
    """Parse UTF-8 bytes into text cells with Arrow, or None if it refuses the layout.

    Arrow refuses ragged rows (the C reader then pads short rows, or names the bad lines), and its
    string columns become the ``str`` columns as they are: no copy of the cells, no Python objects.
    Every column is read as text (no type guessing: ``007`` stays ``007``).
    """
    text_type = {f"f{i}": pa.large_string() for i in range(MAX_COLUMNS)}  # pandas' own string layout
    # Arrow splits the file into blocks at line ends, then parses blocks in parallel; a quoted value
    # holding a line end forces a serial scan for the row ends (3x slower), so only when a value
    # below the first line is quoted at all.
    header_end = source.find(b"\n")
    quoted = header_end < 0 or source.find(b'"', header_end) >= 0
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(source),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_ARROW_BLOCK),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=quoted,
                ignore_empty_lines=True,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=text_type, null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_columns < 2 or not all(pa.types.is_large_string(column.type) for column in table.columns):
        # One column: the C reader skips lines of spaces as blank, Arrow keeps them. More columns
        # than we typed: some were not read as text. Either way, let the C reader decide.
        return None
    # The parser's scratch blocks (0.6x the file) stay cached by Arrow's allocator; hand them back.
    pa.default_memory_pool().release_unused()
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)  # the "str" dtype of pandas 3
    columns = {i: pd.Series(dtype.__from_arrow__(column), copy=False) for i, column in enumerate(table.columns)}
    return pd.DataFrame(columns, copy=False)


def _ragged_message(text: str, *, delimiter: str, name: str, error: Exception) -> str:
    if "EOF inside string" in str(error):
        line = _unclosed_quote_line(text)
        if line is not None:
            return (
                f"A quote (\") opened on line {line:,} of '{name}' is never closed, so everything after it "
                "reads as one value. Remove that quote (or add the closing one) and upload again."
            )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    bad: list[tuple[int, int]] = []
    extra_empty = True  # whether every extra field seen is empty: a stray separator at the line end
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header = len(row)
                continue
            if len(row) > header:
                bad.append((reader.line_num, len(row)))
                extra_empty = extra_empty and not any(v.strip() for v in row[header:])
                if len(bad) >= 3:
                    break
    except csv.Error:
        pass  # the message below falls back to the parser's own words
    if header is None or not bad:
        return f"'{name}' could not be read as a table: {error}"
    where = ", ".join(f"line {line:,} has {n:,}" for line, n in bad)
    sep = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    if header == 1 and not extra_empty:
        title = clipped(next(line for line in text.splitlines() if line.strip()).strip(), 60)
        return (
            f"'{name}' starts with a title ('{title}') instead of the column names; the table itself "
            f"seems to start on line {bad[0][0]:,}. Delete the lines above the column names and upload again."
        )
    if extra_empty:
        return (
            f"Rows of '{name}' have an extra, empty field after the last column ({where}; the header "
            f"has {header:,}): those lines probably end with a stray {sep}. Remove the trailing "
            f"{sep}s, or give the extra column a name at the end of the header, and upload again."
        )
    return (
        f"Some rows of '{name}' have more fields than its header ({header}): {where}. "
        f"A {sep} inside a value is probably not quoted; fix those lines, or quote such values, "
        "and upload again."
    )


def _unclosed_quote_line(text: str) -> int | None:
    """The line (1-based) where a quoted value opens and never closes, if any."""
    inside, opened = False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            inside = not inside
            opened = number if inside else None
    return opened if inside else None


def _read_excel(data: bytes, *, name: str, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    try:
        sheets = _excel_sheets(data)
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
        filled = {s: f.dropna(how="all").shape[0] for s, f in sheets.items()}
        with_data = [s for s, rows in filled.items() if rows > 0]
        if not with_data:
            raise DataError(f"Every sheet of '{name}' is empty. Put the customer table in the first sheet.")
        # A cover sheet (a title, a date) often comes first: prefer the first sheet holding a table.
        tables = [s for s in with_data if filled[s] > MIN_ROWS]
        chosen = (tables or with_data)[0]
        if len(sheets) > 1:
            notes.append(
                f"The workbook has {len(sheets)} sheets ({', '.join(map(str, sheets))}); "
                f"the customers were read from '{chosen}', the first one with a table."
            )
    frame, title_notes = _without_title_rows(sheets[chosen].dropna(how="all"), sheet=str(chosen))
    notes += title_notes
    frame = frame.dropna(axis=1, how="all")
    raw = frame.map(_excel_cell_text).astype(str)
    # Dates show without a time of day, unless some cell of the column has one (then all keep theirs).
    stamps = frame.map(lambda value: isinstance(value, datetime))
    for column in stamps.columns[stamps.any()]:
        text = raw.loc[stamps[column], column]
        if text.str.endswith(" 00:00:00").all():
            raw.loc[stamps[column], column] = text.str.removesuffix(" 00:00:00")
    raw = raw.reset_index(drop=True)
    raw.columns = range(raw.shape[1])
    return raw, notes


#: At most this many rows above a sheet's column names are taken for a title.
_MAX_TITLE_ROWS = 5


def _without_title_rows(frame: pd.DataFrame, *, sheet: str) -> tuple[pd.DataFrame, list[str]]:
    """The sheet without the title above its table ("Customer export March 2024"), and a note.

    Reports often start with a title, a date or a filter line, each in a single cell, then the
    column names. Leading rows with one filled cell are dropped when the row after them looks like
    those column names: two or more text cells, as many as the widest of the rows below it, none of
    them repeated as a value below it, and when the title reads like one (words, a blank row under
    it, or numbers in the table). Anything else is left as it is, so a customer row is not taken for
    a title.

    ``frame`` holds the sheet's non-blank rows; its index is the sheet row number minus one.
    """
    head = frame.iloc[: _MAX_TITLE_ROWS + 1]
    filled = [[not _blank_cell(v) for v in row] for row in head.itertuples(index=False)]
    titles = 0
    while titles < len(filled) and sum(filled[titles]) == 1:
        titles += 1
    if titles == 0 or titles == len(filled):
        return frame, []
    header = [v for v, is_filled in zip(head.iloc[titles], filled[titles], strict=True) if is_filled]
    below = frame.iloc[titles + 1 : titles + 51]
    widest = max((sum(not _blank_cell(v) for v in row) for row in below.itertuples(index=False)), default=0)
    if len(header) < 2 or not all(isinstance(v, str) for v in header) or len(header) < widest:
        return frame, []
    lines = [
        next(str(v).strip() for v in row if not _blank_cell(v)) for row in head.iloc[:titles].itertuples(index=False)
    ]
    # Column names do not come back as values below them; a customer's "F" or "Paris" usually does.
    header_row = head.iloc[titles]
    if any(
        not _blank_cell(name) and (below[column].astype("str").str.strip() == str(name).strip()).any()
        for column, name in header_row.items()
    ):
        return frame, []
    # And a title reads like one: words, a blank row under it, or numbers in the table below.
    gap = int(frame.index[titles]) > int(frame.index[titles - 1]) + 1
    numbers_below = any(isinstance(v, int | float) and not _blank_cell(v) for v in below.to_numpy().ravel())
    if not (gap or numbers_below or any(" " in line for line in lines)):
        return frame, []
    rows = [int(i) + 1 for i in frame.index[:titles]]
    what = f"Row {rows[0]}" if titles == 1 else f"Rows {_number_list(rows)}"
    note = (
        f"{what} of sheet '{sheet}' ({_short_list([clipped(t, 60) for t in lines], limit=2)}) "
        f"{'is' if titles == 1 else 'are'} a title above the table, not customers: skipped, and the column "
        f"names were read from row {int(frame.index[titles]) + 1}."
    )
    return frame.iloc[titles:], [note]


def _blank_cell(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _excel_sheets(data: bytes) -> dict[str, pd.DataFrame]:
    """Every worksheet's cell values; error cells (``#DIV/0!``, ``#N/A``) keep their text.

    ``pandas.read_excel`` turns error cells into empty ones, which would change the user's cells in
    the download and hide them from the audit.
    """
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        sheets = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            width = max(map(len, rows), default=0)  # rows end at their last cell: pad them, as pandas 4 will not
            sheets[sheet.title] = pd.DataFrame([row + [None] * (width - len(row)) for row in rows], dtype=object)
        return sheets
    finally:
        book.close()


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


# --------------------------------------------------------------------------------------------------
# Header and types


def _clean_header_and_rows(
    raw: pd.DataFrame, *, name: str, min_rows: int = MIN_ROWS
) -> tuple[pd.DataFrame, list[str], list[int]]:
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
    if body.shape[0] < min_rows:
        raise DataError(
            f"'{name}' has only {body.shape[0]} customer row; segmentation needs at least "
            f"{min_rows} (and usually hundreds). Upload the full customer table."
        )
    repeats = [] if headerless else _header_repeats(body, first)
    if repeats:
        rows = ", ".join(f"{r + 1:,}" for r in repeats[:5])
        notes.append(
            f"{len(repeats)} row(s) repeat the header line (row {rows}); they are kept in the "
            "download but have no values to segment."
        )
    return body, notes, repeats


_TOTAL_LABELS = frozenset(
    {
        "total",
        "totals",
        "grand total",
        "sum",
        "summe",
        "gesamt",
        "gesamtsumme",
        "somme",
        "total général",
        "totaal",
        "totale",
    }
)


def _totals_row(raw: pd.DataFrame, frame: pd.DataFrame) -> int | None:
    """The last filled row, if it is labelled like "Total" and holds the sum of a number column above it."""
    for row in range(len(raw) - 1, max(len(raw) - 4, 0), -1):  # past up to two trailing blank rows
        cells = [str(v).strip() for v in raw.iloc[row]]
        if any(cells):
            break
    else:
        return None
    label = next(c for c in cells if c).lower().rstrip(":").strip()
    if label not in _TOTAL_LABELS:
        return None
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values) or np.isnan(values.iloc[row]):
            continue
        above = values.iloc[:row].dropna()
        if len(above) >= 2 and abs(values.iloc[row] - above.sum()) <= 0.005 * max(abs(above.sum()), 1e-9):
            return row
    return None


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


def _sniff_decimal(raw: pd.DataFrame, delimiter: str, *, notes: list[str] | None = None) -> str:
    """The file's decimal mark, ``"."`` or ``","``, judged on the numbers of its first rows.

    Numbers whose marks can only be read one way ("12,5", "1.234,56", "0.500", "1.234.567") decide.
    When the only numbers with a mark are like "1.500" or "2,300" (one group of three digits,
    fifteen hundred or one and a half), the rest of the file is read too; if nothing there
    decides either, semicolon-separated files get a decimal comma (Excel writes ``;`` where the
    decimal mark is a comma, and "1.500" is then fifteen hundred) and other files a decimal point.
    That guess is explained in a note appended to ``notes``.

    Parameters
    ----------
    raw : DataFrame
        The cells as read, one customer per row, under the cleaned column names.
    delimiter : str
        The field separator.
    notes : list of str, optional
        Receives the note when the mark had to be guessed.

    Returns
    -------
    str
    """
    comma = dot = 0
    unsure: dict[object, str] = {}  # column -> its first number like "1.500"
    for column in raw.columns:
        more_comma, more_dot, example = _decimal_evidence(raw[column].iloc[:_SNIFF_ROWS])
        comma, dot = comma + more_comma, dot + more_dot
        if example is not None:
            unsure[column] = example
    if not (comma or dot) and unsure and len(raw) > _SNIFF_ROWS:
        # A guess would read every "1.500" one way: worth one more pass over the rest of the file.
        for column in raw.columns:
            more_comma, more_dot, _ = _decimal_evidence(raw[column].iloc[_SNIFF_ROWS:])
            comma, dot = comma + more_comma, dot + more_dot
    if comma or dot:
        # Decimal commas in a comma-separated file must be quoted: rare, so it needs clear evidence.
        if delimiter == ",":
            return "," if comma > 3 * dot and comma >= 3 else "."
        return "," if comma > dot else "."
    decimal = "," if delimiter == ";" else "."
    if unsure and notes is not None:
        notes.append(_guessed_decimal_note(unsure, delimiter=delimiter, decimal=decimal))
    return decimal


def _decimal_evidence(values: pd.Series) -> tuple[int, int, str | None]:
    """Numbers that show a decimal comma, numbers that show a decimal point, and a first "1.500"."""
    values = values[values.str.contains(r"\d[.,]\d", regex=True)]  # numbers with a mark, a few cells
    if values.empty:
        return 0, 0, None
    values = values.str.strip().str.replace(_AROUND_NUMBER, "", regex=True)
    one_group = {mark: values.str.match(pattern.pattern) for mark, pattern in _ONE_GROUP.items()}
    comma = values.str.match(_DECIMAL_HINT[","].pattern) & ~one_group[","]
    dot = values.str.match(_DECIMAL_HINT["."].pattern) & ~one_group["."]
    comma |= values.str.match(_MANY_GROUPS["."].pattern)
    dot |= values.str.match(_MANY_GROUPS[","].pattern)
    unsure = values[one_group[","] | one_group["."]]
    return int(comma.sum()), int(dot.sum()), (unsure.iloc[0] if len(unsure) else None)


def _guessed_decimal_note(unsure: dict[object, str], *, delimiter: str, decimal: str) -> str:
    example = next(iter(unsure.values()))
    mark = "." if "." in example else ","
    as_decimals = float(example.replace(mark, "."))
    as_thousands = float(example.replace(mark, ""))
    columns = _short_list([str(c) for c in unsure], limit=3)
    reason = (
        "as Excel writes semicolon-separated files where the decimal mark is a comma"
        if delimiter == ";"
        else "the most common convention"
    )
    if mark != decimal:
        trimmed = example.rstrip("0").rstrip(mark)
        return (
            f"Numbers such as '{example}' (in {columns}) were read with '{mark}' as the thousands separator, "
            f"so '{example}' is {as_thousands:.15g}, {reason}; no number in the file shows which mark is the "
            f"decimal one. If '{example}' means {as_decimals:.15g}, write such numbers without the zeros at "
            f"the end ('{trimmed}') and upload again."
        )
    return (
        f"Numbers such as '{example}' (in {columns}) were read with '{mark}' as the decimal mark, so "
        f"'{example}' is {as_decimals:.15g}, {reason}; no number in the file shows which mark is the decimal "
        f"one. If '{example}' means {as_thousands:.15g}, write such numbers without the thousands separator "
        f"('{example.replace(mark, '')}') and upload again."
    )


def _typed(raw: pd.DataFrame, *, decimal: str, blank_rows: list[int]) -> pd.DataFrame:
    number_pattern = (_COMMA_NUMBER, _COMMA_THOUSANDS) if decimal == "," else (_DOT_NUMBER, _DOT_THOUSANDS)
    columns = {}
    for column in raw.columns:
        typed = _typed_with_arrow(raw[column], decimal=decimal, blank_rows=blank_rows, patterns=number_pattern)
        if typed is not None:
            columns[column] = typed
            pa.default_memory_pool().release_unused()  # this column's scratch strings, before the next
            continue
        text = raw[column].str.strip()
        missing = text.str.lower().isin(MISSING_MARKERS)
        if blank_rows:
            missing.iloc[blank_rows] = True
        text = text.mask(missing)
        present = text.dropna()
        if len(present) and _all_match(present, number_pattern):
            columns[column] = parse_numbers(text, decimal=decimal)
        else:
            columns[column] = text
    return pd.DataFrame(columns, index=raw.index, copy=False)


def _typed_with_arrow(
    raw: pd.Series, *, decimal: str, blank_rows: list[int], patterns: tuple[re.Pattern, ...]
) -> pd.Series | None:
    """One column typed with Arrow kernels, as the pandas steps in :func:`_typed` would; None if not ASCII.

    The same operations (strip, missing markers in any case, anchored number patterns, numbers
    read as ``pd.to_numeric`` reads them) without pandas' per-call checks and copies; a text column
    that needs no change keeps the raw column's strings. Only ASCII columns: there RE2's ``\\d`` is
    Python's and a case-insensitive marker is one of :data:`_MISSING_SPELLINGS`.
    """
    cells = _arrow_text(raw)
    if cells is None or not pc.all(pc.string_is_ascii(cells)).as_py():
        return None
    stripped = pc.utf8_trim_whitespace(cells)
    unchanged = pc.sum(pc.binary_length(stripped)) == pc.sum(pc.binary_length(cells))
    if unchanged:
        stripped = cells  # nothing was stripped: drop the copy now (a big column is 1/3 of the file)
    missing = pc.or_(pc.is_in(stripped, value_set=_MISSING_SPELLINGS), pc.is_null(stripped))
    if blank_rows:
        flags = missing.to_numpy(zero_copy_only=False).copy()
        flags[blank_rows] = True
        missing = pa.chunked_array([pa.array(flags)])
    n_missing = pc.sum(missing).as_py() or 0
    nothing = pa.scalar(None, stripped.type)
    pattern = "|".join(f"(?:{p.pattern})" for p in patterns)
    if n_missing < len(raw) and _all_numbers(stripped, missing, pattern):
        numbers = _cast_numbers(pc.if_else(missing, nothing, stripped) if n_missing else stripped, decimal=decimal)
        if numbers is not None:
            return pd.Series(numbers, index=raw.index, name=raw.name)
        text = pd.Series(raw.dtype.__from_arrow__(pc.if_else(missing, nothing, stripped)))
        return parse_numbers(text, decimal=decimal).set_axis(raw.index).rename(raw.name)
    if n_missing == 0 and unchanged:
        return raw  # nothing to strip, nothing missing: the raw strings as they are
    return pd.Series(raw.dtype.__from_arrow__(pc.if_else(missing, nothing, stripped)), index=raw.index, name=raw.name)


def _all_numbers(cells: pa.ChunkedArray, missing: pa.ChunkedArray, pattern: str) -> bool:
    """Whether every cell that is not missing matches ``pattern``.

    The first 2,000 rows are tried first: a text column is told apart on them, without a regex pass
    over millions of cells.
    """
    for stop in (min(len(cells), 2_000), len(cells)):
        matched = pc.match_substring_regex(cells.slice(0, stop), pattern)
        if not pc.all(pc.or_(matched, missing.slice(0, stop))).as_py():
            return False
    return True


def _cast_numbers(cells: pa.ChunkedArray, *, decimal: str) -> np.ndarray | None:
    """Numbers that all match the file's number patterns, as :func:`parse_numbers` reads them.

    None when a zero is negative (pandas reads "-0" as 0 or -0.0 depending on the rest of the
    column) or Arrow refuses a cell: such columns go through ``pd.to_numeric`` itself.
    """
    thousands = "." if decimal == "," else ","
    if pc.any(pc.match_substring(cells, thousands)).as_py():
        cells = pc.replace_substring(cells, thousands, "")
    if decimal == "," and pc.any(pc.match_substring(cells, ",")).as_py():
        cells = pc.replace_substring(cells, ",", ".")
    try:
        out = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # not expected after the pattern check; pd.to_numeric will say
        return None
    if np.signbit(out[out == 0]).any():
        return None
    return out


#: Every spelling of the missing markers in upper and lower case (ASCII), for one hash lookup.
_MISSING_SPELLINGS = pa.array(
    sorted(
        {
            "".join(spelling)
            for marker in MISSING_MARKERS
            for spelling in itertools.product(*({c.lower(), c.upper()} for c in marker))
        }
    ),
    type=pa.large_string(),
)


def _all_match(values: pd.Series, patterns: tuple[re.Pattern, ...]) -> bool:
    ok = values.str.match(patterns[0].pattern)
    for pattern in patterns[1:]:
        ok = ok | values.str.match(pattern.pattern)
    return bool(ok.all())


#: A date with day and month in either order, then the year: "03/04/2024", "3-4-24".
# Dates like 03/04/2024, 03/04/24 and 03-04-2024 (ASCII digits only, as the preparation reads them).
_DAY_MONTH_DATE = re.compile(r"^([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})$")
#: Share of a column's first values that must be such dates for the column to count as dates.
_DATE_SHARE = 0.9


def _date_order_notes(frame: pd.DataFrame) -> list[str]:
    """A note for each column of dates that could be day/month or month/day, saying how it is read."""
    notes = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values) or not values.notna().any():
            continue
        present = values.dropna().str.strip()
        if not _DAY_MONTH_DATE.match(present.iloc[0]):
            continue  # most columns are not dates: told apart on one value
        head = present.iloc[:500]
        if head.str.match(_DAY_MONTH_DATE.pattern).mean() < _DATE_SHARE or day_month_order(present):
            continue
        # Only a date whose two parts differ reads differently (05/05/2024 is the same either way).
        matches = (_DAY_MONTH_DATE.match(v) for v in present)
        example = next((m for m in matches if m is not None and _parts_differ(m)), None)
        if example is None:
            continue
        first, sep, second, year = example.groups()
        if sep == "-" and len(year) == 2:
            continue  # 03-04-24 is not a layout the preparation reads as a date
        # Two-digit years as strptime's %y reads them: 69-99 are 1900s, 00-68 are 2000s.
        year = int(year) if len(year) == 4 else int(year) + (1900 if int(year) >= 69 else 2000)
        try:
            readings = {
                "day": ("day/month", datetime(year, int(second), int(first))),
                "month": ("month/day", datetime(year, int(first), int(second))),
            }
        except ValueError:
            continue  # not a real date either way (a year 0000 placeholder): nothing to explain
        order, read = readings[DEFAULT_DATE_ORDER]
        other_order, other = readings["month" if DEFAULT_DATE_ORDER == "day" else "day"]
        notes.append(
            f"Dates in '{column}' could be day/month or month/day (no day in the column is above 12); "
            f"they are read as {order}, so '{example.group(0)}' is {read.day} {read:%B %Y}. If they are "
            f"{other_order}, write them as year-month-day ({other:%Y-%m-%d}) and upload again."
        )
    return notes


def _parts_differ(date: re.Match) -> bool:
    first, second = int(date.group(1)), int(date.group(3))
    return first != second and 1 <= first <= 12 and 1 <= second <= 12


def _short_list(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
