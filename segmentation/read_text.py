"""Read a delimited text file (CSV, TSV, ``;`` or ``|``) into cells, exactly as written.

Bytes become text (the encoding sniffed or given), files that are no customer table are refused with
a message the user can act on (binary files, web pages, JSON, merge-conflict markers), the separator
is sniffed (or, when no separator fits, columns aligned with runs of spaces are recognised), and the
text is parsed into a frame of strings, one per cell, every row kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .decode import ascii_text, decode, head_text, refuse_binary_magic, refuse_binary_text, same_type
from .errors import DataError
from .limits import MAX_COLUMNS
from .wording import clipped

__all__ = ["DELIMITER_NAMES", "SPACES", "megabytes", "read_delimited", "sniff_delimiter"]

#: The separator of a file whose columns are separated by runs of spaces (leading spaces ignored), as
#: old reporting tools and text dumps write them: pandas' C reader reads this pattern as "any run of
#: spaces or tabs".
SPACES = r"\s+"

#: How separators and encodings are named on screen.
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", SPACES: "space"}


_DELIMITERS = (",", ";", "\t", "|")


_SNIFF_BYTES = 256 * 1024


_SNIFF_LINES = 200


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


_CONFLICT = r"^(<{7} |={7}$|>{7} |<{7}$|>{7}$)"
_CONFLICTS = {str: re.compile(_CONFLICT, re.MULTILINE), bytes: re.compile(_CONFLICT.encode(), re.MULTILINE)}


def refuse_merge_conflict(text: str | bytes, name: str) -> None:
    # A one-character scan runs at memory speed (0.01 s on 200 MB), a seven-character one at a
    # quarter of it, the line-anchored regex takes seconds: each only where the one before found something.
    if not any(same_type(text, mark) in text and same_type(text, mark * 7) in text for mark in "<=>"):
        return
    markers = [m.start() for m in _CONFLICTS[type(text)].finditer(text)]
    if len(markers) < 2:
        return
    lines = [text.count(same_type(text, "\n"), 0, start) + 1 for start in markers[:3]]
    raise DataError(
        f"'{name}' contains unresolved git merge-conflict markers (lines "
        f"{', '.join(f'{n:,}' for n in lines)}). Resolve the conflict so the file holds one "
        "version of the data, then upload it again."
    )


def without_eof_mark(text: str | bytes) -> str | bytes:
    """Drop the Ctrl-Z that old DOS tools write at the end of a file: it marks the end, not a row."""
    end, line_ends = len(text), (same_type(text, "\r"), same_type(text, "\n"))
    while end and text[end - 1 : end] in line_ends:  # not text.rstrip(), which would copy a big file's text
        end -= 1
    return text[: end - 1] if end and text[end - 1 : end] == same_type(text, "\x1a") else text


_JSON_START = re.compile(r'^\s*(\[\s*)?\{\s*"')


def refuse_other_formats(text: str | bytes, name: str) -> None:
    """Refuse text files that are not tables: web pages (a failed download), XML and JSON exports."""
    head = head_text(text, 2000).lstrip().lower()
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


def excel_sep_line(text: str | bytes) -> tuple[str | bytes, str | None, list[str]]:
    """Drop Excel's ``sep=;`` first line, returning the text, the separator it names, and a note."""
    match = _SEP_LINE.match(head_text(text, 1000))
    if match is None:
        return text, None, []
    note = (
        f"The first line '{match.group(0).strip()}' tells Excel the separator; it was used and is not "
        "part of the table."
    )
    return text[match.end() :], match.group(1), [note]


def refuse_single_column_of_lines(raw: pd.DataFrame, text: str, *, delimiter: str, name: str) -> None:
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
        found = DELIMITER_NAMES[candidate]
        raise DataError(
            f"'{name}' was read as one column, but its lines hold {found}s (e.g. '{example}'): the file is "
            f"probably {found}-separated. If its first line is 'sep=' with another separator, remove that "
            f"line and upload again (on the command line, leave out --sep or give {found})."
        )


def sniff_delimiter(text: str | bytes) -> str:
    """Pick the separator that splits the first lines into the most consistent number of fields.

    When no comma, semicolon, tab or pipe splits the first line, and every line splits into the same
    number of fields on runs of spaces (see :func:`_space_aligned`), the separator is :data:`SPACES`.

    Examples
    --------
    >>> sniff_delimiter("Name;Age\\nAna;31\\n")
    ';'
    >>> sniff_delimiter(" id     date  amount\\n 0001 19970101  11.77\\n") == SPACES
    True
    """
    sample = head_text(text, _SNIFF_BYTES)
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
    if best_score[1] == 0 and _space_aligned(lines):
        return SPACES
    return best


_SPACE_RUN = re.compile("[ \t]+")


def _space_aligned(lines: list[str]) -> bool:
    """Whether the lines are clearly columns separated by runs of spaces.

    Every line that is not blank splits into the same number (two or more) of fields on runs of
    spaces, leading and trailing spaces ignored; and the layout shows it: a line starts with a space
    or holds two spaces in a row (columns aligned), or every line below the first holds a number. A
    one-column file of names ("Customer name", "Ann Lee") is then not split in two.
    """
    lines = [line for line in lines if line.strip()]
    if len(lines) < 2:
        return False
    counts = {len(_SPACE_RUN.split(line.strip())) for line in lines}
    if len(counts) != 1 or counts.pop() < 2:
        return False
    aligned = any(line[0] in " \t" or "  " in line for line in lines)
    return aligned or all(re.search(r"\d", line) for line in lines[1:])


