"""The prepared files, one object per file for every session of the server (``st.cache_resource``).

As ``st.cache_data`` the prepared data was pickled into the cache (about seven times the file: 0.95 s
and 346 MB for a 52 MB file of a million customers) and unpickled for each session again (0.25-0.9 s),
on top of the copy the session holds. Now the cache and every session on a file share one object,
never copied. ``st.cache_resource`` has no size bound, so :func:`prepared_for` counts the files it
keeps and drops the least recently used beyond :data:`PREPARED_BUDGET` (a session working on one still
holds it until it moves on).

Nothing in the app or the core writes into a prepared file once made: its arrays are made read-only
here, so a stray write fails loudly; its DataFrames are pandas' copy-on-write, so anything derived
from them is a copy, but a direct write into one would reach the other sessions on that file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

import segmentation as sg
from app_options import PrepOptions

__all__ = ["PREPARED_BUDGET", "clear", "kept", "prepared_for"]

#: What the prepared files kept for every session may take together (the newest is always kept).
PREPARED_BUDGET = 1_500_000_000
_kept: OrderedDict[tuple, int] = OrderedDict()  # (digest, name, options) -> bytes, oldest use first
_kept_lock = threading.Lock()


def prepared_for(
    data: bytes, digest: str, name: str, opts: PrepOptions, max_bytes: int | None = None
) -> tuple[sg.Customers, sg.Prepared]:
    """The file read as customers and prepared with ``opts``: one object for every session.

    Raises
    ------
    DataError
        As :func:`segmentation.load_table` and :func:`segmentation.prepare`.
    """
    result = _prepare(data, digest, name, opts, max_bytes)
    key = (digest, name, opts)
    with _kept_lock:
        if key not in _kept:
            _kept[key] = _size_of(result)
        _kept.move_to_end(key)
        dropped = []
        while len(_kept) > 1 and sum(_kept.values()) > PREPARED_BUDGET:
            dropped.append(_kept.popitem(last=False)[0])
    for old_digest, old_name, old_opts in dropped:
        _prepare.clear(None, old_digest, old_name, old_opts)
    return result


@st.cache_resource(max_entries=12, show_spinner="Reading and preparing the data…")
def _prepare(
    _data: bytes, digest: str, name: str, opts: PrepOptions, _max_bytes: int | None = None
) -> tuple[sg.Customers, sg.Prepared]:
    # The size limit is not part of the key: a file that passed it once passes it again.
    table = sg.load_table(_data, name=name, max_bytes=_max_bytes)
    customers = sg.Customers.of(table, opts.log)
    prepared = customers.prepare(**opts.prepare_options())
    for shared in (prepared.matrix, prepared.rows, prepared.skipped, prepared.aside, prepared.aside_matrix):
        if shared is not None:
            shared.flags.writeable = False
    return customers, prepared


def _size_of(result: tuple[sg.Customers, sg.Prepared]) -> int:
    """Bytes held by a prepared file: its cells as read and typed, its values and its matrix."""
    customers, prepared = result
    tables = [customers.file] if customers.rollup is None else [customers.file, customers.rollup.table]
    frames = [frame for table in tables for frame in (table.raw, table.frame)] + [prepared.values]
    arrays = [a for a in (prepared.matrix, prepared.aside_matrix) if a is not None]
    return int(sum(f.memory_usage(deep=True, index=False).sum() for f in frames) + sum(a.nbytes for a in arrays))


def kept() -> list[tuple]:
    """The (digest, name, options) of the files kept, least recently used first."""
    with _kept_lock:
        return list(_kept)


def clear() -> None:
    """Forget every prepared file."""
    _prepare.clear()
    with _kept_lock:
        _kept.clear()
