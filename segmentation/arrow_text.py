"""Byte-level views of Arrow string columns: whole-column answers without work per cell.

A column of a million customers is a buffer of bytes and a buffer of offsets. Many questions the
loader and the writer ask ("is this column ASCII?", "does any cell hold a quote?", "which cells
start with '='?") can be answered by a NumPy pass over those buffers, many times faster than an
Arrow kernel that answers per cell and allocates a result per cell. These helpers give the views;
the callers keep the exact per-cell kernels for the columns where the answer is yes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["byte_range", "first_bytes", "holds_any", "text_bytes", "total_bytes"]


def _chunks(cells: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(cells.chunks) if isinstance(cells, pa.ChunkedArray) else [cells]


def _offsets(chunk: pa.Array) -> np.ndarray:
    """The chunk's ``len + 1`` offsets into its data buffer (its slice only)."""
    width = np.int64 if pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type) else np.int32
    return np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]


def _data(chunk: pa.Array) -> np.ndarray:
    buffer = chunk.buffers()[2]
    return np.empty(0, dtype=np.uint8) if buffer is None else np.frombuffer(buffer, dtype=np.uint8)


def text_bytes(cells: pa.Array | pa.ChunkedArray) -> list[np.ndarray]:
    """The bytes of the cells' text, one view per chunk (bytes outside the chunk's slice left out)."""
    out = []
    for chunk in _chunks(cells):
        if len(chunk):
            offsets = _offsets(chunk)
            out.append(_data(chunk)[offsets[0] : offsets[-1]])
    return out


def total_bytes(cells: pa.Array | pa.ChunkedArray) -> int:
    """How many bytes of text the cells hold, read from their offsets.

    Examples
    --------
    >>> total_bytes(pa.array(["ab", None, "cde"]))
    5
    """
    return sum(len(text) for text in text_bytes(cells))


def byte_range(cells: pa.Array | pa.ChunkedArray) -> tuple[int, int]:
    """The lowest and the highest byte of the cells' text; ``(256, -1)`` when they hold none.

    A highest byte below 0x80 means ASCII; a lowest above 0x20 means no cell holds whitespace.

    Examples
    --------
    >>> byte_range(pa.array(["Anna", "Bo"]))
    (65, 111)
    """
    parts = [text for text in text_bytes(cells) if len(text)]
    if not parts:
        return 256, -1
    return min(int(text.min()) for text in parts), max(int(text.max()) for text in parts)


def holds_any(cells: pa.Array | pa.ChunkedArray, characters: str) -> bool:
    """Whether any cell holds any of these ASCII characters.

    Examples
    --------
    >>> holds_any(pa.array(["a,b", "c"]), ",;"), holds_any(pa.array(["ab", "c"]), '"')
    (True, False)
    """
    wanted = _lookup(characters)
    return any(bool(wanted[text].any()) for text in text_bytes(cells))


def first_bytes(cells: pa.Array | pa.ChunkedArray, characters: str) -> np.ndarray:
    """For each cell, whether its first byte is one of these ASCII characters (empty and null cells: False).

    Examples
    --------
    >>> first_bytes(pa.array(["=1", "", None, "a=", "-"]), "=-").tolist()
    [True, False, False, False, True]
    """
    wanted = _lookup(characters)
    parts = []
    for chunk in _chunks(cells):
        offsets = _offsets(chunk) if len(chunk) else np.zeros(1, dtype=np.int64)
        starts, filled = offsets[:-1], offsets[1:] > offsets[:-1]  # a null cell's text is empty too
        data = _data(chunk)
        first = np.zeros(len(chunk), dtype=bool)
        first[filled] = wanted[data[starts[filled]]]
        parts.append(first)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _lookup(characters: str) -> np.ndarray:
    codes = [ord(c) for c in characters]
    if any(code >= 0x80 for code in codes):
        raise ValueError(f"only ASCII characters can be found by their byte, not {characters!r}")
    wanted = np.zeros(256, dtype=bool)
    wanted[codes] = True
    return wanted
