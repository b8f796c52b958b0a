"""Small wording helpers shared by the stages: numbers, lists and names as a person reads them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "and_joined",
    "clipped",
    "free_name",
    "middle_clipped",
    "number",
    "number_list",
    "one_line",
    "quoted",
    "short_list",
]


def number(value: float) -> str:
    """A number for a message: whole numbers with thousands separators, others to 4 digits.

    Examples
    --------
    >>> number(61500.0), number(0.123456), number(13990.2)
    ('61,500', '0.1235', '13,990.2')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if 1_000 <= abs(value) < 1e15:
        # Not 1.399e+04: a large amount with its cents, as it is written.
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,.4g}"


def clipped(value: object, limit: int) -> str:
    """``value`` as text of at most ``limit`` characters, cut with an ellipsis (for messages).

    Examples
    --------
    >>> clipped("Customer export March 2024", 10)
    'Customer …'
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def middle_clipped(text: str, limit: int) -> str:
    """``text`` of at most ``limit`` characters, its middle cut with an ellipsis.

    For a message made long by a long name in it: the start (what is wrong) and the end (what to
    do) both stay.

    Examples
    --------
    >>> middle_clipped("Column '" + "y" * 1000 + "' is empty: leave it out.", 50)
    "Column 'yyyyyyyyyyyyyyyyy … s empty: leave it out."
    """
    if len(text) <= limit:
        return text
    head = limit // 2
    return text[:head] + " … " + text[len(text) - (limit - head - 3) :]


#: Control characters (line breaks, escape sequences) as Python writes them in a string literal.
_ESCAPED = {
    **{code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]},
    **{ord(c): e for c, e in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))},
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def one_line(text: object, limit: int = 600) -> str:
    """``text`` as one line of at most ``limit`` characters (for an ``error:`` line on a terminal).

    Line breaks and other control characters show escaped, as ``\\n``, so a name holding a line
    break cannot start a line of its own (nor a terminal escape sequence run); the middle of a
    long text is cut (:func:`middle_clipped`).

    Examples
    --------
    >>> print(one_line("No such file: 'out\\nerror: forged.csv'"))
    No such file: 'out\\nerror: forged.csv'
    """
    return middle_clipped(str(text).translate(_ESCAPED), limit)


def quoted(items: Iterable[object]) -> str:
    """Items in single quotes, comma-separated: ``'Age', 'Income'``."""
    return ", ".join(f"'{i}'" for i in items)


def and_joined(items: Sequence[str]) -> str:
    """Items as a sentence lists them: ``"1, 2 and 3"``.

    Examples
    --------
    >>> and_joined(["1", "2", "3"]), and_joined(["1"]), and_joined([])
    ('1, 2 and 3', '1', '')
    """
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def free_name(name: str, taken: Iterable[str]) -> str:
    """``name``, or ``"name (2)"``, ``"name (3)"``... whichever is not taken yet.

    Examples
    --------
    >>> free_name("Segment", ["Segment", "Segment (2)"])
    'Segment (3)'
    """
    taken = set(taken)
    if name not in taken:
        return name
    i = 2
    while f"{name} ({i})" in taken:
        i += 1
    return f"{name} ({i})"


def short_list(items: list[str], limit: int = 4, width: int = 60) -> str:
    """The first ``limit`` items in single quotes, each cut to ``width`` characters, and how many more.

    Examples
    --------
    >>> short_list(["Age", "Income", "Region"], limit=2)
    "'Age', 'Income' and 1 more"
    """
    shown = ", ".join(f"'{clipped(i, width)}'" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def number_list(numbers: list[int], limit: int = 5) -> str:
    """The first ``limit`` numbers with thousands separators, and how many more.

    Examples
    --------
    >>> number_list([3, 1200, 7], limit=2)
    '3, 1,200 and 1 more'
    """
    shown = ", ".join(f"{n:,}" for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit:,} more" if len(numbers) > limit else "")
