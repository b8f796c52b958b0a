"""Cell values: what counts as missing, how numbers are written, and how a column is typed.

Shared by the loader (the typed view of a file), the preparation (a number column with a little text
in it), scoring and SQL (the same missing markers). Numbers may come with a decimal comma, thousands
separators, currency and percent signs, accounting negatives and Excel's error values; this module
reads them and says which decimal mark a file uses.
"""

from __future__ import annotations

import itertools
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_text import byte_range, total_bytes
from .wording import short_list

__all__ = [
    "EXCEL_ERROR",
    "MAX_MAGNITUDE",
    "MISSING_MARKERS",
    "NUMERIC_SHARE",
    "lenient_numbers",
    "may_be_numbers",
    "number_text",
    "parse_numbers",
    "sniff_decimal",
    "to_numbers",
    "typed_view",
    "written_as_number",
]


#: Cell values read as "missing" (compared case-insensitively, after stripping spaces).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "?", "-", "--", "null", "none", "nil", "missing"})


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
_SIGNS = "[$€£¥₹%]"


#: Rows read to sniff the decimal mark (the whole file only when they hold no evidence).
_SNIFF_ROWS = 2_000


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
    return to_numbers(text)


#: A plain decimal number, ASCII digits only: Arrow parses these as ``pd.to_numeric`` does (both
#: round correctly), 20x faster; anything else goes to ``pd.to_numeric``.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


#: A superset of what ``pd.to_numeric`` reads besides plain numbers: spaces around, infinities.
#: It reads nothing else (no ``_``, no Unicode digits or spaces, no hex): the rest is NaN anyway.
_MAYBE_NUMBER = r"^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+|(?i:inf|infinity))([eE][+-]?\d+)?[ \t\n\v\f\r]*$"


def to_numbers(text: pd.Series) -> pd.Series:
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


def sniff_decimal(raw: pd.DataFrame, delimiter: str, *, notes: list[str] | None = None) -> str:
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
    comma, dot, unsure = _decimal_evidence(raw.iloc[:_SNIFF_ROWS])
    if not (comma or dot) and unsure and len(raw) > _SNIFF_ROWS:
        # A guess would read every "1.500" one way: worth one more pass over the rest of the file.
        # Column by column: all of them as one would copy every cell of a big file.
        for i in range(raw.shape[1]):
            more_comma, more_dot, _ = _decimal_evidence(raw.iloc[_SNIFF_ROWS:, [i]])
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


def _decimal_evidence(raw: pd.DataFrame) -> tuple[int, int, dict[object, str]]:
    """Numbers that show a decimal comma, numbers that show a decimal point, and each column's first "1.500".

    The columns' cells are looked at as one column (each pandas string call has a fixed cost, and
    most files have many columns of few marks).
    """
    if raw.shape[1] == 0:
        return 0, 0, {}
    columns = [raw.iloc[:, i] for i in range(raw.shape[1])]
    values = columns[0] if len(columns) == 1 else pd.concat(columns, ignore_index=True)
    column = np.repeat(np.arange(raw.shape[1]), len(raw))
    marked = values.str.contains(r"\d[.,]\d", regex=True).to_numpy(dtype=bool)  # numbers with a mark
    values, column = values[marked], column[marked]
    if values.empty:
        return 0, 0, {}
    values = values.str.strip()
    # Only cells with a sign can change; pandas runs this pattern (its \s) in Python, cell by cell.
    signed = values.str.contains(_SIGNS, regex=True).to_numpy(dtype=bool)
    if signed.any():
        values = values.mask(signed, values[signed].str.replace(_AROUND_NUMBER, "", regex=True))
    one_group = {mark: values.str.match(pattern.pattern) for mark, pattern in _ONE_GROUP.items()}
    comma = values.str.match(_DECIMAL_HINT[","].pattern) & ~one_group[","]
    dot = values.str.match(_DECIMAL_HINT["."].pattern) & ~one_group["."]
    comma |= values.str.match(_MANY_GROUPS["."].pattern)
    dot |= values.str.match(_MANY_GROUPS[","].pattern)
    is_unsure = (one_group[","] | one_group["."]).to_numpy(dtype=bool)
    unsure_values, unsure_columns = values[is_unsure], column[is_unsure]
    _, first = np.unique(unsure_columns, return_index=True)  # in column order
    unsure = {raw.columns[unsure_columns[i]]: unsure_values.iloc[i] for i in first}
    return int(comma.sum()), int(dot.sum()), unsure


def _guessed_decimal_note(unsure: dict[object, str], *, delimiter: str, decimal: str) -> str:
    example = next(iter(unsure.values()))
    mark = "." if "." in example else ","
    as_decimals = float(example.replace(mark, "."))
    as_thousands = float(example.replace(mark, ""))
    columns = short_list([str(c) for c in unsure], limit=3)
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


#: Rows from which a file's columns are typed in parallel threads (Arrow's kernels let go of the
#: GIL); below, the threads' start costs more than they save.
_PARALLEL_ROWS = 100_000