def read_csv_text(
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
    if delimiter == SPACES:
        width = len(_SPACE_RUN.split(first_line.strip()))
    else:
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
    stray_cr = None
    if cr in body and cr + lf not in body:
        # Say which one ends a line. In a file of \n lines, a stray \r inside a value (a note typed
        # on an old Mac) is not a line break, or that row would be cut in two. In an old Mac file of
        # \r lines, the reader's own guess drops the empty first field of a row after a blank line.
        options["lineterminator"] = "\n" if body.count(lf) > body.count(cr) else "\r"
    elif cr in body and body.count(cr) > body.count(cr + lf):
        # The same stray \r in a file of \r\n lines, where both readers take a lone \r for a line
        # end too. It stands in for a character the file does not hold while the text is split into
        # rows, and is put back in the cells.
        text = text if text is not None else source.decode("ascii")
        source = None
        stray_cr = _unused_character(text)
        text = body = _BARE_CR.sub(stray_cr, text)
    raw = None
    if len(body) > _ARROW_CHARS and "lineterminator" not in options and delimiter != SPACES:
        raw = _read_with_arrow(text.encode("utf-8") if source is None else source, delimiter=delimiter)
    if raw is None:
        if text is None:
            text = source.decode("ascii")
        try:
            raw = pd.read_csv(io.StringIO(text), engine="c", **options)
        except pd.errors.ParserError as error:
            raise DataError(_ragged_message(text, delimiter=delimiter, name=name, error=error)) from None
        except ValueError as error:  # not MemoryError: running out of memory is no fault of the file's
            raise DataError(f"'{name}' could not be read as a table ({clipped(error, 200)}).") from None
        raw = raw.fillna("")  # fields missing at the end of a short row
    if stray_cr is not None:
        raw = raw.apply(lambda cells: cells.str.replace(stray_cr, "\r", regex=False))
    return raw, []


_BARE_CR = re.compile("\r(?!\n)")


def _unused_character(text: str) -> str:
    """A character of Unicode's private use area that ``text`` does not hold."""
    return next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)


def same_as_text(data: bytes, encoding: str) -> bool:
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
    if delimiter == SPACES:
        return _ragged_spaces_message(name=name, error=error)
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
    sep = DELIMITER_NAMES.get(delimiter, repr(delimiter))
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


def _ragged_spaces_message(*, name: str, error: Exception) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if found is None:
        return f"'{name}' could not be read as columns separated by spaces: {error}"
    expected, line, saw = (int(n) for n in found.groups())
    return (
        f"The columns of '{name}' are separated by runs of spaces, but line {line:,} has {saw:,} values where "
        f"the lines above have {expected:,}: a value holding a space (a name like 'Ann Lee') reads as two. "
        "Save the file with a comma, semicolon or tab between the columns and upload again."
    )


def _unclosed_quote_line(text: str) -> int | None:
    """The line (1-based) where a quoted value opens and never closes, if any."""
    inside, opened = False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            inside = not inside
            opened = number if inside else None
    return opened if inside else None


def read_delimited(
    data: bytes,
    *,
    name: str,
    sep: str | None = None,
    encoding: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, list[str], str, str]:
    """Read a delimited text file's bytes into cells, every row kept, nothing typed.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file's name, for messages.
    sep, encoding : str, optional
        The separator and the text encoding; sniffed when not given.
    on_stage : callable, optional
        Called with each stage's name as it ends.

    Returns
    -------
    raw : DataFrame
        Every cell as written, as text; the first row is the header line's cells.
    notes : list of str
        What was interpreted (an encoding guessed, stray bytes, Excel's ``sep=`` line ...).
    delimiter, encoding : str
        What was sniffed or given.

    Raises
    ------
    DataError
        If the bytes are not a delimited table (see :func:`segmentation.load_table`).
    """
    stage = on_stage or (lambda _name: None)
    refuse_binary_magic(data, name)
    notes: list[str] = []
    if len(data) > _ARROW_CHARS and ascii_text(data, encoding):
        # A big ASCII file's bytes are its text: checked and parsed as they are, not decoded into a
        # copy (0.1 s for 200 MB).
        text, enc = data, "utf-8"
    else:
        text, enc = decode(data, name=name, encoding=encoding, notes=notes)
    stage("decode")
    decoded = text
    text = without_eof_mark(text)
    refuse_binary_text(text, name)
    refuse_merge_conflict(text, name)
    refuse_other_formats(text, name)
    stage("refusal checks")
    text, hinted, sep_notes = excel_sep_line(text)
    delimiter = sep if sep is not None else hinted or sniff_delimiter(text)
    if delimiter == SPACES and sep is None:
        sep_notes.append(
            f"The columns of '{name}' are separated by runs of spaces (no comma, semicolon, tab or pipe); "
            "they were read that way, every value kept as written."
        )
    stage("sniff separator")
    if isinstance(text, bytes):
        source = text  # the file's bytes, or a slice of them without an end mark or a sep= line
    else:
        source = data if text is decoded and same_as_text(data, enc) else None
    if source is not None:
        text = decoded = None  # a big ASCII file: its bytes are its text, parsed as they are
    raw, read_notes = read_csv_text(text, delimiter=delimiter, name=name, source=source)
    stage("parse cells")
    if raw.shape[1] == 1:
        text = text if text is not None else source.decode("ascii")
        refuse_single_column_of_lines(raw, text, delimiter=delimiter, name=name)
    return raw, notes + sep_notes + read_notes, delimiter, enc
