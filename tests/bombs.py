"""Hostile files for the robustness tests, written in a stream so they are small on disk and in memory.

An .xlsx is a ZIP of XML parts. Each builder here writes the few parts a reader needs, the sheet and
the shared strings from generators of byte chunks, so a workbook that expands to a gigabyte is about
a megabyte on disk and never a gigabyte in the test's own memory. The shapes are the ones the second
adversarial round used (issue 17): one huge shared string, millions of shared strings, millions of
rows, a sheet as wide as Excel allows, styled cells out to column XFD.

Run ``python tests/bombs.py FOLDER`` to write them all for a look by hand.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">'
    '<sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)

#: Bytes handed to the compressor at a time.
_CHUNK = 1 << 20


def write_workbook(
    path: Path, sheet: Iterable[bytes], shared_strings: Iterable[bytes] = (), *, after_data: bytes = b""
) -> Path:
    """Write an .xlsx whose sheet body (the ``<row>`` elements) and shared strings (the ``<si>``
    elements) come from the given chunks, compressed as they come; ``after_data`` follows the
    sheet's data (e.g. an ``<extLst>``)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _stream(book, "xl/sharedStrings.xml", [f'<sst xmlns="{_MAIN}">'.encode(), *_chunked(shared_strings), b"</sst>"])
        _stream(
            book,
            "xl/worksheets/sheet1.xml",
            [
                f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode(),
                *_chunked(sheet),
                b"</sheetData>" + after_data + b"</worksheet>",
            ],
        )
    return path


def _stream(book: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    with book.open(name, "w", force_zip64=True) as member:
        for chunk in chunks:
            member.write(chunk)


def _chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    """The parts joined into chunks of about a megabyte (a write per tiny part would be slow)."""
    buffer: list[bytes] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= _CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _header_and_rows(rows: int) -> Iterator[bytes]:
    """A header (shared strings 0 and 1) and ``rows`` customers of two number cells."""
    yield b'<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
    row = b"<row><c><v>1</v></c><c><v>2</v></c></row>"
    for _ in range(rows):
        yield row


def huge_shared_string(path: Path, n_bytes: int) -> Path:
    """One shared string of ``n_bytes`` characters (a workbook of 1 MB per GB of text)."""
    text = (b"a" * _CHUNK for _ in range(n_bytes // _CHUNK))
    strings = [b"<si><t>Age</t></si><si><t>", *text, b"</t></si>"]
    return write_workbook(path, _header_and_rows(3), strings)


def many_shared_strings(path: Path, count: int) -> Path:
    """``count`` shared strings (``<si><t>x</t></si>`` each) behind a small table."""
    strings = [b"<si><t>Age</t></si><si><t>Spend</t></si>", *(b"<si><t>x</t></si>" for _ in range(count))]
    return write_workbook(path, _header_and_rows(3), strings)


def many_rows(path: Path, rows: int) -> Path:
    """A header and ``rows`` customer rows (rows without numbers: each one continues the last)."""
    return write_workbook(path, _header_and_rows(rows), [b"<si><t>Age</t></si><si><t>Spend</t></si>"])


def wide_sheet(path: Path, columns: int, rows: int = 3) -> Path:
    """``rows + 1`` rows of ``columns`` number cells (16,384 is Excel's own widest sheet)."""
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    return write_workbook(path, (row for _ in range(rows + 1)))


def styled_to_xfd(path: Path, rows: int) -> Path:
    """A small table whose every row also holds an empty, styled cell in column XFD (16,384).

    Formatting a whole row in some tools writes such cells; read cell by cell, each row becomes
    16,384 cells wide.
    """

    def body() -> Iterator[bytes]:
        yield b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="XFD1" s="1"/></row>'
        for i in range(2, rows + 2):
            yield f'<row r="{i}"><c r="A{i}"><v>{i % 7}</v></c><c r="B{i}"><v>{i % 5}</v></c><c r="XFD{i}" s="1"/></row>'.encode()

    return write_workbook(path, body(), [b"<si><t>Age</t></si><si><t>Spend</t></si>"])


def row_past_excel(path: Path, number: int = 2_000_000) -> Path:
    """A small table whose last row is numbered ``number`` (Excel stops at 1,048,576)."""

    def body() -> Iterator[bytes]:
        yield b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        for i in range(2, 6):
            yield f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}"><v>{i * 3}</v></c></row>'.encode()
        yield f'<row r="{number}"><c r="A{number}"><v>1</v></c></row>'.encode()

    return write_workbook(path, body(), [b"<si><t>Age</t></si><si><t>Spend</t></si>"])


def wide_categories_csv(path: Path, columns: int = 1_999, values: int = 20, rows: int = 2_000) -> Path:
    """``rows`` customers with ``columns`` category columns of ``values`` values (letters) each, and
    a number column (8 MB by default: about 40,000 columns once each category is one 0/1 column)."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(f"Category {c + 1}" for c in range(columns)) + ",Spend\n")
        for r in range(rows):
            out.write(",".join(chr(65 + (r * (c + 3) + c) % values) for c in range(columns)) + f",{r % 97}\n")
    return path


BOMBS = {
    "huge_shared_string.xlsx": lambda p: huge_shared_string(p, 1 << 30),
    "many_shared_strings.xlsx": lambda p: many_shared_strings(p, 20_000_000),
    "many_rows.xlsx": lambda p: many_rows(p, 20_000_000),
    "wide_sheet.xlsx": lambda p: wide_sheet(p, 16_384, rows=2_000),
    "styled_to_xfd.xlsx": lambda p: styled_to_xfd(p, 50_000),
    "wide_categories.csv": wide_categories_csv,
}


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    folder.mkdir(parents=True, exist_ok=True)
    for name, write in BOMBS.items():
        written = write(folder / name)
        print(f"{name}: {written.stat().st_size:,} bytes")