def typed_view(raw: pd.DataFrame, *, decimal: str, blank_rows: list[int]) -> pd.DataFrame:
    """The typed view of a file's cells: numbers as ``float64``, text stripped, missing markers missing.

    Parameters
    ----------
    raw : DataFrame
        The cells as written (``str``), one customer per row.
    decimal : {".", ","}
        The file's decimal mark (see :func:`sniff_decimal`).
    blank_rows : list of int
        Rows that hold no values (a repeated header line): missing in every column.

    Returns
    -------
    DataFrame
        The same index and columns as ``raw``.
    """
    patterns = (_COMMA_NUMBER, _COMMA_THOUSANDS) if decimal == "," else (_DOT_NUMBER, _DOT_THOUSANDS)

    def typed(column: str) -> pd.Series:
        return _typed_column(raw[column], decimal=decimal, blank_rows=blank_rows, patterns=patterns)

    workers = min(pa.cpu_count(), raw.shape[1])
    if workers > 1 and len(raw) >= _PARALLEL_ROWS:
        with ThreadPoolExecutor(workers, thread_name_prefix="typed-view") as pool:
            columns = dict(zip(raw.columns, pool.map(typed, raw.columns), strict=True))
    else:
        columns = {column: typed(column) for column in raw.columns}
    return pd.DataFrame(columns, index=raw.index, copy=False)


def _typed_column(
    raw: pd.Series, *, decimal: str, blank_rows: list[int], patterns: tuple[re.Pattern, ...]
) -> pd.Series:
    typed = _typed_with_arrow(raw, decimal=decimal, blank_rows=blank_rows, patterns=patterns)
    if typed is not None:
        pa.default_memory_pool().release_unused()  # this column's scratch strings, before the next
        return typed
    text = raw.str.strip()
    missing = text.str.lower().isin(MISSING_MARKERS)
    if blank_rows:
        missing.iloc[blank_rows] = True
    text = text.mask(missing)
    present = text.dropna()
    if len(present) and _all_match(present, patterns):
        return parse_numbers(text, decimal=decimal)
    return text


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
    if cells is None:
        return None
    if decimal == ".":
        numbers = _plain_numbers(cells, blank_rows=blank_rows)
        if numbers is not None:
            return pd.Series(numbers, index=raw.index, name=raw.name, copy=False)
    lowest, highest = byte_range(cells)
    if highest >= 0x80:
        return None
    # No byte at or below the space: no cell can start or end with whitespace, nothing to strip.
    stripped = cells if lowest > 0x20 else pc.ascii_trim_whitespace(cells)
    unchanged = stripped is cells or total_bytes(stripped) == total_bytes(cells)
    if unchanged:
        stripped = cells  # nothing was stripped: drop the copy now (a big column is 1/3 of the file)
    missing = _missing_cells(stripped, blank_rows=blank_rows)
    n_missing = pc.sum(missing).as_py() or 0
    nothing = pa.scalar(None, stripped.type)
    pattern = "|".join(f"(?:{p.pattern})" for p in patterns)
    if n_missing < len(raw) and _all_numbers(stripped, missing, pattern):
        numbers = _cast_numbers(pc.if_else(missing, nothing, stripped) if n_missing else stripped, decimal=decimal)
        if numbers is not None:
            return pd.Series(numbers, index=raw.index, name=raw.name, copy=False)
        text = pd.Series(raw.dtype.__from_arrow__(pc.if_else(missing, nothing, stripped)))
        return parse_numbers(text, decimal=decimal).set_axis(raw.index).rename(raw.name)
    if n_missing == 0 and unchanged:
        return raw  # nothing to strip, nothing missing: the raw strings as they are
    return pd.Series(raw.dtype.__from_arrow__(pc.if_else(missing, nothing, stripped)), index=raw.index, name=raw.name)


def _plain_numbers(cells: pa.ChunkedArray, *, blank_rows: list[int]) -> np.ndarray | None:
    """A column of plain numbers with a decimal point, read in one cast; None if any cell needs more.

    Most number columns of an export need no stripping, no thousands separator and no pattern
    check: Arrow's cast reads exactly the numbers :data:`_DOT_NUMBER` matches (and "nan", "inf",
    which come back non-finite and send the column the long way) and refuses anything else
    (spaces, letters, a second mark), so when it reads every cell that is not a missing marker,
    the column is typed as the long way would type it, at a fraction of the cost. A text column
    is told apart on its first 2,000 rows; a column without missing markers is read in one pass.
    """
    for stop in (min(len(cells), 2_000), len(cells)):
        part = cells.slice(0, stop)
        numbers = None
        if not (blank_rows or part.null_count):
            try:
                numbers = pc.cast(part, pa.float64())  # no missing marker: one pass
            except pa.ArrowInvalid:
                pass
        if numbers is None:
            missing = _missing_cells(part, blank_rows=blank_rows)
            try:
                numbers = pc.cast(pc.if_else(missing, pa.scalar(None, part.type), part), pa.float64())
            except pa.ArrowInvalid:
                return None
    if numbers.null_count == len(numbers):
        return None  # nothing but missing markers: no number to read, the column stays text
    # "inf", "1e400" (non-finite) or "-0" (pandas reads it as 0 or -0.0 depending on the rest of
    # the column): read the long way, as pd.to_numeric reads them.
    if not pc.all(pc.is_finite(numbers)).as_py():
        return None
    out = numbers.to_numpy(zero_copy_only=False)
    if not out.flags.writeable:
        out = out.copy()  # one chunk without nulls comes back as a read-only view of Arrow's buffer
    negative = np.signbit(out)
    if negative.any() and (negative & (out == 0)).any():
        return None
    return out


