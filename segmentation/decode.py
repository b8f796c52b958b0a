"""Bytes to text: the encoding sniffed (or given), and files that are not text refused with the reason.

A byte-order mark (UTF-8 or UTF-16), then UTF-8, then Windows-1252, then Latin-1; stray bytes from
another encoding in a UTF-8 file are kept as Windows-1252 characters, with a note. Images, archives,
databases and other binary files are refused by their first bytes or by the characters they decode to.
"""

from __future__ import annotations

import codecs
import re

from .errors import DataError
from .wording import clipped, number_list

__all__ = [
    "ENCODING_NAMES",
    "ascii_text",
    "decode",
    "head_text",
    "refuse_binary_magic",
    "refuse_binary_text",
    "same_type",
]

#: Characters of the text looked at when judging whether it is text at all.
_SNIFF_CHARS = 256 * 1024


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


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


def refuse_binary_magic(data: bytes, name: str) -> None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            hint = (
                "Open it in Excel, remove any password, and save it as .xlsx or CSV."
                if "xls" in what
                else "Upload the customer table as a CSV or .xlsx file."
            )
            raise DataError(f"'{name}' is {what}, not a customer table. {hint}")


def decode(data: bytes, *, name: str, encoding: str | None, notes: list[str] | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with; ``notes`` receives any byte that did not fit.

    No byte is dropped or replaced without a note: a UTF-8 file (with or without a byte-order mark)
    holding a few Windows-1252 bytes keeps them as the Windows characters they almost always are, and
    the note names their lines.
    """
    notes = [] if notes is None else notes
    if encoding is not None:
        shown = clipped(encoding, 40)
        try:
            # Python also has codecs from bytes to bytes ("hex", "zlib") and from text to text ("rot13").
            return data.decode(encoding), encoding
        except LookupError:
            raise DataError(
                f"'{shown}' is not a text encoding (try utf-8 or cp1252, or leave --encoding out to detect it)."
            ) from None
        except UnicodeError as error:
            where = f" (byte {error.start:,} cannot be read)" if isinstance(error, UnicodeDecodeError) else ""
            raise DataError(
                f"'{name}' is not valid {shown} text{where}. "
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
            f"{ENCODING_NAMES.get(codec, codec)}."
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
        f"'{name}' is UTF-8 text except for {len(positions):,} byte(s) on line(s) {number_list(lines)}, "
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
        f"{number_list(lines)}, probably a file cut short); they show as '\ufffd'. Export the table again "
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


#: Control characters a text file does not hold (tab and line ends aside; NUL is counted apart), and
#: the replacement character a decoder puts for bytes it could not read.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def ascii_text(data: bytes, encoding: str | None) -> bool:
    """Whether ``data`` is its own text: ASCII, with no encoding given (and not UTF-16's NUL-padded ASCII).

    Such bytes can be checked and parsed as they are, without decoding a copy of the whole file.
    """
    return encoding is None and data.isascii() and not _looks_like_utf16_without_bom(data)


def same_type(text: str | bytes, chars: str) -> str | bytes:
    """``chars`` as the same type as ``text`` (the checks read ASCII bytes as they read text)."""
    return chars if isinstance(text, str) else chars.encode("ascii")


def head_text(text: str | bytes, size: int) -> str:
    """The first ``size`` characters of ``text``, or of ASCII bytes standing for it, as ``str``."""
    head = text[:size]
    return head.decode("ascii") if isinstance(head, bytes) else head


def refuse_binary_text(text: str | bytes, name: str) -> None:
    """Refuse text that holds binary data or NUL characters; ``text`` may be ASCII bytes."""
    sample = head_text(text, _SNIFF_CHARS)
    controls = len(_CONTROL.findall(sample))
    if controls > max(8, len(sample) // 100) or sample.count("\x00") > len(sample) // 4:
        raise DataError(
            f"'{name}' does not look like a text file (it holds binary data). "
            "Upload the customer table as a CSV or .xlsx file."
        )
    nul = text.find(same_type(text, "\x00"))
    if nul >= 0:
        # Text with a few zero bytes: an export cut short or a disk error, not a different format.
        line = text.count(same_type(text, "\n"), 0, nul) + 1
        raise DataError(
            f"'{name}' contains NUL characters (invisible zero bytes, first on line {line:,}), which a "
            "CSV file cannot hold; they usually come from a broken export. Export the table again, "
            "or remove them in a text editor, and upload the new file."
        )