def _missing_cells(cells: pa.ChunkedArray, *, blank_rows: list[int]) -> pa.ChunkedArray:
    """Which cells are missing: a marker in any case, null, or in one of ``blank_rows`` (those past the end ignored)."""
    missing = pc.or_(pc.is_in(cells, value_set=_MISSING_SPELLINGS), pc.is_null(cells))
    rows = [row for row in blank_rows if row < len(cells)]
    if not rows:
        return missing
    flags = missing.to_numpy(zero_copy_only=False).copy()
    flags[rows] = True
    return pa.chunked_array([pa.array(flags)])


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


#: A text column counts as numeric when at least this share of its values read as numbers.
NUMERIC_SHARE = 0.8


#: Values beyond this magnitude are treated as errors in the file, not as customers' values.
MAX_MAGNITUDE = 1e15


EXCEL_ERROR = re.compile(r"^#(N/A|NV|GETTING_DATA|[A-Z/0_]+[!?])$|^ERR:\d{3}$")


_GROUPED = {
    ".": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$"),
    ",": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?([eE][+-]?\d+)?$"),
}


_SYMBOLS = re.compile(r"^\s*[$€£¥₹]\s*|\s*[$€£¥₹%]\s*$|\s+")


def may_be_numbers(present: pd.Series, *, decimal: str) -> bool:
    """Whether a text column could be mostly numbers, judged on its first values (cheap on big files).

    A column needs :data:`NUMERIC_SHARE` of numbers to be one; when not even half of the first
    2,000 values are numbers (Excel error values aside), reading every row leniently is wasted.
    """
    head = present.iloc[:2_000]
    if len(head) == 0:
        return False
    numbers, _, _ = lenient_numbers(head, decimal=decimal)
    errors = int(head.str.strip().str.upper().str.match(EXCEL_ERROR.pattern).fillna(False).sum())
    return numbers.notna().sum() >= 0.5 * (len(head) - errors)


def lenient_numbers(series: pd.Series, *, decimal: str) -> tuple[pd.Series, int, pd.Series]:
    """Read text as numbers allowing $, €, %, spaces and thousands separators.

    Returns the numbers, how many cells needed symbols removed, and a mask of present cells that
    are not numbers at all.
    """
    text = series.astype("str")
    strict = parse_numbers(text, decimal=decimal)
    # Patterns as text, not compiled, so pandas hands them to pyarrow's vectorised regex engine.
    cleaned = text.str.replace(_SYMBOLS.pattern, "", regex=True).str.replace(
        "\u2212", "-", regex=False
    )  # "−": Unicode minus
    cleaned = cleaned.str.replace(r"^\((.+)\)$", r"-\1", regex=True)  # accounting negatives: (12)
    lenient = parse_numbers(cleaned, decimal=decimal)
    # The other mark is only a thousands separator: "12,5" in a decimal-point file (or "12.5" with
    # decimal commas) is not 125, so it is reported instead of read.
    mark = "," if decimal == "." else "."
    misplaced = cleaned.str.contains(mark, regex=False) & ~cleaned.str.match(_GROUPED[decimal].pattern)
    lenient = lenient.mask(misplaced.fillna(False).astype(bool))
    present = series.notna()
    converted = int((strict.isna() & lenient.notna()).sum())
    bad = present & lenient.isna()
    return lenient, converted, bad


def written_as_number(text: str) -> bool:
    """Whether one cell is a plain number with either decimal mark (``12``, ``-3.5``, ``12,5``).

    Examples
    --------
    >>> written_as_number("12,5"), written_as_number("Age")
    (True, False)
    """
    return bool(_DOT_NUMBER.match(text) or _COMMA_NUMBER.match(text))


def number_text(value: float) -> str:
    """A number as the text a category or yes/no column read from numbers holds: ``1``, ``2.5``.

    Whole numbers have no decimals and no thousands separators, so ``1``, ``1.0`` and ``1.00`` in a
    file are one value, and a store code 1001 reads as ``1001``.

    Examples
    --------
    >>> number_text(1.0), number_text(1001.0), number_text(2.5), number_text(-1.0)
    ('1', '1001', '2.5', '-1')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"
